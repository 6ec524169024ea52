"""Backbones (the encoders being learned) and heads, by name.

    >>> from sslworkbench.models import build_backbone
    >>> net = build_backbone("small_cnn")
    >>> net.feature_dim          # 256
    >>> net(images).shape        # (N, 256); images float in [0, 1], (N, 3, H, W)

The backbone protocol. Every backbone is an ``nn.Module`` that maps a batch of
inputs to (N, feature_dim) features, and declares

    input_kind     the kind of data it reads ("images", "clips", "audio", "tokens": ``Dataset.kind``)
    feature_dim    the width of its features

That is all the trainer and the evaluation need of it. Each kind adds what it is
built for, a constructor argument of the same name that it keeps (the data checks
it before training or evaluating the backbone: ``Dataset.check_model``):

    images, clips  image_size        the side of the images (frames) it is built and trained for;
                                     None when built without one
                   fixed_image_size  True when it reads no other size (the ViT's position grid)
    audio          sample_rate       the rate of the waveforms its log-mel front end is built for
    tokens         vocab_size        the number of token ids it embeds
                   vocab_id          the fingerprint of the tokenizer whose ids it reads (None: not said)

and language-model backbones (the transformer) also ``hidden_states(tokens)`` and
``token_logits(states)``; the video backbone ``frame_features(clips)``.
``tests/test_models.py`` holds every registered backbone to this protocol.

Settings from the data reach a backbone one way: a method passes them to
``Method.__init__``, which keeps those the backbone's constructor takes
(:func:`data_options`). Adding a backbone: a module with the ``nn.Module``
following the protocol, and one line in ``BACKBONES``.
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
    for (its constructor takes it: ``image_size``, ``sample_rate``, ``vocab_size``, …)
    added; the options given win. Other settings are left out."""
    check_settings_dict("backbone_options", options)
    accepted = inspect.signature(BACKBONES[backbone].__init__).parameters
    return {**{key: value for key, value in from_data.items() if key in accepted}, **(options or {})}


def build_backbone(name: str = "small_cnn", **options) -> nn.Module:
    builder = BACKBONES[name]
    try:
        return builder(**options)
    except TypeError as error:
        raise WorkbenchError(f"Backbone {name!r}: {error}") from None


__all__ = [
    "BACKBONES", "AudioCNN", "ResNet18CIFAR", "SmallCNN", "TokenCNN", "Transformer", "VideoCNN", "ViT", "WordVectors", "build_backbone", "classifier",
    "check_settings_dict", "data_options",
    "projection_head",
]
