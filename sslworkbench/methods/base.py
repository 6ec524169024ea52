"""The method contract: what a method is, and everything the trainer may read.

A method is a ``torch.nn.Module`` with

    name                     its registry name (``METHODS[name]`` builds it)
    backbone                 the encoder being learned: a batch of inputs → (N, D) features
                             (what every backbone provides, and what each kind adds: models/__init__.py)
    training_step(batch)     → {"loss": scalar tensor, ...}; the batch is
                             ``(inputs, labels)``, plus ``instance_ids`` when ``instances``
                             asks for them. Self-supervised methods ignore the labels.
    on_step_end(step, total) optional: called after every optimiser step (EMA updates)

What ``training_step`` returns:

    "loss"         required: the scalar the trainer minimises
    "embeddings"   optional (N, D) tensor, detached: turns on the collapse
                   diagnostics ``embedding_std`` and ``effective_rank`` in the history
    anything else  a number or a one-element tensor: logged in the history as is

The optional parts, declared here with their defaults (a method that has one sets it
in its ``__init__``; nothing asks ``hasattr``):

    views                   what makes the method's views: a ``Views`` pipeline for images
                            (SimCLR, the pretext tasks, …; ``sw.viz`` draws it), a function
                            of a batch for tokens (span contrast); None otherwise
    head                    the classifier on the backbone's features that a pretext task's
                            loss reads (rotation, jigsaw, frame order, …; DINO's head);
                            None otherwise
    text_encoder            "image_text" methods (CLIP): the module that reads the captions;
                            the trainer checks it was built for the data's tokenizer. None
                            otherwise. Such a method also has ``image_projection`` and
                            ``text_projection`` into the shared space: zero-shot use reads
                            the two towers (backbone + image_projection, text_encoder +
                            text_projection: ``evaluation/zero_shot.py``)
    pretext_batch(inputs)   what the network is shown and asked for, for one batch (the
                            pretext tasks, COLA, temporal contrast: a notebook shows it);
                            ``held_out_accuracy`` scores a classifying one, (inputs, targets),
                            through ``head``. Others: one clear error
    language_model_loss(t)  language models (``language_model = True``: GPT): the next-token
                            loss of tokens ``t``, fine-tuning's auxiliary objective. Others: one
                            clear error

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
    input_segments      token methods: 2 when every row must be a pair of segments,
                        ``[CLS] A [SEP] B [SEP]`` (BERT's next sentence, XLM's
                        translation pairs); data holding single sequences is refused
    language_model      True: ``language_model_loss`` is the method's next-token loss
    across_devices      what training on several processes (``torchrun``) needs of it:
                        "local" (its loss is a mean of terms that each read one sample:
                        averaging the processes' gradients is exact), "gathers" (its loss,
                        or a state it keeps, reads the whole batch: it calls ``self.gather``
                        on what it compares — SimCLR's negatives, MoCo's new keys, DINO's
                        centre), "one process" (refused under torchrun, saying
                        ``one_process_reason``)
    global_batch_norm   True where the paper normalised over the global batch (SimCLR's
                        "global BN"): under torchrun its BatchNorms share statistics

What the data decides reaches the method one way. The recipe gives a method the
settings its data implies (``Dataset.method_settings()``: ``image_size``,
``sample_rate``, ``vocab_size``, …) as arguments of its ``__init__``; the method hands
those its backbone is built for to ``Method.__init__`` (``super().__init__(backbone,
backbone_options, image_size=image_size)``), which gives each to the backbone when its
constructor takes it (``models.data_options``; ``backbone_options`` may repeat it, not contradict it). The backbone
then knows what it was built for (``backbone.image_size``, ``backbone.sample_rate``,
``backbone.vocab_id``), which is what the data checks before it trains or evaluates it.

``parameter_constraints``: what each of its settings may be, one entry per setting
(the kinds: ``constraints.py``), e.g. ``{"temperature": Number(above=0, hint="SimCLR
uses 0.1–0.5")}``; a subclass's table extends its parents'. The settings a method is
built with are checked against it before its ``__init__`` runs, so a bad value is one
clear error before any weight is drawn. Checks that need a batch, the data or the
backbone built stay in the method's code.

Its **card**: six class attributes, short text, that say what the method learns from —
read by no part of the training, declared by every registered method (a test holds every
one to it) and shown side by side by ``sw.methods.cards()`` (notebook 15):

    family              "supervised", "pretext task", "reconstruction", "contrastive",
                        "non-contrastive" or "language modelling"
    predicts            what the network predicts, or compares
    positives           what counts as the same thing ("none" where nothing is paired)
    negatives           what it must tell apart from it ("none" where there are none)
    against_collapse    what keeps the trivial answer (one output for every input) from
                        winning: negatives, a stop-gradient and a predictor, an EMA target,
                        variance and covariance terms, centring and sharpening,
                        equipartition, a target made from the input …
    notebook            the notebook(s) that teach it ("05", "01, 04")

``hparams``: the settings the method was built with (the arguments of its
``__init__``, defaults included), recorded however it was built, so that a
checkpoint can rebuild it with ``build_method(name, **hparams)``.
"""

