"""Joint-embedding methods: each trains through the shared loop without
collapsing, its momentum / queue / bank / centre state behaves as the paper
says, and each bad setting fails with one clear error."""

import math

import pytest
import torch

from sslworkbench import Callback, WorkbenchError, build_method, load_dataset, train
from sslworkbench.methods import METHODS
from sslworkbench.methods.ema import cosine_momentum, ema_update

TINY_BACKBONE = {"backbone_options": {"width": 8, "depth": 2}}
from test_methods import SMALL  # noqa: E402  (small heads, so that a test step is cheap)

# every registered joint-embedding method (those trained on two augmented views), so a new one is tested here too
JOINT_METHODS = [name for name in METHODS.names() if METHODS[name].uses_dataset_views]
FAST = {"batch_size": 32, "progress": False, "device": "cpu", "seed": 0}


def tiny(name, **settings):
    torch.manual_seed(0)
    return build_method(name, **TINY_BACKBONE, **{**SMALL.get(name, {}), **settings})


@pytest.fixture(scope="module")
def data():
    return load_dataset("shapes", "train", n=128)


@pytest.mark.parametrize("name", JOINT_METHODS)
def test_trains_through_the_shared_loop_without_collapse(name, data):
    if METHODS[name].instances == "groups":  # MICLe needs several renderings of each object
        data = load_dataset("shapes", "train", n=128, renderings=4)
    method = tiny(name)
    before = {k: v.clone() for k, v in method.backbone.state_dict().items()}
    history = train(method, data, epochs=3, **FAST)
    assert len(history.losses) == 12 and all(math.isfinite(x) for x in history.losses)
    # the collapse diagnostics are logged for every step
    assert len(history.metric("embedding_std")) == 12 and len(history.metric("effective_rank")) == 12
    assert history.metric("embedding_std")[-1] > 0.02  # 1/√d ≈ 0.06–0.25 here; collapsed → 0
    assert history.metric("effective_rank")[-1] > 2
    assert any(not torch.equal(before[k], v) for k, v in method.backbone.state_dict().items())


@pytest.mark.parametrize("name", ["moco", "byol", "simsiam", "barlow_twins", "vicreg"])
def test_loss_goes_down(name, data):
    history = train(tiny(name), data, epochs=6, lr=3e-3, **FAST)
    per_epoch = history.metric("loss", per="epochs")
    # MoCo's first queue is random noise (easy negatives): compare from the epoch
    # after it has filled with real keys
    first = 1 if name == "moco" else 0
    assert per_epoch[-1] < per_epoch[first], per_epoch


@pytest.mark.parametrize("name", JOINT_METHODS)
def test_a_batch_of_one_is_one_clear_error(name, data):
    method = tiny(name)
    batch = (data.images[:1], data.labels[:1], torch.zeros(1, dtype=torch.long))
    with pytest.raises(WorkbenchError, match="at least 2"):
        method.training_step(batch)


@pytest.mark.parametrize("name", ["moco", "byol", "dino", "memory_bank"])
@pytest.mark.parametrize("momentum", [1.0, -0.1, 1.5])
def test_momentum_outside_0_1_is_rejected(name, momentum):
    with pytest.raises(WorkbenchError, match=r"\[0, 1\)"):
        tiny(name, momentum=momentum)


def test_simsiam_without_predictor_compares_the_projections_directly(data):
    method = tiny("simsiam", predictor=False)
    assert not list(method.predictor.parameters())  # h is the identity: p = z
    torch.manual_seed(0)
    x1, x2 = method.views.pairs(data.images[:16])
    method.views.pairs = lambda images: (x1, x2)
    out = method.training_step((data.images[:16], data.labels[:16]))
    with torch.no_grad():  # the same batch in train mode: the same BatchNorm statistics
        z1, z2 = method.projector(method.backbone(x1)), method.projector(method.backbone(x2))
    expected = -torch.nn.functional.cosine_similarity(z1, z2).mean()
    assert torch.allclose(out["loss"], expected, atol=1e-5)


