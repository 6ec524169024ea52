"""Colorization — Zhang, Isola & Efros, "Colorful Image Colorization", ECCV 2016.

For each minibatch of N colour images x:

    L, ab = Lab(x)                 lightness, and the colour to predict
    h = f(gray(L))                 the backbone sees only the lightness
    classification (the paper):
        q = soft_encode(ab)        each pixel's colour spread over its 5 nearest
                                   of Q quantised ab bins (grid 10; the
                                   paper counts Q = 313, our sRGB sampling 261)
        loss = cross_entropy(D(h), q)   per pixel, at 1/4 resolution
    regression (the baseline the paper argues against):
        loss = ‖D(h) − ab/100‖²   which averages plausible colours into grey-brown

D is a small upsampling decoder on the backbone's last feature map. Colour
comes back with Zhang et al.'s annealed mean (T = 0.38) of the predicted
distribution, at 1/4 resolution, upsampled and put together with the
full-resolution L. (The paper's class rebalancing, which boosts rare saturated
colours, is not done here.)

The pretext accuracy is the fraction of pixels whose most likely bin is the
bin nearest to their true colour.

Notebook 03 measures it with the other pretext tasks at one budget. Object and
background colours in ``shapes`` are drawn at random, independently of
lightness, so the colour is mostly unpredictable there; the probe is also read
on colour images although the backbone trained on gray ones.

    >>> method = build_method("colorization", mode="classification")
    >>> seen = method.pretext_batch(images)    # gray input, true ab
    >>> method.colorize(images)                # RGB images coloured by the model
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..errors import WorkbenchError
from ..models.decoders import ConvDecoder, feature_map, feature_map_size
from ..runtime import eval_mode
from ..views.images import to_float
from ..views.pretext import (
    ab_bins,
    annealed_mean,
    is_grayscale,
    lab_to_rgb,
    prepare,
    pretext_views,
    rgb_to_lab,
    soft_encode,
)
from .base import Method
from .constraints import Number, OneOf, Rule

MODES = ("classification", "regression")


class Colorization(Method):
    name = "colorization"
    # its card (methods/base.py): what it learns from, and what keeps it from collapsing
    family = "reconstruction"
    predicts = "the colour (a bin of the ab plane) of every pixel, from its lightness"
    positives = "none"
    negatives = "none"
    against_collapse = "a target from the input: the colours the network is not shown"
    notebook = "03"
    parameter_constraints = {
        "mode": OneOf(MODES),
        "output_stride": Rule(lambda stride, image_size: stride in (1, 2, 4, 8) and image_size % stride == 0,
                              "1, 2, 4 or 8 and divide image_size {image_size}"),
        "temperature": Number(above=0, hint="the paper uses 0.38"),
    }

    def __init__(
        self,
        backbone: str = "small_cnn",
        backbone_options: dict | None = None,
        image_size: int = 32,
        mode: str = "classification",
        output_stride: int = 4,
        temperature: float = 0.38,
        views: dict | None = None,
    ):
        super().__init__(backbone, backbone_options, image_size=image_size)
        self.image_size, self.mode, self.output_stride, self.temperature = image_size, mode, output_stride, temperature
        self.views = pretext_views(image_size, views)
        self.register_buffer("bins", ab_bins().clone())
        channels, side = feature_map_size(self.backbone, image_size)
        out_channels = self.bins.shape[0] if mode == "classification" else 2
        self.decoder = ConvDecoder(channels, side, image_size // output_stride, out_channels)

    def pretext_batch(self, images: torch.Tensor) -> dict:
        """``inputs``: the gray (lightness-only) images the backbone sees (N, 3, H, W);
        ``lightness`` L (N, 1, H, W) in [0, 100]; ``targets``: the true ab (N, 2, H, W)."""
        images = self.inputs_of(images)
        if is_grayscale(images):
            raise WorkbenchError(
                "colorization needs colour images, but these are grayscale (R = G = B in every pixel): "
                "there is no colour to predict. Use a colour dataset such as shapes or cifar10."
            )
        x = prepare(images, self.views, self.image_size, "colorization")
        lab = rgb_to_lab(x)
        lightness = lab[:, :1]
        return {"inputs": (lightness / 100).expand(-1, 3, -1, -1), "lightness": lightness, "targets": lab[:, 1:]}

    def decode(self, gray: torch.Tensor) -> torch.Tensor:
        """The decoder's output at 1/output_stride resolution: bin logits or ab/100."""
        return self.decoder(feature_map(self.backbone, gray))

    def _nearest_bin(self, ab: torch.Tensor) -> torch.Tensor:
        points = ab.permute(0, 2, 3, 1).reshape(-1, 2)
        return torch.cdist(points, self.bins).argmin(1).view(ab.shape[0], ab.shape[2], ab.shape[3])

    def training_step(self, batch) -> dict:
        pretext = self.pretext_batch(self.inputs_of(batch))
        output = self.decode(pretext["inputs"])
        target_ab = F.avg_pool2d(pretext["targets"], self.output_stride) if self.output_stride > 1 else pretext["targets"]
        truth = self._nearest_bin(target_ab)
        if self.mode == "classification":
            loss = F.cross_entropy(output.float(), soft_encode(target_ab, self.bins))
            guess = output.argmax(1)
        else:
            loss = F.mse_loss(output.float(), target_ab / 100)
            guess = self._nearest_bin(output.detach().float() * 100)
        accuracy = (guess == truth).float().mean()
        return {"loss": loss, "pretext_accuracy": accuracy.detach()}

    @torch.no_grad()
    def predict_ab(self, images: torch.Tensor) -> torch.Tensor:
        """The predicted ab colour of every pixel (N, 2, H, W), from the lightness alone."""
        with eval_mode(self):
            x = prepare(self.inputs_of(images), None, self.image_size, "colorization")
            lab = rgb_to_lab(x)
            output = self.decode((lab[:, :1] / 100).expand(-1, 3, -1, -1)).float()
            ab = annealed_mean(output, self.bins, self.temperature) if self.mode == "classification" else output * 100
        return F.interpolate(ab, size=x.shape[-2:], mode="bilinear", align_corners=False)

    @torch.no_grad()
    def colorize(self, images: torch.Tensor) -> torch.Tensor:
        """The images re-coloured by the model: their own lightness, predicted ab → RGB in [0, 1]."""
        lightness = rgb_to_lab(to_float(self.inputs_of(images)))[:, :1]
        return lab_to_rgb(torch.cat([lightness, self.predict_ab(images)], dim=1))
