"""Relative patch location — Doersch, Gupta & Efros, "Unsupervised Visual
Representation Learning by Context Prediction", ICCV 2015.

For each minibatch of N images x:

    grid = tiles(x)                a 3×3 grid of patches
    y ~ uniform{0..7}              which of the centre's 8 neighbours to show
    a, b = grid[centre], grid[neighbour y]
    h_a, h_b = g(f(a)), g(f(b))    the same backbone f (and layer g) on both
    loss = cross_entropy(W [h_a, h_b], y)      where is b relative to a?

The paper's defences against trivial solutions ("shortcuts"):
  * a gap between patches (``patch`` < the grid cell) so that lines and
    textures do not simply continue across the border (on by default);
  * random jitter of each patch inside its cell, so that exact alignment
    does not give the answer away (on by default);
  * colour handling against chromatic aberration, which shifts colour
    channels in proportion to the distance from the image centre and so tells
    a patch where in the image it lies: ``color="drop"`` keeps one random
    channel of each patch and replaces the others with noise (the paper's
    colour dropping), ``"project"`` removes the green–magenta axis (the
    paper's projection; ``"project_red_blue"`` the red–blue axis that
    ``shapes``' simulated aberration uses), ``"gray"`` uses luma only,
    ``"none"`` leaves the colours alone;
  * pixelation: with ``pixelate=p`` each training patch, with probability p, is
    shrunk (to between ``pixelate_smallest`` pixels and its own side) and scaled back up,
    so that the network cannot lean on the finest detail (off by default; notebook
    03b measures it on low-resolution test images).

Why ``color="none"`` is the default: on ``shapes`` the colour defences cost
accuracy. In the run that chose it, ``"drop"`` gave a much lower linear probe
than ``"none"`` (the backbone trains on one-channel patches but is probed on
colour images). The shortcut itself is real: notebook 03b measures it (the
pretext accuracy on images through a simulated lens, with and without the
aberration, against a network trained without the lens), what the
``"project_red_blue"`` defence removes of it, and what the defence costs the probe.

    >>> method = build_method("relative_patch", color="none")
    >>> seen = method.pretext_batch(images)    # centre, neighbour, position 0..7
    >>> method.predict(seen["centre"], seen["neighbour"])
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..runtime import eval_mode
from ..views.images import grayscale
from ..views.pretext import (
    GREEN_MAGENTA,
    NEIGHBOURS,
    RED_BLUE,
    check_tiling,
    classification_outputs,
    drop_colours,
    grid_tiles,
    pixelate,
    prepare,
    pretext_views,
    project_out,
)
from .base import Method
from .constraints import Number, OneOf, Rule, Whole

COLOR_MODES = ("drop", "project", "project_red_blue", "gray", "none")


class RelativePatchLocation(Method):
    name = "relative_patch"
    # its card (methods/base.py): what it learns from, and what keeps it from collapsing
    family = "pretext task"
    predicts = "where a neighbouring patch lies relative to the centre patch (one of 8)"
    positives = "none"
    negatives = "none"
    against_collapse = "a classification target made from the input: a constant output scores chance"
    notebook = "03"
    parameter_constraints = {
        "color": OneOf(COLOR_MODES),
        "patch_resize": Whole(at_least=8, unit="pixels", or_none="to show the patches at their own size",
                              hint="8 pixels is the backbone's smallest input"),
        "pixelate": Number(at_least=0, at_most=1, what="the share of training patches pixelated"),
        "pixelate_smallest": Whole(at_least=1, below="patch", unit="pixels",
                                   hint="the smallest side a pixelated patch is shrunk to: e.g. 3 for 8-pixel patches"),
        "patch": Rule(lambda patch, patch_resize: patch_resize is not None or patch >= 8,
                      "≥ 8 pixels when patch_resize is None", hint="smaller patches are too small for the backbone: "
                                                                  "set patch_resize=16"),
    }

    def __init__(
        self,
        backbone: str = "small_cnn",
        backbone_options: dict | None = None,
        image_size: int = 32,
        patch: int = 8,
        jitter: bool = True,
        color: str = "none",
        patch_resize: int | None = 16,
        hidden_dim: int = 512,
        pixelate: float = 0.0,
        pixelate_smallest: int = 3,
        views: dict | None = None,
    ):
        super().__init__(backbone, backbone_options, image_size=image_size)
        check_tiling(image_size, 3, patch, "relative_patch")
        self.image_size, self.patch, self.jitter, self.color, self.patch_resize = image_size, patch, jitter, color, patch_resize
        self.pixelate, self.pixelate_smallest = pixelate, pixelate_smallest
        self.views = pretext_views(image_size, views)
        d = self.backbone.feature_dim
        self.patch_head = nn.Sequential(nn.Linear(d, d // 2), nn.ReLU(inplace=True))  # "fc6", shared
        self.head = nn.Sequential(nn.Linear(d, hidden_dim), nn.ReLU(inplace=True), nn.Linear(hidden_dim, 8))

    def handle_colour(self, patches: torch.Tensor) -> torch.Tensor:
        if self.color == "drop":
            return drop_colours(patches)
        if self.color == "project":
            return project_out(patches, GREEN_MAGENTA)
        if self.color == "project_red_blue":
            return project_out(patches, RED_BLUE)
        if self.color == "gray":
            return grayscale(patches).expand(-1, 3, -1, -1)
        return patches

    def pretext_batch(self, images: torch.Tensor) -> dict:
        """``centre`` and ``neighbour`` patches (N, 3, p, p), colour-handled as in
        training, and ``targets`` (N,): the neighbour's position 0..7 in
        ``pretext.NEIGHBOURS`` / ``NEIGHBOUR_NAMES`` order (0 = top left)."""
        x = prepare(self.inputs_of(images), self.views, self.image_size, "relative_patch")
        tiles = grid_tiles(x, 3, self.patch, self.jitter)  # (N, 9, 3, p, p)
        n = tiles.shape[0]
        targets = torch.randint(0, 8, (n,), device=x.device)
        offsets = torch.tensor(NEIGHBOURS, device=x.device)[targets]
        neighbour_index = 4 + offsets[:, 0] * 3 + offsets[:, 1]
        rows = torch.arange(n, device=x.device)
        centre = self.handle_colour(tiles[:, 4])
        neighbour = self.handle_colour(tiles[rows, neighbour_index])
        return {"centre": centre, "neighbour": neighbour, "targets": targets}

    def _features(self, patches: torch.Tensor) -> torch.Tensor:
        if self.patch_resize is not None and self.patch_resize != patches.shape[-1]:
            patches = F.interpolate(patches, size=self.patch_resize, mode="bilinear", align_corners=False)
        return self.patch_head(self.backbone(patches))

    def logits(self, centre: torch.Tensor, neighbour: torch.Tensor) -> torch.Tensor:
        n = centre.shape[0]
        h = self._features(torch.cat([centre, neighbour]))  # one backbone pass for both
        return self.head(torch.cat([h[:n], h[n:]], dim=1))

    def training_step(self, batch) -> dict:
        pretext = self.pretext_batch(self.inputs_of(batch))
        centre, neighbour = pretext["centre"], pretext["neighbour"]
        if self.pixelate > 0:   # a training-time defence: the pretext accuracy is measured on patches as they are
            centre = pixelate(centre, self.pixelate, self.pixelate_smallest)
            neighbour = pixelate(neighbour, self.pixelate, self.pixelate_smallest)
        return classification_outputs(self.logits(centre, neighbour), pretext["targets"])

    @torch.no_grad()
    def predict(self, centre: torch.Tensor, neighbour: torch.Tensor) -> torch.Tensor:
        """The predicted position (0..7) of ``neighbour`` relative to ``centre``."""
        with eval_mode(self):
            predicted = self.logits(centre, neighbour).argmax(1)
        return predicted

    @torch.no_grad()
    def pretext_accuracy(self, images: torch.Tensor, repeats: int = 1) -> float:
        """Accuracy of the position prediction on ``images`` (e.g. a test set), random patches."""
        correct, total = 0, 0
        for _ in range(repeats):
            for start in range(0, images.shape[0], 512):
                pretext = self.pretext_batch(images[start : start + 512])
                predicted = self.predict(pretext["centre"], pretext["neighbour"])
                correct += (predicted == pretext["targets"]).sum().item()
                total += predicted.numel()
        return correct / total
