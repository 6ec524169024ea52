"""MICLe — Azizi et al., "Big Self-Supervised Models Advance Medical Image
Classification", ICCV 2021, §3.2 (Multi-Instance Contrastive Learning).

A patient case often holds several images of the same condition (photos from
other angles, other visits). MICLe makes a positive pair of two crops of two
*different* images of one case, where SimCLR makes it of two crops of one image.
The loss is SimCLR's NT-Xent; the other cases of the batch are the negatives.

For each minibatch of N cases:

    for every case c:
        a, b = two different images of c       (a case with one image: a = b,
                                                 SimCLR's pair, the paper's fallback)
        x1, x2 = t(a), t'(b)                    SimCLR's augmentations (views/images.py)
    z1, z2 = g(f(x1)), g(f(x2))                 backbone, projection head
    loss = NT-Xent(z1, z2, τ)                   each view must pick out its partner
                                                among the 2N − 1 other views

The paper's pipeline has three steps: SimCLR on unlabelled natural images
(ImageNet), then MICLe on the unlabelled medical images, then supervised
fine-tuning. ``sw.pretrain("micle", cases, start_from=simclr_backbone)`` is the
second step; notebook 09 runs all three.

Here a batch is of *images*: the trainer keeps a case's images together
(``instances = "groups"``: with ``load_dataset("shapes", renderings=4)`` the four
renderings of an object are its case), and each step makes one pair per case of
the batch, so a batch of ``batch_size`` images with r images a case gives
``batch_size / r`` pairs. Every case appears in one pair per batch: two images of
one case are never each other's negatives.

Everything but the pair is SimCLR's, so the class is SimCLR's with another
``training_step``: the same settings, views, head and defaults (τ = 0.1).
``instance_supcon`` (``methods/supcon.py``) is the multi-positive variant that
makes every rendering of an object a positive of every other one.
"""

from __future__ import annotations

import torch

from ..losses import nt_xent
from .constraints import Number
from .simclr import SimCLR


def two_images_per_case(case_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """For every case in ``case_ids`` (one id per image of the batch): the positions of
    two different images of it, drawn at random — or the same image twice when the
    batch holds only one of the case. One pair per case, cases in order of their ids."""
    n = len(case_ids)
    shuffled = torch.randperm(n, device=case_ids.device)
    by_case = shuffled[torch.sort(case_ids[shuffled], stable=True).indices]   # grouped by case, random within
    ids = case_ids[by_case]
    starts = torch.ones(n, dtype=torch.bool, device=case_ids.device)
    starts[1:] = ids[1:] != ids[:-1]
    first = starts.nonzero().squeeze(1)                       # where each case's run begins
    ends = torch.cat([first[1:], first.new_tensor([n])])
    second = torch.where(ends - first >= 2, first + 1, first)
    return by_case[first], by_case[second]


class MICLe(SimCLR):
    """SimCLR whose positive pair is two images of one case (its settings: SimCLR's)."""

    name = "micle"
    # its card (methods/base.py): what it learns from, and what keeps it from collapsing
    family = "contrastive"
    predicts = "which of the batch's views is its partner (SimCLR's NT-Xent)"
    positives = "crops of two different images of one case"
    negatives = "the views of the batch's other cases"
    against_collapse = "the negatives: a constant output cannot tell them apart"
    notebook = "09"
    instances = "groups"   # the trainer adds each image's case id; the data must have several images per case
    min_batch_reason = "the other cases are the negatives"
    parameter_constraints = {
        "temperature": Number(above=0, hint="MICLe uses SimCLR's 0.1"),
    }

    def training_step(self, batch) -> dict:
        images = self.inputs_of(batch)                       # labels are never looked at
        first, second = two_images_per_case(self.instance_ids_of(batch))
        x1, x2 = self.views(images[first]), self.views(images[second])   # one random view of each
        z1, z2 = self.projector(self.backbone(x1)), self.projector(self.backbone(x2))
        loss = nt_xent(self.gather(z1), self.gather(z2), self.temperature)  # negatives: every device's cases
        return {"loss": loss, "embeddings": z1.detach()}
