"""methods/autoencoder.py: the autoencoder, the denoising autoencoder and the VAE."""
import torch
from helpers import tiny_pretext as tiny

DATA_SIZE = 256  # the `data` fixture (conftest.py): shapes' first 256 training images


def test_autoencoders_reconstruct_and_vae_samples(data):
    images = data.images[:4]
    denoising = tiny("denoising_autoencoder", corruption="mask", noise=0.5)
    seen = denoising.pretext_batch(images)
    zeroed = (seen["inputs"] == 0).all(dim=1).float().mean()
    assert 0.35 < zeroed < 0.65 and torch.equal(seen["targets"], images.float() / 255)
    assert torch.equal(tiny("autoencoder").pretext_batch(images)["inputs"], images.float() / 255)
    out = tiny("autoencoder").reconstruct(images)
    assert out["reconstructions"].shape == (4, 3, 32, 32)
    vae = tiny("vae")
    assert vae.sample(3).shape == (3, 3, 32, 32)
    assert "kl" in vae.training_step((images, None))
