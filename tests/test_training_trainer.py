"""The training loop: learning, exact resume, divergence, interrupts and settings.
(Checkpoint files: test_training_checkpoint.py; building methods and backbones by name:
test_methods.py, test_models.py.)"""

import math

import pytest
import torch
from helpers import EPOCHS, SEED, StopAt, assert_same_state, state_of, tiny_simclr
from helpers import SIMCLR_TINY as TINY
from helpers import TRAIN_FAST as FAST

from sslworkbench import (
    Callback,
    History,
    TrainConfig,
    Trainer,
    TrainingStopped,
    WorkbenchError,
    embed,
    load_dataset,
    train,
)
from sslworkbench.methods import SimCLR

DATA_SIZE = 48  # the `data` fixture (conftest.py): 48 images / 16 = 3 steps per epoch, 9 steps in all


def all_finite(method):
    return all(torch.isfinite(v).all() for v in method.state_dict().values() if v.is_floating_point())


@pytest.fixture(scope="module")
def reference(data):
    """An uninterrupted run: (history, final state)."""
    method = tiny_simclr()
    history = train(method, data, epochs=EPOCHS, seed=SEED, **FAST)
    return history, state_of(method)


class InterruptAt(Callback):
    def __init__(self, step):
        self.step = step

    def on_step_end(self, trainer, logs):
        if trainer.step == self.step:
            raise KeyboardInterrupt


class Snapshots(Callback):
    """The parameters after every step: snapshots[k] = after k steps."""

    def __init__(self):
        self.snapshots = {}

    def on_train_start(self, trainer):
        self.snapshots[trainer.step] = {k: p.detach().clone() for k, p in trainer.method.named_parameters()}

    def on_step_end(self, trainer, logs):
        self.snapshots[trainer.step] = {k: p.detach().clone() for k, p in trainer.method.named_parameters()}


# -- it learns --------------------------------------------------------------------


def test_simclr_loss_goes_down():
    data = load_dataset("shapes", "train", n=64)
    method = tiny_simclr(views={"jitter_p": 0.0, "grayscale_p": 0.0, "scale": (0.5, 1.0)})
    history = train(method, data, epochs=5, batch_size=32, lr=1e-2, seed=0, progress=False, device="cpu")
    assert len(history.steps) == 10 and len(history.epochs) == 5
    first, last = history.epochs[0]["loss"], history.epochs[-1]["loss"]
    assert last < 0.8 * first, [e["loss"] for e in history.epochs]
    assert all(math.isfinite(x) for x in history.losses)
    assert {"loss", "lr", "embedding_std"} <= set(history.steps[0])
    assert not method.training  # left in eval mode


def test_same_seed_same_numbers(data, reference):
    history, state = reference
    method = tiny_simclr()
    again = train(method, data, epochs=EPOCHS, seed=SEED, **FAST)
    assert again.losses == history.losses
    assert_same_state(state_of(method), state)


# -- exact resume -------------------------------------------------------------------


@pytest.mark.parametrize("stop_at", [4, 3], ids=["mid-epoch", "epoch-boundary"])
def test_resume_after_request_stop_is_exact(data, reference, tmp_path, stop_at):
    history, state = reference
    path = tmp_path / "run.pt"
    first = train(tiny_simclr(), data, epochs=EPOCHS, seed=SEED, callbacks=[StopAt(stop_at)], checkpoint=path, **FAST)
    assert len(first.steps) == stop_at
    assert first.losses == history.losses[:stop_at]
    assert first.stopped_reason and "request" in first.stopped_reason
    assert path.is_file()

    resumed_method = tiny_simclr(init_seed=99)  # other weights: they must come from the checkpoint
    resumed = train(resumed_method, data, epochs=EPOCHS, seed=SEED, resume=path, **FAST)
    assert resumed.losses == history.losses
    assert [s["lr"] for s in resumed.steps] == [s["lr"] for s in history.steps]
    # the epoch rows too: an epoch cut in two averages all of its steps, not just the resumed part
    assert len(resumed.epochs) == EPOCHS
    assert [e["loss"] for e in resumed.epochs] == [pytest.approx(e["loss"], rel=1e-6) for e in history.epochs]
    assert not resumed.interrupted and resumed.stopped_reason is None
    assert_same_state(state_of(resumed_method), state)


# -- divergence -----------------------------------------------------------------------


