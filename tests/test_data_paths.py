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


def test_seeded_chunks_give_the_same_first_samples_whatever_the_total():
    from sslworkbench.data.paths import seeded_chunks

    def draws(total):
        return [rng.random(count).tolist() for _, rng, _, count in seeded_chunks(total, 4, 0, 1, 2)]

    assert draws(10)[:2] == draws(8) and [len(d) for d in draws(10)] == [4, 4, 2]


def test_read_cache_cuts_rows_and_refuses_a_short_cache(tmp_path):
    import torch

    from sslworkbench.data.paths import read_cache, write_cache

    path = tmp_path / "split.pt"
    write_cache({"x": torch.arange(6), "extras": {"y": torch.arange(6) * 2}}, path)
    stored = read_cache(path, 4)
    assert stored["x"].tolist() == [0, 1, 2, 3] and stored["extras"]["y"].tolist() == [0, 2, 4, 6]
    assert read_cache(path, 7) is None and read_cache(tmp_path / "missing.pt", 1) is None
