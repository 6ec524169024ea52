"""``image_folder``: your own images, from a folder on disk.

    >>> sw.load_dataset("image_folder", path="my_photos")                 # 80% of them, uint8 (N, 3, 32, 32)
    >>> sw.load_dataset("image_folder", "test", path="my_photos", size=64)
    >>> sw.pretrain("simclr", "image_folder", data_options={"path": "my_photos"}, epochs=5)

The folder, as torchvision's ``ImageFolder`` reads it:

    my_photos/cat/001.jpg        one sub-folder per class: the sorted sub-folder
    my_photos/cat/002.png        names are the classes (here "cat", "dog"); images
    my_photos/dog/mia.jpeg       in their sub-folders (at any depth) count too
    …
    my_photos/001.jpg            or no sub-folders at all: a flat folder is unlabelled
                                 (every label 0, ``classes == ["(unlabelled)"]``): it
                                 pretrains, and kNN and the linear probe refuse it

Files ending in .jpg, .jpeg, .png, .gif, .bmp, .webp, .tif, .tiff, .ppm or .pgm are
read; anything else, and hidden files and folders (``.ipynb_checkpoints``), are not.

**Decoding** (Pillow, one image at a time). Every image becomes RGB, whatever it was:

    RGB, CMYK, YCbCr, L (grey), 1 (black and white), P (a palette)   Pillow's conversion
    RGBA, LA, a palette with a transparent colour   composited on white, as a page shows
        it (dropping the alpha would show whatever colour the file stores under the
        transparent pixels, often black, or noise)
    I;16 and I (16-bit grey, as in medical and scientific PNGs)   scaled to 8 bits (÷ 257)
    F (32-bit float)   clipped to 0..255

A photo turned by its camera (the EXIF orientation tag) is turned upright, an animated
GIF gives its first frame, and then the short side is resized to ``size`` (bilinear,
antialiased) and the middle ``size`` × ``size`` square cut out — nothing is squashed.
JPEGs are decoded at a reduced scale when they are much larger than ``size`` (Pillow's
``draft``): a 12-megapixel photo then takes a few milliseconds, not a hundred.

**Files that do not decode** (truncated, not an image, a format Pillow cannot read) are
left out and counted, and one warning names the first few; if none decodes, one
:class:`WorkbenchError` says so.

**The split** is seeded, fixed and stratified: in every class, a seeded shuffle gives
``test_fraction`` (20%) of its images to ``test`` — at least one when the class has two
or more, never all of them. It does not depend on ``seed``, so runs with other seeds are
measured on the same test images (as with every real dataset); ``seed`` picks the
subset ``n``.

**The cache.** The decoded images are saved under ``root`` (``data/``) in a file named by
a hash of the files' relative paths and bytes and of ``size``: the next load reads
that file instead of decoding again, and a changed, added or removed file gives
another hash, so a stale cache is never used (the old file stays until you delete it;
``make clean-data`` empties ``data/``). Hashing reads every file each time (fast next
to decoding), which is what notices an image edited in place.

``audio_folder`` and ``text_file`` use this module's folder layout, split and cache.
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import numpy as np
import torch

from ..errors import WorkbenchError
from .dataset import UNLABELLED, ImageSet
from .paths import default_root, write_cache

VERSION = 1  # bump when decoding changes, so that stale caches are not used
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff", ".ppm", ".pgm")
TEST_FRACTION = 0.2
SPLIT_SEED = 0  # the split is part of the data: the same whatever ``seed`` a run uses
NAMED = 3  # how many skipped files a warning or an error names


# ---------------------------------------------------------------------------
# Shared with audio_folder and text_file: finding files, the split, the cache
# ---------------------------------------------------------------------------


def resolve(loader: str, path, what: str) -> Path:
    """``path`` as an existing ``what`` ("folder" or "file"), or one clear error."""
    if path is None:
        raise WorkbenchError(f"{loader} needs path=: the {what} of your data, e.g. "
                             f"sw.load_dataset({loader!r}, path='my_{'data' if what == 'folder' else 'data.csv'}').")
    if not isinstance(path, (str, Path)):
        raise WorkbenchError(f"{loader}: path must be a string or a Path (got {type(path).__name__}).")
    found = Path(path).expanduser()
    if not found.exists():
        raise WorkbenchError(f"{loader}: {str(path)!r} does not exist (looked for {found.absolute()}; "
                             f"a relative path starts from the current folder, {Path.cwd()}).")
    if what == "folder" and not found.is_dir():
        raise WorkbenchError(f"{loader}: {str(path)!r} is a file; give the folder that holds your files.")
    if what == "file" and not found.is_file():
        raise WorkbenchError(f"{loader}: {str(path)!r} is a folder; give the file itself.")
    return found


def _visible(path: Path, folder: Path) -> bool:
    """False for hidden files and anything inside a hidden folder (``.ipynb_checkpoints``, ``.git``)."""
    return not any(part.startswith(".") for part in path.relative_to(folder).parts)


def find_files(loader: str, folder: Path, extensions) -> tuple[list[Path], list[int], list[str]]:
    """The files of ``folder`` ending in one of ``extensions``, sorted, with a label each
    and the class names: class sub-folders (sorted names), or a flat folder (unlabelled)."""
    wanted = [p for p in sorted(folder.rglob("*")) if p.is_file() and _visible(p, folder)
              and p.suffix.lower() in extensions]
    top = [p for p in wanted if p.parent == folder]
    inside = [p for p in wanted if p.parent != folder]
    kinds = ", ".join(extensions)
    if not wanted:
        others = [p.relative_to(folder).as_posix() for p in sorted(folder.rglob("*")) if p.is_file() and _visible(p, folder)]
        found = f"; it holds {len(others)} other files, e.g. {', '.join(others[:NAMED])}" if others else " (it is empty)"
        raise WorkbenchError(f"{loader}: no {kinds} files in {folder}{found}. Put your files there, "
                             "in one sub-folder per class (or all in the folder itself, unlabelled).")
    if top and inside:
        classes = sorted({p.relative_to(folder).parts[0] for p in inside})
        raise WorkbenchError(
            f"{loader}: {folder} has {len(top)} files of its own (e.g. {top[0].name}) and class sub-folders "
            f"({', '.join(classes[:5])}): move the files into a class sub-folder, or the sub-folders' files up, "
            "so that either every file has a class or none has.")
    if top:
        return top, [0] * len(top), [UNLABELLED]
    classes = sorted({p.relative_to(folder).parts[0] for p in inside})
    return inside, [classes.index(p.relative_to(folder).parts[0]) for p in inside], classes


def split_rows(labels, split: str, test_fraction: float, loader: str) -> torch.Tensor:
    """The rows (sorted) of ``split``: in every class a seeded shuffle (SPLIT_SEED) gives
    ``test_fraction`` of its rows to "test" (at least one if it has two, never all)."""
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, (int, float)) or not 0 <= test_fraction < 1:
        raise WorkbenchError(f"{loader}: test_fraction must be a number in [0, 1), the share of every class "
                             f"kept for testing (got {test_fraction!r}).")
    labels = torch.as_tensor(labels, dtype=torch.long)
    generator = torch.Generator().manual_seed(SPLIT_SEED)
    test = []
    for label in labels.unique().tolist():
        members = torch.nonzero(labels == label).flatten()
        count = len(members)
        share = 0 if count < 2 or test_fraction == 0 else min(count - 1, max(1, int(count * test_fraction + 0.5)))
        test.append(members[torch.randperm(count, generator=generator)[:share]])
    is_test = torch.zeros(len(labels), dtype=torch.bool)
    if test:
        is_test[torch.cat(test)] = True
    rows = torch.nonzero(is_test if split == "test" else ~is_test).flatten()
    if len(rows) == 0:
        raise WorkbenchError(f"{loader}: the {split} split is empty ({len(labels)} samples, "
                             f"test_fraction={test_fraction}): give a class at least two samples, or raise test_fraction.")
    return rows


def content_hash(root_folder: Path, files, settings: str) -> str:
    """A hash of the files' paths (relative to ``root_folder``) and bytes, and of ``settings``."""
    digest = hashlib.sha256(settings.encode())
    for path in files:
        digest.update(path.relative_to(root_folder).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def decode_all(loader: str, folder: Path, files, decode, cache: Path | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Every file decoded by ``decode(path) -> tensor`` (all the same shape), stacked, and the
    indices of the files that decoded. Files that fail are left out, with one warning naming
    the first few (none decodes: one error). With ``cache``, the result is read from that
    file when it exists and saved there when it does not."""
    stored = None
    if cache is not None and cache.exists():
        try:
            stored = torch.load(cache, weights_only=True)
            stored = stored["inputs"], stored["kept"], list(stored["skipped"])
        except Exception:  # a damaged or unreadable cache file (any error of torch.load): decode again
            stored = None
    if stored is not None:
        _report_skipped(loader, folder, len(files), stored[2])
        return stored[0], stored[1]
    decoded, kept, skipped = [], [], []
    for index, path in enumerate(files):
        try:
            decoded.append(decode(path))
            kept.append(index)
        except Exception as error:  # any failure inside the decoder is this file's problem: skip it
            reason = " ".join(str(error).replace(repr(str(path)), "").split())[:80] or type(error).__name__
            skipped.append(f"{path.relative_to(folder).as_posix()} ({reason})")
    if not decoded:
        raise WorkbenchError(f"{loader}: none of the {len(files)} files in {folder} could be read: "
                             f"{'; '.join(skipped[:NAMED])}{'; …' if len(skipped) > NAMED else ''}.")
    inputs, kept = torch.stack(decoded), torch.tensor(kept, dtype=torch.long)
    if cache is not None:
        write_cache({"inputs": inputs, "kept": kept, "skipped": skipped}, cache)
    _report_skipped(loader, folder, len(files), skipped)
    return inputs, kept


def in_split(loader: str, split: str, kept: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """Which of the decoded files (``kept``) belong to the split's ``rows``; one error if none does."""
    chosen = torch.isin(kept, rows)
    if not chosen.any():
        raise WorkbenchError(f"{loader}: none of the {len(rows)} files of the {split} split could be read "
                             "(the warning names some): replace them with files that open.")
    return chosen


def _report_skipped(loader: str, folder: Path, total: int, skipped: list[str]) -> None:
    if skipped:
        more = f" and {len(skipped) - NAMED} more" if len(skipped) > NAMED else ""
        warnings.warn(f"{loader}: {len(skipped)} of {total} files in {folder} could not be read and were left out: "
                      f"{'; '.join(skipped[:NAMED])}{more}.", stacklevel=3)


# ---------------------------------------------------------------------------
# Images: any mode → RGB, short side resized, centre square
# ---------------------------------------------------------------------------


def to_rgb(image):
    """A Pillow image of any mode as RGB: transparency composited on white, 16-bit grey
    scaled to 8 bits (÷ 257), float clipped to 0..255 (the module docstring says why)."""
    from PIL import Image

    if image.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        values = np.asarray(image, dtype=np.float64)
        if image.mode != "F":
            values = values / 257.0  # 65535 → 255
        image = Image.fromarray(np.clip(values + 0.5, 0, 255).astype(np.uint8), mode="L")
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    if has_alpha:
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, image).convert("RGB")
    return image.convert("RGB")


def decode_image(path: Path, size: int) -> torch.Tensor:
    """One image file as uint8 (3, size, size): upright, RGB, short side ``size``, centre square."""
    from PIL import Image, ImageOps

    with Image.open(path) as image:
        image.draft(None, (size, size))  # JPEG: decode at the smallest scale that is still ≥ size
        image.load()  # decode now: a truncated file fails here, inside the try of decode_all
        image = ImageOps.exif_transpose(image)
        image = to_rgb(image)
        square = ImageOps.fit(image, (size, size), method=Image.Resampling.BILINEAR)
    return torch.from_numpy(np.asarray(square).transpose(2, 0, 1).copy())


def load_image_folder(
    split: str = "train",
    n: int | None = None,
    root: Path | None = None,
    seed: int = 0,
    path: str | Path | None = None,
    size: int = 32,
    test_fraction: float = TEST_FRACTION,
    cache: bool = True,
) -> ImageSet:
    """The images of folder ``path`` as an :class:`ImageSet` of uint8 (N, 3, size, size).

    path            the folder: one sub-folder per class, or flat (unlabelled)
    size            the side of the square images (``load_dataset``'s ``size=`` sets it)
    test_fraction   the share of every class in the test split (0.2)
    cache           keep the decoded images in ``root`` (a file named by the images' hash)
    """
    folder = resolve("image_folder", path, "folder")
    if isinstance(size, bool) or not isinstance(size, int) or size < 8:
        raise WorkbenchError(f"image_folder: size must be an integer ≥ 8 (got {size!r}).")
    files, labels, classes = find_files("image_folder", folder, IMAGE_EXTENSIONS)
    rows = split_rows(labels, split, test_fraction, "image_folder")  # checked before any decoding
    root = Path(root) if root is not None else default_root()
    key = content_hash(folder, files, f"image_folder-v{VERSION}-{size}")
    cached = root / f"image_folder-v{VERSION}-{key}-{size}px.pt" if cache else None
    images, kept = decode_all("image_folder", folder, files, lambda file: decode_image(file, size), cached)
    chosen = in_split("image_folder", split, kept, rows)
    data = ImageSet(images[chosen], torch.tensor(labels)[kept[chosen]], classes, folder.name)
    return data.subset(n, seed=seed) if n is not None else data


def save_image_folder(data: ImageSet, folder: str | Path, prefix: str = "") -> Path:
    """Write ``data`` as PNG files that ``image_folder`` reads back: one sub-folder per class
    (``folder/<class>/<prefix><row>.png``), or the folder itself for an unlabelled set.
    Handy to try the loader on files, or to look at a data set in a file browser."""
    from PIL import Image

    folder = Path(folder).expanduser()
    for row in range(len(data)):
        name = data.classes[int(data.labels[row])]
        place = folder if name == UNLABELLED else folder / name.replace("/", "-")
        place.mkdir(parents=True, exist_ok=True)
        Image.fromarray(data.images[row].permute(1, 2, 0).numpy()).save(place / f"{prefix}{row:05}.png")
    return folder