class NaNAt(SimCLR):
    """SimCLR whose loss is NaN at training step ``bad_step`` (0-based)."""

    name = "nan_at"

    def __init__(self, bad_step=0, **settings):
        super().__init__(**settings)
        self.bad_step, self.calls = bad_step, 0

    def training_step(self, batch):
        outputs = super().training_step(batch)
        if self.calls == self.bad_step:
            outputs["loss"] = outputs["loss"] * float("nan")
        self.calls += 1
        return outputs


class InfWeightsAfter(SimCLR):
    """SimCLR whose weights turn inf after optimiser step ``bad_step`` (as an
    overflowing update would); the next loss is then NaN."""

    name = "inf_weights_after"

    def __init__(self, bad_step=0, **settings):
        super().__init__(**settings)
        self.bad_step = bad_step

    def on_step_end(self, step, total_steps):
        if step == self.bad_step:
            with torch.no_grad():
                self.projector[0].weight.fill_(float("inf"))


@pytest.mark.parametrize("bad_step", [1, 5])
def test_nan_loss_stops_training_and_keeps_the_last_good_step(data, bad_step):
    torch.manual_seed(0)
    method = NaNAt(bad_step, **TINY)
    snapshots = Snapshots()
    with pytest.raises(TrainingStopped, match="learning rate") as info:
        train(method, data, epochs=EPOCHS, seed=SEED, callbacks=[snapshots], **FAST)
    error = info.value
    assert isinstance(error, WorkbenchError)
    assert "nan" in str(error).lower()
    assert len(error.history.steps) == bad_step
    assert error.history.stopped_reason == str(error)
    assert all(math.isfinite(x) for x in error.history.losses)
    assert all_finite(method)
    for name, parameter in method.named_parameters():
        assert torch.equal(parameter, snapshots.snapshots[bad_step][name]), name


@pytest.mark.parametrize("bad_step", [0, 4], ids=["first-epoch", "second-epoch"])
def test_inf_weights_are_not_kept(data, bad_step):
    torch.manual_seed(0)
    method = InfWeightsAfter(bad_step, **TINY)
    with pytest.raises(TrainingStopped, match="learning rate") as info:
        train(method, data, epochs=EPOCHS, seed=SEED, **FAST)
    assert len(info.value.history.steps) == bad_step + 1
    assert all_finite(method), "the model was left with inf/NaN weights"
    assert torch.isfinite(embed(method.backbone, data.images[:4])).all()


def test_huge_learning_rate_stops_with_a_usable_model(data):
    method = tiny_simclr()
    with pytest.raises(TrainingStopped, match="learning rate") as info:
        train(
            method, data, epochs=4, seed=SEED, optimizer="sgd", lr=9.9, weight_decay=1e6,
            warmup_epochs=0, schedule="constant", **FAST,
        )
    assert "lr=9.9" in str(info.value)
    assert 0 < len(info.value.history.steps) < 12
    # parameters *and* buffers (BatchNorm running statistics) must be finite,
    # or the kept model embeds every image as NaN
    assert all_finite(method), [k for k, v in method.state_dict().items() if v.is_floating_point() and not torch.isfinite(v).all()]
    assert torch.isfinite(embed(method.backbone, data.images[:4])).all()


# -- Ctrl-C ------------------------------------------------------------------------------


def test_keyboard_interrupt_keeps_history_and_checkpoint_and_resumes(data, reference, tmp_path, capsys):
    history, state = reference
    path = tmp_path / "interrupted.pt"
    method = tiny_simclr()
    interrupted = train(method, data, epochs=EPOCHS, seed=SEED, callbacks=[InterruptAt(5)], checkpoint=path, **FAST)
    assert isinstance(interrupted, History)
    assert interrupted.interrupted
    assert len(interrupted.steps) == 5
    assert interrupted.losses == history.losses[:5]
    assert path.is_file()
    assert "resume" in capsys.readouterr().err
    assert not method.training

    resumed_method = tiny_simclr(init_seed=1)
    resumed = train(resumed_method, data, epochs=EPOCHS, seed=SEED, resume=path, **FAST)
    assert not resumed.interrupted
    assert resumed.losses == history.losses
    assert_same_state(state_of(resumed_method), state)


def test_keyboard_interrupt_without_checkpoint_returns_history(data):
    method = tiny_simclr()
    history = train(method, data, epochs=EPOCHS, seed=SEED, callbacks=[InterruptAt(2)], **FAST)
    assert history.interrupted and len(history.steps) == 2


