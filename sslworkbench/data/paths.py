"""Where datasets are cached and downloaded."""

from __future__ import annotations

import os
from pathlib import Path


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
