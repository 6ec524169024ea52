"""Reference checkpoints: small backbones pretrained far longer than a notebook can afford.

A notebook on a 2-core CPU trains for minutes; a method's features keep improving
for hours. A reference checkpoint shows what a long budget gives, next to what the
learner trains live. Each was made by one recorded command of the workbench's own
CLI, and ships in the package with what it was measured to do:

    >>> sw.reference.available()                        # names and their recorded scores
    >>> info = sw.reference.info("simclr-shapes")        # command, sha256, epochs, kNN / linear accuracy
    >>> method = sw.reference.load("simclr-shapes")      # the trained method (backbone + heads), on the CPU

Files: ``data/files/reference/<name>.pt`` (a checkpoint of the weights only, read
with ``weights_only=True``; newer ones store the weights as float16, half the bytes,
copied into the float32 model on loading) and ``data/files/reference/references.json`` (one entry
per name). ``load`` checks the file's sha256 against the entry before reading it:
a changed or damaged file is refused. ``tools/make_reference.py`` makes an entry
from its command and checks that re-running the command reproduces the scores.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..data.paths import SHIPPED
from ..errors import WorkbenchError
from .checkpoint import load_checkpoint, load_weights

FOLDER = SHIPPED / "reference"
MANIFEST = FOLDER / "references.json"


def _manifest() -> dict:
    if not MANIFEST.is_file():
        return {}
    return json.loads(MANIFEST.read_text())


def available() -> dict:
    """{name: {"knn": …, "linear": …}}: every reference checkpoint and its recorded scores."""
    return {name: dict(entry["scores"]) for name, entry in _manifest().items()}


def info(name: str) -> dict:
    """The entry of ``name``: command, sha256, bytes, epochs, scores, train_seconds, made_with."""
    entries = _manifest()
    if name not in entries:
        known = ", ".join(sorted(entries)) or "none shipped"
        raise WorkbenchError(f"No reference checkpoint named {name!r}; available: {known}.")
    return dict(entries[name])


def sha256_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_file(path: str | Path, expected_sha256: str) -> None:
    """One clear error unless the file at ``path`` has the expected sha256."""
    path = Path(path)
    if not path.is_file():
        raise WorkbenchError(f"The reference checkpoint {path.name} is missing from {path.parent}: reinstall sslworkbench.")
    found = sha256_of(path)
    if found != expected_sha256:
        raise WorkbenchError(
            f"{path.name} does not match its recorded sha256 (expected {expected_sha256[:12]}…, found {found[:12]}…): "
            "the file was changed or damaged, so it is not loaded. Reinstall sslworkbench, or re-make it with "
            "tools/make_reference.py."
        )


def load(name: str):
    """The reference method ``name`` (backbone and heads, as trained), on the CPU,
    after checking the file's sha256. Use ``.backbone`` for features."""
    from ..methods import build_method

    entry = info(name)
    path = FOLDER / f"{name}.pt"
    check_file(path, entry["sha256"])
    checkpoint = load_checkpoint(path)
    method = build_method(checkpoint["method"], **checkpoint["hparams"])
    load_weights(method, checkpoint)
    return method.eval()