from __future__ import annotations

import functools
import inspect

import torch
from torch import nn

from .. import distributed
from ..data import KINDS
from ..errors import WorkbenchError
from ..models import build_backbone, check_settings_dict, data_options
from ..registry import Registry
from .constraints import Constraint, check_settings, check_table

#: every method by name; filled in ``methods/__init__.py``, one line per method
METHODS = Registry("method")

INSTANCE_NEEDS = (None, "ids", "groups")
ACROSS_DEVICES = ("local", "gathers", "one process")
#: the card's fields (the contract above), in the order a table shows them
CARD = ("family", "predicts", "positives", "negatives", "against_collapse", "notebook")
FAMILIES = ("supervised", "pretext task", "reconstruction", "contrastive", "non-contrastive", "language modelling")


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
    language_model = False
    across_devices = "local"
    one_process_reason = ""
    global_batch_norm = False
    parameter_constraints: dict[str, Constraint] = {}
    family = ""             # the card (above): every registered method declares all six
    predicts = ""
    positives = ""
    negatives = ""
    against_collapse = ""
    notebook = ""

    def __init__(self, backbone: str = "small_cnn", backbone_options: dict | None = None, **built_for):
        """``built_for``: the settings from the data that a backbone may be built for
        (``image_size``, ``sample_rate``, ``vocab_size``, ``pad_id``, ``vocab_id``); each
        goes to the backbone when its constructor takes it, under ``backbone_options``; the same
        setting in ``backbone_options`` with another value is one clear error (the method's views
        and the backbone would be built for two different things)."""
        super().__init__()
        self.backbone_name = backbone
        check_settings_dict("backbone_options", backbone_options)
        for setting, value in built_for.items():
            given = (backbone_options or {}).get(setting, value)
            if given != value:
                raise WorkbenchError(
                    f"backbone_options has {setting}={given!r} and {self.name} is built for {setting}={value!r}: "
                    f"leave {setting} out of backbone_options (the method hands its own to the backbone), or build "
                    f"the method with {setting}={given!r}."
                )
        self.backbone_options = data_options(backbone, backbone_options, **built_for)  # as built: the baselines build the same
        self.backbone = build_backbone(backbone, **self.backbone_options)
        self.hparams: dict = {}
        self.views = None          # the optional parts (the contract above); a method that has one sets it
        self.head = None
        self.text_encoder = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.instances not in INSTANCE_NEEDS:
            raise TypeError(f"{cls.__name__}.instances must be one of {INSTANCE_NEEDS}.")
        if cls.across_devices not in ACROSS_DEVICES:
            raise TypeError(f"{cls.__name__}.across_devices must be one of {ACROSS_DEVICES}.")
        if cls.input_kind not in KINDS:
            raise TypeError(f"{cls.__name__}.input_kind must be one of {sorted(KINDS)}.")
        if cls.family and cls.family not in FAMILIES:   # "" (no card yet) is for a test's own subclasses
            raise TypeError(f"{cls.__name__}.family must be one of {FAMILIES}.")
        own = cls.__dict__.get("parameter_constraints", {})
        cls.parameter_constraints = {**super(cls, cls).parameter_constraints, **own}  # the parents' table, extended
        check_table(cls.__name__, cls.parameter_constraints, list(_settings_taken(cls)))
        if "__init__" in cls.__dict__:
            cls.__init__ = _records_hparams(cls.__init__)

    @classmethod
    def card(cls) -> dict:
        """The method's card: ``{"method": name, "modality": input_kind, "family": …, "predicts": …,
        "positives": …, "negatives": …, "against_collapse": …, "notebook": …}``."""
        return {"method": cls.name, "modality": cls.input_kind, **{field: getattr(cls, field) for field in CARD}}

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

    def gather(self, tensor: torch.Tensor) -> torch.Tensor:
        """``tensor`` of every process, in rank order: the global batch (under ``torchrun``;
        one process: ``tensor`` itself). Gradients reach this process's rows
        (``sslworkbench/distributed.py``). Methods with ``across_devices = "gathers"`` call it."""
        return distributed.gather(tensor)

    def on_step_end(self, step: int, total_steps: int) -> None:
        """Hook called by the trainer after each optimiser step (EMA updates etc.)."""

    def pretext_batch(self, inputs):
        """What the network is shown and asked for, for a batch of ``inputs`` (methods with a pretext task)."""
        raise WorkbenchError(f"{self.name} has no pretext batch to show: it is not a pretext task.")

    def language_model_loss(self, tokens: torch.Tensor) -> dict:
        """The next-token loss of ``tokens`` (language models: ``language_model = True``)."""
        raise WorkbenchError(f"{self.name} is not a language model: it has no next-token loss.")


