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
# the classic pretext tasks (issue #4)
from .rotation import RotationPrediction  # noqa: E402
from .jigsaw import Jigsaw  # noqa: E402
from .relative_patch import RelativePatchLocation  # noqa: E402
from .colorization import Colorization  # noqa: E402
from .context_encoder import ContextEncoder  # noqa: E402
from .autoencoder import VAE, Autoencoder, DenoisingAutoencoder  # noqa: E402
# the joint-embedding methods (issue #5)
from .moco import MoCo  # noqa: E402
from .byol import BYOL  # noqa: E402
from .simsiam import SimSiam  # noqa: E402
from .barlow_twins import BarlowTwins  # noqa: E402
from .vicreg import VICReg  # noqa: E402
from .dino import DINO  # noqa: E402
from .memory_bank import MemoryBank  # noqa: E402
from .supcon import MICLe, SupCon  # noqa: E402

__all__ = ["METHODS", "Method", "build_method", "SimCLR", "Supervised"]
