"""course/setup.py: what a notebook's first cell calls (sw.notebook.setup).
(The notebooks themselves are run by test_notebooks.py.)"""

import pytest
import torch

from sslworkbench.course import setup as notebook
from sslworkbench.errors import WorkbenchError


def test_setup_returns_the_device_seeds_and_says_where_it_runs(capsys, monkeypatch):
    for name in ("COLAB_RELEASE_TAG", "COLAB_GPU", "BINDER_SERVICE_HOST", "BINDER_REQUEST"):
        monkeypatch.delenv(name, raising=False)
    device = notebook.setup("cpu", seed=3)
    first = torch.rand(4)
    assert device == torch.device("cpu")
    assert "this machine: device cpu" in capsys.readouterr().out
    notebook.setup("cpu", seed=3)
    assert torch.equal(torch.rand(4), first)  # seeded
    monkeypatch.setenv("COLAB_GPU", "0")
    notebook.setup("cpu", seed=3)
    assert "sslworkbench on Colab" in capsys.readouterr().out and notebook.in_colab()


def test_setup_refuses_an_unknown_device():
    with pytest.raises(WorkbenchError, match="Unknown device"):
        notebook.setup("gpu0")


def test_fit_size_keeps_what_fits_and_says_what_it_lowered(capsys):
    from sslworkbench.course.setup import fit_size

    assert fit_size("LABELS_PER_CLASS", 100, 250, "the smallest class") == 100
    assert capsys.readouterr().out == ""
    assert fit_size("LABELS_PER_CLASS", 100, 74, "the smallest class of the 800 training images") == 74
    assert capsys.readouterr().out == ("LABELS_PER_CLASS lowered from 100 to 74: the smallest class of the 800 "
                                       "training images holds only 74.\n")
    with pytest.raises(WorkbenchError, match="cannot fit"):
        fit_size("N_SHOW", 8, 0, "the test split")