def _is_pair(batch: tuple) -> bool:
    """A tuple of inputs (images, captions) rather than a batch (inputs, labels, ...)."""
    return len(batch) == 2 and all(isinstance(part, torch.Tensor) and part.dim() >= 2 for part in batch)


def _records_hparams(init):
    """Wrap a method's ``__init__`` so that its settings are checked against the
    class's ``parameter_constraints`` before it runs, and remembered after.

    Only the class being built checks and records, once, with the values its
    caller gave (not the parents its ``__init__`` calls through ``super().__init__``)."""
    signature = inspect.signature(init)

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        if type(self).__init__ is not __init__:  # a parent's part, through super().__init__
            return init(self, *args, **kwargs)
        try:
            settings = _settings_given(signature, self, args, kwargs)
        except TypeError:  # a wrong call: Python's own message says what is wrong
            return init(self, *args, **kwargs)
        defaults = {name: default for name, default in _settings_taken(type(self)).items() if default is not EMPTY}
        check_settings(type(self).parameter_constraints, {**defaults, **settings})
        init(self, *args, **kwargs)
        self.hparams = settings

    return __init__


def _settings_given(signature: inspect.Signature, self, args, kwargs) -> dict:
    """The settings of one call of an ``__init__`` by name, defaults included, ``**settings`` spread out."""
    bound = signature.bind(self, *args, **kwargs)
    bound.apply_defaults()
    settings = {}
    for name, value in list(bound.arguments.items())[1:]:
        if signature.parameters[name].kind is inspect.Parameter.VAR_KEYWORD:
            settings.update(value)
        else:
            settings[name] = value
    return settings


EMPTY = inspect.Parameter.empty


def _settings_taken(cls) -> dict:
    """Every setting a method of class ``cls`` can be built with, and its default
    (``EMPTY`` if none): the parameters of its ``__init__`` and, where that hands
    ``**settings`` on to its parent's (a test's SimCLR with a twist), the parent's."""
    taken = {}
    for klass in cls.__mro__:
        if "__init__" not in klass.__dict__:
            continue
        parameters = inspect.signature(klass.__dict__["__init__"]).parameters.values()
        for parameter in parameters:
            if parameter.name != "self" and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                taken.setdefault(parameter.name, parameter.default)
        if klass is Method or all(parameter.kind is not parameter.VAR_KEYWORD for parameter in parameters):
            break
    return taken


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
