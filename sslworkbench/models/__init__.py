"""Backbones (the encoders being learned) and heads, by name.

    >>> from sslworkbench.models import build_backbone
    >>> net = build_backbone("small_cnn")
    >>> net.feature_dim          # 256
    >>> net(images).shape        # (N, 256); images float in [0, 1], (N, 3, H, W)

A backbone maps a batch of inputs to (N, feature_dim) features and exposes
``.feature_dim``; that is all the trainer and the evaluation need of it.
Adding one: a module with the ``nn.Module``, and one line in ``BACKBONES``.
"""

import inspect

from torch import nn

from ..errors import WorkbenchError
from ..registry import Registry
from .audio import AudioCNN
from .backbones import ResNet18CIFAR, SmallCNN
from .heads import classifier, projection_head
from .token_cnn import TokenCNN
from .transformer import Transformer
from .video import VideoCNN
from .vit import ViT
from .word_vectors import WordVectors

BACKBONES = Registry("backbone", {
    "small_cnn": SmallCNN,        # 4 conv blocks, width 32: the CPU default for 32×32 images
    "resnet18": ResNet18CIFAR,    # ResNet-18 with the CIFAR stem: the papers' backbone
    "vit": ViT,                   # a tiny vision transformer: 4×4 patches, the text model's blocks
    "token_cnn": TokenCNN,        # embeddings + 1-D convolutions, for token sequences
    "transformer": Transformer,   # a small pre-norm transformer, bidirectional or causal (text)
    "word_vectors": WordVectors,  # one vector per word, averaged over a sequence (word2vec)
    "video_cnn": VideoCNN,        # a small CNN on every frame, then 1-D convolutions over time (clips)
    "audio_cnn": AudioCNN,        # log-mel spectrogram, then 1-D convolutions over time (sound)
})


def sized_options(backbone: str, image_size: int, options: dict | None = None) -> dict:
    """``options`` with ``image_size`` added for a backbone built for one image size
    (the ViT's position embedding); the options given win. Other backbones take any size."""
    options = dict(options or {})
    if "image_size" in inspect.signature(BACKBONES[backbone].__init__).parameters:
        options = {"image_size": image_size, **options}
    return options


def rated_options(backbone: str, sample_rate: int, options: dict | None = None) -> dict:
    """``options`` with ``sample_rate`` added for a backbone built for one sample rate
    (the audio backbone's mel filters); the options given win."""
    options = dict(options or {})
    if "sample_rate" in inspect.signature(BACKBONES[backbone].__init__).parameters:
        options = {"sample_rate": sample_rate, **options}
    return options


def build_backbone(name: str = "small_cnn", **options) -> nn.Module:
    builder = BACKBONES[name]
    try:
        return builder(**options)
    except TypeError as error:
        raise WorkbenchError(f"Backbone {name!r}: {error}") from None


__all__ = [
    "BACKBONES", "AudioCNN", "ResNet18CIFAR", "SmallCNN", "TokenCNN", "Transformer", "VideoCNN", "ViT", "WordVectors", "build_backbone", "classifier",
    "sized_options", "rated_options",
    "projection_head",
]
