"""training/reference.py: shipped reference checkpoints, checked by hash before they are read."""

import json

import pytest
import torch

import sslworkbench as sw
from sslworkbench import WorkbenchError, build_method
from sslworkbench.training import reference
from sslworkbench.training.checkpoint import FORMAT, VERSION, save_atomic


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """An empty reference folder in place of the shipped one."""
    monkeypatch.setattr(reference, "FOLDER", tmp_path)
    monkeypatch.setattr(reference, "MANIFEST", tmp_path / "references.json")
    return tmp_path


def write_reference(folder, name="tiny"):
    torch.manual_seed(0)
    method = build_method("simclr", backbone_options={"width": 8, "depth": 2}, hidden_dim=16, projection_dim=8)
    path = save_atomic({"format": FORMAT, "version": VERSION, "method": "simclr", "hparams": method.hparams,
                        "model": method.state_dict(), "dataset": {"name": "shapes", "size": 10}}, folder / f"{name}.pt")
    entry = {"command": "sslworkbench pretrain simclr --epochs 1", "sha256": reference.sha256_of(path),
             "bytes": path.stat().st_size, "scores": {"knn": 0.5, "linear": 0.6}}
    (folder / "references.json").write_text(json.dumps({name: entry}))
    return method


def test_a_reference_loads_as_the_trained_method(folder):
    method = write_reference(folder)
    assert reference.available() == {"tiny": {"knn": 0.5, "linear": 0.6}}
    loaded = reference.load("tiny")
    images = sw.load_dataset("shapes", n=4).float_images()
    with torch.no_grad():
        assert torch.equal(loaded.backbone(images), method.eval().backbone(images))
    assert reference.info("tiny")["command"].startswith("sslworkbench pretrain")


def test_a_changed_file_or_an_unknown_name_is_refused(folder):
    write_reference(folder)
    with pytest.raises(WorkbenchError, match="No reference checkpoint named 'tinny'; available: tiny"):
        reference.load("tinny")
    with open(folder / "tiny.pt", "ab") as file:
        file.write(b"\0")
    with pytest.raises(WorkbenchError, match="does not match its recorded sha256"):
        reference.load("tiny")
    (folder / "tiny.pt").unlink()
    with pytest.raises(WorkbenchError, match="missing"):
        reference.load("tiny")


#: the sha256 of every shipped reference checkpoint, pinned here as well as in references.json: a re-made
#: file must be a deliberate change of both (tools/make_reference.py writes the manifest, not this test)
PINNED = {
    "simclr-shapes": "0cfed2b5fe2897ac246ca850f938e973f3bb49c07d6a5caad5d5ae8190a1db5b",
    "mae-vit-shapes": "fa1eb95ef4cf782d46f06b45dc2bbe9d084dc3d054696195d61f37c28cc3e42b",
    "dino-vit-shapes": "d66da73a4df49b80467b8616e1dc34eb7c47fb522100f761e43f057b2078b693",
    "simclr-vit-shapes": "e945b421f7012ec6c21af28b46ce6abefade8b5dfc1e826fc8be6b523ff877a1",
    "xlm-mlm-bible": "5145559f358f9c201f56831c77afa555b07fc884f93a6b867c2881de0a329780",
    "xlm-tlm-bible": "261924c625ec0b8b22f8e973fe23c588f8947419788f78c0469bfe96f026de14",
}


def test_every_shipped_reference_matches_its_hash_and_loads():
    shipped = json.loads(reference.MANIFEST.read_text()) if reference.MANIFEST.is_file() else {}
    assert {name: entry["sha256"] for name, entry in shipped.items()} == PINNED
    for name, entry in shipped.items():
        assert entry["command"].startswith("sslworkbench pretrain ") and 0 < entry["scores"]["linear"] <= 1
        assert (reference.FOLDER / f"{name}.pt").stat().st_size == entry["bytes"]
        method = reference.load(name)  # checks the sha256, reads with weights_only=True
        assert method.name == entry["method"]
        if entry.get("weights") == "float16":  # stored at half size, loaded back into the float32 model
            stored = torch.load(reference.FOLDER / f"{name}.pt", weights_only=True)["model"]
            assert all(v.dtype == torch.float16 for v in stored.values() if v.is_floating_point())
            assert all(p.dtype == torch.float32 for p in method.parameters())
            for key in ("knn", "linear"):  # measured on the shipped weights: within half a point of the run's
                assert abs(entry["shipped_scores"][key] - entry["scores"][key]) < 0.005, (name, key)
    total = sum(entry["bytes"] for entry in shipped.values())
    assert total < 13_000_000, f"reference checkpoints take {total:,} bytes: keep them to a few MB each"
    pair = sum(shipped[name]["bytes"] for name in ("xlm-mlm-bible", "xlm-tlm-bible"))
    assert pair <= 5_000_000, f"notebook 08's reference pair takes {pair:,} bytes (at most 5 MB)"


def test_the_packages_shipped_files_stay_under_25_mb():
    from sslworkbench.data.paths import SHIPPED

    total = sum(path.stat().st_size for path in SHIPPED.rglob("*") if path.is_file())
    assert total < 25_000_000, f"the package ships {total:,} bytes of data: keep it under 25 MB"
