"""The figures of course/viz.py, drawn with the Agg backend (no display)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from sslworkbench.course import viz  # noqa: E402
from sslworkbench.data.dataset import ImageSet  # noqa: E402
from sslworkbench.errors import WorkbenchError  # noqa: E402
from sslworkbench.training.trainer import History  # noqa: E402
from sslworkbench.views.images import ViewConfig, Views  # noqa: E402

CLASSES = ["circle", "square", "star"]


@pytest.fixture
def images():
    generator = torch.Generator().manual_seed(0)
    return torch.randint(0, 256, (10, 3, 16, 16), dtype=torch.uint8, generator=generator)


@pytest.fixture
def imageset(images):
    return ImageSet(images, torch.arange(10) % 3, list(CLASSES), "toy")


@pytest.fixture
def blobs():
    """60 points in 3 well-separated clusters of 8-D features, labels 0..2."""
    generator = torch.Generator().manual_seed(0)
    labels = torch.arange(60) % 3
    centres = torch.eye(3, 8) * 10
    return centres[labels] + torch.randn(60, 8, generator=generator), labels


def history(n_steps=100, knn=True, seed=0):
    rng = np.random.default_rng(seed)
    steps = [{"step": i, "loss": 5.0 - 0.05 * i + rng.normal(0, 0.1), "lr": 1e-3} for i in range(n_steps)]
    epochs = [{"epoch": e + 1, "loss": 4.0 - e, "seconds": 1.0} for e in range(4)]
    if knn:
        for e, row in enumerate(epochs):
            row["knn"] = 0.3 + 0.1 * e
    return History(steps=steps, epochs=epochs)


def image_axes(fig):
    return [ax for ax in fig.axes if ax.images]


def scatter_points(ax):
    return sum(len(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection))


# -- images and views ----------------------------------------------------------


def test_show_images_grid_with_class_names(imageset):
    fig = viz.show_images(imageset, ncols=4, title="toy")
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 12  # 3 rows of 4
    assert len(image_axes(fig)) == 10
    assert [ax.get_title() for ax in image_axes(fig)][:3] == CLASSES


def test_show_images_float_and_uint8_look_the_same(images):
    as_uint8 = viz.show_images(images[:4])
    as_float = viz.show_images(images[:4].float() / 255)
    for a, b in zip(image_axes(as_uint8), image_axes(as_float)):
        np.testing.assert_allclose(a.images[0].get_array(), b.images[0].get_array(), atol=1e-6)


def test_image_rows_one_row_per_name_with_captions(images):
    fig = viz.image_rows(
        {"input": images[:5], "prediction": images[:5].float() / 255, "small": images[:6, :, :16, :16]},
        captions={"prediction": list("abcde")},
        max_columns=4,
    )
    assert len(image_axes(fig)) == 12  # 3 rows × min(5, 6, max_columns=4)
    assert [ax.get_title() for ax in fig.axes[4:8]] == list("abcd")
    assert [fig.axes[k].get_ylabel() for k in (0, 4, 8)] == ["input", "prediction", "small"]
    with pytest.raises(WorkbenchError, match="one caption per image"):
        viz.image_rows({"input": images[:5]}, captions={"input": ["only one"]})
    with pytest.raises(WorkbenchError, match="at least one row"):
        viz.image_rows({})


def test_show_images_caps_and_checks(images):
    assert len(image_axes(viz.show_images(images, max_images=3))) == 3
    with pytest.raises(WorkbenchError, match="channels last"):
        viz.show_images(images.permute(0, 2, 3, 1))


def view_pixels(fig):
    return np.stack([ax.images[0].get_array() for ax in fig.axes])


def test_view_pairs_layout(imageset):
    fig = viz.view_pairs(imageset, ViewConfig(size=12), n_pairs=3, seed=0)
    assert len(fig.axes) == 9 and len(image_axes(fig)) == 9
    assert [ax.get_title() for ax in fig.axes[:3]] == ["original", "view 1", "view 2"]
    assert fig.axes[0].get_ylabel() == "circle"
    assert fig.axes[0].images[0].get_array().shape == (16, 16, 3)  # the original, unchanged
    assert fig.axes[1].images[0].get_array().shape == (12, 12, 3)  # a view at the config's size


def test_view_pairs_seed_is_repeatable_and_leaves_global_rng_alone(images):
    config = ViewConfig(size=16)
    before = torch.get_rng_state()
    first = view_pixels(viz.view_pairs(images, config, n_pairs=4, seed=1))
    again = view_pixels(viz.view_pairs(images, Views(config), n_pairs=4, seed=1))
    other = view_pixels(viz.view_pairs(images, config, n_pairs=4, seed=2))
    assert torch.equal(torch.get_rng_state(), before)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    views = view_pixels(viz.view_pairs(images, config, n_pairs=4, seed=1)).reshape(4, 3, 16, 16, 3)
    assert not np.array_equal(views[:, 1], views[:, 2])  # the two views of a pair differ


def test_view_pairs_accepts_a_method_with_views(images):
    class Method:
        views = Views(ViewConfig(size=8))

    fig = viz.view_pairs(images, Method(), n_pairs=2, seed=0)
    assert fig.axes[2].images[0].get_array().shape == (8, 8, 3)
    with pytest.raises(WorkbenchError, match="ViewConfig"):
        viz.view_pairs(images, "simclr")


# -- loss curves ------------------------------------------------------------------


def test_loss_curve_single_history_with_knn_panel():
    fig = viz.loss_curve(history())
    assert isinstance(fig, Figure)
    loss_ax, knn_ax = fig.axes
    assert len(loss_ax.lines) == 2  # raw (faint) + moving average
    assert len(loss_ax.lines[1].get_xdata()) == 100
    assert loss_ax.lines[1].get_alpha() is None and loss_ax.lines[0].get_alpha() < 1
    assert list(knn_ax.lines[0].get_ydata()) == pytest.approx([0.3, 0.4, 0.5, 0.6])


def test_loss_curve_compares_runs_and_drops_knn_panel_when_absent():
    fig = viz.loss_curve({"τ=0.2": history(knn=False), "τ=0.5": history(knn=False, seed=1)}, smooth=5)
    assert len(fig.axes) == 1
    assert len(fig.axes[0].lines) == 4
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["τ=0.2", "τ=0.5"]
    raw = viz.loss_curve(history(knn=False), smooth=None)
    assert len(raw.axes[0].lines) == 1


def test_loss_curve_rejects_empty_and_wrong_inputs():
    with pytest.raises(WorkbenchError, match="train first"):
        viz.loss_curve(History())
    with pytest.raises(WorkbenchError, match="History"):
        viz.loss_curve([1.0, 2.0])
    with pytest.raises(WorkbenchError, match="smooth"):
        viz.loss_curve(history(), smooth=-3)


def test_moving_average_is_trailing_and_same_length():
    np.testing.assert_allclose(viz.moving_average([1, 2, 3, 4], 2), [1, 1.5, 2.5, 3.5])


# -- embeddings -------------------------------------------------------------------


@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_embedding_scatter(blobs, method):
    features, labels = blobs
    fig = viz.embedding_scatter(features, labels, CLASSES, method=method)
    ax = fig.axes[0]
    assert scatter_points(ax) == 60
    assert [t.get_text() for t in ax.get_legend().get_texts()] == CLASSES


def test_embedding_scatter_umap(blobs):
    """UMAP's first call compiles with numba (~15 s), so this one test is slow."""
    features, labels = blobs
    coords = viz.project(features, "umap", seed=0)
    assert coords.shape == (60, 2) and np.isfinite(coords).all()
    fig = viz.embedding_scatter(features, labels, CLASSES, method="umap")
    assert scatter_points(fig.axes[0]) == 60


