"""Datasets by name, all in one shared format.

    >>> from sslworkbench.data import load_dataset
    >>> train = load_dataset("shapes", split="train")
    >>> train.images.shape, train.images.dtype     # (N, 3, 32, 32), torch.uint8
    >>> train.labels[:5], train.classes[:3]

Every loader returns an :class:`ImageSet`: the whole split in memory as a uint8
tensor of shape (N, 3, H, W) (grayscale sets are repeated to 3 channels) plus
integer labels. Small images fit in memory easily, and batching straight from a
tensor is much faster on a CPU than a per-image DataLoader.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import WorkbenchError
from ..registry import Registry
from .imageset import ImageSet

DATASETS = Registry("dataset")

#: Where datasets are cached / downloaded unless ``root=`` says otherwise.
#: ``SSLWB_DATA`` overrides it; the default is ``data/`` in the current directory's
#: project (or the working directory itself when run elsewhere).
def default_root() -> Path:
    import os

    env = os.environ.get("SSLWB_DATA")
    if env:
        return Path(env)
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").exists() and (folder / "sslworkbench").is_dir():
            return folder / "data"
    return here / "data"


SPLITS = ("train", "test")


def load_dataset(
    name: str,
    split: str = "train",
    *,
    n: int | None = None,
    size: int | None = None,
    root: str | Path | None = None,
    seed: int = 0,
    **options,
) -> ImageSet:
    """Load split ``split`` of dataset ``name`` as an :class:`ImageSet`.

    n      keep only the first ``n`` images (the order is already shuffled for
           synthetic sets; for real sets a seeded random subset is taken).
    size   resize images to ``size``×``size`` (bilinear, antialiased).
    root   folder for caches and downloads (default: ``data/``).
    seed   the seed of synthetic data / of the subset.
    options  dataset-specific options (e.g. ``shapes``: ``chromatic_aberration``).
    """
    builder = DATASETS[name]
    if split not in SPLITS:
        raise WorkbenchError(f"Unknown split {split!r} for dataset {name!r}; use one of {SPLITS}.")
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise WorkbenchError(f"n must be a positive integer (got {n!r}).")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 8):
        raise WorkbenchError(f"size must be an integer ≥ 8 (got {size!r}).")
    root = Path(root) if root is not None else default_root()
    data = builder(split=split, n=n, root=root, seed=seed, **options)
    if n is not None and len(data) > n:
        data = data.subset(n, seed=seed)
    if size is not None and data.image_size != size:
        data = data.resized(size)
    return data


# Registering the loaders (import for their side effect on DATASETS).
from . import shapes as _shapes  # noqa: E402,F401
from . import digits as _digits  # noqa: E402,F401
from . import torchvision_sets as _torchvision_sets  # noqa: E402,F401

__all__ = ["DATASETS", "ImageSet", "load_dataset", "default_root"]
