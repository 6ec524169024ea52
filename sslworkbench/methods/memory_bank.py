"""Instance discrimination with a memory bank — Wu, Xiong, Yu & Lin,
"Unsupervised Feature Learning via Non-Parametric Instance Discrimination",
CVPR 2018.

Every training image is its own class. Instead of a weight vector per class,
the bank keeps one embedding per image, v_i, from the last time it was seen:

    v = normalize(g(f(t(x_i))))                   one random view per image
    negatives: K entries drawn uniformly from the bank
    loss = InfoNCE(v, bank[i], bank[negatives], τ)   pick out your own slot
         + λ ‖v − bank[i]‖²                          proximal term (Sec. 3.4)
    bank[i] ← normalize(m · bank[i] + (1 − m) · v)   after the step, no gradient

(the paper estimates the full softmax with NCE; this is the softmax over the
sampled negatives, as later reimplementations — CMC, PIRL — use). The bank
starts from random unit vectors, as in the paper. The trainer
gives each image's instance id (``instances = "ids"``): its index in the data, or
in ``shapes``' instance mode the object's id, so several renderings share one
slot.

Defaults: τ = 0.07, m = 0.5, 4096 negatives, a 128-dim output — the paper's.
``bank_size`` must be at least the number of instances (10,000 for ``shapes``).
``proximal`` is the paper's optional proximal term λ (it used λ = 30).

The catch, and why this method recommends a lower learning rate: each slot is
refreshed once per epoch, so every positive is an epoch stale (the problem
MoCo's momentum encoder solves). If the network changes faster than the bank,
the current embedding of an image is closer to recently written slots of other
images than to its own old one, and the loss rises above chance (log 4097 ≈ 8.3).
``recommended_lr`` (part of the method contract: the trainer uses it when no ``lr`` is given) slows the
network down. The runs that chose it (``shapes``, small CNN, batch 128, 3 epochs,
linear probe): at the trainers' usual lr 2e-3 the probe stayed at or below random
init's, with τ = 0.2 or λ = 30 too; at lr 5e-4 it was several points above it, and
λ = 30 did not help (so λ defaults to 0), nor did m = 0 or lr 2e-4 with τ = 0.1
change much. Notebooks 04 and 05 measure it against the other methods at one
budget. The paper trains for 200 epochs.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..errors import WorkbenchError
from ..losses import info_nce
from ..models import projection_head
from ..views.images import simclr_views, views_with
from .base import Method
from .constraints import Number, Whole


class MemoryBank(Method):
    name = "memory_bank"
    # its card (methods/base.py): what it learns from, and what keeps it from collapsing
    family = "contrastive"
    predicts = "its own slot in a bank of stored embeddings (instance discrimination)"
    positives = "the image's own embedding, stored when it was last seen"
    negatives = "embeddings drawn at random from the bank"
    against_collapse = "the negatives: a constant output cannot tell them apart"
    notebook = "04"
    across_devices = "gathers"  # every device's embeddings update the bank, so the banks stay alike
    min_batch_size = 2
    min_batch_reason = "BatchNorm needs a batch"
    instances = "ids"  # the trainer adds each image's instance id to the batch
    uses_dataset_views = True
    recommended_lr = 5e-4  # the trainer's lr when none is given: a slower network, fresher slots (see above)
    parameter_constraints = {
        "temperature": Number(above=0, hint="the paper uses 0.07"),
        "bank_size": Whole(at_least=2, hint="one slot per training image"),
        "negatives": Whole(at_least=1, hint="the paper uses 4096"),
        "proximal": Number(at_least=0, what="a weight", hint="the paper uses 30, 0 turns it off"),
        "momentum": Number(at_least=0, below=1, hint="a slot moves by (1 − m) of the way to each new embedding; "
                                                     "the paper uses 0.5"),
    }

    def __init__(
        self,
        backbone: str = "small_cnn",
        backbone_options: dict | None = None,
        image_size: int = 32,
        temperature: float = 0.07,
        momentum: float = 0.5,
        bank_size: int = 10_000,
        negatives: int = 4096,
        proximal: float = 0.0,
        projection_dim: int = 128,
        hidden_dim: int = 512,
        views: dict | None = None,
    ):
        super().__init__(backbone, backbone_options, image_size=image_size)
        self.temperature = temperature
        self.proximal = float(proximal)
        self.momentum = float(momentum)
        self.negatives = negatives
        self.views = views_with(simclr_views(image_size), views)
        self.projector = projection_head(self.backbone.feature_dim, hidden_dim, projection_dim)
        self.register_buffer("bank", F.normalize(torch.randn(bank_size, projection_dim), dim=1))

    def training_step(self, batch) -> dict:
        images = self.inputs_of(batch)  # labels are never looked at
        instance = self.instance_ids_of(batch)
        if int(instance.max()) >= len(self.bank):
            raise WorkbenchError(
                f"The data has instance id {int(instance.max())} but the memory bank has {len(self.bank)} slots: "
                "build the method with bank_size=len(train_set)."
            )
        v = F.normalize(self.projector(self.backbone(self.views(images))), dim=1)
        sampled = torch.randint(len(self.bank), (self.negatives,), device=v.device)
        loss = info_nce(v, self.bank[instance], self.bank[sampled], self.temperature)
        if self.proximal:  # keep v close to its slot, so the network cannot run away from its stale targets
            loss = loss + self.proximal * (v - self.bank[instance]).pow(2).sum(dim=1).mean()
        with torch.no_grad():  # the bank is updated after the loss is computed (indexing above copied it)
            instance, v = self.gather(instance), self.gather(v.detach())  # every device's slots: the banks stay alike
            mixed = self.momentum * self.bank[instance] + (1 - self.momentum) * v.to(self.bank.dtype)
            self.bank[instance] = F.normalize(mixed, dim=1)
        return {"loss": loss, "embeddings": v.detach()}