def test_project_pca_separates_the_blobs(blobs):
    features, labels = blobs
    coords = viz.project(features, "pca")
    assert coords.shape == (60, 2)
    centres = np.stack([coords[labels.numpy() == k].mean(0) for k in range(3)])
    spread = max(coords[labels.numpy() == k].std(0).max() for k in range(3))
    assert np.linalg.norm(centres[0] - centres[1]) > 3 * spread


def test_unknown_projection_method_lists_the_known_ones(blobs):
    features, labels = blobs
    with pytest.raises(WorkbenchError, match="pca, tsne, umap"):
        viz.embedding_scatter(features, labels, method="isomap")
    with pytest.raises(WorkbenchError, match="Did you mean 'umap'"):
        viz.project(features, "uamp")


def test_embedding_scatter_subsamples_deterministically_and_into_given_axes(blobs):
    features, labels = blobs
    host = Figure()
    ax = host.subplots()
    fig = viz.embedding_scatter(features, labels, method="pca", ax=ax, max_points=25, seed=3)
    assert fig is host
    again = viz.embedding_scatter(features, labels, method="pca", max_points=25, seed=3)
    assert scatter_points(ax) == 25
    np.testing.assert_array_equal(ax.collections[0].get_offsets(), again.axes[0].collections[0].get_offsets())
    assert "25 of 60" in ax.get_title()