def test_ema_update_and_cosine_schedule():
    online, target = torch.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    expected = 0.9 * target.weight.detach().clone() + 0.1 * online.weight.detach()
    ema_update(target, online, 0.9)
    assert torch.allclose(target.weight, expected)
    assert cosine_momentum(0.996, 0, 100) == pytest.approx(0.996)
    assert cosine_momentum(0.996, 50, 100) == pytest.approx(0.998)
    assert cosine_momentum(0.996, 100, 100) == pytest.approx(1.0)


def test_target_networks_are_not_trained_but_follow_the_online_network(data):
    method = tiny("byol")
    assert all(not p.requires_grad for p in method.target.parameters())
    start = [p.clone() for p in method.target.parameters()]
    history = train(method, data, epochs=1, **FAST)
    moved = [not torch.equal(a, b) for a, b in zip(start, method.target.parameters())]
    assert any(moved)
    assert history.metric("momentum")[0] == pytest.approx(0.996)  # cosine-increased from the base
    assert float(method.current_momentum) == pytest.approx(1.0)


def test_moco_queue_size_must_be_a_multiple_of_the_batch(data):
    method = tiny("moco", queue_size=50)
    with pytest.raises(WorkbenchError, match="multiple of the batch size"):
        method.training_step((data.images[:32], data.labels[:32]))


def test_moco_queue_is_a_ring_buffer_of_keys(data):
    method = tiny("moco", queue_size=64)
    method.train()
    method.training_step((data.images[:32], data.labels[:32]))
    assert int(method.queue_pointer) == 32
    first_keys = method.queue[:32].clone()
    assert torch.allclose(first_keys.norm(dim=1), torch.ones(32))
    method.training_step((data.images[32:64], data.labels[32:64]))
    method.training_step((data.images[64:96], data.labels[64:96]))
    assert int(method.queue_pointer) == 32  # wrapped around: the oldest keys were replaced
    assert not torch.equal(method.queue[:32], first_keys)


def test_memory_bank_updates_the_slots_of_the_batch_and_checks_its_size(data):
    method = tiny("memory_bank")
    method.train()
    bank = method.bank.clone()
    ids = torch.tensor([3, 7, 9, 100])
    method.training_step((data.images[:4], data.labels[:4], ids))
    changed = (method.bank != bank).any(dim=1).nonzero().squeeze(1)
    assert changed.tolist() == ids.tolist()
    assert torch.allclose(method.bank.norm(dim=1), torch.ones(len(bank)))
    with pytest.raises(WorkbenchError, match="bank_size"):
        method.training_step((data.images[:4], data.labels[:4], torch.tensor([0, 1, 2, 500])))
    with pytest.raises(WorkbenchError, match="instance id"):
        method.training_step((data.images[:4], data.labels[:4]))


def test_memory_bank_proximal_term_is_the_papers_penalty(data):
    with_term, without = tiny("memory_bank", proximal=30.0), tiny("memory_bank", proximal=0.0)
    without.load_state_dict(with_term.state_dict())
    ids = torch.tensor([1, 2, 3, 4])
    batch = (data.images[:4], data.labels[:4], ids)
    for method in (with_term, without):
        method.eval()  # same views need the same random state; eval keeps BatchNorm out of it
    bank = with_term.bank.clone()
    torch.manual_seed(0)
    loss_with = with_term.training_step(batch)
    torch.manual_seed(0)
    loss_without = without.training_step(batch)
    v = loss_without["embeddings"]
    expected = 30.0 * (v - bank[ids]).pow(2).sum(dim=1).mean()
    assert float((loss_with["loss"] - loss_without["loss"]).detach()) == pytest.approx(float(expected), rel=1e-4)
    with pytest.raises(WorkbenchError, match="proximal"):
        tiny("memory_bank", proximal=-1.0)


def test_dino_keeps_centre_and_teacher_temperature_schedule(data):
    method = tiny("dino", local_crops=2, local_size=16)
    history = train(method, data, epochs=2, **FAST)  # 8 steps; warm-up over the first 30%
    temps = history.metric("teacher_temperature")
    assert temps[0] == pytest.approx(0.04) and temps[-1] == pytest.approx(0.07)
    assert all(a <= b for a, b in zip(temps, temps[1:]))
    assert method.center.abs().sum() > 0  # a running mean of the teacher's outputs


