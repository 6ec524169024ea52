"""sslworkbench — learn self-supervised learning by doing it.

The flow of data, which every method follows::

    dataset ──► views ──► backbone ──► head ──► loss
       └──── labels (held out) ──► evaluate: kNN, linear probe, UMAP

    >>> import sslworkbench as sw
    >>> run = sw.pretrain("simclr", "shapes", epochs=10)   # the recipe: data, build, train, evaluate
    >>> run.scores, run.history.losses[-1]

or step by step:

    >>> train_set = sw.load_dataset("shapes", split="train")
    >>> method = sw.build_method("simclr", data=train_set)   # the settings the recipe takes from the data
    >>> history = sw.train(method, train_set, epochs=10)
    >>> sw.evaluate_backbone(method.backbone, train_set, sw.load_dataset("shapes", split="test"))
"""

__version__ = "0.1.0"

from .augment import ViewConfig, Views, make_views, simclr_views
from .checkpoint import load_checkpoint, load_method
from .claims import Claims
from .data import DATASETS, Dataset, ImageSet, SequenceSet, load_dataset
from .errors import TrainingStopped, WorkbenchError
from .evaluate import baselines, embed, evaluate_backbone, knn_accuracy, linear_probe, pixel_features
from .experiment import Experiment, build_method, flops_per_step, pretrain
from .finetune import finetune
from .losses import nt_xent
from .methods import METHODS
from .models import BACKBONES, build_backbone
from .runtime import pick_device, seed_everything
from .train import Callback, History, KNNMonitor, TrainConfig, Trainer, train

__all__ = [
    "BACKBONES", "Callback", "Claims", "DATASETS", "Dataset", "History", "ImageSet", "KNNMonitor", "METHODS", "SequenceSet",
    "Experiment", "TrainConfig", "Trainer", "TrainingStopped", "ViewConfig", "Views", "WorkbenchError",
    "baselines", "build_backbone", "build_method", "embed", "evaluate_backbone", "finetune", "knn_accuracy",
    "linear_probe", "load_checkpoint", "load_dataset", "load_method", "make_views", "nt_xent",
    "pick_device", "pixel_features", "flops_per_step", "pretrain", "seed_everything", "simclr_views", "train",
]

# submodules used as sw.viz.…, sw.notebook.…, sw.exercises.…, sw.evaluate.…, sw.experiment.…, sw.data.…,
# sw.downstream.…, sw.reference.…, sw.augment.…, for text sw.text.…, sw.tokenizer.…, sw.token_views.…, sw.word_vectors.…,
# and for images with words sw.zero_shot.…
from . import (  # noqa: E402,F401
    data,
    downstream,
    evaluate,
    exercises,
    experiment,
    notebook,
    reference,
    text,
    token_views,
    tokenizer,
    viz,
    word_vectors,
    zero_shot,
)
