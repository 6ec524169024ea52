"""evaluation/probes.py: kNN and linear probe against independent implementations, embed, baselines."""

import math
from collections import defaultdict

import pytest
import torch

from sslworkbench import (
    KNNMonitor,
    WorkbenchError,
    baselines,
    build_backbone,
    build_method,
    embed,
    knn_accuracy,
    linear_probe,
    load_dataset,
    train,
)
from sslworkbench.evaluation.probes import effective_rank, embedding_std, factor_probes, probe_factors


def clustered(n_per_class, classes=4, dim=8, spread=1.0, seed=0, draw=0):
    """Gaussian clusters around random centres (fixed by ``seed``); ``draw``
    picks the sample, so train and test sets share centres. Labels 0..classes-1."""
    centres = torch.randn(classes, dim, generator=torch.Generator().manual_seed(seed)) * 2
    generator = torch.Generator().manual_seed(seed * 1000 + draw + 1)
    labels = torch.arange(classes).repeat_interleave(n_per_class)
    features = centres[labels] + spread * torch.randn(len(labels), dim, generator=generator)
    order = torch.randperm(len(labels), generator=generator)
    return features[order], labels[order]


def brute_force_knn(train_features, train_labels, test_features, test_labels, k, temperature):
    """Weighted kNN the slow way: a loop over test points, cosine similarities in float64."""
    train_features = train_features.double()
    test_features = test_features.double()
    correct = 0
    for query, label in zip(test_features, test_labels):
        similarities = []
        for j, point in enumerate(train_features):
            cosine = float(query @ point) / (float(query.norm()) * float(point.norm()))
            similarities.append((cosine, j))
        similarities.sort(key=lambda pair: -pair[0])
        votes = defaultdict(float)
        for cosine, j in similarities[:k]:
            votes[int(train_labels[j])] += math.exp(cosine / temperature)
        prediction = max(votes, key=votes.get)
        correct += prediction == int(label)
    return correct / len(test_labels)


# -- kNN ----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("k, temperature", [(1, 0.1), (7, 0.1), (20, 0.5), (50, 0.07)])
def test_knn_matches_brute_force(seed, k, temperature):
    train_x, train_y = clustered(15, spread=2.5, seed=seed)
    test_x, test_y = clustered(10, spread=2.5, seed=seed, draw=1)
    expected = brute_force_knn(train_x, train_y, test_x, test_y, k, temperature)
    assert 0.2 < expected < 1.0  # a problem where the details matter
    got = knn_accuracy(train_x, train_y, test_x, test_y, k=k, temperature=temperature)
    assert got == pytest.approx(expected)
    # chunking the test set changes nothing
    assert knn_accuracy(train_x, train_y, test_x, test_y, k=k, temperature=temperature, chunk=7) == got


def test_knn_caps_k_at_the_training_set_size():
    train_x, train_y = clustered(5, spread=2.0, seed=3)
    test_x, test_y = clustered(10, spread=2.0, seed=3, draw=1)
    capped = knn_accuracy(train_x, train_y, test_x, test_y, k=10_000)
    assert capped == knn_accuracy(train_x, train_y, test_x, test_y, k=len(train_y))
    assert capped == pytest.approx(brute_force_knn(train_x, train_y, test_x, test_y, len(train_y), 0.1))


def test_knn_on_separable_clusters_is_perfect():
    train_x, train_y = clustered(20, classes=5, dim=16, spread=0.01, seed=5)
    test_x, test_y = clustered(10, classes=5, dim=16, spread=0.01, seed=5, draw=1)
    assert knn_accuracy(train_x, train_y, test_x, test_y, k=5) == 1.0
    assert knn_accuracy(train_x, train_y, test_x, test_y, k=200) == 1.0


def test_knn_accepts_list_labels():
    train_x, train_y = clustered(10, seed=6)
    test_x, test_y = clustered(5, seed=6, draw=1)
    assert knn_accuracy(train_x, train_y.tolist(), test_x, test_y.tolist(), k=5) == knn_accuracy(
        train_x, train_y, test_x, test_y, k=5
    )


# -- linear probe -----------------------------------------------------------------------


def sklearn_probe(train_x, train_y, test_x, test_y, C):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(train_x.numpy())
    model = LogisticRegression(C=C, max_iter=2000)
    model.fit(scaler.transform(train_x.numpy()), train_y.numpy())
    return model.score(scaler.transform(test_x.numpy()), test_y.numpy())


