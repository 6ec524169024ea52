"""One in-memory format for every modality: a :class:`Dataset` and its kinds.

A dataset is a whole labelled split held in memory — inputs, one integer label
per sample, the class names, a name, and optional per-sample ``extras`` — so
that batching is one indexing operation (much faster on a CPU than a per-item
DataLoader). What differs between modalities is only the shape of the inputs,
and three small things each kind says for itself:

    check(inputs)          what a valid batch of this kind looks like (one clear error otherwise)
    model_inputs(batch)    what a frozen backbone is given at evaluation time (images: float in [0, 1])
    raw_features()         the "raw input" baseline of evaluation (images: the pixels flattened)
    method_settings()      what a method built for this data must know (image size, vocabulary size)

The kinds, each a subclass with its own ``kind`` name that a method's
``input_kind`` must match:

    ImageSet      "images"     uint8 (N, C, H, W)
    SequenceSet   "tokens"     int64 (N, L) token ids + a vocabulary
    AudioSet      "audio"      float (N, T) waveforms or (N, F, T) spectrograms
    ClipSet       "clips"      uint8 (N, T, C, H, W) video clips
    PairedSet     "image_text" uint8 images (N, C, H, W) + int64 captions (N, L)

The trainer, ``embed``, kNN, the linear probe and checkpoints use only what
this base class offers, so they work for any kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar

import torch
import torch.nn.functional as F

from ..errors import WorkbenchError

#: the token that masking methods put in place of hidden tokens, when a vocabulary has it
MASK_TOKEN = "[MASK]"
#: the raw-input baseline of token sequences counts at most this many distinct tokens
RAW_TOKENS = 2048
#: the one class of a set without labels (a flat folder of your files, text without a label column)
UNLABELLED = "(unlabelled)"


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 0..255 → float 0..1; float inputs pass through as float32."""
    if images.dtype == torch.uint8:
        return images.float().div_(255)
    return images.float()


def move(inputs, device):
    """``inputs`` (a tensor, or a tuple of tensors for paired data) on ``device``."""
    if isinstance(inputs, tuple):
        return tuple(part.to(device, non_blocking=True) for part in inputs)
    return inputs.to(device, non_blocking=True)


def check_image_size(name: str, image_size: int, backbone) -> None:
    """One clear error when ``backbone`` was pretrained on another image size than ``image_size``."""
    trained = getattr(backbone, "image_size", None)
    if isinstance(trained, int) and trained != image_size:
        raise WorkbenchError(
            f"This backbone was pretrained on {trained}×{trained} images and {name!r} has "
            f"{image_size}×{image_size} ones: use data.resized({trained}), or pretrain at "
            f"image_size={image_size}."
        )


def check_sample_rate(name: str, sample_rate: int, backbone) -> None:
    """One clear error when ``backbone`` was built for audio at another sample rate than ``sample_rate``."""
    built = getattr(backbone, "sample_rate", None)
    if isinstance(built, int) and built != sample_rate:
        raise WorkbenchError(
            f"This backbone was built for {built:,} Hz audio and {name!r} is sampled at {sample_rate:,} Hz: "
            f"load the data at sample_rate={built}, or build (pretrain) the backbone with sample_rate={sample_rate}."
        )


def check_vocabulary(name: str, vocab_id: str | None, vocab_size: int, model) -> None:
    """One clear error when ``model`` was trained on token ids of another tokenizer (its ``vocab_id``)."""
    theirs = getattr(model, "vocab_id", None)
    if theirs is not None and vocab_id is not None and theirs != vocab_id:
        raise WorkbenchError(
            f"This model was trained on token ids of tokenizer {theirs}, and {name!r} is tokenized with "
            f"{vocab_id} ({vocab_size} tokens): load the data with the tokenizer the model was "
            "trained with (same tokens= and vocab_size=)."
        )


def decode_tokens(tokens: torch.Tensor, tokenizer, vocab: list[str], pad_id: int | None) -> str:
    """The text of one sequence of ids: the tokenizer's decoding, or the vocabulary's tokens
    joined by spaces (padding left out) when there is no tokenizer."""
    if tokenizer is not None:
        return tokenizer.decode(tokens)
    return " ".join(vocab[int(t)] for t in tokens if int(t) != pad_id)


def _fail_shape(what: str, expected: str, inputs) -> None:
    got = tuple(inputs.shape) if isinstance(inputs, torch.Tensor) else type(inputs).__name__
    raise WorkbenchError(f"{what} must be {expected}; got {got}.")