# -- settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "settings, words",
    [
        ({"lr": 0}, "lr"),
        ({"lr": -1e-3}, "lr"),
        ({"lr": float("nan")}, "lr"),
        ({"lr": float("inf")}, "lr"),
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 2.5}, "batch_size"),
        ({"epochs": -1}, "epochs"),
        ({"optimizer": "adam"}, "optimizer"),
        ({"schedule": "linear"}, "schedule"),
        ({"weight_decay": -1}, "weight_decay"),
        ({"warmup_epochs": -1}, "warmup_epochs"),
        ({"max_steps": 0}, "max_steps"),
    ],
)
def test_train_config_validation(data, settings, words):
    with pytest.raises(WorkbenchError, match=words):
        TrainConfig(**settings)
    with pytest.raises(WorkbenchError, match=words):
        train(tiny_simclr(), data, **{**FAST, **settings})


def test_unknown_training_setting(data):
    with pytest.raises(WorkbenchError, match="'learning_rate'") as info:
        train(tiny_simclr(), data, learning_rate=0.1, **FAST)
    assert "lr" in str(info.value) and "batch_size" in str(info.value)


def test_train_rejects_what_is_not_a_method_or_a_dataset(data):
    with pytest.raises(WorkbenchError, match="subclass of sslworkbench.methods.Method"):
        train(torch.nn.Linear(2, 2), data, **FAST)
    with pytest.raises(WorkbenchError, match="needs a dataset"):
        train(tiny_simclr(), data.images, **FAST)


def test_batch_size_larger_than_the_dataset_is_clamped(data):
    trainer = Trainer(tiny_simclr(), data, epochs=1, **{**FAST, "batch_size": 1000})
    assert trainer.batch_size == len(data) and trainer.steps_per_epoch == 1
    history = trainer.fit()
    assert len(history.steps) == 1 and len(history.epochs) == 1


def test_max_steps(data):
    history = train(tiny_simclr(), data, epochs=EPOCHS, max_steps=2, **FAST)
    assert len(history.steps) == 2
    # stopped inside the first epoch: no epoch finished, yet the training time is counted
    assert not history.epochs and history.seconds > 0 and history.seconds == history.unfinished_epoch_seconds


class SlowLearner(SimCLR):
    recommended_lr = 5e-4


def test_a_method_may_recommend_its_learning_rate_and_an_explicit_one_wins(data):
    from sslworkbench.training.trainer import DEFAULT_LR

    assert Trainer(tiny_simclr(), data, epochs=1).config.lr == DEFAULT_LR
    slow = SlowLearner(**TINY)
    assert Trainer(slow, data, epochs=1).config.lr == 5e-4
    assert Trainer(slow, data, epochs=1, lr=1e-2).config.lr == 1e-2


# -- AlignmentUniformityMonitor ---------------------------------------------------


def test_alignment_uniformity_monitor_records_without_changing_training(data, reference):
    from sslworkbench.training.trainer import AlignmentUniformityMonitor

    images = data.images[:12]
    monitor = AlignmentUniformityMonitor(images, every=4, seed=1)
    method = tiny_simclr()
    history = train(method, data, epochs=EPOCHS, seed=SEED, callbacks=[monitor], **FAST)
    # the same training as without it: its views come from a generator of their own, eval mode
    assert history.losses == reference[0].losses
    assert_same_state(state_of(method), reference[1])
    total = len(history.losses)
    steps = [r["step"] for r in monitor.records]
    assert steps == [0] + [s for s in range(1, total + 1) if s % 4 == 0 or s == total]
    for record in monitor.records:
        assert 0 <= record["alignment"] <= 4 and -4 <= record["uniformity"] <= 0   # α = t = 2: their ranges
    assert [r["alignment"] for r in monitor.records[1:]] == history.metric("alignment")
    # fixed views, fixed weights: the same numbers
    again = AlignmentUniformityMonitor(images, every=4, seed=1)
    train(tiny_simclr(), data, epochs=EPOCHS, seed=SEED, callbacks=[again], **FAST)
    assert again.records == monitor.records


def test_alignment_uniformity_monitor_needs_views_and_a_projector(data):
    from sslworkbench import build_method
    from sslworkbench.training.trainer import AlignmentUniformityMonitor

    with pytest.raises(WorkbenchError, match="every"):
        AlignmentUniformityMonitor(data.images[:8], every=0)
    with pytest.raises(WorkbenchError, match="at least 2 images"):
        AlignmentUniformityMonitor(data.images[:1])
    method = build_method("rotation", backbone_options={"width": 8, "depth": 2})
    with pytest.raises(WorkbenchError, match="views|projector"):
        train(method, data, epochs=1, seed=SEED, callbacks=[AlignmentUniformityMonitor(data.images[:8])], **FAST)
