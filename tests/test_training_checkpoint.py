"""training/checkpoint.py: checkpoints load with weights_only and rebuild their method;
missing, damaged, foreign and malicious files are refused with one clear error;
saving is atomic."""

import os
import pickle

import pytest
import torch
from helpers import SEED, assert_same_state, state_of, tiny_simclr
from helpers import TRAIN_FAST as FAST

from sslworkbench import (
    History,
    Trainer,
    WorkbenchError,
    build_method,
    load_checkpoint,
    load_dataset,
    load_method,
    train,
)
from sslworkbench.methods import SimCLR
from sslworkbench.training.checkpoint import save_atomic

DATA_SIZE = 48  # the `data` fixture (conftest.py): 48 images / 16 = 3 steps per epoch


def test_checkpoint_of_a_finished_run_loads_with_weights_only_and_rebuilds(data, tmp_path):
    path = tmp_path / "done.pt"
    method = tiny_simclr()
    train(method, data, epochs=1, seed=SEED, checkpoint=path, **FAST)
    raw = torch.load(path, weights_only=True)
    assert raw["format"] == "sslworkbench-checkpoint" and raw["method"] == "simclr"
    rebuilt = load_method(path)
    assert isinstance(rebuilt, SimCLR)
    assert_same_state(state_of(rebuilt), state_of(method))
    history = History.from_dict(load_checkpoint(path)["history"])
    assert len(history.steps) == 3 and len(history.epochs) == 1


# -- checkpoint errors -----------------------------------------------------------------


@pytest.fixture
def checkpoint_path(data, tmp_path):
    path = tmp_path / "simclr.pt"
    Trainer(tiny_simclr(), data, epochs=1, **FAST).save(path)
    return path


def test_missing_checkpoint(tmp_path):
    with pytest.raises(WorkbenchError, match="No checkpoint"):
        load_checkpoint(tmp_path / "nothing.pt")
    with pytest.raises(WorkbenchError, match="No checkpoint"):
        load_checkpoint(tmp_path)  # a folder is not a checkpoint either


def test_truncated_checkpoint(checkpoint_path):
    content = checkpoint_path.read_bytes()
    checkpoint_path.write_bytes(content[: len(content) // 2])
    with pytest.raises(WorkbenchError, match="(?i)truncated|damaged|corrupt") as info:
        load_checkpoint(checkpoint_path)
    assert str(checkpoint_path) in str(info.value)


@pytest.mark.parametrize("content", [b"", b"hello, world\n", bytes(range(256)) * 10])
def test_non_torch_file(tmp_path, content):
    path = tmp_path / "notes.pt"
    path.write_bytes(content)
    with pytest.raises(WorkbenchError, match="(?i)not a (readable|pytorch|torch)") as info:
        load_checkpoint(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_a_plain_pickle_is_refused_without_torch_warnings(tmp_path, protocol):
    import warnings

    path = tmp_path / "plain.pkl"
    path.write_bytes(pickle.dumps({"a": 1}, protocol=protocol))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(WorkbenchError, match="not a PyTorch checkpoint"):
            load_checkpoint(path)
    assert [str(warning.message) for warning in caught] == []


@pytest.mark.parametrize("obj", [{"weights": torch.zeros(2)}, torch.zeros(3), [1, 2], {"format": "other"}])
def test_torch_file_that_is_not_ours(tmp_path, obj):
    path = tmp_path / "foreign.pt"
    torch.save(obj, path)
    with pytest.raises(WorkbenchError, match="not an sslworkbench checkpoint"):
        load_checkpoint(path)


def test_checkpoint_from_a_newer_version(tmp_path, checkpoint_path):
    checkpoint = torch.load(checkpoint_path, weights_only=True)
    checkpoint["version"] = 99
    torch.save(checkpoint, checkpoint_path)
    with pytest.raises(WorkbenchError, match="newer"):
        load_checkpoint(checkpoint_path)


def test_checkpoint_from_another_method(data, checkpoint_path):
    with pytest.raises(WorkbenchError, match="'simclr' checkpoint, not 'supervised'"):
        load_checkpoint(checkpoint_path, method="supervised")
    supervised = build_method("supervised", backbone_options={"width": 8, "depth": 2})
    with pytest.raises(WorkbenchError, match="simclr"):
        train(supervised, data, epochs=1, resume=checkpoint_path, **FAST)


def test_resume_on_other_data_is_refused(checkpoint_path):
    other = load_dataset("shapes", "train", n=32)
    with pytest.raises(WorkbenchError, match="same data"):
        train(tiny_simclr(), other, epochs=1, resume=checkpoint_path, **FAST)


def _leave_a_mark(path):  # what a malicious pickle would run on load
    open(path, "w").close()
    return {}


class Booby:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (_leave_a_mark, (self.marker,))


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_pickled_code_is_refused_and_not_run(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "evil.pt"
    torch.save({"format": "sslworkbench-checkpoint", "version": 1, "payload": Booby(str(marker))}, path)
    with pytest.raises(WorkbenchError, match="(?i)weights.only|pickled|not a readable") as info:
        load_checkpoint(path)
    assert str(path) in str(info.value)
    assert not marker.exists()
    plain = tmp_path / "evil.pkl"
    plain.write_bytes(pickle.dumps(Booby(str(marker))))
    with pytest.raises(WorkbenchError):
        load_checkpoint(plain)
    assert not marker.exists()


# -- saving ------------------------------------------------------------------------------


def test_atomic_save_leaves_only_the_checkpoint(tmp_path):
    path = tmp_path / "a" / "ckpt.pt"
    save_atomic({"x": torch.arange(3)}, path)
    save_atomic({"x": torch.arange(4)}, path)  # overwrite
    assert os.listdir(path.parent) == ["ckpt.pt"]
    assert torch.equal(torch.load(path, weights_only=True)["x"], torch.arange(4))


@pytest.mark.parametrize("error", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_failed_save_leaves_no_temporary_file_and_the_old_checkpoint(tmp_path, monkeypatch, error):
    path = tmp_path / "ckpt.pt"
    save_atomic({"x": torch.arange(3)}, path)
    before = path.read_bytes()

    def half_written_save(obj, file, *args, **kwargs):
        file.write(b"PK\x03\x04 partial")
        raise error

    monkeypatch.setattr(torch, "save", half_written_save)
    with pytest.raises(type(error)):
        save_atomic({"x": torch.arange(5)}, path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["ckpt.pt"]
    assert path.read_bytes() == before


def test_save_to_a_folder_is_refused(data, tmp_path):
    with pytest.raises(WorkbenchError, match="folder"):
        Trainer(tiny_simclr(), data, **FAST).save(tmp_path)
    with pytest.raises(WorkbenchError, match="checkpoint path"):
        Trainer(tiny_simclr(), data, **FAST).save()
