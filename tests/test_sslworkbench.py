"""sslworkbench/__init__.py: the public names of ``import sslworkbench as sw``."""

import subprocess
import sys

import sslworkbench as sw


def test_every_public_name_is_there_and_is_the_modules_own():
    for name in sw.__all__:
        assert hasattr(sw, name), name
    # sw.build_method is the recipe's (it takes data=), built on the registry's
    assert sw.build_method is sw.experiment.build_method and sw.load_dataset is sw.data.load_dataset
    # sw.train is the function, not the module of the same name
    assert sw.train is sys.modules["sslworkbench.training.trainer"].train
    assert sw.__version__.count(".") == 2


def test_the_course_reaches_moved_modules_by_their_old_names():
    """The notebooks say sw.viz.…, sw.evaluate.…, sw.notebook.…: the names the course text
    uses stay, whichever stage of the pipeline the module now sits in."""
    where = {
        "augment": "views.images", "claims": "course.claims", "data": "data", "downstream": "evaluation.downstream",
        "evaluate": "evaluation.probes", "exercises": "course.exercises", "experiment": "training.recipe",
        "losses": "losses", "models": "models", "notebook": "course.setup", "pretext": "views.pretext",
        "reference": "training.reference", "solutions": "course.solutions", "text": "evaluation.language",
        "token_views": "views.tokens", "tokenizer": "data.tokenizer", "viz": "course.viz", "widgets": "course.widgets",
        "word_vectors": "evaluation.word_vectors", "zero_shot": "evaluation.zero_shot",
    }
    for alias, module in where.items():
        assert getattr(sw, alias) is sys.modules[f"sslworkbench.{module}"], alias


def test_importing_the_workbench_leaves_torchvision_out():
    """``import torchvision`` imports all of it (models, ops, and through them torch._dynamo,
    and Triton with the CUDA build): measured for #10, ~160 MB more resident memory and ~2 s
    in every notebook. Only the code that needs torchvision (ResNet-18, the real datasets'
    loaders, the benchmark's views) imports it, when it runs."""
    code = "import sys, sslworkbench; sslworkbench.load_dataset('shapes', 'test', n=20, cache=False, blur=1.0); " \
           "print(sorted(m for m in ('torchvision', 'triton') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"
