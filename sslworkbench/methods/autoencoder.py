"""Autoencoders: learn features by reconstructing the input.

* ``autoencoder`` (Hinton & Salakhutdinov, Science 2006): x̂ = D(f(x)),
  loss = ‖x̂ − x‖². The backbone's pooled features are the code.
* ``denoising_autoencoder`` (Vincent, Larochelle, Bengio & Manzagol, ICML 2008):
  corrupt x into x̃ (Gaussian noise, or "masking noise": a random fraction of
  pixels set to 0), reconstruct the *clean* image: x̂ = D(f(x̃)),
  loss = ‖x̂ − x‖². It cannot just copy; it must know what images look like.
* ``vae`` (Kingma & Welling, ICLR 2014): the code is a distribution,
  μ, log σ² = heads(f(x)), z = μ + σ ⊙ ε with ε ~ N(0, I),
  x̂ = D(z), loss = Σ‖x̂ − x‖² + β KL(N(μ, σ²) ‖ N(0, I))  (``losses.vae_loss``).

Notebook 03 measures all three with the other pretext tasks at one budget. The
defaults were chosen on ``shapes``: masking noise on 25% of the pixels gave a
better linear probe than on 50%, and β = 0.1 a better one than β = 1, whose KL
term left the code little to say about the image (a VAE whose KL term is
down-weighted; Higgins et al.'s β-VAE raises β above 1 instead).

D is a small upsampling decoder (``models.decoders.VectorDecoder``). The
backbone's features are evaluated as usual (for the VAE: the features the
μ and σ heads read).

    >>> method = build_method("denoising_autoencoder", corruption="mask", noise=0.25)
    >>> seen = method.pretext_batch(images)    # corrupted inputs, clean targets
    >>> method.reconstruct(images)             # the reconstructions
    >>> build_method("vae").sample(16)         # new images decoded from z ~ N(0, I)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..losses import gaussian_kl, vae_loss
from ..models.decoders import VectorDecoder
from ..runtime import eval_mode
from ..views.pretext import prepare, pretext_views
from .base import Method
from .constraints import Number, OneOf, Rule, Whole

CORRUPTIONS = ("gaussian", "mask")


class Autoencoder(Method):
    name = "autoencoder"
    # its card (methods/base.py): what it learns from, and what keeps it from collapsing
    family = "reconstruction"
    predicts = "the image itself, through the backbone's pooled features"
    positives = "none"
    negatives = "none"
    against_collapse = "a reconstruction target made from the input: a constant output cannot reproduce it"
    notebook = "03"

    def __init__(
        self,
        backbone: str = "small_cnn",
        backbone_options: dict | None = None,
        image_size: int = 32,
        views: dict | None = None,
    ):
        super().__init__(backbone, backbone_options, image_size=image_size)
        self.image_size = image_size
        self.views = pretext_views(image_size, views)
        self.decoder = VectorDecoder(self.code_dim(), image_size)

    def code_dim(self) -> int:
        return self.backbone.feature_dim

    def corrupt(self, x: torch.Tensor) -> torch.Tensor:
        return x  # a plain autoencoder sees the image itself

    def pretext_batch(self, images: torch.Tensor) -> dict:
        """``inputs`` what the encoder sees, ``targets`` the clean images to reconstruct."""
        x = prepare(self.inputs_of(images), self.views, self.image_size, self.name)
        return {"inputs": self.corrupt(x), "targets": x}

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.decoder(code))

    def training_step(self, batch) -> dict:
        pretext = self.pretext_batch(self.inputs_of(batch))
        code = self.backbone(pretext["inputs"])
        loss = F.mse_loss(self.decode(code).float(), pretext["targets"])
        return {"loss": loss, "reconstruction_mse": loss.detach(), "embeddings": code.detach()}

    @torch.no_grad()
    def reconstruct(self, images: torch.Tensor) -> dict:
        """``inputs`` (corrupted, for the denoising autoencoder) and their ``reconstructions``."""
        with eval_mode(self):
            x = prepare(self.inputs_of(images), None, self.image_size, self.name)
            inputs = self.corrupt(x)
            reconstructions = self.decode(self._code(inputs)).float()
        return {"inputs": inputs, "reconstructions": reconstructions, "original": x}

    def _code(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.backbone(inputs)


class DenoisingAutoencoder(Autoencoder):
    name = "denoising_autoencoder"
    # its card (methods/base.py): what it learns from, and what keeps it from collapsing
    family = "reconstruction"
    predicts = "the clean image, from a corrupted one (noise or masked pixels)"
    positives = "none"
    negatives = "none"
    against_collapse = "a reconstruction target made from the input: a constant output cannot reproduce it"
    notebook = "03"
    parameter_constraints = {
        "corruption": OneOf(CORRUPTIONS),
        "noise": Rule(lambda noise, corruption: 0 < noise < 1 if corruption == "mask" else noise > 0,
                      "in (0, 1) for masking noise (the fraction of pixels zeroed) "
                      "or > 0 for Gaussian noise (its standard deviation)"),
    }

    def __init__(
        self,
        backbone: str = "small_cnn",
        backbone_options: dict | None = None,
        image_size: int = 32,
        corruption: str = "mask",
        noise: float = 0.25,
        views: dict | None = None,
    ):
        super().__init__(backbone, backbone_options, image_size, views)
        self.corruption, self.noise = corruption, noise

    def corrupt(self, x: torch.Tensor) -> torch.Tensor:
        if self.corruption == "gaussian":
            return (x + self.noise * torch.randn_like(x)).clamp(0, 1)
        keep = torch.rand(x.shape[0], 1, *x.shape[2:], device=x.device) >= self.noise  # whole pixels
        return x * keep


class VAE(Autoencoder):
    name = "vae"
    # its card (methods/base.py): what it learns from, and what keeps it from collapsing
    family = "reconstruction"
    predicts = "the image, from a code sampled from N(μ, σ²), with a KL term towards N(0, I)"
    positives = "none"
    negatives = "none"
    against_collapse = "the reconstruction target (β = 0.1 keeps the KL term from emptying the code)"
    notebook = "03"
    parameter_constraints = {
        "latent_dim": Whole(at_least=1),
        "beta": Number(at_least=0),
    }

    def __init__(
        self,
        backbone: str = "small_cnn",
        backbone_options: dict | None = None,
        image_size: int = 32,
        latent_dim: int = 64,
        beta: float = 0.1,
        views: dict | None = None,
    ):
        self.latent_dim = latent_dim
        super().__init__(backbone, backbone_options, image_size, views)
        self.beta = beta
        self.mu = nn.Linear(self.backbone.feature_dim, latent_dim)
        self.logvar = nn.Linear(self.backbone.feature_dim, latent_dim)

    def code_dim(self) -> int:
        return self.latent_dim

    def training_step(self, batch) -> dict:
        pretext = self.pretext_batch(self.inputs_of(batch))
        h = self.backbone(pretext["inputs"])
        mu, logvar = self.mu(h).float(), self.logvar(h).float().clamp(-10, 10)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)  # the reparameterisation trick
        reconstruction = self.decode(z).float()
        loss = vae_loss(reconstruction, pretext["targets"], mu, logvar, self.beta)
        mse = F.mse_loss(reconstruction.detach(), pretext["targets"])
        kl = gaussian_kl(mu, logvar).mean()
        return {"loss": loss, "reconstruction_mse": mse, "kl": kl.detach(), "embeddings": mu.detach()}

    def _code(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.mu(self.backbone(inputs))  # the mean code: a deterministic reconstruction

    @torch.no_grad()
    def sample(self, n: int = 16) -> torch.Tensor:
        """``n`` new images decoded from z ~ N(0, I) (N, 3, H, W)."""
        with eval_mode(self):
            device = self.mu.weight.device
            images = self.decode(torch.randn(n, self.latent_dim, device=device)).float()
        return images
