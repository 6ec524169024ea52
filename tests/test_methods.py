"""The method contract (methods/base.py) and the registry (methods/__init__.py).

One test walks the registry, so a new method is tested the moment it is
registered: it trains a step through the shared trainer, saves a checkpoint
(with non-default widths) and is rebuilt from it with the same weights. The
tests parametrized over many methods check what they all share: they train
through the shared loop, lower their loss, refuse a batch too small and bad
settings with one clear error, and resume exactly.
"""

import math

import pytest
import torch
from helpers import (
    JOINT_FAST,
    JOINT_METHODS,
    PRETEXT,
    SIMCLR_TINY,
    SMALL,
    TINY_IMAGE_BACKBONE,
    StopAt,
    tiny_joint,
    tiny_pretext,
    toy_text,
)

import sslworkbench as sw
from sslworkbench import WorkbenchError, build_method, load_dataset, train
from sslworkbench.data import KINDS
from sslworkbench.methods import METHODS, Method
from sslworkbench.methods.base import INSTANCE_NEEDS, settings_of
from sslworkbench.training.checkpoint import load_checkpoint, load_method
from sslworkbench.training.recipe import method_settings


def small_settings(name: str) -> dict:
    settings = dict(SMALL.get(name, {}))
    if METHODS[name].input_kind in ("images", "image_text"):
        settings = {**TINY_IMAGE_BACKBONE, **settings}
    return settings


def data_for(name: str):
    """A small training set of the kind the method needs (instance groups for MICLe)."""
    kind = METHODS[name].input_kind
    if kind == "tokens":
        return toy_text(pairs=METHODS[name].input_segments == 2, length=32)  # span_contrast's spans are 24 long
    if kind == "image_text":
        return load_dataset("captioned_shapes", "train", n=64)
    if kind == "clips":
        return load_dataset("moving_shapes", "train", n=32, frames=8)
    if kind == "audio":
        return load_dataset("sounds", "train", n=32)
    if METHODS[name].instances == "groups":
        return load_dataset("shapes", "train", n=64, renderings=4)
    return load_dataset("shapes", "train", n=64)