def test_embedding_scatter_checks_inputs(blobs):
    features, labels = blobs
    with pytest.raises(WorkbenchError, match="labels"):
        viz.embedding_scatter(features, labels[:10], method="pca")
    with pytest.raises(WorkbenchError, match="NaN"):
        viz.embedding_scatter(features * float("nan"), labels, method="pca")


def test_embedding_scatter_continuous_labels_get_a_colour_bar(blobs):
    features, _ = blobs
    fig = viz.embedding_scatter(features, torch.linspace(0, 1, 60), method="pca")
    assert len(fig.axes) == 2  # the scatter and its colour bar
    assert fig.axes[0].get_legend() is None


def test_embedding_grid_shares_subset_and_legend(blobs):
    features, labels = blobs
    named = {"raw": features, "random": torch.randn(60, 5), "trained": features * 2}
    fig = viz.embedding_grid(named, labels, CLASSES, method="pca", ncols=2, max_points=30)
    panels = [ax for ax in fig.axes if ax.collections]
    assert [ax.get_title() for ax in panels] == list(named)
    assert all(scatter_points(ax) == 30 for ax in panels)
    assert len(fig.axes) == 4  # 2×2, the spare one hidden
    assert [t.get_text() for t in fig.legends[0].get_texts()] == CLASSES
    with pytest.raises(WorkbenchError, match="same images"):
        viz.embedding_grid({"a": features, "b": features[:10]}, labels)


def test_figures_belong_to_the_caller_not_pyplot(images, blobs):
    """pyplot keeps none of them, so Jupyter draws each once (as the cell's value)."""
    import matplotlib.pyplot as plt

    open_before = plt.get_fignums()
    features, labels = blobs
    figures = [
        viz.show_images(images),
        viz.view_pairs(images, seed=0, n_pairs=2),
        viz.loss_curve(history()),
        viz.embedding_scatter(features, labels, method="pca"),
        viz.embedding_grid({"a": features}, labels),
        viz.bar_comparison({"a": {"knn": 0.5, "linear": 0.6}}),
    ]
    assert plt.get_fignums() == open_before
    for fig in figures:
        assert isinstance(fig, Figure)
        fig.canvas.draw()  # still drawable


# -- results ----------------------------------------------------------------------


def test_bar_comparison():
    results = {
        "raw pixels": {"knn": 0.31, "linear": 0.40},
        "random init": {"knn": 0.35, "linear": 0.48},
        "SimCLR": {"knn": 0.78, "linear": 0.82},
    }
    fig = viz.bar_comparison(results, chance=0.1)
    ax = fig.axes[0]
    assert len(ax.patches) == 6
    heights = sorted(p.get_height() for p in ax.patches)
    assert heights[0] == pytest.approx(31) and heights[-1] == pytest.approx(82)
    labels = [t.get_text() for t in ax.texts]
    assert "78.0" in labels and "82.0" in labels
    assert [t.get_text() for t in ax.get_xticklabels()] == list(results)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["kNN", "linear probe", "chance"]

    fractions = viz.bar_comparison(results, metrics=("knn",), percent=False)
    assert len(fractions.axes[0].patches) == 3 and fractions.axes[0].get_ylim()[1] < 2


