"""methods/micle.py: MICLe as Azizi et al. built it — one positive pair per case, two
crops of two *different* images of it, NT-Xent with the other cases as negatives —
and ``pretrain(start_from=...)``, its second step after SimCLR."""

import pytest
import torch
from helpers import JOINT_FAST as FAST
from helpers import TINY_IMAGE_BACKBONE as TINY_BACKBONE
from helpers import tiny_joint as tiny

from sslworkbench import WorkbenchError, build_method, load_dataset, pretrain
from sslworkbench.losses import nt_xent
from sslworkbench.methods.micle import two_images_per_case
from sslworkbench.training.trainer import Callback


class Recorder(torch.nn.Module):
    """Views that record the images they are given and return them as floats (no augmentation)."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, images):
        self.seen.append(images.clone())
        return images.float() / 255


def test_two_images_per_case_pairs_different_images_of_one_case():
    torch.manual_seed(0)
    cases = torch.tensor([3, 3, 3, 3, 7, 7, 7, 7, 1, 1, 5])   # case 5: one image in this batch
    first, second = two_images_per_case(cases)
    assert sorted(cases[first].tolist()) == [1, 3, 5, 7]          # one pair per case
    assert torch.equal(cases[first], cases[second])                # both images of the same case
    two_or_more = cases[first] != 5
    assert (first[two_or_more] != second[two_or_more]).all()       # two different images of it
    assert first[~two_or_more] == second[~two_or_more]             # one image: the same twice (SimCLR's pair)


def test_two_images_per_case_draws_every_image_over_many_batches():
    cases = torch.arange(16) // 4
    used = torch.zeros(16)
    for seed in range(50):
        torch.manual_seed(seed)
        first, second = two_images_per_case(cases)
        used[first] += 1
        used[second] += 1
    assert (used > 0).all()


def test_the_loss_is_nt_xent_of_the_pairs_with_the_other_cases_as_negatives():
    data = load_dataset("shapes", "train", n=16, renderings=4)
    method = tiny("micle")
    method.views = Recorder()
    cases = data.extras["instance"][:16]
    torch.manual_seed(0)
    loss = method.training_step((data.images, data.labels, cases))["loss"]
    x1, x2 = method.views.seen
    assert len(x1) == len(x2) == 4                       # 4 cases, 4 pairs: no case is its own negative
    assert not any(torch.equal(a, b) for a, b in zip(x1, x2))   # two different renderings in every pair
    with torch.no_grad():
        z1 = method.projector(method.backbone(x1.float() / 255))
        z2 = method.projector(method.backbone(x2.float() / 255))
    assert loss.item() == pytest.approx(nt_xent(z1, z2, method.temperature).item(), rel=1e-5)


def test_micle_trains_on_renderings_and_refuses_single_images():
    run = pretrain("micle", load_dataset("shapes", "train", n=64, renderings=4), evaluate=False, epochs=1,
                   backbone_options=TINY_BACKBONE["backbone_options"], hidden_dim=32, projection_dim=16, **FAST)
    assert len(run.history.losses) == 2 and all(torch.isfinite(torch.tensor(run.history.losses)))
    with pytest.raises(WorkbenchError, match="'micle' needs several samples of each object"):
        pretrain("micle", load_dataset("shapes", "train", n=64), evaluate=False, epochs=1,
                 backbone_options=TINY_BACKBONE["backbone_options"], **FAST)


def test_pretrain_starts_from_another_runs_backbone():
    """MICLe's second step: the backbone starts where SimCLR's first step ended."""
    small = {"backbone_options": TINY_BACKBONE["backbone_options"], "hidden_dim": 32, "projection_dim": 16}
    first = pretrain("simclr", load_dataset("shapes", "train", n=64), evaluate=False, epochs=1, **small, **FAST)
    started = {}

    class Spy(Callback):
        def on_train_start(self, trainer):
            started.update({k: v.clone() for k, v in trainer.method.backbone.state_dict().items()})

    pretrain("micle", load_dataset("shapes", "train", n=64, renderings=4), evaluate=False, epochs=1,
             start_from=first, callbacks=[Spy()], **small, **FAST)
    assert all(torch.equal(started[k], v) for k, v in first.method.backbone.state_dict().items())


def test_start_from_a_backbone_of_another_shape_is_one_clear_error():
    other = build_method("simclr", backbone_options={"width": 16, "depth": 2})
    with pytest.raises(WorkbenchError, match="does not fit micle's .*same backbone and backbone_options"):
        pretrain("micle", load_dataset("shapes", "train", n=64, renderings=4), evaluate=False, epochs=1,
                 start_from=other.backbone, backbone_options=TINY_BACKBONE["backbone_options"], **FAST)
