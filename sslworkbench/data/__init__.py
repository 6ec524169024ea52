"""Datasets by name, each in the shared in-memory format of its kind.

    >>> from sslworkbench.data import load_dataset
    >>> train = load_dataset("shapes", split="train")
    >>> train.images.shape, train.images.dtype     # (N, 3, 32, 32), torch.uint8
    >>> train.labels[:5], train.classes[:3]
    >>> load_dataset("motifs").inputs.shape         # (4000, 32) token ids

Every loader returns a :class:`~sslworkbench.data.dataset.Dataset` of one kind
(``ImageSet``, ``SequenceSet``, …; see ``dataset.py``): the whole split in
memory plus integer labels. Small data fits in memory easily, and batching
straight from a tensor is much faster on a CPU than a per-item DataLoader.

Adding a dataset: a module with a loader ``load_x(split, n, root, seed, **options)``
that returns a Dataset, and one line in ``DATASETS`` below.
"""

from __future__ import annotations

import inspect
from pathlib import Path

from ..errors import WorkbenchError
from ..registry import Registry, check_options, keyword_options
from .audio_folder import AUDIO_EXTENSIONS, load_audio_folder
from .bible import load_bible
from .captioned_shapes import load_captioned_shapes
from .dataset import KINDS, AudioSet, ClipSet, Dataset, ImageSet, PairedSet, SequenceSet
from .digits import load_digits
from .emoji import load_emoji
from .image_folder import IMAGE_EXTENSIONS, load_image_folder, save_image_folder  # noqa: F401 (sw.data.save_image_folder)
from .motifs import load_motifs
from .moving_shapes import load_moving_shapes
from .paths import default_root
from .shapes import load_shapes
from .sounds import load_sounds
from .spoken_digits import load_spoken_digits
from .text_file import load_text_file
from .torchvision_sets import load_cifar10, load_fashion_mnist, load_mnist, load_stl10

DATASETS = Registry("dataset", {
    "shapes": load_shapes,              # procedural images, generated and cached (data/shapes.py)
    "moving_shapes": load_moving_shapes,  # clips of one shapes object moving, spinning, slowing down (video)
    "captioned_shapes": load_captioned_shapes,  # shapes with captions written from what drew them (image–text)
    "digits": load_digits,              # scikit-learn's 8×8 handwritten digits
    "motifs": load_motifs,              # procedural token sequences (data/motifs.py)
    "bible": load_bible,                # English–Spanish verses, shipped in the package (data/bible.py)
    "emoji": load_emoji,                # 3,655 emoji with their names, shipped in the package (image–text)
    "sounds": load_sounds,              # procedural sound events: tones, chords, chirps, clicks, noise (audio)
    "spoken_digits": load_spoken_digits,  # "zero" … "nine" in 96 eSpeak NG voices, synthesised on first use (audio)
    "cifar10": load_cifar10,            # the real image datasets, through torchvision's files
    "stl10": load_stl10,
    "mnist": load_mnist,
    "fashion_mnist": load_fashion_mnist,
    "image_folder": load_image_folder,  # your own images: one sub-folder per class, or flat (data/image_folder.py)
    "text_file": load_text_file,        # your own text: a .txt (a line each) or a .csv/.tsv (data/text_file.py)
    "audio_folder": load_audio_folder,  # your own recordings: WAV, FLAC, OGG (data/audio_folder.py)
})

#: The one place for what suits a dataset, used by the experiment recipe
#: (``sw.pretrain``, the CLI and every notebook): view settings applied to the
#: augmentation pipeline of every method that declares ``uses_dataset_views``.
#: shapes: crops keep at least 40% of the image, so the object — the only thing
#: two views of an image share once colour is distorted — stays in view; smaller
#: crops often cut it out, and then the two views share only the background.
#: ``python benchmarks/design_choices.py shapes_crop_scale`` trains SimCLR with
#: both crop scales and prints their kNN and linear-probe accuracy.
VIEW_DEFAULTS = {"shapes": {"scale": (0.4, 1.0)}}

SPLITS = ("train", "test")

