"""Where datasets are cached and downloaded, and reading the files shipped in the package."""

from __future__ import annotations

import hashlib
import lzma
import os
from pathlib import Path

from ..errors import WorkbenchError


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
