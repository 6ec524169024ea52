"""Where datasets are cached and downloaded, and reading the files shipped in the package."""

from __future__ import annotations

import hashlib
import lzma
import math
import os
from pathlib import Path

import numpy as np
import torch

from ..errors import WorkbenchError

#: the files shipped inside the package (corpora, emoji, reference checkpoints, the claims record)
SHIPPED = Path(__file__).resolve().parent / "files"


def default_root() -> Path:
    """``data/`` of the project the working directory is in (or ``data/`` in the
    working directory itself when run elsewhere); ``SSLWB_DATA`` overrides it."""
    env = os.environ.get("SSLWB_DATA")
    if env:
        return Path(env)
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").exists() and (folder / "sslworkbench").is_dir():
            return folder / "data"
    return here / "data"


def read_shipped(path: Path, sha256: str, what: str, rebuild: str) -> bytes:
    """The decompressed bytes of a file shipped in the package (``files/*.xz``), after
    checking its sha256: a missing, damaged or other version of it is one clear error
    that says how to get it back (``rebuild``: the command and what it needs)."""
    problem = None
    if not path.is_file():
        problem = f"The {what} file {path} is missing."
    else:
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest != sha256:
            problem = (f"The {what} file {path} is damaged or not the expected version "
                       f"(sha256 {digest[:12]}…, expected {sha256[:12]}…).")
    if problem:
        raise WorkbenchError(
            f"{problem} It ships with sslworkbench: reinstall the package, or restore it with "
            f"`git checkout -- sslworkbench/data/files/{path.name}`, or rebuild it with {rebuild}."
        )
    return lzma.decompress(data)


def read_cache(path: Path, count: int) -> dict | None:
    """A generated split cached at ``path`` (a dict of tensors, or of dicts of
    tensors, one row per sample), cut to its first ``count`` rows; None when there
    is no cache or it holds fewer rows. The cut rows are copies, so that the whole
    cached split is not kept alive by a view."""
    if not path.exists():
        return None
    stored = torch.load(path, weights_only=True)

    def first(value):
        if isinstance(value, dict):
            return {key: first(item) for key, item in value.items()}
        return value[:count].clone() if count < len(value) else value

    rows = next(iter(stored.values()))
    rows = next(iter(rows.values())) if isinstance(rows, dict) else rows
    return first(stored) if len(rows) >= count else None


def write_cache(tensors: dict, path: Path) -> None:
    """Save a generated split at ``path`` (atomically: a reader never sees half a
    file). A read-only folder only costs us the cache."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".tmp{os.getpid()}")
        torch.save(tensors, temporary)
        os.replace(temporary, path)
    except OSError:
        pass


def seeded_chunks(total: int, chunk_size: int, seed: int, stream: int, version: int):
    """How a generated split is drawn: in chunks of ``chunk_size`` samples, chunk k from
    its own numpy generator seeded by (seed, stream, k, version) — so the first n
    samples are the same whatever n is, and a new generator version draws anew.
    Yields (k, generator, first sample, samples in this chunk)."""
    for chunk in range(math.ceil(total / chunk_size)):
        start = chunk * chunk_size
        yield chunk, np.random.default_rng([seed, stream, chunk, version]), start, min(chunk_size, total - start)