@dataclass
class Dataset(torch.utils.data.Dataset):
    """A labelled split of any modality, held in memory.

    inputs   a tensor with one row per sample (its shape depends on the kind)
    labels   int64 tensor (N,)
    classes  class names, ``classes[label]``
    name     dataset name (e.g. ``"shapes"``), for titles and checkpoints
    extras   per-sample side information, each a tensor of length N (e.g.
             shapes' colour; ``"instance"``: which object a sample shows)
    """

    inputs: torch.Tensor
    labels: torch.Tensor
    classes: list[str]
    name: str = "data"
    extras: dict[str, torch.Tensor] = field(default_factory=dict)

    kind: ClassVar[str] = "tensors"
    raw_name: ClassVar[str] = "raw inputs"  # the raw-input baseline, as evaluation reports it
    #: how the kind's inputs are described in error messages
    expected: ClassVar[str] = "a tensor with one row per sample"

    def __post_init__(self):
        self.check(self.inputs, what=f"{self.name} inputs")
        count = self.inputs.shape[0]
        if self.labels.shape != (count,):
            raise WorkbenchError(f"{self.name}: {count} samples but labels of shape {tuple(self.labels.shape)}.")
        self.labels = self.labels.long()
        for key, value in self.extras.items():
            if len(value) != count:
                raise WorkbenchError(f"{self.name}: extras[{key!r}] has {len(value)} rows for {count} samples.")

    # -- what each kind says for itself --------------------------------------

    @classmethod
    def check(cls, inputs, what: str = "inputs") -> None:
        """Raise a clear WorkbenchError unless ``inputs`` is a valid batch of this kind."""
        if not isinstance(inputs, torch.Tensor) or inputs.dim() < 1:
            _fail_shape(what, cls.expected, inputs)

    @staticmethod
    def model_inputs(inputs):
        """What a frozen backbone is given for these inputs at evaluation time:
        uint8 pixels (images, clips) as float in [0, 1], anything else as it is."""
        return to_float(inputs) if inputs.dtype == torch.uint8 else inputs

    def raw_features(self) -> torch.Tensor:
        """The inputs themselves as (N, D) float features: the "raw input" baseline
        (for images, the pixels in [0, 1])."""
        return self.model_inputs(self.inputs).float().flatten(1)

    def method_settings(self) -> dict:
        """Settings a method built for this data needs (none for plain tensors)."""
        return {}

    def check_model(self, backbone) -> None:
        """Refuse a backbone that cannot read these inputs (text: another tokenizer's ids)."""

    # -- shared by every kind -------------------------------------------------

    def __len__(self) -> int:
        return self.labels.shape[0]

    def __getitem__(self, index):
        return self.take(index), self.labels[index]

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def labelled(self) -> bool:
        """False for a set without labels (its one class is ``UNLABELLED``): it pretrains, and
        kNN and the linear probe refuse it. Read from ``classes``, so every copy keeps it."""
        return self.classes != [UNLABELLED]

    def take(self, index):
        """The inputs of the samples ``index`` (a tensor of row numbers)."""
        return self.inputs[index]

    def select(self, index) -> Dataset:
        """The samples ``index``, as a dataset of the same kind."""
        index = torch.as_tensor(index)
        return replace(
            self,
            **self.input_fields(index),
            labels=self.labels[index],
            classes=list(self.classes),
            extras={key: value[index] for key, value in self.extras.items()},
        )

    def input_fields(self, index) -> dict:
        """The fields that hold inputs, for the samples ``index`` (a PairedSet has two)."""
        return {"inputs": self.inputs[index]}

    def subset(self, n: int, seed: int = 0) -> Dataset:
        """A seeded random subset of ``n`` samples (all of them if n ≥ len)."""
        if n >= len(self):
            return self
        generator = torch.Generator().manual_seed(seed)
        index = torch.randperm(len(self), generator=generator)[:n].sort().values
        return self.select(index)

    def __repr__(self) -> str:
        shape = "×".join(str(s) for s in self.inputs.shape[1:])
        return f"{type(self).__name__}({self.name!r}: {len(self)} samples of {shape}, {self.num_classes} classes)"