#: datasets whose loader hands the options it does not name on to another dataset's loader
#: (captioned_shapes draws its images with shapes' options: ``upright=True``, …)
OPTIONS_PASSED_ON = {"captioned_shapes": "shapes"}


def files_dataset(path) -> str:
    """Which loader reads your files at ``path``: ``"text_file"`` for a .txt, .csv or .tsv file,
    ``"audio_folder"`` for a folder of recordings (.wav, .flac, .ogg), ``"image_folder"`` for
    any other folder. ``sw.load_dataset(files_dataset(path), path=path)`` then loads them."""
    found = Path(path).expanduser()
    if found.is_file():
        if found.suffix.lower() in (".txt", ".csv", ".tsv"):
            return "text_file"
        raise WorkbenchError(f"{str(path)!r} is a {found.suffix or 'plain'} file: give a .txt/.csv/.tsv file of text, "
                             "or a folder of images or recordings.")
    if not found.is_dir():
        raise WorkbenchError(f"{str(path)!r} does not exist (a relative path starts from {Path.cwd()}).")
    suffixes = {p.suffix.lower() for p in found.rglob("*") if p.is_file() and not p.name.startswith(".")}
    return "audio_folder" if suffixes & set(AUDIO_EXTENSIONS) and not suffixes & set(IMAGE_EXTENSIONS) else "image_folder"


def dataset_kind(name: str) -> str:
    """The kind of data dataset ``name`` holds (a key of ``KINDS``: "images", "tokens", …),
    read from the type its loader declares it returns (``-> ImageSet``): nothing is loaded."""
    returns = inspect.signature(DATASETS[name]).return_annotation
    kind_of_class = {cls.__name__: kind for kind, cls in KINDS.items()}
    return kind_of_class[returns if isinstance(returns, str) else returns.__name__]


def dataset_options(name: str) -> list[str]:
    """Every option ``load_dataset(name, ...)`` takes: its own (n, size, root, seed) and
    the keywords of the dataset's loader (read from its signature)."""
    options = {"n", "size", "root", "seed", *keyword_options(DATASETS[name], leave_out=("split",))}
    if name in OPTIONS_PASSED_ON:
        options.update(dataset_options(OPTIONS_PASSED_ON[name]))
    return sorted(options)


def load_dataset(
    name: str,
    split: str = "train",
    *,
    n: int | None = None,
    size: int | None = None,
    root: str | Path | None = None,
    seed: int = 0,
    **options,
) -> Dataset:
    """Load split ``split`` of dataset ``name``.

    n      keep only the first ``n`` samples (the order is already shuffled for
           synthetic sets; for real sets a seeded random subset is taken).
    size   images only: resize to ``size``×``size`` (bilinear, antialiased; ``image_folder``
           decodes its files at that size).
    root   folder for caches and downloads (default: ``data/``).
    seed   the seed of synthetic data / of the subset.
    options  dataset-specific options (e.g. ``shapes``: ``chromatic_aberration``).
    """
    builder = DATASETS[name]
    check_options(name, options, dataset_options(name))  # a misspelt option: one clear error, not a TypeError
    if split not in SPLITS:
        raise WorkbenchError(f"Unknown split {split!r} for dataset {name!r}; use one of {SPLITS}.")
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise WorkbenchError(f"n must be a positive integer (got {n!r}).")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 8):
        raise WorkbenchError(f"size must be an integer ≥ 8 (got {size!r}).")
    root = Path(root) if root is not None else default_root()
    if size is not None and "size" in inspect.signature(builder).parameters:
        options["size"] = size  # a loader that decodes image files (image_folder) decodes them at that size
    data = builder(split=split, n=n, root=root, seed=seed, **options)
    if n is not None and len(data) > n:
        data = data.subset(n, seed=seed)
    if size is not None:
        if not isinstance(data, ImageSet):
            raise WorkbenchError(f"size= resizes images, and {name!r} holds {data.kind}, not images.")
        if data.image_size != size:
            data = data.resized(size)
    return data


__all__ = [
    "DATASETS", "KINDS", "VIEW_DEFAULTS", "AudioSet", "ClipSet", "Dataset", "ImageSet", "PairedSet", "SequenceSet",
    "dataset_kind", "dataset_options", "default_root", "load_dataset",
]
