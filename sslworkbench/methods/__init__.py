"""Methods by name. Each is a ``torch.nn.Module`` with

    .backbone                       the encoder being learned
    .training_step(batch) -> dict   {"loss": tensor, ...metrics}

where ``batch = (images, labels)``: uint8 images (N, 3, H, W) on the training
device. Self-supervised methods ignore the labels; they make their own inputs
and targets from the images.

    >>> from sslworkbench.methods import build_method
    >>> method = build_method("simclr", backbone="small_cnn", temperature=0.2)
"""

from ..registry import Registry

METHODS = Registry("method")

from .base import Method, build_method  # noqa: E402
from .simclr import SimCLR  # noqa: E402
from .supervised import Supervised  # noqa: E402

__all__ = ["METHODS", "Method", "build_method", "SimCLR", "Supervised"]