@pytest.mark.parametrize("C", [0.01, 1.0])
def test_linear_probe_agrees_with_sklearn(C):
    train_x, train_y = clustered(60, classes=4, dim=20, spread=3.0, seed=7)
    test_x, test_y = clustered(40, classes=4, dim=20, spread=3.0, seed=7, draw=1)
    expected = sklearn_probe(train_x, train_y, test_x, test_y, C)
    got = linear_probe(train_x, train_y, test_x, test_y, C=C)
    assert 0.4 < expected < 1.0
    assert abs(got - expected) <= 0.02, (got, expected)


def test_linear_probe_on_separable_data():
    train_x, train_y = clustered(30, classes=6, dim=12, spread=0.05, seed=8)
    test_x, test_y = clustered(30, classes=6, dim=12, spread=0.05, seed=8, draw=1)
    assert linear_probe(train_x, train_y, test_x, test_y) >= 0.99


def test_linear_probe_handles_constant_features():
    train_x, train_y = clustered(20, classes=3, dim=6, spread=0.1, seed=9)
    train_x[:, 0] = 1.0  # zero variance: must not produce NaN
    test_x = train_x.clone()
    accuracy = linear_probe(train_x, train_y, test_x, train_y)
    assert math.isfinite(accuracy) and accuracy >= 0.95


# -- feature checks -------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
@pytest.mark.parametrize("where", ["train", "test"])
def test_non_finite_features_are_rejected(bad, where):
    train_x, train_y = clustered(5, seed=10)
    test_x, test_y = clustered(5, seed=10, draw=1)
    (train_x if where == "train" else test_x)[2, 3] = bad
    with pytest.raises(WorkbenchError, match="NaN"):
        knn_accuracy(train_x, train_y, test_x, test_y)
    with pytest.raises(WorkbenchError, match="NaN"):
        linear_probe(train_x, train_y, test_x, test_y)


def test_feature_and_setting_mistakes_are_rejected():
    train_x, train_y = clustered(5, seed=12)
    test_x, test_y = clustered(5, seed=12, draw=1)
    with pytest.raises(WorkbenchError, match="same D"):
        knn_accuracy(train_x, train_y, test_x[:, :4], test_y)
    with pytest.raises(WorkbenchError, match="label"):
        knn_accuracy(train_x, train_y[:-1], test_x, test_y)
    with pytest.raises(WorkbenchError, match="label"):
        linear_probe(train_x, train_y, test_x, test_y[:-1])
    with pytest.raises(WorkbenchError, match="k"):
        knn_accuracy(train_x, train_y, test_x, test_y, k=0)
    with pytest.raises(WorkbenchError, match="temperature"):
        knn_accuracy(train_x, train_y, test_x, test_y, temperature=0)
    with pytest.raises(WorkbenchError, match="C"):
        linear_probe(train_x, train_y, test_x, test_y, C=0)


# -- embed -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_sets():
    return load_dataset("shapes", "train", n=32), load_dataset("shapes", "test", n=16)


@pytest.fixture
def backbone():
    torch.manual_seed(0)
    return build_backbone("small_cnn", width=8, depth=2)


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_embed_shape_dtype_device_and_mode(small_sets, backbone, mode):
    train_set, _ = small_sets
    backbone.train(mode == "train")
    before = {k: v.clone() for k, v in backbone.state_dict().items()}
    features = embed(backbone, train_set)
    assert features.shape == (32, backbone.feature_dim)
    assert features.dtype == torch.float32 and features.device.type == "cpu"
    assert not features.requires_grad
    assert torch.isfinite(features).all()
    assert backbone.training == (mode == "train")
    # eval mode inside: the BatchNorm running statistics are not touched
    for key, value in backbone.state_dict().items():
        assert torch.equal(value, before[key]), key


def test_embed_is_deterministic_and_independent_of_batching(small_sets, backbone):
    train_set, _ = small_sets
    backbone.train()
    a = embed(backbone, train_set)
    b = embed(backbone, train_set.images)
    c = embed(backbone, train_set.images, batch_size=5)
    assert torch.equal(a, b)
    torch.testing.assert_close(a, c, atol=1e-5, rtol=1e-5)
    # uint8 images and the same images as floats in [0, 1] embed alike
    torch.testing.assert_close(a, embed(backbone, train_set.float_images()), atol=1e-5, rtol=1e-5)


def test_embed_rejects_wrong_shapes(backbone):
    with pytest.raises(WorkbenchError, match="permute"):
        embed(backbone, torch.zeros(2, 32, 32, 3, dtype=torch.uint8))


# -- baselines and the monitor --------------------------------------------------------------------


