"""One experiment, one recipe: the code behind ``sw.pretrain``, the CLI's
``pretrain`` and every notebook's training cells.

    >>> run = sw.pretrain("simclr", "shapes", epochs=5)
    >>> run.scores                      # {"knn": ..., "linear": ...} of the frozen backbone
    >>> run.method.backbone, run.history

The recipe, in order — the same seed and settings give the same numbers
wherever it is called from:

    1. data       load the train and test splits (or take the datasets given)
    2. settings   what the data tells the method (image size, sample rate, vocabulary
                  size, number of classes: ``Dataset.method_settings()``; the method
                  hands what its backbone is built for on to it), then the dataset's view defaults
                  (``data.VIEW_DEFAULTS``) under the method's own ``views``, for
                  methods that declare ``uses_dataset_views``; the caller's
                  settings win over both
    3. build      ``seed_everything(seed)``, then ``build_method(name, **settings)``
    4. train      one :class:`~sslworkbench.training.trainer.Trainer` (checkpoint, resume)
    5. evaluate   kNN and linear probe of the frozen backbone on the test split,
                  and optionally the random-init and raw-input baselines

Started by ``torchrun``, every process runs the recipe: each trains on its share of every
batch (``distributed.py``), and process 0 alone prints and evaluates (the others' ``scores``
are None).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import torch

from .. import distributed
from ..data import VIEW_DEFAULTS, Dataset, load_dataset
from ..errors import WorkbenchError
from ..evaluation.probes import baselines as baseline_scores
from ..evaluation.probes import evaluate_backbone
from ..methods import METHODS, settings_of
from ..methods import build_method as build_registered
from ..models import check_settings_dict
from ..runtime import seed_everything
from .checkpoint import load_checkpoint
from .trainer import History, TrainConfig, Trainer

#: TrainConfig fields the recipe passes through when given
TRAIN_SETTINGS = {f.name for f in fields(TrainConfig)} - {"seed", "device"}


@dataclass
class Experiment:
    """What one run of the recipe made and measured."""

    method: object
    history: History
    train_set: Dataset
    test_set: Dataset | None
    train_config: dict
    scores: dict | None = None  # {"knn", "linear"} of the frozen backbone on the test split
    baselines: dict | None = None  # {"random init": {...}, "raw pixels": {...}}
    train_seconds: float = 0.0  # wall time of this call's training
    new_steps: int = 0  # optimiser steps taken by this call (a resumed run also has earlier ones)
    resume_note: str | None = None

    @property
    def settings(self) -> dict:
        """The method's settings, as built."""
        return self.method.hparams

    def results(self) -> dict:
        """The method's scores and the baselines in one table: {name: {"knn", "linear"}}."""
        table = {self.method.name: self.scores} if self.scores else {}
        return {**table, **(self.baselines or {})}


def method_settings(name: str, train_set: Dataset, settings: dict) -> dict:
    """Step 2 of the recipe: the settings ``name`` is built with on ``train_set``."""
    accepted = set(settings_of(name))
    settings = dict(settings)
    from_data = dict(train_set.method_settings())
    if "num_classes" in accepted:
        from_data["num_classes"] = train_set.num_classes
    for key, value in from_data.items():
        if key in accepted:
            settings.setdefault(key, value)
    defaults = VIEW_DEFAULTS.get(train_set.name)
    if defaults and METHODS[name].uses_dataset_views:
        settings["views"] = {**defaults, **(settings.get("views") or {})}
    return settings


def build_method(name: str, data: Dataset | None = None, **settings):
    """Build method ``name``; given the ``data`` it will train on, build what the recipe builds.

    Without ``data``: the method's own defaults (SimCLR's views are its paper's, made for
    ImageNet's large photos). With ``data``: step 2 of the recipe first — the image size,
    vocabulary or number of classes the data implies, and the data set's view defaults
    (``sw.data.VIEW_DEFAULTS``) — with your ``settings`` laid over them, so that the
    step-by-step path builds what ``sw.pretrain`` builds and a setting you change is the only
    thing that changes. (``sw.seed_everything(seed)`` first draws the recipe's weights.)
    """
    if data is None:
        return build_registered(name, **settings)
    if not isinstance(data, Dataset):
        raise WorkbenchError(f"build_method's data is the dataset the method will train on (sw.load_dataset(...)); got "
                             f"{type(data).__name__}. Leave it out to build with the method's own defaults.")
    return build_registered(name, **method_settings(name, data, settings))


def _split(data, split: str, n: int | None, seed: int, options: dict) -> Dataset | None:
    if data is None or isinstance(data, Dataset):
        return data
    return load_dataset(data, split, n=n, seed=seed, **options)