@dataclass(repr=False)
class ImageSet(Dataset):
    """A labelled image split held in memory.

    images   (``inputs``) uint8 tensor (N, 3, H, W), values 0..255
    labels   int64 tensor (N,)
    classes  class names, ``classes[label]``
    name     dataset name (e.g. ``"shapes"``), for titles and checkpoints
    extras   per-image side information (e.g. shapes' colour and rotation), each
             a tensor of length N; handy for showing what a model ignores
    """

    kind: ClassVar[str] = "images"
    raw_name: ClassVar[str] = "raw pixels"
    expected: ClassVar[str] = "a tensor of images of shape (N, 3, H, W)"

    @classmethod
    def check(cls, inputs, what: str = "images") -> None:
        check_images(inputs, what)

    def method_settings(self) -> dict:
        return {"image_size": self.image_size}

    def check_model(self, backbone) -> None:
        """Refuse a backbone pretrained at another image size (``backbone.image_size``,
        set when a method is built): its features would not mean what they meant."""
        check_image_size(self.name, self.image_size, backbone)

    @property
    def images(self) -> torch.Tensor:
        return self.inputs

    @property
    def image_size(self) -> int:
        return self.inputs.shape[-1]

    def resized(self, size: int) -> ImageSet:
        return ImageSet(resize_uint8(self.images, size), self.labels, list(self.classes), self.name, dict(self.extras))

    def float_images(self) -> torch.Tensor:
        """Images as float32 in [0, 1]."""
        return to_float(self.images)

    def __repr__(self) -> str:
        return (
            f"ImageSet({self.name!r}: {len(self)} images of 3×{self.image_size}×{self.image_size}, "
            f"{self.num_classes} classes)"
        )


def resize_uint8(images: torch.Tensor, size: int, chunk: int = 4096) -> torch.Tensor:
    """Bilinear, antialiased resize of a uint8 (N, 3, H, W) tensor, in chunks."""
    out = []
    for start in range(0, images.shape[0], chunk):
        part = images[start : start + chunk].float()
        # antialiasing only matters when shrinking (when enlarging it would only cost time)
        shrink = size < images.shape[-1]
        part = F.interpolate(part, size=(size, size), mode="bilinear", antialias=shrink, align_corners=False)
        out.append(part.round_().clamp_(0, 255).to(torch.uint8))
    return torch.cat(out) if out else images.new_zeros((0, 3, size, size))


def check_images(images, what: str = "images") -> None:
    """Images must be a (N, 3, H, W) tensor; say clearly what is wrong otherwise."""
    if not isinstance(images, torch.Tensor):
        raise WorkbenchError(f"{what} must be a torch tensor of shape (N, 3, H, W), got {type(images).__name__}.")
    if images.dim() != 4 or images.shape[1] != 3:
        hint = ""
        if images.dim() == 3:
            hint = " (a single image? add a batch dimension with images[None])"
        elif images.dim() == 4 and images.shape[-1] == 3:
            hint = " (channels last? use images.permute(0, 3, 1, 2))"
        elif images.dim() == 4 and images.shape[1] == 1:
            hint = " (grayscale? repeat to 3 channels with images.repeat(1, 3, 1, 1))"
        elif images.dim() == 2 and not images.is_floating_point():
            hint = " (token ids? this is a method or function for images)"
        raise WorkbenchError(
            f"{what} must have shape (N, 3, H, W); got {tuple(images.shape)}{hint}."
        )


