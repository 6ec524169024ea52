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

from .course.claims import Claims
from .data import DATASETS, Dataset, ImageSet, SequenceSet, load_dataset
from .errors import TrainingStopped, WorkbenchError
from .evaluation.finetune import finetune
from .evaluation.probes import baselines, embed, evaluate_backbone, knn_accuracy, linear_probe, pixel_features
from .losses import nt_xent
from .methods import METHODS
from .models import BACKBONES, build_backbone
from .runtime import pick_device, seed_everything
from .training.checkpoint import load_checkpoint, load_method
from .training.recipe import Experiment, build_method, flops_per_step, pretrain
from .training.trainer import Callback, History, KNNMonitor, TrainConfig, Trainer, train
from .views.images import ViewConfig, Views, make_views, simclr_views

__all__ = [
    "BACKBONES", "Callback", "Claims", "DATASETS", "Dataset", "History", "ImageSet", "KNNMonitor", "METHODS", "SequenceSet",
    "Experiment", "TrainConfig", "Trainer", "TrainingStopped", "ViewConfig", "Views", "WorkbenchError",
    "baselines", "build_backbone", "build_method", "embed", "evaluate_backbone", "finetune", "knn_accuracy",
    "linear_probe", "load_checkpoint", "load_dataset", "load_method", "make_views", "nt_xent",
    "pick_device", "pixel_features", "flops_per_step", "pretrain", "seed_everything", "simclr_views", "train",
]

# The modules the notebooks reach as sw.<name>.…, under the names the course text uses (the
# folders above name them by the stage of the pipeline they belong to; docs/architecture.md).
from . import data, losses, models  # noqa: E402,F401
from .course import claims, exercises, solutions, tables, viz, widgets  # noqa: E402,F401
from .course import setup as notebook  # noqa: E402,F401
from .data import tokenizer  # noqa: E402,F401
from .evaluation import downstream, word_vectors, zero_shot  # noqa: E402,F401
from .evaluation import language as text  # noqa: E402,F401
from .evaluation import probes as evaluate  # noqa: E402,F401
from .training import recipe as experiment  # noqa: E402,F401
from .training import reference  # noqa: E402,F401
from .views import images as augment  # noqa: E402,F401
from .views import pretext  # noqa: E402,F401
from .views import tokens as token_views  # noqa: E402,F401
