"""Context encoder (inpainting) — Pathak, Krähenbühl, Donahue, Darrell & Efros,
"Context Encoders: Feature Learning by Inpainting", CVPR 2016.

For each minibatch of N images x:

    M = mask(x)                    1 on a square region to black out
    x̃ = (1 − M) ⊙ x + M ⊙ fill     the context the model sees
    h = f(x̃)                       the backbone's feature map (the encoder)
    x̂ = D(CFC(h))                  channel-wise fully connected bottleneck,
                                   then an upsampling decoder
    L_rec = masked_mse(x̂, x, M)    squared error over the missing region only
    x̄ = (1 − M) ⊙ x + M ⊙ x̂        the image with the region filled in
    L_adv = −log A(x̄)              the generator fools the discriminator A,
    L_A   = −½[log A(x) + log(1 − A(x̄))]   which learns to tell x̄ from x

    mode "reconstruction":  loss = L_rec            (blurry but faithful)
    mode "adversarial":     loss = L_adv  (+ L_A)   (sharp but free to invent)
    mode "joint":           loss = (1 − λ) L_rec + λ L_adv  (+ L_A), λ = 0.001

Both players learn in the one backward pass the trainer makes: the
discriminator's term sees the fills detached (it cannot change them) and the
generator's term goes through a frozen copy of the discriminator's weights (it
cannot change the judge), so one optimiser updates both.

``fill`` 0.5 is mid-grey, which is zero after the backbone's input
normalisation: the paper's "set to zero". The default mask is a random 12×12
block (the paper's features were better with random blocks than with the
central square, which on ``shapes`` hides most of the object).

Notebook 03 measures it with the other pretext tasks at one budget, and compares
the fills of the three modes.

    >>> method = build_method("context_encoder", mode="joint", mask="center")
    >>> seen = method.pretext_batch(images)    # masked input, mask, target
    >>> method.inpaint(images)                 # the images with the region filled in
"""

from __future__ import annotations

import torch
from torch.func import functional_call

from ..losses import adversarial_discriminator_loss, adversarial_generator_loss, masked_mse
from ..models.decoders import ChannelWiseFC, ConvDecoder, Discriminator, feature_map, feature_map_size
from ..runtime import eval_mode
from ..views.pretext import MASK_REGIONS, block_masks, prepare, pretext_views
from .base import Method
from .constraints import Number, OneOf

MODES = ("reconstruction", "adversarial", "joint")


class ContextEncoder(Method):
    name = "context_encoder"
    # its card (methods/base.py): what it learns from, and what keeps it from collapsing
    family = "reconstruction"
    predicts = "the pixels of a blacked-out square, from the context around it"
    positives = "none"
    negatives = "none"
    against_collapse = "a reconstruction target made from the input: a constant output cannot reproduce it"
    notebook = "03"
    parameter_constraints = {
        "mode": OneOf(MODES),
        "mask": OneOf(MASK_REGIONS),
        "fill": Number(at_least=0, at_most=1, what="a pixel value"),
        "adversarial_weight": Number(above=0, below=1, what="λ", hint="the paper uses 0.001"),
    }

    def __init__(
        self,
        backbone: str = "small_cnn",
        backbone_options: dict | None = None,
        image_size: int = 32,
        mode: str = "reconstruction",
        mask: str = "random",
        mask_size: int = 12,
        fill: float = 0.5,
        adversarial_weight: float = 0.001,
        views: dict | None = None,
    ):
        super().__init__(backbone, backbone_options, image_size=image_size)
        block_masks(1, image_size, mask_size, mask)  # fails clearly if the mask does not fit
        self.image_size, self.mode, self.mask, self.mask_size = image_size, mode, mask, mask_size
        self.fill, self.adversarial_weight = fill, adversarial_weight
        self.views = pretext_views(image_size, views)
        channels, side = feature_map_size(self.backbone, image_size)
        self.bottleneck = ChannelWiseFC(channels, side)
        self.decoder = ConvDecoder(channels, side, image_size, 3)
        self.discriminator = Discriminator(image_size) if mode != "reconstruction" else None

    def pretext_batch(self, images: torch.Tensor) -> dict:
        """``inputs`` the masked images (N, 3, H, W), ``masks`` (N, 1, H, W), ``targets`` the originals."""
        x = prepare(self.inputs_of(images), self.views, self.image_size, "context_encoder")
        masks = block_masks(x.shape[0], self.image_size, self.mask_size, self.mask, device=x.device)
        return {"inputs": x * (1 - masks) + self.fill * masks, "masks": masks, "targets": x}

    def generate(self, masked: torch.Tensor) -> torch.Tensor:
        """The decoder's full image (N, 3, H, W) in [0, 1], from the masked input."""
        return torch.sigmoid(self.decoder(self.bottleneck(feature_map(self.backbone, masked))))

    def training_step(self, batch) -> dict:
        pretext = self.pretext_batch(self.inputs_of(batch))
        x, masks = pretext["targets"], pretext["masks"]
        prediction = self.generate(pretext["inputs"]).float()
        reconstruction = masked_mse(prediction, x, masks)
        out = {"reconstruction_mse": reconstruction.detach()}
        if self.mode == "reconstruction":
            out["loss"] = reconstruction
            return out
        filled = x * (1 - masks) + prediction * masks
        # the discriminator's turn: real images against detached fills
        real_logits = self.discriminator(x)
        fake_logits = self.discriminator(filled.detach())
        discriminator_loss = adversarial_discriminator_loss(real_logits, fake_logits)
        # the generator's turn: through a frozen copy of the discriminator's weights
        frozen = {name: p.detach() for name, p in self.discriminator.named_parameters()}
        generator_adversarial = adversarial_generator_loss(functional_call(self.discriminator, frozen, (filled,)))
        if self.mode == "adversarial":
            generator_loss = generator_adversarial
        else:
            weight = self.adversarial_weight
            generator_loss = (1 - weight) * reconstruction + weight * generator_adversarial
        accuracy = ((real_logits > 0).float().mean() + (fake_logits < 0).float().mean()) / 2
        out.update(
            loss=generator_loss + discriminator_loss,
            generator_adversarial=generator_adversarial.detach(),
            discriminator_loss=discriminator_loss.detach(),
            discriminator_accuracy=accuracy.detach(),
        )
        return out

    @torch.no_grad()
    def inpaint(self, images: torch.Tensor, masks: torch.Tensor | None = None) -> dict:
        """Black out a region of each image and fill it in: ``masked`` (what the
        model sees), ``inpainted`` (the context with the model's fill), ``prediction``
        (the decoder's whole output), ``masks``, ``original``."""
        with eval_mode(self):
            x = prepare(self.inputs_of(images), None, self.image_size, "context_encoder")
            if masks is None:
                masks = block_masks(x.shape[0], self.image_size, self.mask_size, self.mask, device=x.device)
            masked = x * (1 - masks) + self.fill * masks
            prediction = self.generate(masked).float()
        return {
            "masked": masked,
            "inpainted": x * (1 - masks) + prediction * masks,
            "prediction": prediction,
            "masks": masks,
            "original": x,
        }