def pretrain(
    method: str,
    data: str | Dataset = "shapes",
    test: str | Dataset | None = None,
    *,
    n_train: int | None = None,
    n_test: int | None = None,
    data_options: dict | None = None,
    data_seed: int = 0,
    seed: int = 0,
    device: str = "auto",
    evaluate: bool = True,
    probe_train: Dataset | None = None,
    baselines: bool = False,
    k: int = 200,
    callbacks=(),
    checkpoint: str | Path | None = None,
    resume: str | Path | None = None,
    start_from=None,
    log=None,
    **settings,
) -> Experiment:
    """Train method ``method`` on ``data`` and evaluate it: the recipe above.

    data, test     dataset names (both splits of ``data`` by default) or datasets
    n_train, n_test, data_options, data_seed   passed to ``load_dataset`` for names
    settings       the method's settings (``temperature=0.2``, ``views={...}``,
                   ``backbone="resnet18"``) and the training settings of
                   :class:`~sslworkbench.training.trainer.TrainConfig` (``epochs``, ``batch_size``,
                   ``lr``, …) in one place
    evaluate       probe the frozen backbone (kNN + linear) on ``test``, fitting
                   the probes on ``probe_train`` (default: the training data)
    baselines      also measure the random-init and raw-input baselines
    checkpoint     save here after every epoch; ``resume``: continue this checkpoint
                   (its method settings are kept; training settings given here win)
    start_from     a backbone (or a method, or a run of ``pretrain``) whose weights the new
                   method's backbone starts from: pretraining in steps, as MICLe's
                   SimCLR-then-MICLe (the backbones must be built alike)
    log            a function that takes one line of text (e.g. ``print``), or None
    """
    epochs = settings.get("epochs", 1)
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        why = ": a run of 0 epochs trains nothing (to evaluate an untrained backbone, look at the random-init baseline)."
        raise WorkbenchError(f"epochs must be ≥ 1, a whole number (got {epochs!r}){why if epochs == 0 else '.'}")
    for key, value in settings.items():  # settings that hold settings (backbone_options, views): dicts
        if key == "views" or key.endswith("_options"):
            check_settings_dict(key, value)
    options = dict(data_options or {})
    train_set = _split(data, "train", n_train, data_seed, options)
    if test is None and evaluate and isinstance(data, str):
        test = data
    test_set = _split(test, "test", n_test, data_seed, options)
    training = {key: settings.pop(key) for key in list(settings) if key in TRAIN_SETTINGS}
    stored = None
    if resume is not None:
        stored = load_checkpoint(resume, method)
        hparams = {**stored["hparams"], **settings}
        config = {**stored["train_config"], **training}
    else:
        hparams = method_settings(method, train_set, settings)
        config = {**asdict(TrainConfig()), **training}
    config.update(seed=seed, device=device)
    seed_everything(seed)
    model = build_registered(method, **hparams)   # settings already made (or restored) above
    if start_from is not None:
        if resume is not None:
            raise WorkbenchError("give start_from or resume, not both: a resumed run continues its own weights.")
        _copy_backbone(start_from, model)
    trainer = Trainer(model, train_set, TrainConfig(**config), callbacks=callbacks, checkpoint=checkpoint or resume)
    main_process = distributed.is_main_process()   # known once the trainer has joined torchrun's processes
    say = log if log and main_process else (lambda line: None)
    if stored is not None:
        trainer.load_state(stored)
        say(trainer.resume_note)
    epochs = trainer.config.epochs
    processes = f" × {trainer.world} processes (batch {trainer.local_batch_size} each)" if trainer.world > 1 else ""
    say(
        f"pretraining {method} on {train_set.name} ({len(train_set)} samples, {model.backbone_name}) "
        f"for {epochs} epoch{'s' if epochs != 1 else ''} on {trainer.device}{processes}"
    )
    steps_before = trainer.step
    started = time.perf_counter()
    history = trainer.fit()
    run = Experiment(
        model, history, train_set, test_set, asdict(trainer.config),
        train_seconds=time.perf_counter() - started, new_steps=trainer.step - steps_before,
        resume_note=trainer.resume_note,
    )
    if history.interrupted:
        return run
    if run.new_steps:
        earlier = f" ({trainer.step} in all)" if steps_before else ""
        say(f"trained {run.new_steps} steps{earlier} in {run.train_seconds:.0f} s; final loss {history.losses[-1]:.3f}")
    else:
        say("nothing left to train: the checkpoint had finished its epochs (raise epochs to continue)")
    fit_on = probe_train if probe_train is not None else train_set
    unlabelled = [data.name for data in (fit_on, test_set) if data is not None and not data.labelled]
    if evaluate and unlabelled:   # your own files without labels: trained, and nothing to score
        say(f"not evaluated: {unlabelled[0]!r} has no labels (kNN and the linear probe need them)")
    elif evaluate and test_set is not None and main_process:
        say("evaluating (frozen backbone: weighted kNN and linear probe on the test split)...")
        run.scores = evaluate_backbone(model.backbone, fit_on, test_set, k=k)
        if baselines:
            run.baselines = baseline_scores(
                fit_on, test_set, backbone=model.backbone_name, seed=seed, k=k,
                backbone_options=model.backbone_options,
            )
    return run


def _copy_backbone(source, model) -> None:
    """Load the weights of ``source``'s backbone (a backbone, a method, or a pretrain run) into ``model``'s."""
    backbone = getattr(getattr(source, "method", source), "backbone", source)
    if not isinstance(backbone, torch.nn.Module):
        raise WorkbenchError(f"start_from is a backbone, a method or a run of sw.pretrain; got {type(source).__name__}.")
    try:
        model.backbone.load_state_dict(backbone.state_dict())
    except RuntimeError:
        raise WorkbenchError(
            f"start_from's backbone ({type(backbone).__name__}) does not fit {model.name}'s "
            f"({type(model.backbone).__name__}, {model.backbone_options or 'default options'}): build both with the same "
            "backbone and backbone_options."
        ) from None


def flops_per_step(method: str, data: Dataset, **settings) -> int:
    """Floating-point operations of one training step of ``method`` on ``data`` (forward and backward),
    counted by PyTorch's ``FlopCounterMode`` from the layers' shapes: the same number on every machine,
    unlike seconds. It counts matrix products and convolutions, not element-wise work. ``settings`` as
    for :func:`pretrain` (``batch_size``, ``backbone``, ``device``, ``seed``, …)."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        pretrain(method, data, epochs=1, max_steps=1, evaluate=False, **settings)
    return counter.get_total_flops()