@dataclass(repr=False)
class SequenceSet(Dataset):
    """Token sequences: int64 (N, L) ids into ``vocab`` (``vocab[id]`` is the token's text).

    ``pad_id``: the id that fills sequences shorter than L (None: no padding).
    ``tokenizer``: the :class:`~sslworkbench.data.tokenizer.Tokenizer` that made the ids,
    when text was tokenized (its ``fingerprint`` is stored with models trained on it).
    ``segments``: 2 when every row is a pair ``[CLS] A [SEP] B [SEP]`` (BERT's input format)."""

    vocab: list[str] = field(default_factory=list)
    pad_id: int | None = None
    tokenizer: object = None
    segments: int = 1

    kind: ClassVar[str] = "tokens"
    raw_name: ClassVar[str] = "bag of tokens"
    expected: ClassVar[str] = "an int64 tensor of token ids of shape (N, L)"

    def __post_init__(self):
        super().__post_init__()
        if not self.vocab:
            raise WorkbenchError(f"{self.name}: a SequenceSet needs its vocabulary (vocab=[...]).")
        if self.inputs.numel() and (int(self.inputs.min()) < 0 or int(self.inputs.max()) >= len(self.vocab)):
            raise WorkbenchError(f"{self.name}: token ids must lie in 0..{len(self.vocab) - 1} (the vocabulary).")

    @classmethod
    def check(cls, inputs, what: str = "tokens") -> None:
        if not isinstance(inputs, torch.Tensor) or inputs.dim() != 2 or inputs.dtype != torch.long:
            hint = " (a single sequence? add a batch dimension with tokens[None])" if (
                isinstance(inputs, torch.Tensor) and inputs.dim() == 1) else ""
            _fail_shape(what, cls.expected + hint, inputs)

    def raw_features(self) -> torch.Tensor:
        """Bag of tokens: how often each of the first ``RAW_TOKENS`` vocabulary
        entries occurs in each sequence (the workbench's tokenizers number
        frequent tokens first; a bag over 8,000 tokens of 28,000 verses would
        take 0.9 GB)."""
        columns = min(len(self.vocab), RAW_TOKENS)
        counts = torch.zeros(len(self), columns + 1)  # the last column collects every later id, then is dropped
        counts.scatter_add_(1, self.inputs.clamp(max=columns), torch.ones_like(self.inputs, dtype=torch.float))
        counts = counts[:, :columns]
        if self.pad_id is not None and self.pad_id < columns:
            counts[:, self.pad_id] = 0
        return counts

    @property
    def vocab_id(self) -> str | None:
        """The tokenizer's fingerprint (None for vocabularies made without one)."""
        return getattr(self.tokenizer, "fingerprint", None)

    def method_settings(self) -> dict:
        settings = {"vocab_size": len(self.vocab), "sequence_length": self.inputs.shape[1]}
        if MASK_TOKEN in self.vocab:
            settings["mask_id"] = self.vocab.index(MASK_TOKEN)
        if self.pad_id is not None:
            settings["pad_id"] = self.pad_id
        if self.vocab_id is not None:
            settings["vocab_id"] = self.vocab_id
        settings["token_counts"] = torch.bincount(self.inputs.flatten(), minlength=len(self.vocab)).tolist()
        return settings

    def check_model(self, backbone) -> None:
        """Refuse a backbone trained on another vocabulary (its ``vocab_id`` differs)."""
        check_vocabulary(self.name, self.vocab_id, len(self.vocab), backbone)

    def decode(self, tokens: torch.Tensor) -> str:
        """The text of one sequence of ids (padding left out)."""
        return decode_tokens(tokens, self.tokenizer, self.vocab, self.pad_id)


@dataclass(repr=False)
class AudioSet(Dataset):
    """Sound: float waveforms (N, T) at ``sample_rate`` Hz, or spectrograms (N, F, T)."""

    sample_rate: int = 16_000

    raw_name: ClassVar[str] = "log-mel statistics"

    kind: ClassVar[str] = "audio"
    expected: ClassVar[str] = "a float tensor of waveforms (N, T) or spectrograms (N, F, T)"

    @classmethod
    def check(cls, inputs, what: str = "audio") -> None:
        if not isinstance(inputs, torch.Tensor) or inputs.dim() not in (2, 3) or not inputs.is_floating_point():
            _fail_shape(what, cls.expected, inputs)

    def raw_features(self) -> torch.Tensor:
        """The raw-input baseline of sound: each mel band's mean and standard deviation
        over time of the log-mel spectrogram (80 numbers per clip, a "bag of frames").
        The waveform itself is no baseline at all: a linear probe on its samples is at
        chance, since the same sound shifted by a millisecond has other samples.
        Spectrograms (N, F, T) given as inputs: the same statistics over their T."""
        from .log_mel import log_mel_spectrogram  # audio imports nothing of data: no cycle, imported when used

        rows = []
        for start in range(0, self.inputs.shape[0], 512):
            batch = self.inputs[start : start + 512].float()
            spectrogram = batch if batch.dim() == 3 else log_mel_spectrogram(batch, self.sample_rate)
            std, mean = torch.std_mean(spectrogram, dim=-1)
            rows.append(torch.cat([mean, std], dim=1))
        return torch.cat(rows)

    def method_settings(self) -> dict:
        return {"sample_rate": self.sample_rate}

    def check_model(self, backbone) -> None:
        """Refuse a backbone built for another sample rate (``backbone.sample_rate``: its
        mel filters would lie on other frequencies, so its features would mean something else)."""
        check_sample_rate(self.name, self.sample_rate, backbone)


