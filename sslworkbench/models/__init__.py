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


def check_settings_dict(setting: str, value) -> None:
    """One clear error unless ``value``, the value of a setting that holds settings
    (``backbone_options``, ``text_options``, ``views``), is a dict or None. The command
    line passes it as JSON; text that is not JSON arrives as a string."""
    if value is not None and not isinstance(value, dict):
        got = f"the text {value!r}" if isinstance(value, str) else f"{type(value).__name__} {value!r}"
        example = f'{setting}={{"scale": [0.4, 1.0]}}' if setting == "views" else f'{setting}={{"width": 128}}'
        raise WorkbenchError(
            f"{setting} must be a dict of settings, e.g. {example} (on the command line a JSON object, "
            f"keys in double quotes: --set '{example}'); got {got}."
        )


def data_options(backbone: str, options: dict | None = None, **from_data) -> dict:
    """``options`` with each setting of ``from_data`` that backbone ``backbone`` is built
    for (its constructor takes it: the ViT's ``image_size``, the audio backbone's
    ``sample_rate``) added; the options given win. Other settings are left out."""
    check_settings_dict("backbone_options", options)
    accepted = inspect.signature(BACKBONES[backbone].__init__).parameters
    return {**{key: value for key, value in from_data.items() if key in accepted}, **(options or {})}


def sized_options(backbone: str, image_size: int, options: dict | None = None) -> dict:
    """:func:`data_options` for the image size (the ViT's position grid); other backbones take any size."""
    return data_options(backbone, options, image_size=image_size)


def rated_options(backbone: str, sample_rate: int, options: dict | None = None) -> dict:
    """:func:`data_options` for the sample rate (the audio backbone's mel filters)."""
    return data_options(backbone, options, sample_rate=sample_rate)


def build_backbone(name: str = "small_cnn", **options) -> nn.Module:
    builder = BACKBONES[name]
    try:
        return builder(**options)
    except TypeError as error:
        raise WorkbenchError(f"Backbone {name!r}: {error}") from None


__all__ = [
    "BACKBONES", "AudioCNN", "ResNet18CIFAR", "SmallCNN", "TokenCNN", "Transformer", "VideoCNN", "ViT", "WordVectors", "build_backbone", "classifier",
    "check_settings_dict", "data_options", "sized_options", "rated_options",
    "projection_head",
]
