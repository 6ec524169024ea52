"""Jigsaw puzzles — Noroozi & Favaro, "Unsupervised Learning of Visual
Representations by Solving Jigsaw Puzzles", ECCV 2016.

Before training, choose P permutations of the 9 tiles that are far apart in
Hamming distance (their Algorithm 1, ``pretext.hamming_permutations``). Then,
for each minibatch of N images x:

    t_1..t_9 = tiles(x)            a 3×3 grid of tiles, with gaps and jitter
                                   so that edges do not continue across tiles
    p ~ uniform{0..P-1}            which permutation to shuffle with
    s_k = t_{perm_p[k]}            the shuffled puzzle
    h_k = g(f(s_k))                the *same* backbone f on every tile (the
                                   "context-free network": a tile alone cannot
                                   see its neighbours), then a shared layer g
    loss = cross_entropy(W [h_1, …, h_9], p)    which permutation was it?

Tiles are small (8 px on 32-px images); ``tile_resize`` upsamples them before
the backbone so it sees them at about the scale it will see whole images.

Notebook 03 measures it (its own task's accuracy and the probes) with the other
pretext tasks at one budget.

    >>> method = build_method("jigsaw", permutations=100)
    >>> seen = method.pretext_batch(images)    # shuffled tiles, permutation index
    >>> method.solve(images)                   # shuffled / predicted / solved mosaics
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..runtime import eval_mode
from ..views.pretext import (
    assemble_tiles,
    check_tiling,
    classification_outputs,
    grid_tiles,
    hamming_permutations,
    prepare,
    pretext_views,
)
from .base import Method
from .constraints import Rule, Whole


class Jigsaw(Method):
    name = "jigsaw"
    # its card (methods/base.py): what it learns from, and what keeps it from collapsing
    family = "pretext task"
    predicts = "which of P permutations shuffled the 3×3 tiles"
    positives = "none"
    negatives = "none"
    against_collapse = "a classification target made from the input: a constant output scores chance"
    notebook = "03"
    parameter_constraints = {
        "tile_resize": Whole(at_least=8, unit="pixels", or_none="to show the tiles at their own size",
                             hint="8 pixels is the backbone's smallest input"),
        "tile": Rule(lambda tile, tile_resize: tile_resize is not None or tile >= 8,
                     "≥ 8 pixels when tile_resize is None", hint="smaller tiles are too small for the backbone: "
                                                                "set tile_resize=16"),
    }

    def __init__(
        self,
        backbone: str = "small_cnn",
        backbone_options: dict | None = None,
        image_size: int = 32,
        permutations: int = 100,
        grid: int = 3,
        tile: int = 8,
        jitter: bool = True,
        tile_resize: int | None = 16,
        hidden_dim: int = 512,
        views: dict | None = None,
    ):
        super().__init__(backbone, backbone_options, image_size=image_size)
        check_tiling(image_size, grid, tile, "jigsaw")
        self.image_size, self.grid, self.tile, self.jitter, self.tile_resize = image_size, grid, tile, jitter, tile_resize
        self.views = pretext_views(image_size, views)
        self.register_buffer("permutations", hamming_permutations(permutations, grid * grid).clone())
        d = self.backbone.feature_dim
        self.tile_head = nn.Sequential(nn.Linear(d, d // 2), nn.ReLU(inplace=True))  # "fc6", shared by all tiles
        self.head = nn.Sequential(
            nn.Linear(grid * grid * (d // 2), hidden_dim), nn.ReLU(inplace=True), nn.Linear(hidden_dim, permutations)
        )

    def pretext_batch(self, images: torch.Tensor, permutation: torch.Tensor | None = None) -> dict:
        """``tiles`` (N, 9, 3, t, t) in reading order, ``inputs`` the shuffled
        puzzles (same shape), ``targets`` (N,) the permutation index each was
        shuffled with (random unless ``permutation`` is given)."""
        x = prepare(self.inputs_of(images), self.views, self.image_size, "jigsaw")
        tiles = grid_tiles(x, self.grid, self.tile, self.jitter)
        n = tiles.shape[0]
        if permutation is None:
            permutation = torch.randint(0, self.permutations.shape[0], (n,), device=x.device)
        order = self.permutations[permutation]  # (N, 9): which tile goes to each position
        shuffled = tiles[torch.arange(n, device=x.device).unsqueeze(1), order]
        return {"tiles": tiles, "inputs": shuffled, "targets": permutation}

    def logits(self, puzzles: torch.Tensor) -> torch.Tensor:
        n, count = puzzles.shape[:2]
        flat = puzzles.flatten(0, 1)
        if self.tile_resize is not None and self.tile_resize != flat.shape[-1]:
            flat = F.interpolate(flat, size=self.tile_resize, mode="bilinear", align_corners=False)
        h = self.tile_head(self.backbone(flat))  # the same network on every tile
        return self.head(h.view(n, -1))

    def training_step(self, batch) -> dict:
        pretext = self.pretext_batch(self.inputs_of(batch))
        return classification_outputs(self.logits(pretext["inputs"]), pretext["targets"])

    @torch.no_grad()
    def predict(self, puzzles: torch.Tensor) -> torch.Tensor:
        """The predicted permutation index of shuffled puzzles (N, 9, 3, t, t)."""
        with eval_mode(self):
            predicted = self.logits(puzzles).argmax(1)
        return predicted

    def unshuffle(self, puzzles: torch.Tensor, permutation: torch.Tensor) -> torch.Tensor:
        """Put shuffled tiles back in reading order, assuming they were shuffled with ``permutation``."""
        order = self.permutations[permutation]
        inverse = order.argsort(dim=1)  # position of each tile in the puzzle
        return puzzles[torch.arange(puzzles.shape[0], device=puzzles.device).unsqueeze(1), inverse]

    @torch.no_grad()
    def solve(self, images: torch.Tensor) -> dict:
        """Shuffle a few images, let the model solve them; mosaics (N, 3, H', W') to show:
        ``puzzle`` (what it sees), ``solved`` (tiles put back by its prediction),
        ``original`` (the true order), plus ``target`` and ``predicted`` indices."""
        pretext = self.pretext_batch(images)
        predicted = self.predict(pretext["inputs"])
        return {
            "puzzle": assemble_tiles(pretext["inputs"], self.grid),
            "solved": assemble_tiles(self.unshuffle(pretext["inputs"], predicted), self.grid),
            "original": assemble_tiles(pretext["tiles"], self.grid),
            "target": pretext["targets"],
            "predicted": predicted,
        }
