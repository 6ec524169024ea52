"""data/paths.py: where datasets are cached and downloaded."""

from pathlib import Path

from sslworkbench.data.paths import default_root


def test_sslwb_data_overrides_the_default(monkeypatch, tmp_path):
    monkeypatch.setenv("SSLWB_DATA", str(tmp_path / "elsewhere"))
    assert default_root() == tmp_path / "elsewhere"


def test_the_default_is_data_of_the_enclosing_project(monkeypatch, tmp_path):
    monkeypatch.delenv("SSLWB_DATA", raising=False)
    project = tmp_path / "project"
    (project / "sslworkbench").mkdir(parents=True)
    (project / "pyproject.toml").write_text("")
    (project / "notebooks").mkdir()
    monkeypatch.chdir(project / "notebooks")  # a notebook runs in a sub-folder of the project
    assert default_root() == project / "data"


def test_outside_a_project_the_default_is_data_of_the_working_directory(monkeypatch, tmp_path):
    monkeypatch.delenv("SSLWB_DATA", raising=False)
    (tmp_path / "pyproject.toml").write_text("")  # another project, not sslworkbench's
    monkeypatch.chdir(tmp_path)
    assert default_root() == Path(tmp_path) / "data"
