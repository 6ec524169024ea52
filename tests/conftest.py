"""Settings shared by the whole test session.

* Notebook claims are enforced (``SSLWB_ENFORCE_CLAIMS=1``, as ``make test`` sets).
* Plots never open a window (``MPLBACKEND=Agg``) and progress bars stay quiet
  (``TQDM_DISABLE=1``). These are defaults: a variable already set wins. They are
  set here, at import, so that they apply before matplotlib or tqdm is imported,
  and they are inherited by the Jupyter kernels that the notebook tests start —
  except our ``MPLBACKEND=Agg`` (see :func:`notebook_env`): in a kernel, the
  inline backend draws every figure, so a plotting bug fails the test.
* Datasets use the normal cache, ``data/`` (or ``$SSLWB_DATA``), so notebooks and
  tests share the generated ``shapes`` files instead of regenerating them per
  test. A test that *writes* files must write them under ``tmp_path``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_MPLBACKEND_SET_HERE = "MPLBACKEND" not in os.environ
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TQDM_DISABLE", "1")
# The test suite is one of the project's own checks: notebook claims are enforced
# (sslworkbench.course.claims; outside these checks a learner only sees them reported).
os.environ.setdefault("SSLWB_ENFORCE_CLAIMS", "1")
# Jupyter kernels: no "frozen modules" debugger warning on stderr, and jupyter_core's
# platformdirs paths (silences its DeprecationWarning; the same folders on Linux).
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")

# The unit tests use tiny tensors: with several torch threads on a busy 2-core
# machine, thread hand-offs cost more than the work (measured: a 32×3072 linear
# probe took 44 s with 2 threads and 0.5 s with 1). Notebook kernels are separate
# processes and keep their own default.
import torch  # noqa: E402

torch.set_num_threads(1)

REPO_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's root folder (where pyproject.toml is)."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def notebooks_dir() -> Path:
    """The folder of the course notebooks."""
    return NOTEBOOKS_DIR


@pytest.fixture
def notebook_env(monkeypatch):
    """The environment a notebook's kernel should start with.

    Drops the ``MPLBACKEND=Agg`` this file set (not one the user set), so that
    the kernel uses Jupyter's inline backend and really renders each figure.
    """
    if _MPLBACKEND_SET_HERE:
        monkeypatch.delenv("MPLBACKEND", raising=False)
    yield


@pytest.fixture(scope="module")
def data(request):
    """``shapes``' training split, loaded once per test module: the first
    ``DATA_SIZE`` images, a module-level constant of the test file (128 if it sets none)."""
    from sslworkbench import load_dataset

    return load_dataset("shapes", "train", n=getattr(request.module, "DATA_SIZE", 128))