def test_baselines_rows_and_global_rng_untouched():
    # 16×16 images keep the raw-pixel probe (768 features) quick
    train_set = load_dataset("shapes", "train", n=32, size=16)
    test_set = load_dataset("shapes", "test", n=16, size=16)
    torch.manual_seed(1234)
    state = torch.get_rng_state()
    expected_next = torch.rand(3)
    torch.set_rng_state(state)
    options = {"width": 8, "depth": 2}
    result = baselines(train_set, test_set, k=5, backbone_options=options)
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.equal(torch.rand(3), expected_next)
    assert set(result) == {"random init", "raw pixels"}
    for row in result.values():
        assert set(row) == {"knn", "linear"}
        assert all(0.0 <= value <= 1.0 for value in row.values())
    # seeded: the same numbers again, whatever the global generator says
    torch.manual_seed(99)
    assert baselines(train_set, test_set, k=5, backbone_options=options) == result


def test_knn_monitor_adds_knn_to_epoch_logs(small_sets):
    train_set, test_set = small_sets
    torch.manual_seed(0)
    method = build_method("simclr", backbone_options={"width": 8, "depth": 2}, hidden_dim=32, projection_dim=16)
    history = train(
        method, train_set, epochs=3, batch_size=16, progress=False, device="cpu",
        callbacks=[KNNMonitor(train_set, test_set, every=2, k=5)],
    )
    knn = [epoch.get("knn") for epoch in history.epochs]
    assert knn[0] is None  # every=2: not after epoch 1
    assert all(0.0 <= value <= 1.0 for value in knn[1:])  # epoch 2, and always the last
    assert history.metric("knn", per="epochs") == knn[1:]


# -- collapse diagnostics --------------------------------------------------------