@dataclass(repr=False)
class ClipSet(Dataset):
    """Video clips: uint8 (N, T, C, H, W), T frames each."""

    kind: ClassVar[str] = "clips"
    raw_name: ClassVar[str] = "raw pixels"
    expected: ClassVar[str] = "a uint8 tensor of clips of shape (N, T, C, H, W)"

    @classmethod
    def check(cls, inputs, what: str = "clips") -> None:
        if not isinstance(inputs, torch.Tensor) or inputs.dim() != 5 or inputs.dtype != torch.uint8:
            _fail_shape(what, cls.expected, inputs)

    def raw_features(self) -> torch.Tensor:
        """The raw-pixel baseline of clips: every frame averaged down to 8×8 (a
        clip of 16 frames of 32×32 would be 49,152 numbers; 3,072 keep where
        things are in every frame), flattened."""
        frames = self.inputs.flatten(0, 1)
        side = min(8, frames.shape[-1])
        small = torch.cat([
            torch.nn.functional.adaptive_avg_pool2d(to_float(frames[start : start + 4096]), side)
            for start in range(0, frames.shape[0], 4096)
        ])
        return small.view(self.inputs.shape[0], -1)

    def method_settings(self) -> dict:
        return {"frames": self.inputs.shape[1], "image_size": self.inputs.shape[-1]}

    def check_model(self, backbone) -> None:
        """Refuse a backbone pretrained on frames of another size."""
        check_image_size(self.name, self.inputs.shape[-1], backbone)


@dataclass(repr=False)
class PairedSet(Dataset):
    """Two inputs per sample: images (N, C, H, W) uint8 in ``inputs`` and token
    captions (N, L) int64 in ``texts``, with the captions' vocabulary.

    A batch's inputs are the pair ``(images, texts)``. ``tokenizer``: the
    :class:`~sslworkbench.data.tokenizer.Tokenizer` that wrote the captions, when known
    (zero-shot prompts must be tokenized the same way)."""

    texts: torch.Tensor = None
    vocab: list[str] = field(default_factory=list)
    tokenizer: object = None

    kind: ClassVar[str] = "image_text"
    raw_name: ClassVar[str] = "raw pixels"
    expected: ClassVar[str] = "a pair (images (N, C, H, W) uint8, captions (N, L) int64)"

    def __post_init__(self):
        super().__post_init__()
        SequenceSet.check(self.texts, what=f"{self.name} captions")
        if self.texts.shape[0] != len(self):
            raise WorkbenchError(f"{self.name}: {len(self)} images but {self.texts.shape[0]} captions.")
        if not self.vocab:
            raise WorkbenchError(f"{self.name}: a PairedSet needs the captions' vocabulary (vocab=[...]).")

    @classmethod
    def check(cls, inputs, what: str = "paired inputs") -> None:
        images = inputs[0] if isinstance(inputs, tuple) else inputs
        if not isinstance(images, torch.Tensor) or images.dim() != 4 or images.dtype != torch.uint8:
            _fail_shape(what, cls.expected, images)
        if isinstance(inputs, tuple):
            SequenceSet.check(inputs[1], what=f"{what}: captions")
            if inputs[1].shape[0] != images.shape[0]:
                raise WorkbenchError(
                    f"{what}: {images.shape[0]} images but {inputs[1].shape[0]} captions; every image needs its caption."
                )

    @property
    def images(self) -> torch.Tensor:
        return self.inputs

    @property
    def vocab_id(self) -> str | None:
        """The tokenizer's fingerprint (None for vocabularies made without one)."""
        return getattr(self.tokenizer, "fingerprint", None)

    def image_set(self):
        """The images alone, as an :class:`ImageSet` with the same labels
        (for methods and baselines that read images only: a supervised classifier, a probe)."""
        return ImageSet(self.inputs, self.labels, list(self.classes), self.name, dict(self.extras))

    def caption(self, index: int) -> str:
        """The text of caption ``index``."""
        return decode_tokens(self.texts[index], self.tokenizer, self.vocab, 0)  # 0: [PAD], as the workbench's tokenizers number it

    def check_model(self, backbone) -> None:
        """Refuse an image backbone pretrained at another image size."""
        check_image_size(self.name, self.inputs.shape[-1], backbone)

    def check_text_model(self, text_encoder) -> None:
        """Refuse a text encoder trained on another tokenizer's ids."""
        check_vocabulary(self.name, self.vocab_id, len(self.vocab), text_encoder)

    def take(self, index):
        return self.inputs[index], self.texts[index]

    def input_fields(self, index) -> dict:
        return {"inputs": self.inputs[index], "texts": self.texts[index]}

    @staticmethod
    def model_inputs(inputs):
        """An image backbone sees the images of a pair."""
        return Dataset.model_inputs(inputs[0] if isinstance(inputs, tuple) else inputs)

    def method_settings(self) -> dict:
        settings = {"image_size": self.inputs.shape[-1], "vocab_size": len(self.vocab), "context": self.texts.shape[1]}
        if self.vocab_id is not None:
            settings["vocab_id"] = self.vocab_id
        return settings


#: the kinds of data by name, as methods declare them in ``input_kind``
KINDS = {cls.kind: cls for cls in (Dataset, ImageSet, SequenceSet, AudioSet, ClipSet, PairedSet)}
