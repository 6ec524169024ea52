"""Masked autoencoder (MAE) — He, Chen, Xie, Li, Dollár & Girshick, "Masked
Autoencoders Are Scalable Vision Learners", CVPR 2022.

For each minibatch of N images x, cut into P patches:

    x = crop_and_flip(x)                      MAE's only augmentation (crop scale 0.2–1)
    keep = random_masking(N, P, ratio)        per image, a random (1 − ratio)·P patches
                                              stay visible; M = 1 on the hidden ones
    h = encoder([CLS] + visible patches)      the ViT sees only the visible quarter:
                                              no mask tokens, a quarter of the cost
    z = decoder(h, mask tokens at the hidden positions)
                                              a light transformer over all P positions
    x̂ = linear(z)                             every patch's pixels
    loss = masked_patch_mse(x̂, target, M)     hidden patches only; the target is each
                                              patch's pixels, normalised per patch by
                                              default (``normalise_targets``, the
                                              paper's better representation)

The two differences from the context encoder of notebook 03 (2016): the hole
is most of the image in many small random pieces, not one square, so the
model cannot fill it by copying nearby pixels; and the encoder never sees the
hole at all, so what it learns is a representation of the visible content,
while the decoder (thrown away afterwards) does the painting.

Defaults: mask ratio 0.75 (the paper's), decoder width 64, depth 1, 4 heads
(the paper: 512 wide, 8 blocks for ViT-L; its ablation found one block enough
for fine-tuning).

The reference checkpoint ``mae-vit-shapes`` (the default ViT, 100 epochs on
``shapes``) records its probe scores and how it was made
(``sw.reference.info("mae-vit-shapes")``): the weak linear probe of the paper.
Notebook 10 measures the hidden-patch error (predicting each patch's mean scores
47/48 ≈ 0.98), and fine-tunes the checkpoint on 100 labels per class next to
random weights, SimCLR and DINO.

    >>> method = build_method("mae")                      # backbone "vit"
    >>> pictures = method.reconstruct(images, mask_ratio=0.75)
    >>> pictures["masked"], pictures["reconstruction"], pictures["mask"]
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import WorkbenchError
from ..losses import masked_patch_mse
from ..models.transformer import Block, init_weights
from ..models.vit import ViT, patchify, sincos_positions, unpatchify
from ..runtime import eval_mode
from ..views.images import crop_flip_views, views_with
from ..views.pretext import prepare
from .base import Method
from .constraints import MultipleOf, Number, Whole

#: MAE's setting, and the argument of ``random_masking`` and ``reconstruct``
MASK_RATIO = Number(above=0, below=1, what="the share of patches hidden", hint="the paper uses 0.75")


def random_masking(n: int, patches: int, ratio: float, device=None, generator=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Per image, a random set of visible patches: ``keep`` (N, k) their indices,
    ``mask`` (N, P) 1 on the hidden ones. k = round((1 − ratio)·P), at least 1.
    (The paper's trick: sort random noise, keep the first k.)"""
    MASK_RATIO.check("mask_ratio", ratio)
    ratio = float(ratio)
    visible = max(1, round(patches * (1 - ratio)))
    noise = torch.rand(n, patches, device=device, generator=generator)
    keep = noise.argsort(dim=1)[:, :visible]
    mask = torch.ones(n, patches, device=device).scatter_(1, keep, 0.0)
    return keep, mask


def patch_statistics(patches: torch.Tensor, eps: float = 1e-6) -> tuple[torch.Tensor, torch.Tensor]:
    """Each patch's mean and standard deviation over its values, (N, P, 1) each."""
    return patches.mean(dim=-1, keepdim=True), (patches.var(dim=-1, keepdim=True) + eps).sqrt()


def normalised_patches(patches: torch.Tensor) -> torch.Tensor:
    """Each patch's values minus their mean, over their standard deviation (the
    paper's ``norm_pix_loss``): the target is the patch's structure, not its colour."""
    mean, std = patch_statistics(patches)
    return (patches - mean) / std