def test_shapes_instance_mode_renders_one_object_several_times():
    data = load_dataset("shapes", "train", n=40, renderings=4, cache=False)
    instance = data.extras["instance"]
    assert instance.tolist() == [i // 4 for i in range(40)]
    for key in ("object_hue", "scale"):
        per_object = data.extras[key].view(10, 4)
        assert torch.equal(per_object, per_object[:, :1].expand(-1, 4)), key  # identity: fixed
    assert torch.equal(data.labels.view(10, 4), data.labels.view(10, 4)[:, :1].expand(-1, 4))
    assert (data.extras["rotation"].view(10, 4).std(dim=1) > 0).all()  # pose: changes
    assert not torch.equal(data.images[0], data.images[1])
    plain = load_dataset("shapes", "train", n=40, cache=False)
    assert "instance" not in plain.extras
    with pytest.raises(WorkbenchError, match="renderings"):
        load_dataset("shapes", "train", n=40, renderings=3, cache=False)


class Record:
    """A MICLe that records the instance ids the trainer gives it."""

    def __init__(self, method):
        self.seen = []
        original = method.training_step

        def step(batch):
            self.seen.append(batch[2].clone())
            return original(batch)

        method.training_step = step


def test_micle_batches_hold_several_renderings_of_each_object():
    data = load_dataset("shapes", "train", n=128, renderings=4)
    method = tiny("micle")
    record = Record(method)
    train(method, data, epochs=1, **FAST)
    for ids in record.seen:
        counts = torch.bincount(ids)
        assert set(counts[counts > 0].tolist()) == {4}  # every object with all its 4 renderings


def test_micle_without_renderings_is_simclr(data):
    batch = (data.images[:16], data.labels[:16], torch.arange(16))
    micle = tiny("micle")
    torch.manual_seed(1)
    loss_micle = micle.training_step(batch)["loss"]
    simclr = build_method("simclr", **TINY_BACKBONE, hidden_dim=32, projection_dim=16)
    simclr.load_state_dict(micle.state_dict())
    torch.manual_seed(1)
    loss_simclr = simclr.training_step(batch)["loss"]
    assert loss_micle.item() == pytest.approx(loss_simclr.item(), rel=1e-5)


def test_unknown_setting_lists_the_known_ones():
    with pytest.raises(WorkbenchError, match="queue_size"):
        build_method("moco", queue_length=10)


def test_cifar10_settings_build_every_method():
    from sslworkbench.methods.presets import CIFAR10, cifar10_settings

    assert set(CIFAR10) >= set(JOINT_METHODS)
    for name in JOINT_METHODS:
        settings = cifar10_settings(name)
        assert 256 <= settings["batch_size"] <= 512
        build_method(name, **TINY_BACKBONE, **settings["method"])
    with pytest.raises(WorkbenchError, match="Known"):
        cifar10_settings("nope")


class StopAfter(Callback):
    def __init__(self, steps):
        self.steps = steps

    def on_step_end(self, trainer, logs):
        if trainer.step == self.steps:
            trainer.request_stop()


@pytest.mark.parametrize("name", ["dino", "moco"])
def test_resume_is_exact_with_schedules_queue_and_centre(name, data, tmp_path):
    settings = {"local_crops": 1} if name == "dino" else {}
    whole = tiny(name, **settings)
    train(whole, data, epochs=2, **FAST)
    first = tiny(name, **settings)  # the same run, stopped after 5 of its 8 steps
    train(first, data, epochs=2, checkpoint=tmp_path / "c.pt", callbacks=[StopAfter(5)], **FAST)
    resumed = tiny(name, **settings)
    train(resumed, data, epochs=2, resume=tmp_path / "c.pt", **FAST)
    expected, got = whole.state_dict(), resumed.state_dict()
    for key in expected:
        assert torch.equal(expected[key], got[key]), key
