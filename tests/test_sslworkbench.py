"""sslworkbench/__init__.py: the public names of ``import sslworkbench as sw``."""

import sys

import sslworkbench as sw


def test_every_public_name_is_there_and_is_the_modules_own():
    for name in sw.__all__:
        assert hasattr(sw, name), name
    assert sw.build_method is sw.methods.build_method and sw.load_dataset is sw.data.load_dataset
    # sw.train is the function, not the module of the same name
    assert sw.train is sys.modules["sslworkbench.train"].train
    for module in ("data", "evaluate", "exercises", "experiment", "notebook", "viz"):
        assert getattr(sw, module).__name__ == f"sslworkbench.{module}"
    assert sw.__version__.count(".") == 2