@pytest.mark.parametrize("name", METHODS.names())
def test_every_registered_method_trains_saves_and_reloads(name, tmp_path):
    torch.manual_seed(0)
    data = data_for(name)
    method = build_method(name, **method_settings(name, data, small_settings(name)))  # the recipe's settings step
    history = train(method, data, epochs=1, batch_size=16, max_steps=2, progress=False, device="cpu",
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


@pytest.mark.parametrize("name", METHODS.names())
def test_every_method_has_the_optional_parts_declared(name):
    """views, head and text_encoder exist on every method (None where it has none), and the two optional
    steps answer with one clear error where the method has none: nothing needs to ask hasattr."""
    method = build_method(name)
    for part in ("views", "head", "text_encoder"):
        assert hasattr(method, part), part
    assert (method.text_encoder is not None) == (method.input_kind == "image_text")
    if method.input_kind == "image_text":   # the two towers zero-shot use reads
        assert isinstance(method.image_projection, torch.nn.Module) and isinstance(method.text_projection, torch.nn.Module)
    if not method.language_model:
        with pytest.raises(WorkbenchError, match="is not a language model"):
            method.language_model_loss(torch.zeros(2, 8, dtype=torch.long))
    if type(method).pretext_batch is Method.pretext_batch:
        with pytest.raises(WorkbenchError, match="has no pretext batch to show"):
            method.pretext_batch(None)


def test_the_settings_from_the_data_reach_the_backbone_one_way():
    """A method hands what its backbone is built for to Method.__init__; the backbone keeps it,
    and nothing is written onto the backbone after it is built."""
    from sslworkbench.models import SmallCNN

    assert build_method("simclr", image_size=48, **TINY_IMAGE_BACKBONE).backbone.image_size == 48
    assert SmallCNN().image_size is None                           # built on its own, it says nothing
    vit = build_method("mae", image_size=16, backbone_options={"patch_size": 4, "width": 16, "depth": 1, "heads": 2})
    assert vit.backbone.image_size == 16 and vit.backbone.grid == 4  # the ViT's grid follows the method's image size
    assert build_method("cola", sample_rate=16_000).backbone.sample_rate == 16_000
    gpt = build_method("gpt", vocab_size=50, vocab_id="abc", backbone_options={"width": 16, "depth": 1, "heads": 2})
    assert (gpt.backbone.vocab_size, gpt.backbone.vocab_id) == (50, "abc") and gpt.language_model
    # the same setting given twice, two ways, must agree
    assert build_method("simclr", image_size=48, backbone_options={"width": 8, "depth": 2, "image_size": 48}).backbone.image_size == 48
    with pytest.raises(WorkbenchError, match="backbone_options has sample_rate=22050 and cola is built for sample_rate=16000"):
        build_method("cola", sample_rate=16_000, backbone_options={"sample_rate": 22_050})


def test_hparams_are_recorded_however_the_method_is_built():
    from sslworkbench.methods import InstanceSupCon, SimCLR

    direct = SimCLR(temperature=0.3, **TINY_IMAGE_BACKBONE)
    assert direct.hparams["temperature"] == 0.3 and direct.hparams["backbone_options"] == {"width": 8, "depth": 2}
    assert direct.hparams == build_method("simclr", temperature=0.3, **TINY_IMAGE_BACKBONE).hparams
    # a subclass that inherits __init__ records its parent's settings, once
    assert set(InstanceSupCon(**TINY_IMAGE_BACKBONE).hparams) == set(settings_of("instance_supcon"))


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


def test_unknown_method_suggests_a_close_name():
    with pytest.raises(WorkbenchError, match="Did you mean 'simclr'") as info:
        build_method("simclrr")
    assert "supervised" in str(info.value)


def test_unknown_hyper_parameter_lists_the_known_ones():
    with pytest.raises(WorkbenchError, match="'temprature'") as info:
        build_method("simclr", temprature=0.1)
    for name in ("temperature", "projection_dim", "backbone"):
        assert name in str(info.value)


def test_unknown_setting_lists_the_known_ones():
    with pytest.raises(WorkbenchError, match="queue_size"):
        build_method("moco", queue_length=10)


def test_build_method_records_its_hparams():
    method = build_method("simclr", temperature=0.3, **SIMCLR_TINY)
    assert method.hparams["temperature"] == 0.3
    assert method.hparams["backbone_options"] == {"width": 8, "depth": 2}
    assert "views" in method.hparams


# -- the joint-embedding methods (the `data` fixture: shapes' first 128 training images) --------


@pytest.mark.parametrize("name", JOINT_METHODS)
def test_trains_through_the_shared_loop_without_collapse(name, data):
    if METHODS[name].instances == "groups":  # MICLe and instance_supcon need several renderings of each object
        data = load_dataset("shapes", "train", n=128, renderings=4)
    method = tiny_joint(name)
    before = {k: v.clone() for k, v in method.backbone.state_dict().items()}
    history = train(method, data, epochs=3, **JOINT_FAST)
    assert len(history.losses) == 12 and all(math.isfinite(x) for x in history.losses)
    # the collapse diagnostics are logged for every step
    assert len(history.metric("embedding_std")) == 12 and len(history.metric("effective_rank")) == 12
    assert history.metric("embedding_std")[-1] > 0.02  # 1/√d ≈ 0.06–0.25 here; collapsed → 0
    assert history.metric("effective_rank")[-1] > 2
    assert any(not torch.equal(before[k], v) for k, v in method.backbone.state_dict().items())


@pytest.mark.parametrize("name", ["moco", "byol", "simsiam", "barlow_twins", "vicreg"])
def test_loss_goes_down(name, data):
    history = train(tiny_joint(name), data, epochs=6, lr=3e-3, **JOINT_FAST)
    per_epoch = history.metric("loss", per="epochs")
    # MoCo's first queue is random noise (easy negatives): compare from the epoch
    # after it has filled with real keys
    first = 1 if name == "moco" else 0
    assert per_epoch[-1] < per_epoch[first], per_epoch


@pytest.mark.parametrize("name", JOINT_METHODS)
def test_a_batch_of_one_is_one_clear_error(name, data):
    method = tiny_joint(name)
    batch = (data.images[:1], data.labels[:1], torch.zeros(1, dtype=torch.long))
    with pytest.raises(WorkbenchError, match="at least 2"):
        method.training_step(batch)


@pytest.mark.parametrize("name", ["dino", "moco"])
def test_resume_is_exact_with_schedules_queue_and_centre(name, data, tmp_path):
    settings = {"local_crops": 1} if name == "dino" else {}
    whole = tiny_joint(name, **settings)
    train(whole, data, epochs=2, **JOINT_FAST)
    first = tiny_joint(name, **settings)  # the same run, stopped after 5 of its 8 steps
    train(first, data, epochs=2, checkpoint=tmp_path / "c.pt", callbacks=[StopAt(5)], **JOINT_FAST)
    resumed = tiny_joint(name, **settings)
    train(resumed, data, epochs=2, resume=tmp_path / "c.pt", **JOINT_FAST)
    expected, got = whole.state_dict(), resumed.state_dict()
    for key in expected:
        assert torch.equal(expected[key], got[key]), key


# -- the classic pretext tasks ----------------------------------------------------------------


VARIANTS = [(name, {}) for name in PRETEXT] + [
    ("relative_patch", {"color": "drop"}),
    ("relative_patch", {"color": "project"}),
    ("relative_patch", {"color": "gray"}),
    ("colorization", {"mode": "regression"}),
    ("context_encoder", {"mode": "adversarial", "mask": "center"}),
    ("context_encoder", {"mode": "joint"}),
    ("denoising_autoencoder", {"corruption": "gaussian", "noise": 0.2}),
]


@pytest.mark.parametrize("name, settings", VARIANTS, ids=lambda v: str(v))
def test_training_lowers_the_loss(name, settings, data):
    method = tiny_pretext(name, **settings)
    images = data.images[:64]
    optimizer = torch.optim.Adam(method.parameters(), lr=2e-3)
    losses = []
    for step in range(12):
        torch.manual_seed(step % 2)  # two fixed pretext draws, alternating
        out = method.training_step((images, data.labels[:64]))
        assert torch.isfinite(out["loss"]) and out["loss"].dim() == 0
        optimizer.zero_grad()
        out["loss"].backward()
        optimizer.step()
        losses.append(out["loss"].item())
    metric = "reconstruction_mse" if name in ("context_encoder", "autoencoder", "denoising_autoencoder", "vae") else "pretext_accuracy"
    assert metric in out
    if settings.get("mode") in ("adversarial", "joint"):
        assert {"discriminator_loss", "discriminator_accuracy", "generator_adversarial"} <= set(out)
        assert out["reconstruction_mse"] < 0.2
    else:
        assert sum(losses[-3:]) < sum(losses[:3]), losses


def test_every_method_runs_through_the_trainer_and_logs_its_metric(data):
    for name in ("rotation", "context_encoder"):
        history = sw.train(tiny_pretext(name), data.subset(64), epochs=1, batch_size=32, progress=False, device="cpu")
        assert len(history.losses) == 2
        assert history.metric("pretext_accuracy" if name == "rotation" else "reconstruction_mse")


@pytest.mark.parametrize(
    "name, settings, needle",
    [
        ("relative_patch", {"color": "purple"}, "color must be one of"),
        ("colorization", {"mode": "guess"}, "mode must be one of"),
        ("context_encoder", {"mode": "gan"}, "mode must be one of"),
        ("denoising_autoencoder", {"noise": 1.5}, "noise must be in"),
        ("jigsaw", {"permutations": 1}, "between 2 and"),
        ("rotation", {"angles": 8}, "Its settings"),
    ],
)
def test_bad_settings_fail_clearly(name, settings, needle):
    with pytest.raises(WorkbenchError, match=needle):
        build_method(name, **settings)
