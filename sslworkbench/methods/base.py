"""The method contract: what a method is, and everything the trainer may read.

A method is a ``torch.nn.Module`` with

    name                     its registry name (``METHODS[name]`` builds it)
    backbone                 the encoder being learned: a batch of inputs → (N, D) features
    training_step(batch)     → {"loss": scalar tensor, ...}; the batch is
                             ``(inputs, labels)``, plus ``instance_ids`` when ``instances``
                             asks for them. Self-supervised methods ignore the labels.
    on_step_end(step, total) optional: called after every optimiser step (EMA updates)

What ``training_step`` returns:

    "loss"         required: the scalar the trainer minimises
    "embeddings"   optional (N, D) tensor, detached: turns on the collapse
                   diagnostics ``embedding_std`` and ``effective_rank`` in the history
    anything else  a number or a one-element tensor: logged in the history as is

And these class attributes — the only things the trainer and the experiment
recipe read about a method (the defaults suit most methods):

    input_kind          the kind of dataset it trains on (``Dataset.kind``: "images",
                        "tokens", …); any other kind is refused before training
    min_batch_size      the smallest batch it can learn from, and ``min_batch_reason`` why
    recommended_lr      the peak learning rate when none is given (None: the trainer's default)
    instances           None; "ids": each sample's instance id is added to the batch (its
                        index, or its object's id in data with several samples per object,
                        whose samples then share batches); "groups": the same, and the
                        data must have several samples per object (``extras["instance"]``)
    uses_dataset_views  True: the recipe applies the dataset's view defaults
                        (``data.VIEW_DEFAULTS``) to the method's ``views`` setting
    text_encoder        "image_text" methods (CLIP): the module that reads the captions; the
                        trainer checks that it was built for the data's tokenizer
    input_segments      token methods: 2 when every row must be a pair of segments,
                        ``[CLS] A [SEP] B [SEP]`` (BERT's next sentence, XLM's
                        translation pairs); data holding single sequences is refused

``hparams``: the settings the method was built with (the arguments of its
``__init__``, defaults included), recorded however it was built, so that a
checkpoint can rebuild it with ``build_method(name, **hparams)``.
"""

from __future__ import annotations

import functools
import inspect

import torch
from torch import nn

from ..data import KINDS
from ..errors import WorkbenchError
from ..models import build_backbone, check_settings_dict
from ..registry import Registry

#: every method by name; filled in ``methods/__init__.py``, one line per method
METHODS = Registry("method")

INSTANCE_NEEDS = (None, "ids", "groups")


class Method(nn.Module):
    """Base class. Subclasses set ``name`` and implement ``training_step``."""

    name = "method"
    input_kind = "images"
    min_batch_size = 1
    min_batch_reason = ""
    recommended_lr: float | None = None
    instances: str | None = None
    uses_dataset_views = False
    input_segments = 1

    def __init__(self, backbone: str = "small_cnn", backbone_options: dict | None = None):
        super().__init__()
        self.backbone_name = backbone
        self.backbone_options = dict(backbone_options or {})  # as built: the baselines build the same
        self.backbone = build_backbone(backbone, **self.backbone_options)
        self.hparams: dict = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.instances not in INSTANCE_NEEDS:
            raise TypeError(f"{cls.__name__}.instances must be one of {INSTANCE_NEEDS}.")
        if cls.input_kind not in KINDS:
            raise TypeError(f"{cls.__name__}.input_kind must be one of {sorted(KINDS)}.")
        if "__init__" in cls.__dict__:
            cls.__init__ = _records_hparams(cls.__init__)

    def training_step(self, batch) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def inputs_of(self, batch) -> torch.Tensor:
        """The inputs of a batch (or the inputs themselves), checked against
        ``input_kind`` and ``min_batch_size``: the one guard every method shares."""
        inputs = batch[0] if isinstance(batch, list) or (isinstance(batch, tuple) and not _is_pair(batch)) else batch
        KINDS[self.input_kind].check(inputs, f"{self.name}'s inputs")
        self.check_batch_size((inputs[0] if isinstance(inputs, tuple) else inputs).shape[0])
        return inputs

    def check_batch_size(self, count: int) -> None:
        """The one guard on batch size: at least ``min_batch_size`` samples, and why."""
        if count < self.min_batch_size:
            why = f" ({self.min_batch_reason})" if self.min_batch_reason else ""
            raise WorkbenchError(
                f"{self.name} needs at least {self.min_batch_size} samples per batch{why}; got {count}: "
                f"use batch_size ≥ {self.min_batch_size} (and at least that many samples)."
            )

    def instance_ids_of(self, batch) -> torch.Tensor:
        """The instance ids the trainer adds to the batch (methods with ``instances`` set)."""
        if not isinstance(batch, (tuple, list)) or len(batch) < 3:
            raise WorkbenchError(
                f"{self.name} needs each sample's instance id: train it with sslworkbench.train "
                "(which adds them), or pass batches of (inputs, labels, instance_ids)."
            )
        return batch[2].long()

    def on_step_end(self, step: int, total_steps: int) -> None:
        """Hook called by the trainer after each optimiser step (EMA updates etc.)."""


def _is_pair(batch: tuple) -> bool:
    """A tuple of inputs (images, captions) rather than a batch (inputs, labels, ...)."""
    return len(batch) == 2 and all(isinstance(part, torch.Tensor) and part.dim() >= 2 for part in batch)


def _records_hparams(init):
    """Wrap a method's ``__init__`` so that the object remembers its settings.

    Only the class being built records (not the parents its ``__init__`` calls
    through ``super().__init__``), after its ``__init__`` has run."""
    signature = inspect.signature(init)

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        init(self, *args, **kwargs)
        if type(self).__init__ is __init__:
            bound = signature.bind(self, *args, **kwargs)
            bound.apply_defaults()
            settings = {}
            for name, value in list(bound.arguments.items())[1:]:
                if signature.parameters[name].kind is inspect.Parameter.VAR_KEYWORD:
                    settings.update(value)
                else:
                    settings[name] = value
            self.hparams = settings
            if isinstance(settings.get("image_size"), int) and isinstance(getattr(self, "backbone", None), nn.Module):
                self.backbone.image_size = settings["image_size"]  # what ImageSet.check_model compares

    return __init__


def settings_of(name: str) -> list[str]:
    """The names of the settings method ``name`` accepts."""
    return [p for p in inspect.signature(METHODS[name].__init__).parameters if p != "self"]


def build_method(name: str, **hparams) -> Method:
    """Build method ``name``; unknown settings fail with the list of known ones."""
    known = settings_of(name)
    unknown = sorted(set(hparams) - set(known))
    if unknown:
        raise WorkbenchError(
            f"Method {name!r} has no setting {unknown[0]!r}. Its settings: {', '.join(known)}."
        )
    for setting, value in hparams.items():   # backbone_options, text_options, views …: dicts, not text
        if setting.endswith("_options") or setting == "views":
            check_settings_dict(setting, value)
    return METHODS[name](**hparams)