class Decoder(nn.Module):
    """The encoder's states → every patch's pixels: a linear map to the decoder's
    width, a shared learned mask token at every hidden position, fixed positions,
    ``depth`` transformer blocks, then a linear map to patch_size² × 3 values."""

    def __init__(self, encoder_width: int, grid: int, patch_size: int, width: int = 64, depth: int = 1, heads: int = 4):
        super().__init__()
        self.embed = nn.Linear(encoder_width, width)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, width))
        self.register_buffer("position_embedding", sincos_positions(grid, width), persistent=False)
        self.blocks = nn.ModuleList(Block(width, heads, 2, 0.0) for _ in range(depth))
        self.norm = nn.LayerNorm(width)
        self.to_pixels = nn.Linear(width, patch_size * patch_size * 3)
        self.apply(init_weights)
        nn.init.normal_(self.mask_token, std=0.02)

    def forward(self, states: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        """states (N, 1 + k, encoder width), keep (N, k) → (N, P, patch_size² · 3)."""
        y = self.embed(states)
        n, patches = y.shape[0], self.position_embedding.shape[0]
        index = keep.unsqueeze(-1).expand(-1, -1, y.shape[-1])
        tokens = self.mask_token.to(y.dtype).expand(n, patches, -1).scatter(1, index, y[:, 1:])
        x = torch.cat([y[:, :1], tokens + self.position_embedding.to(y.dtype)], dim=1)
        for block in self.blocks:
            x = block(x)
        return self.to_pixels(self.norm(x)[:, 1:])


class MAE(Method):
    name = "mae"
    # its card (methods/base.py): what it learns from, and what keeps it from collapsing
    family = "reconstruction"
    predicts = "the pixels of the hidden 75% of the patches (normalised per patch), from the visible ones"
    positives = "none"
    negatives = "none"
    against_collapse = "a reconstruction target made from the input: a constant output cannot reproduce it"
    notebook = "10"
    recommended_lr = 1.5e-3  # AdamW; trains smoothly on shapes (the paper: 1.5e-4 per 256 images at batch 4096)
    parameter_constraints = {
        "mask_ratio": MASK_RATIO,
        "decoder_heads": Whole(at_least=1),
        "decoder_width": MultipleOf("decoder_heads", hint="each head reads an equal share of the width"),
    }

    def __init__(
        self,
        backbone: str = "vit",
        backbone_options: dict | None = None,
        image_size: int = 32,
        mask_ratio: float = 0.75,
        decoder_width: int = 64,
        decoder_depth: int = 1,
        decoder_heads: int = 4,
        normalise_targets: bool = True,
        views: dict | None = None,
    ):
        super().__init__(backbone, backbone_options, image_size=image_size)
        if not isinstance(self.backbone, ViT):
            raise WorkbenchError(
                f"MAE hides patches from a vision transformer, which can leave them out; backbone {backbone!r} "
                "cannot. Use backbone='vit' (a CNN sees the whole image: try context_encoder for inpainting with one)."
            )
        self.image_size, self.mask_ratio = image_size, float(mask_ratio)
        self.normalise_targets = bool(normalise_targets)
        self.views = views_with(crop_flip_views(image_size).replace(scale=(0.2, 1.0)), views)  # the paper's crop
        self.decoder = Decoder(
            self.backbone.feature_dim, self.backbone.grid, self.backbone.patch_size, decoder_width, decoder_depth, decoder_heads
        )

    def target_patches(self, images: torch.Tensor) -> torch.Tensor:
        patches = patchify(images, self.backbone.patch_size)
        return normalised_patches(patches) if self.normalise_targets else patches

    def predict(self, images: torch.Tensor, mask_ratio: float, generator=None) -> dict:
        """Mask, encode the visible patches, decode all: ``prediction`` (N, P, D),
        ``mask`` (N, P), ``keep`` (N, k)."""
        keep, mask = random_masking(images.shape[0], self.backbone.num_patches, mask_ratio, images.device, generator)
        tokens = self.backbone.patch_tokens(images)
        visible = tokens.gather(1, keep.unsqueeze(-1).expand(-1, -1, tokens.shape[-1]))
        prediction = self.decoder(self.backbone.encode(visible), keep)
        return {"prediction": prediction, "mask": mask, "keep": keep}

    def training_step(self, batch) -> dict:
        x = prepare(self.inputs_of(batch), self.views, self.image_size, self.name)
        out = self.predict(x, self.mask_ratio)
        target, prediction, mask = self.target_patches(x), out["prediction"].float(), out["mask"]
        loss = masked_patch_mse(prediction, target, mask)
        with torch.no_grad():  # what copying would cost: the error on the patches the encoder saw
            visible_mse = masked_patch_mse(prediction, target, 1 - mask)
        return {"loss": loss, "visible_patch_mse": visible_mse}

    @torch.no_grad()
    def reconstruct(self, images: torch.Tensor, mask_ratio: float | None = None, seed: int = 0) -> dict:
        """Pictures (N, 3, H, W) in [0, 1] for a batch: ``masked`` (hidden patches
        grey), ``prediction`` (the decoder's every patch), ``reconstruction``
        (visible patches as they were, hidden ones predicted), ``mask`` (N, 1, H, W),
        and ``hidden_mse`` / ``visible_mse`` in the target's units.

        With normalised targets the decoder predicts each patch's structure, not
        its colour; the picture then takes each patch's mean and spread from the
        true image (as the paper's figures do), so colours come from the truth and
        shapes from the model."""
        ratio = self.mask_ratio if mask_ratio is None else mask_ratio  # random_masking checks it
        generator = torch.Generator(device=images.device).manual_seed(seed)
        with eval_mode(self):
            x = prepare(self.inputs_of(images), None, self.image_size, self.name)
            out = self.predict(x, ratio, generator)
        p = self.backbone.patch_size
        truth, prediction, mask = patchify(x, p), out["prediction"].float(), out["mask"]
        target = self.target_patches(x)
        errors = {
            "hidden_mse": float(masked_patch_mse(prediction, target, mask)),
            "visible_mse": float(masked_patch_mse(prediction, target, 1 - mask)),
        }
        if self.normalise_targets:
            mean, std = patch_statistics(truth)
            prediction = prediction * std + mean
        prediction = prediction.clamp(0, 1)
        hidden = mask.unsqueeze(-1)
        pixel_mask = unpatchify(hidden.expand_as(truth), p)[:, :1]
        return {
            "masked": unpatchify(truth * (1 - hidden) + 0.5 * hidden, p),
            "prediction": unpatchify(prediction, p),
            "reconstruction": unpatchify(truth * (1 - hidden) + prediction * hidden, p),
            "mask": pixel_mask,
            **errors,
        }