def test_bar_comparison_checks_inputs():
    with pytest.raises(WorkbenchError, match="knn"):
        viz.bar_comparison({"a": {"knn": 0.5}}, metrics=("linear",))
    only_knn = viz.bar_comparison({"a": {"knn": 0.5}, "b": {"knn": 0.6}})  # linear left out
    assert len(only_knn.axes[0].patches) == 2
    with pytest.raises(WorkbenchError, match=r"\[0, 1\]"):
        viz.bar_comparison({"a": {"knn": 73.0}})
    assert len(viz.bar_comparison({"a": 0.5, "b": 0.7}).axes[0].patches) == 2


def test_similarity_histograms_one_panel_per_run_with_means():
    generator = torch.Generator().manual_seed(0)
    runs = {
        "a": {"positive": torch.full((20,), 0.8), "negative": torch.rand(100, generator=generator) - 0.5},
        "b": {"positive": np.full(10, 0.5), "negative": np.zeros(0)},  # no negatives: only positives drawn
    }
    fig = viz.similarity_histograms(runs, title="sweep")
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert [ax.get_title() for ax in fig.axes] == ["a", "b"]
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend[1] == "positives (mean 0.80)" and legend[0].startswith("negatives (mean ")
    assert len(fig.axes[1].get_legend().get_texts()) == 1
    with pytest.raises(WorkbenchError):
        viz.similarity_histograms({})
    with pytest.raises(WorkbenchError, match="'positive' and 'negative'"):
        viz.similarity_histograms({"a": {"positive": torch.zeros(3)}})


def test_attention_maps_show_every_head_their_mean_and_the_outline(images):
    maps = torch.rand(10, 3, 4, 4)
    masks = torch.zeros(10, 16, 16)
    masks[:, 4:12, 4:12] = 1
    fig = viz.attention_maps(images, maps, masks, max_images=4)
    assert isinstance(fig, Figure) and len(fig.axes) == 4 * 5  # image, 3 heads, mean
    assert [ax.get_title() for ax in fig.axes[:5]] == ["image", "head 1", "head 2", "head 3", "mean"]
    assert any(ax.collections for ax in fig.axes[1:5])  # the object's outline
    with pytest.raises(WorkbenchError, match="maps must be .N, heads, grid, grid."):
        viz.attention_maps(images, maps[:3], masks)


def test_image_text_similarity_shows_the_matrix_with_images_and_captions():
    images = torch.randint(0, 256, (4, 3, 8, 8), dtype=torch.uint8)
    similarity = torch.eye(4) * 0.8 + 0.1
    fig = viz.image_text_similarity(images, ["a", "b", "c", "d"], similarity, title="a batch")
    heat = fig.axes[0]
    assert isinstance(fig, Figure) and np.allclose(heat.images[0].get_array(), similarity.T.numpy())
    assert [label.get_text() for label in heat.get_yticklabels()] == ["a", "b", "c", "d"]
    with pytest.raises(WorkbenchError, match="N images, N captions"):
        viz.image_text_similarity(images, ["a", "b"], similarity)


def test_text_to_image_gallery_frames_right_and_wrong_answers():
    gallery = torch.randint(0, 256, (10, 3, 8, 8), dtype=torch.uint8)
    neighbours = torch.tensor([[0, 1, 2], [3, 4, 5]])
    found = torch.tensor([[True, False, False], [False, False, True]])
    fig = viz.text_to_image_gallery(["a red star", "a blue circle"], gallery, neighbours, found=found)
    assert len(fig.axes) == 6 and fig.axes[0].get_ylabel() == "a red star"
    assert fig.axes[0].spines["left"].get_edgecolor()[:3] != fig.axes[1].spines["left"].get_edgecolor()[:3]
    with pytest.raises(WorkbenchError, match="one row per query"):
        viz.text_to_image_gallery(["only one"], gallery, neighbours)