def random(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def test_effective_rank_and_std_tell_collapse_from_spread():
    spread = random(4000, 8)
    assert effective_rank(spread) == pytest.approx(8, rel=0.05)
    assert embedding_std(spread) == pytest.approx(1 / math.sqrt(8), rel=0.05)
    collapsed = torch.ones(100, 8) + 1e-4 * random(100, 8).float()
    assert embedding_std(collapsed) < 1e-3
    line = random(100, 1) * torch.tensor([[1.0, 2.0, 3.0]], dtype=torch.float64) + torch.tensor([[0.0, 0.0, 100.0]], dtype=torch.float64)
    assert effective_rank(line) < 1.01  # (almost) all variance along one direction


class _Looks(torch.nn.Module):
    """A stand-in ViT whose [CLS] attention is given: on the object, or uniform."""

    patch_size = 4

    def __init__(self, masks, on_object: bool):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.masks, self.on_object = masks, on_object

    def attention_maps(self, images):
        coverage = torch.nn.functional.avg_pool2d(self.masks[: images.shape[0], None], 4)  # (n, 1, 8, 8)
        maps = coverage if self.on_object else torch.ones_like(coverage)
        return (0.9 * maps / maps.sum((2, 3), keepdim=True)).expand(-1, 2, -1, -1)


def test_object_attention_share_compares_attention_with_the_objects_area():
    from sslworkbench.data.shapes import object_masks
    from sslworkbench.evaluation.probes import object_attention_share

    data = load_dataset("shapes", "test", n=20)
    masks = object_masks(data)
    uniform = object_attention_share(_Looks(masks, False), data, masks)
    assert uniform["ratio"] == pytest.approx(1, abs=1e-5)
    assert uniform["area_share"] == pytest.approx(float(masks.mean()), abs=1e-5)
    focused = object_attention_share(_Looks(masks, True), data, masks)
    assert focused["ratio"] > 2 and len(focused["per_head"]) == 2
    real = object_attention_share(build_backbone("vit", width=16, depth=1, heads=2), data, masks)
    assert 0 < real["attention_share"] < 1
    with pytest.raises(WorkbenchError, match="needs a vision transformer"):
        object_attention_share(build_backbone("small_cnn"), data, masks)
    with pytest.raises(WorkbenchError, match="masks must be"):
        object_attention_share(_Looks(masks, False), data, masks[:3])


def test_factor_probes_read_each_factor_of_the_same_features():
    torch.manual_seed(0)
    n = 200
    shape, speed = torch.randint(0, 3, (n,)), torch.randint(0, 2, (n,))
    # features that hold the shape in one direction and nothing about the speed
    features = torch.nn.functional.one_hot(shape, 3).float() * 3 + torch.randn(n, 3) * 0.3
    factors = {"shape": (shape[:150], shape[150:]), "speed": (speed[:150], speed[150:])}
    scores = probe_factors(features[:150], features[150:], factors)
    assert scores["shape"] > 0.95 and scores["speed"] < 0.75


def test_factor_probes_embed_clips_once_per_split_or_read_raw_inputs():
    from sslworkbench.data.moving_shapes import factors_of, generate

    train, test = generate("train", 24, frames=4), generate("test", 12, frames=4)
    backbone = build_backbone("video_cnn")
    scores = factor_probes(backbone, train, test, factors_of(train, test, ["shape", "speed"]))
    raw = factor_probes(None, train, test, factors_of(train, test, ["shape"]))
    assert set(scores) == {"shape", "speed"} and all(0 <= v <= 1 for v in scores.values()) and set(raw) == {"shape"}


def test_embed_counts_frames_of_clips_against_the_batch_size():
    seen = []

    class Recorder(torch.nn.Module):
        def forward(self, clips):
            seen.append(clips.shape[0])
            return clips.flatten(1)[:, :2]

    embed(Recorder(), torch.zeros(10, 8, 3, 2, 2, dtype=torch.uint8), batch_size=32)
    assert seen == [4, 4, 2]  # 32 frames: 4 clips of 8


# -- alignment and uniformity (Wang & Isola 2020) -----------------------------------


def test_alignment_closed_forms():
    from sslworkbench.evaluation.probes import alignment

    z = torch.randn(10, 5, generator=torch.Generator().manual_seed(0))
    assert alignment(z, z) == pytest.approx(0.0, abs=1e-6)           # identical views
    assert alignment(z, 3 * z) == pytest.approx(0.0, abs=1e-6)       # normalised first: the scale is ignored
    assert alignment(z, -z) == pytest.approx(4.0, abs=1e-5)          # antipodal: ‖2f‖² = 4
    assert alignment(z, -z, alpha=1) == pytest.approx(2.0, abs=1e-5)
    e = torch.eye(2)
    assert alignment(e[:1], e[1:]) == pytest.approx(2.0, abs=1e-6)   # orthogonal: 2 − 2 cos = 2
    # against the definition: the mean of ‖f(x) − f(y)‖^α over the pairs
    w = torch.randn(10, 5, generator=torch.Generator().manual_seed(1))
    f, g = z / z.norm(dim=1, keepdim=True), w / w.norm(dim=1, keepdim=True)
    assert alignment(z, w, alpha=3) == pytest.approx(((f - g).norm(dim=1) ** 3).mean().item(), rel=1e-5)


@pytest.mark.parametrize("t", [1.0, 2.0, 0.5])
def test_uniformity_closed_forms(t):
    from sslworkbench.evaluation.probes import uniformity

    assert uniformity(torch.tensor([[1.0, 0.0], [-2.0, 0.0]]), t=t) == pytest.approx(-4 * t, abs=1e-5)   # antipodal
    assert uniformity(torch.ones(7, 3), t=t) == pytest.approx(0.0, abs=1e-6)                         # collapsed
    # a regular simplex of N points reaches the lower bound −2tN/(N − 1) (Jensen on the mean squared distance)
    n = 6
    simplex = torch.eye(n) - 1 / n
    assert uniformity(simplex, t=t) == pytest.approx(-2 * t * n / (n - 1), abs=1e-5)
    spread = torch.randn(50, 8, generator=torch.Generator().manual_seed(0))
    value = uniformity(spread, t=t)
    assert -2 * t * 50 / 49 < value < 0
    # against the definition: log of the mean of exp(−t‖f(x) − f(y)‖²) over distinct pairs i < j
    f = spread / spread.norm(dim=1, keepdim=True)
    i, j = torch.triu_indices(50, 50, offset=1)
    expected = torch.exp(-t * (f[i] - f[j]).pow(2).sum(dim=1)).mean().log().item()
    assert value == pytest.approx(expected, rel=1e-5)


def test_uniformity_does_not_underflow_for_far_apart_points():
    from sslworkbench.evaluation.probes import uniformity

    # exp(−1000 · 4) is 0 in float32; the log-mean-exp keeps the exact −4t
    assert uniformity(torch.tensor([[0.0, 1.0], [0.0, -1.0]]), t=1000.0) == pytest.approx(-4000.0, rel=1e-6)


def test_alignment_and_uniformity_reject_bad_inputs():
    from sslworkbench.evaluation.probes import alignment, uniformity

    z = torch.randn(4, 3)
    with pytest.raises(WorkbenchError, match="one shape"):
        alignment(z, torch.randn(5, 3))
    with pytest.raises(WorkbenchError, match="alpha"):
        alignment(z, z, alpha=0)
    with pytest.raises(WorkbenchError, match="N ≥ 2"):
        uniformity(z[:1])
    with pytest.raises(WorkbenchError, match="t must be > 0"):
        uniformity(z, t=float("nan"))
