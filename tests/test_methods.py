"""The method contract (methods/base.py) and the registry (methods/__init__.py).

One test walks the registry, so a new method is tested the moment it is
registered: it trains a step through the shared trainer, saves a checkpoint
(with non-default widths) and is rebuilt from it with the same weights.
"""

import pytest
import torch

from sslworkbench import WorkbenchError, build_method, load_dataset, train
from sslworkbench.checkpoint import load_checkpoint, load_method
from sslworkbench.data import KINDS
from sslworkbench.methods import METHODS, Method
from sslworkbench.methods.base import INSTANCE_NEEDS, settings_of

#: settings that make every method small (and not at its default widths, so the
#: round trip shows that a checkpoint rebuilds a method built with other settings)
SMALL = {
    "moco": {"queue_size": 64, "hidden_dim": 32, "projection_dim": 16},
    "memory_bank": {"bank_size": 256, "negatives": 64, "hidden_dim": 32, "projection_dim": 16},
    "byol": {"hidden_dim": 32, "projection_dim": 16, "predictor_hidden_dim": 32},
    "simsiam": {"projection_dim": 32, "predictor_hidden_dim": 16},
    "barlow_twins": {"projection_dim": 32},
    "vicreg": {"projection_dim": 32},
    "dino": {"out_dim": 64, "hidden_dim": 32, "bottleneck_dim": 16},
    "supcon": {"hidden_dim": 32, "projection_dim": 16},
    "micle": {"hidden_dim": 32, "projection_dim": 16},
    "simclr": {"hidden_dim": 32, "projection_dim": 16},
    "span_contrast": {"hidden_dim": 32, "projection_dim": 16, "backbone_options": {"width": 16, "embedding_dim": 8}},
}
TINY_IMAGE_BACKBONE = {"backbone_options": {"width": 8, "depth": 2}}


def small_settings(name: str) -> dict:
    settings = dict(SMALL.get(name, {}))
    if METHODS[name].input_kind == "images":
        settings = {**TINY_IMAGE_BACKBONE, **settings}
    return settings


def data_for(name: str):
    """A small training set of the kind the method needs (instance groups for MICLe)."""
    kind = METHODS[name].input_kind
    if kind == "tokens":
        return load_dataset("motifs", "train", n=64)
    if METHODS[name].instances == "groups":
        return load_dataset("shapes", "train", n=64, renderings=4)
    return load_dataset("shapes", "train", n=64)


@pytest.mark.parametrize("name", METHODS.names())
def test_every_registered_method_trains_saves_and_reloads(name, tmp_path):
    torch.manual_seed(0)
    method = build_method(name, **small_settings(name))
    history = train(method, data_for(name), epochs=1, batch_size=16, max_steps=2, progress=False, device="cpu",
                    checkpoint=tmp_path / "ck.pt")
    assert len(history.steps) == 2 and all(torch.isfinite(torch.tensor(history.losses)))
    stored = load_checkpoint(tmp_path / "ck.pt")
    assert stored["method"] == name and stored["hparams"] == method.hparams
    rebuilt = load_method(tmp_path / "ck.pt")
    assert type(rebuilt) is type(method)
    for key, value in method.state_dict().items():
        assert torch.equal(rebuilt.state_dict()[key], value.cpu()), key


@pytest.mark.parametrize("name", METHODS.names())
def test_every_method_declares_the_contract(name):
    cls = METHODS[name]
    assert issubclass(cls, Method) and cls.name == name
    assert cls.input_kind in KINDS and cls.instances in INSTANCE_NEEDS
    assert isinstance(cls.min_batch_size, int) and cls.min_batch_size >= 1
    assert cls.min_batch_size == 1 or cls.min_batch_reason, "say why a batch must be larger"
    assert cls.recommended_lr is None or 0 < cls.recommended_lr < 1
    assert "backbone" in settings_of(name)


def test_hparams_are_recorded_however_the_method_is_built():
    from sslworkbench.methods import MICLe, SimCLR

    direct = SimCLR(temperature=0.3, **TINY_IMAGE_BACKBONE)
    assert direct.hparams["temperature"] == 0.3 and direct.hparams["backbone_options"] == {"width": 8, "depth": 2}
    assert direct.hparams == build_method("simclr", temperature=0.3, **TINY_IMAGE_BACKBONE).hparams
    # a subclass that inherits __init__ records its parent's settings, once
    assert set(MICLe(**TINY_IMAGE_BACKBONE).hparams) == set(settings_of("micle"))


def test_a_subclass_with_its_own_init_records_its_own_settings():
    from sslworkbench.methods import SimCLR

    class Wider(SimCLR):
        name = "wider"

        def __init__(self, factor: int = 2, **settings):
            super().__init__(hidden_dim=32 * factor, **settings)
            self.factor = factor

    assert Wider(factor=3, temperature=0.5).hparams == {"factor": 3, "temperature": 0.5}


def test_one_guard_for_the_smallest_batch():
    method = build_method("simclr", **TINY_IMAGE_BACKBONE)
    images = load_dataset("shapes", "train", n=4).images
    with pytest.raises(WorkbenchError, match="at least 2 samples per batch .the other images are the negatives"):
        method.training_step((images[:1], torch.zeros(1)))
    with pytest.raises(WorkbenchError, match="at least 2 samples per batch"):  # refused before any training
        train(method, load_dataset("shapes", "train", n=1), epochs=1, progress=False, device="cpu")


def test_a_method_on_the_wrong_kind_of_data_is_refused_before_training():
    text = load_dataset("motifs", "train", n=32)
    images = load_dataset("shapes", "train", n=32)
    with pytest.raises(WorkbenchError, match="'simclr' trains on images but dataset 'motifs' holds tokens"):
        train(build_method("simclr", **TINY_IMAGE_BACKBONE), text, epochs=1, progress=False, device="cpu")
    with pytest.raises(WorkbenchError, match="'span_contrast' trains on tokens but dataset 'shapes' holds images"):
        train(build_method("span_contrast"), images, epochs=1, progress=False, device="cpu")


def test_instance_groups_on_data_without_them_are_refused():
    with pytest.raises(WorkbenchError, match="'micle' needs several samples of each object.*renderings=4"):
        train(build_method("micle", **TINY_IMAGE_BACKBONE), load_dataset("shapes", "train", n=32), epochs=1,
              progress=False, device="cpu")


def test_unknown_names_and_settings_say_what_is_known():
    with pytest.raises(WorkbenchError, match="Did you mean 'simclr'"):
        build_method("simclrr")
    with pytest.raises(WorkbenchError, match="has no setting 'temprature'. Its settings: .*temperature"):
        build_method("simclr", temprature=0.1)


def test_training_step_must_return_a_loss():
    from sslworkbench.methods import SimCLR

    class NoLoss(SimCLR):
        name = "no_loss"

        def training_step(self, batch):
            return {"not_a_loss": 1.0}

    with pytest.raises(WorkbenchError, match='must return a dict with a "loss"'):
        train(NoLoss(**TINY_IMAGE_BACKBONE), load_dataset("shapes", "train", n=8), epochs=1, batch_size=4,
              progress=False, device="cpu")
