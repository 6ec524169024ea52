"""Figures for notebooks: images, views, loss curves, embeddings, results.

    >>> from sslworkbench import viz
    >>> viz.show_images(train_set)                       # a grid of images with class names
    >>> viz.image_rows({"input": x, "prediction": y})    # rows of images side by side
    >>> viz.view_pairs(train_set, method, seed=0)        # original | view 1 | view 2
    >>> viz.loss_curve({"SimCLR": history, "τ=0.5": other})
    >>> viz.embedding_scatter(features, train_set.labels, train_set.classes, method="umap")
    >>> viz.embedding_grid({"raw pixels": px, "random init": f0, "SimCLR": f1}, labels, classes)
    >>> viz.bar_comparison({**baselines(train_set, test_set), "SimCLR": scores})
    >>> viz.similarity_histograms({"τ=0.1": {"positive": pos, "negative": neg}})
    >>> viz.attention_maps(images, vit.attention_maps(images), object_masks)   # where [CLS] looks

Every function returns a :class:`matplotlib.figure.Figure` and never calls
``plt.show()``. Jupyter draws the figure when the call is the last line of a
cell; elsewhere use ``display(fig)`` (e.g. in a loop), and ``fig.savefig("plot.png")``
in a script. pyplot does not keep these figures (it would draw a figure that a cell
returns a second time), so loops and tests never pile up open figures.
"""

from __future__ import annotations

import math
import textwrap
from itertools import cycle

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import PercentFormatter

from ..data.dataset import ImageSet, check_images
from ..errors import WorkbenchError, unknown_name
from ..views.images import ViewConfig, Views

#: The projections :func:`project` knows, fastest first.
PROJECTIONS = ("pca", "tsne", "umap")
PROJECTION_NAMES = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP"}
#: UMAP finds exact neighbours below 4096 points; above, it switches to a slow-to-compile approximate search.
UMAP_MAX_POINTS = 4095
METRIC_NAMES = {"knn": "kNN", "linear": "linear probe"}
TAB10 = [f"C{i}" for i in range(10)]  # matplotlib's default cycle: the tab10 colours


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------


def figure(nrows: int = 1, ncols: int = 1, size=(6.4, 4.0), **subplot_options):
    """A constrained-layout Figure that belongs to the caller, and a 2-D array of its axes.

    Created through pyplot, so that the notebook's backend (and with it Jupyter's
    figure display) is set up, then released from pyplot: closing only makes pyplot
    forget it. It stays drawable; Jupyter shows it once, as the value of a cell.
    """
    fig = plt.figure(figsize=size, layout="constrained")
    plt.close(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False, **subplot_options)
    return fig, axes


def _to_display(images: torch.Tensor) -> np.ndarray:
    """(N, 3, H, W) uint8 or float → (N, H, W, 3) float numpy in [0, 1] for imshow."""
    images = images.detach().cpu()
    images = images.float().div(255) if images.dtype == torch.uint8 else images.float().clamp(0, 1)
    return images.permute(0, 2, 3, 1).numpy()


def _unpack_images(images, labels=None, classes=None):
    """Accept an ImageSet or an (N, 3, H, W) tensor; return (images, labels, classes)."""
    if isinstance(images, ImageSet):
        labels = images.labels if labels is None else labels
        classes = images.classes if classes is None else classes
        images = images.images
    check_images(images, "images to show")
    if labels is not None:
        labels = np.asarray(torch.as_tensor(labels).cpu()).reshape(-1)
        if len(labels) != images.shape[0]:
            raise WorkbenchError(f"{images.shape[0]} images but {len(labels)} labels.")
    return images, labels, classes


def _label_name(label, classes) -> str:
    label = int(label)
    return str(classes[label]) if classes is not None and 0 <= label < len(classes) else str(label)


# ---------------------------------------------------------------------------
# Images and views
# ---------------------------------------------------------------------------


def show_images(images, labels=None, classes=None, ncols: int = 8, title: str | None = None, max_images: int = 64) -> Figure:
    """A grid of images (uint8 0..255 or float 0..1, shape (N, 3, H, W), or an ImageSet).

    With ``labels`` (taken from an ImageSet automatically) each image is titled by
    its class name (``classes[label]``). Only the first ``max_images`` are drawn.
    """
    images, labels, classes = _unpack_images(images, labels, classes)
    n = min(images.shape[0], max_images)
    if n == 0:
        raise WorkbenchError("There are no images to show.")
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig, axes = figure(nrows, ncols, size=(1.3 * ncols, 1.3 * nrows + (0.25 * nrows if labels is not None else 0) + (0.4 if title else 0)))
    pixels = _to_display(images[:n])
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i >= n:
            continue
        ax.imshow(pixels[i], interpolation="nearest")
        if labels is not None:
            ax.set_title(_label_name(labels[i], classes), fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


def image_rows(rows: dict, captions: dict | None = None, title: str | None = None, max_columns: int = 10) -> Figure:
    """Rows of images, one row per name: ``{"input": x, "prediction": y, "truth": z}``.

    What a pretext task sees next to what it predicts. Each value is an (N, 3, H, W)
    tensor (uint8 or float in [0, 1]; rows may differ in H, W); column i shows image
    i of every row. ``captions`` {row name: N strings} titles that row's images,
    e.g. the predicted and the true rotation.
    """
    if not isinstance(rows, dict) or not rows:
        raise WorkbenchError("image_rows needs a dict {row name: images} with at least one row.")
    for name, images in rows.items():
        check_images(images, f"row {name!r}")
    n = min(min(images.shape[0] for images in rows.values()), max_columns)
    captions = captions or {}
    for name, texts in captions.items():
        if name not in rows or len(texts) < n:
            raise WorkbenchError(f"captions[{name!r}] must name a row and give one caption per image shown ({n}).")
    fig, axes = figure(len(rows), n, size=(1.25 * n + 0.9, 1.35 * len(rows) + (0.4 if title else 0)))
    for r, (name, images) in enumerate(rows.items()):
        pixels = _to_display(images[:n])
        for i in range(n):
            ax = axes[r, i]
            ax.imshow(pixels[i], interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.spines[:].set_visible(False)
            if name in captions:
                ax.set_title(str(captions[name][i]), fontsize=7)
        axes[r, 0].set_ylabel(str(name), fontsize=9)
    if title:
        fig.suptitle(title)
    return fig


def retrieval_gallery(queries, gallery, neighbours: torch.Tensor, query_labels=None, gallery_labels=None,
                      classes=None, max_queries: int = 6, title: str | None = None) -> Figure:
    """Each query (first column) next to its nearest gallery images, the nearest
    first: ``neighbours`` is (Q, k) gallery indices (``downstream.nearest_neighbours``).
    With labels, a retrieved image of the query's class is framed green, another red."""
    queries, query_labels, classes = _unpack_images(queries, query_labels, classes)
    gallery, gallery_labels, _ = _unpack_images(gallery, gallery_labels, classes)
    neighbours = torch.as_tensor(neighbours)
    if neighbours.dim() != 2 or neighbours.shape[0] != queries.shape[0]:
        raise WorkbenchError(f"neighbours must be (queries, k) indices: one row per query ({queries.shape[0]}).")
    n, k = min(queries.shape[0], max_queries), neighbours.shape[1]
    fig, axes = figure(n, k + 1, size=(1.2 * (k + 1) + 0.4, 1.35 * n + (0.4 if title else 0)))
    for row in range(n):
        shown = [queries[row]] + [gallery[int(j)] for j in neighbours[row]]
        for column, image in enumerate(_to_display(torch.stack(shown))):
            ax = axes[row, column]
            ax.imshow(image, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if column and query_labels is not None and gallery_labels is not None:
                same = gallery_labels[int(neighbours[row, column - 1])] == query_labels[row]
                ax.spines[:].set_color("tab:green" if same else "tab:red")
                ax.spines[:].set_linewidth(3)
            else:
                ax.spines[:].set_visible(False)
        if query_labels is not None:
            axes[row, 0].set_ylabel(_label_name(query_labels[row], classes), fontsize=8)
    axes[0, 0].set_title("query", fontsize=9)
    for column in range(1, k + 1):
        axes[0, column].set_title(f"#{column}", fontsize=9)
    if title:
        fig.suptitle(title)
    return fig


def image_text_similarity(images, captions, similarity: torch.Tensor, title: str | None = None) -> Figure:
    """CLIP's picture of a batch: the (N images × N captions) similarity matrix as a
    heat map, each image above its column and the captions down the side, so that
    training shows up as a bright diagonal. ``similarity``: (N, N), image i × caption j."""
    from matplotlib.offsetbox import AnnotationBbox, OffsetImage

    images, _, _ = _unpack_images(images)
    similarity = torch.as_tensor(similarity).float()
    n = images.shape[0]
    if similarity.shape != (n, n) or len(captions) != n:
        raise WorkbenchError(f"image_text_similarity needs N images, N captions and an (N, N) matrix; got {n} images, "
                             f"{len(captions)} captions and {tuple(similarity.shape)}.")
    fig, axes = figure(1, 1, size=(0.62 * n + 4.5, 0.5 * n + 1.6 + (0.3 if title else 0)))
    ax = axes[0, 0]
    shown = ax.imshow(similarity.T.numpy(), cmap="viridis")
    ax.set_xticks([])
    ax.set_yticks(range(n), [str(c) for c in captions], fontsize=8)
    for i in range(n):
        for j in range(n):
            ax.text(i, j, f"{similarity[i, j]:.2f}", ha="center", va="center", fontsize=6,
                    color="black" if similarity[i, j] > similarity.mean() else "white")
    for i, image in enumerate(_to_display(images)):
        picture = OffsetImage(image, zoom=1.3, interpolation="nearest")
        ax.add_artist(AnnotationBbox(picture, (i, -0.5), xybox=(0, 4), xycoords="data", boxcoords="offset points",
                                     box_alignment=(0.5, 0), frameon=False, annotation_clip=False))
    fig.colorbar(shown, ax=ax, label="cosine similarity", shrink=0.8)
    ax.set_title(title or "", pad=50)
    return fig


def text_to_image_gallery(queries, gallery, neighbours: torch.Tensor, found=None, title: str | None = None) -> Figure:
    """Each text query (a row, its words on the left) next to the gallery images its
    embedding is nearest to, the nearest first. ``found`` (Q, k) booleans, when given,
    frames each image green (a right answer) or red."""
    gallery, _, _ = _unpack_images(gallery)
    neighbours = torch.as_tensor(neighbours)
    queries = [str(q) for q in queries]
    if neighbours.dim() != 2 or neighbours.shape[0] != len(queries):
        raise WorkbenchError(f"neighbours must be (queries, k) indices: one row per query ({len(queries)}).")
    n, k = len(queries), neighbours.shape[1]
    fig, axes = figure(n, k, size=(1.2 * k + 2.6, 1.3 * n + (0.4 if title else 0)))
    for row in range(n):
        for column, image in enumerate(_to_display(gallery[neighbours[row]])):
            ax = axes[row, column]
            ax.imshow(image, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if found is not None:
                ax.spines[:].set_color("tab:green" if bool(found[row][column]) else "tab:red")
                ax.spines[:].set_linewidth(3)
        axes[row, 0].set_ylabel("\n".join(textwrap.wrap(queries[row], 22)), fontsize=8, rotation=0, ha="right", va="center")
    for column in range(k):
        axes[0, column].set_title(f"#{column + 1}", fontsize=9)
    if title:
        fig.suptitle(title)
    return fig


def attention_maps(images, maps: torch.Tensor, masks: torch.Tensor | None = None, max_images: int = 6,
                   title: str | None = None) -> Figure:
    """Each image (first column) next to where its [CLS] token looks, one column per
    head and one for their mean: ``maps`` (N, heads, grid, grid), e.g. from
    ``vit.attention_maps(images)``. With ``masks`` (N, H, W) the object's outline is
    drawn over every map (``shapes.object_masks``)."""
    images, _, _ = _unpack_images(images)
    maps = torch.as_tensor(maps).float()
    if maps.dim() != 4 or maps.shape[0] != images.shape[0]:
        raise WorkbenchError(f"maps must be (N, heads, grid, grid), one per image ({images.shape[0]}); got {tuple(maps.shape)}.")
    n, heads, side = min(images.shape[0], max_images), maps.shape[1], images.shape[-1]
    fig, axes = figure(n, heads + 2, size=(1.25 * (heads + 2) + 0.4, 1.3 * n + (0.4 if title else 0)))
    extent = (-0.5, side - 0.5, side - 0.5, -0.5)  # the patch grid stretched over the image's pixels
    for row in range(n):
        axes[row, 0].imshow(_to_display(images[row : row + 1])[0], interpolation="nearest")
        for column, attention in enumerate([*maps[row], maps[row].mean(0)], start=1):
            axes[row, column].imshow(attention.numpy(), cmap="inferno", extent=extent, interpolation="nearest")
            if masks is not None:
                axes[row, column].contour(masks[row].numpy(), levels=[0.5], colors="cyan", linewidths=0.8)
        for ax in axes[row]:
            ax.set_xticks([])
            ax.set_yticks([])
    for column, name in enumerate(["image", *(f"head {h + 1}" for h in range(heads)), "mean"]):
        axes[0, column].set_title(name, fontsize=9)
    if title:
        fig.suptitle(title)
    return fig


def _view_config(config_or_views) -> Views:
    """A Views module from None, a ViewConfig, a dict of settings, Views, or a method with ``.views``."""
    source = config_or_views
    if source is None:
        return Views(ViewConfig())
    if isinstance(source, Views):
        return source
    if isinstance(source, ViewConfig):
        return Views(source)
    if isinstance(source, dict):
        return Views(ViewConfig.from_dict(source))
    if isinstance(getattr(source, "views", None), Views):  # a method such as SimCLR
        return source.views
    raise WorkbenchError(
        "view_pairs needs a ViewConfig, a dict of its settings, a Views module or a method "
        f"with .views (got {type(source).__name__})."
    )


def draw_view_pairs(images: torch.Tensor, config_or_views=None, seed: int | None = None):
    """Two random views of each image, as training draws them: ``(view1, view2)``.

    With ``seed`` the views are repeatable and the global random state is left
    exactly as it was (a forked CPU generator is seeded and then restored).
    """
    views = _view_config(config_or_views)
    images = images.detach().cpu()
    if seed is None:
        return views.pairs(images)
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(seed)  # the CPU generator only
        return views.pairs(images)


def view_pairs(images, config_or_views=None, n_pairs: int = 8, seed: int | None = None, title: str | None = None) -> Figure:
    """Each image next to two random views of it: rows = images, columns = original | view 1 | view 2.

    images           an ImageSet or (N, 3, H, W) tensor; the first ``n_pairs`` are used
    config_or_views  a ViewConfig, a dict of its settings, a Views module, or a method
                     (its ``.views``); default ``ViewConfig()``
    seed             draw the same views every time (without touching the global RNG)

    The views come from ``Views.pairs`` → ``make_views``, the code training runs.
    """
    images, labels, classes = _unpack_images(images)
    n = min(n_pairs, images.shape[0])
    if n < 1:
        raise WorkbenchError("There are no images to make views of.")
    images = images[:n]
    view1, view2 = draw_view_pairs(images, config_or_views, seed)
    columns = {"original": _to_display(images), "view 1": _to_display(view1), "view 2": _to_display(view2)}
    fig, axes = figure(n, 3, size=(4.2, 1.35 * n + (0.5 if title else 0.25)))
    for row in range(n):
        for col, (name, pixels) in enumerate(columns.items()):
            ax = axes[row, col]
            ax.imshow(pixels[row], interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(name, fontsize=10)
        if labels is not None:
            axes[row, 0].set_ylabel(_label_name(labels[row], classes), fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


# ---------------------------------------------------------------------------
# Training curves
# ---------------------------------------------------------------------------


def _as_runs(history_or_histories) -> dict:
    """{label: History}; a single History gets the label None."""
    value = history_or_histories
    if hasattr(value, "steps") and hasattr(value, "epochs"):
        runs = {None: value}
    elif isinstance(value, dict) and value:
        runs = dict(value)
    elif isinstance(value, (list, tuple)) and value:
        runs = {f"run {i + 1}": h for i, h in enumerate(value)}
    else:
        raise WorkbenchError(
            "loss_curve needs a History (what train() returns) or a dict {label: History} "
            f"(got {type(value).__name__} {value!r:.60})."
        )
    for label, history in runs.items():
        if not (hasattr(history, "steps") and hasattr(history, "epochs")):
            raise WorkbenchError(f"{label!r} is a {type(history).__name__}, not a History (what train() returns).")
        if not history.steps:
            name = "The history" if label is None else f"The history {label!r}"
            raise WorkbenchError(f"{name} has no training steps yet: train first.")
    return runs


def moving_average(values, window: int) -> np.ndarray:
    """Trailing mean over ``window`` values (over fewer at the start), same length as ``values``."""
    values = np.asarray(values, dtype=float)
    total = np.concatenate(([0.0], np.cumsum(values)))
    end = np.arange(1, len(values) + 1)
    start = np.maximum(0, end - window)
    return (total[end] - total[start]) / (end - start)


def _window(smooth, n: int) -> int:
    if smooth in (None, False, 0):
        return 1
    if smooth == "auto":
        return max(1, n // 25)
    if isinstance(smooth, int) and smooth > 0:
        return min(smooth, n)
    raise WorkbenchError(f"smooth must be 'auto', a window in steps (an integer ≥ 1), or None (got {smooth!r}).")


def loss_curve(history_or_histories, smooth="auto", title: str | None = None) -> Figure:
    """The loss at every training step; several runs compare when given as {label: History}.

    smooth   window of the moving average in steps ("auto": 1/25 of the run; None: raw only).
             The raw loss is drawn faintly behind the smoothed line.
    If the histories logged kNN accuracy (``KNNMonitor``), a second panel shows it per epoch.
    """
    runs = _as_runs(history_or_histories)
    with_knn = any(row.get("knn") is not None for h in runs.values() for row in h.epochs)
    fig, axes = figure(1, 2 if with_knn else 1, size=(11.0 if with_knn else 6.4, 4.0))
    loss_ax = axes[0, 0]
    smoothed = False
    for color, (label, history) in zip(cycle(TAB10), runs.items()):
        steps = np.array([row.get("step", i) for i, row in enumerate(history.steps)], dtype=float)
        losses = np.array([row["loss"] for row in history.steps], dtype=float)
        finite = np.isfinite(losses)
        steps, losses = steps[finite], losses[finite]
        window = _window(smooth, len(losses))
        name = "loss" if label is None else str(label)
        if history.stopped_reason or history.interrupted:
            name += " (stopped early)"
        if window > 1:
            smoothed = True
            loss_ax.plot(steps, losses, color=color, alpha=0.25, linewidth=0.8)
            name += f", mean of {window} steps" if label is None else ""
            loss_ax.plot(steps, moving_average(losses, window), color=color, linewidth=2, label=name)
        else:
            loss_ax.plot(steps, losses, color=color, linewidth=1.5, label=name)
    loss_ax.set_xlabel("training step")
    loss_ax.set_ylabel("loss")
    loss_ax.set_title("Training loss (faint line: every step)" if smoothed else "Training loss")
    loss_ax.grid(alpha=0.3)
    loss_ax.legend(frameon=False)
    if with_knn:
        _knn_panel(axes[0, 1], runs)
    if title:
        fig.suptitle(title)
    return fig


def _knn_panel(ax, runs: dict) -> None:
    for color, (label, history) in zip(cycle(TAB10), runs.items()):
        rows = [row for row in history.epochs if row.get("knn") is not None]
        if rows:
            ax.plot([row["epoch"] for row in rows], [row["knn"] for row in rows], "o-", color=color,
                    label="kNN accuracy" if label is None else str(label))
    ax.set_xlabel("epoch")
    ax.set_ylabel("kNN accuracy (test set)")
    ax.set_title("kNN accuracy after each epoch")
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1))
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)


# ---------------------------------------------------------------------------
# Embeddings
# ---------------------------------------------------------------------------


def _as_matrix(features) -> np.ndarray:
    x = features.detach().cpu().float().numpy() if isinstance(features, torch.Tensor) else np.asarray(features, dtype=np.float32)
    if x.ndim != 2:
        raise WorkbenchError(f"features must be a 2-D array (N, D), one row per image; got shape {x.shape}.")
    if not np.isfinite(x).all():
        raise WorkbenchError("features contain NaN or inf values: did training diverge?")
    return x.astype(np.float32, copy=False)


def _check_method(method: str) -> str:
    key = str(method).lower().replace("-", "")
    if key not in PROJECTIONS:
        raise unknown_name("projection method", method, PROJECTIONS)
    return key


def project(features, method: str = "umap", seed: int = 0) -> np.ndarray:
    """The 2-D coordinates, an (N, 2) numpy array, of features (N, D): "pca", "tsne" or "umap".

    PCA is instant and linear; t-SNE and UMAP keep neighbourhoods and show clusters.
    The first UMAP call of a session is slow, because numba compiles UMAP's code
    (``python benchmarks/timings.py umap_first_call`` times it); keep UMAP
    inputs under 4096 points (``embedding_scatter`` subsamples for you).
    """
    method = _check_method(method)
    x = _as_matrix(features)
    n = x.shape[0]
    if method == "pca":
        from sklearn.decomposition import PCA

        if n < 2:
            raise WorkbenchError(f"PCA needs at least 2 points (got {n}).")
        k = min(2, n, x.shape[1])
        coords = PCA(n_components=k, random_state=seed).fit_transform(x)
        return np.pad(coords, ((0, 0), (0, 2 - k))).astype(np.float32)
    if n < 5:
        raise WorkbenchError(f"{PROJECTION_NAMES[method]} needs at least 5 points (got {n}); use method='pca'.")
    if method == "tsne":
        from sklearn.manifold import TSNE

        tsne = TSNE(n_components=2, perplexity=min(30.0, (n - 1) / 3), init="pca", random_state=seed)
        return tsne.fit_transform(x).astype(np.float32)
    try:
        import umap
    except ImportError:
        raise WorkbenchError("UMAP needs the umap-learn package (pip install umap-learn); or use method='tsne' or 'pca'.") from None
    reducer = umap.UMAP(n_components=2, n_neighbors=min(15, n - 1), random_state=seed, n_jobs=1)
    return reducer.fit_transform(x).astype(np.float32)


def _subsample(n: int, max_points: int, seed: int) -> np.ndarray:
    """Sorted indices of a seeded random subset of ``max_points`` out of ``n`` (all if fewer)."""
    if n <= max_points:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=max_points, replace=False))


def _prepare_labels(labels, n: int):
    if labels is None:
        return None
    y = np.asarray(labels.detach().cpu() if isinstance(labels, torch.Tensor) else labels).reshape(-1)
    if len(y) != n:
        raise WorkbenchError(f"{n} feature rows but {len(y)} labels: they must match one to one.")
    return y


def _is_continuous(y) -> bool:
    """Float values that are not whole numbers (e.g. an ImageSet extra such as hue) get a colour bar."""
    return y is not None and np.issubdtype(y.dtype, np.floating) and not np.all(np.mod(y, 1) == 0)


def _class_colors(num_classes: int):
    """tab10 up to 10 classes, tab20 up to 20, then evenly spaced turbo."""
    from matplotlib import colormaps

    if num_classes <= 10:
        return TAB10
    if num_classes <= 20:
        return [colormaps["tab20"](i) for i in range(num_classes)]
    return [colormaps["turbo"](i / max(1, num_classes - 1)) for i in range(num_classes)]


def _scatter(ax, coords: np.ndarray, y, classes, method: str, num_classes: int):
    """Draw the points; returns the colour-bar mappable for continuous ``y``, else None."""
    size = float(np.clip(6000 / max(1, len(coords)), 4, 30))
    options = dict(s=size, alpha=0.75, linewidths=0, rasterized=len(coords) > 1000)
    mappable = None
    if y is None:
        ax.scatter(coords[:, 0], coords[:, 1], color=TAB10[0], **options)
    elif _is_continuous(y):
        mappable = ax.scatter(coords[:, 0], coords[:, 1], c=y, cmap="viridis", **options)
    else:
        colors = _class_colors(num_classes)
        ax.scatter(coords[:, 0], coords[:, 1], c=[colors[int(v) % len(colors)] for v in y], **options)
    name = PROJECTION_NAMES[method]
    ax.set_xlabel(f"{name} 1")
    ax.set_ylabel(f"{name} 2")
    ax.set_xticks([])
    ax.set_yticks([])
    return mappable


def _legend_handles(y, classes, num_classes: int):
    """One round marker per class present in ``y``, named by ``classes``; none past 20 classes."""
    if y is None or _is_continuous(y) or num_classes > 20:
        return []
    colors = _class_colors(num_classes)
    return [
        Line2D([], [], linestyle="", marker="o", markersize=7, color=colors[int(v) % len(colors)], label=_label_name(v, classes))
        for v in np.unique(y.astype(int))
    ]


def _num_classes(y, classes) -> int:
    if classes is not None:
        return len(classes)
    return int(y.max()) + 1 if y is not None and len(y) and not _is_continuous(y) else 1


def embedding_scatter(
    features,
    labels,
    classes=None,
    method: str = "umap",
    seed: int = 0,
    ax=None,
    title: str | None = None,
    max_points: int = 4000,
) -> Figure:
    """A 2-D map of features (N, D), one dot per image, coloured by its label.

    method      "umap" (default, clusters; slow the first time), "tsne" or "pca" (instant)
    classes     names for the legend, ``classes[label]``
    ax          draw into this matplotlib Axes instead of a new figure (returns its figure;
                if that is a pyplot figure, end the cell with ``;`` so Jupyter draws it once)
    max_points  plot a seeded random subset of at most this many points (UMAP: < 4096)

    Float labels that are not whole numbers (e.g. ``train_set.extras["hue"]``) are drawn
    with a colour bar instead of a legend. :func:`project` gives the coordinates alone.
    """
    method = _check_method(method)
    x = _as_matrix(features)
    y = _prepare_labels(labels, x.shape[0])
    limit = min(max_points, UMAP_MAX_POINTS) if method == "umap" else max_points
    index = _subsample(x.shape[0], limit, seed)
    coords = project(x[index], method, seed)
    y = None if y is None else y[index]
    num_classes = _num_classes(y, classes)
    if ax is None:
        fig, axes = figure(size=(6.8, 5.0))
        ax = axes[0, 0]
    fig = ax.figure
    mappable = _scatter(ax, coords, y, classes, method, num_classes)
    handles = _legend_handles(y, classes, num_classes)
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9)
    if mappable is not None:
        fig.colorbar(mappable, ax=ax)
    subset = f" (random {len(index)} of {x.shape[0]})" if len(index) < x.shape[0] else ""
    ax.set_title(title or f"{PROJECTION_NAMES[method]} of {len(index)} embeddings{subset}")
    return fig


def embedding_grid(
    named_features: dict,
    labels,
    classes=None,
    method: str = "pca",
    seed: int = 0,
    max_points: int = 2000,
    ncols: int = 3,
    title: str | None = None,
) -> Figure:
    """Several embedding maps side by side, e.g. {"raw pixels": ..., "random init": ..., "SimCLR": ...}.

    Every panel shows the same images (one seeded subset) with the same colours and one
    shared legend, so only the representation differs.
    """
    if not isinstance(named_features, dict) or not named_features:
        raise WorkbenchError("embedding_grid needs a dict {name: features (N, D)} with at least one entry.")
    method = _check_method(method)
    matrices = {name: _as_matrix(f) for name, f in named_features.items()}
    sizes = {name: m.shape[0] for name, m in matrices.items()}
    if len(set(sizes.values())) > 1:
        raise WorkbenchError(f"All features must describe the same images; got row counts {sizes}.")
    n = next(iter(sizes.values()))
    y = _prepare_labels(labels, n)
    limit = min(max_points, UMAP_MAX_POINTS) if method == "umap" else max_points
    index = _subsample(n, limit, seed)
    y = None if y is None else y[index]
    num_classes = _num_classes(y, classes)
    ncols = max(1, min(ncols, len(matrices)))
    nrows = math.ceil(len(matrices) / ncols)
    fig, axes = figure(nrows, ncols, size=(3.8 * ncols + 1.6, 3.8 * nrows + (0.4 if title else 0)))
    mappable = None
    for ax, (name, x) in zip(axes.flat, matrices.items()):
        mappable = _scatter(ax, project(x[index], method, seed), y, classes, method, num_classes)
        ax.set_title(name)
    for ax in list(axes.flat)[len(matrices):]:
        ax.set_axis_off()
    handles = _legend_handles(y, classes, num_classes)
    if handles:
        fig.legend(handles=handles, loc="outside right upper", frameon=False, fontsize=9)
    if mappable is not None:
        fig.colorbar(mappable, ax=axes.ravel().tolist())
    subset = f", random {len(index)} of {n} images" if len(index) < n else f", {n} images"
    fig.suptitle(title or f"{PROJECTION_NAMES[method]} of each representation{subset}")
    return fig


def similarity_histograms(runs: dict, title: str | None = None, xlabel: str = "cosine similarity") -> Figure:
    """One panel per run: histograms of positive-pair vs negative-pair similarities.

    runs  {name: {"positive": similarities, "negative": similarities}} (1-D tensors or
          arrays, e.g. what ``widgets.pair_similarities`` returns); each panel marks the
          two means with dashed lines and gives them in its legend
    """
    if not isinstance(runs, dict) or not runs:
        raise WorkbenchError("similarity_histograms needs {name: {'positive': ..., 'negative': ...}} with at least one run.")
    fig, axes = figure(1, len(runs), size=(3.2 * len(runs) + 0.4, 2.9), sharex=True)
    bins = np.linspace(-1, 1, 41)
    for ax, (name, similarity) in zip(axes[0], runs.items()):
        if not isinstance(similarity, dict) or not {"positive", "negative"} <= set(similarity):
            raise WorkbenchError(f"run {name!r}: give a dict with 'positive' and 'negative' similarities.")
        for key, color, label in (("negative", "C7", "negatives"), ("positive", "C1", "positives")):
            values = np.asarray(similarity[key], dtype=float).ravel()
            if len(values):
                ax.hist(values, bins=bins, density=True, alpha=0.6, color=color, label=f"{label} (mean {values.mean():.2f})")
                ax.axvline(values.mean(), color=color, linestyle="--", linewidth=1)
        ax.set_title(str(name), fontsize=10)
        ax.set_xlabel(xlabel, fontsize=9)
        ax.set_yticks([])
        ax.legend(frameon=False, fontsize=7, loc="upper left")
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------


def bar_comparison(
    results: dict,
    metrics=("knn", "linear"),
    title: str | None = None,
    percent: bool = True,
    chance: float | None = None,
) -> Figure:
    """Grouped bars of accuracies: one group per model, one bar per metric, value on top.

    results  {model: {metric: accuracy in [0, 1]}}, e.g. ``{**baselines(train, test),
             "SimCLR": evaluate_backbone(...)}``; or {model: accuracy} for one metric
    metrics  which bars, in order (one that no model has is left out)
    percent  label the axis in percent (True) or as fractions 0..1
    chance   draw a dashed line at this accuracy (1 / number of classes)
    """
    if not isinstance(results, dict) or not results:
        raise WorkbenchError("bar_comparison needs a dict {model: {metric: accuracy}} with at least one model.")
    if all(isinstance(v, (int, float)) for v in results.values()):
        results, metrics = {name: {"accuracy": v} for name, v in results.items()}, ("accuracy",)
    metrics = (metrics,) if isinstance(metrics, str) else tuple(metrics)
    available = sorted({key for scores in results.values() for key in scores})
    present = tuple(m for m in metrics if m in available)  # a metric no model has is left out
    if not present:
        raise WorkbenchError(f"No model has the metric {metrics[0]!r}; the results have: {', '.join(available)}.")
    metrics = present
    values = np.array([[float(results[name].get(m, np.nan)) for m in metrics] for name in results])
    if np.any((values[np.isfinite(values)] < 0) | (values[np.isfinite(values)] > 1)):
        raise WorkbenchError("Accuracies must be fractions in [0, 1] (e.g. 0.73, not 73).")
    scale = 100.0 if percent else 1.0
    names = [str(name) for name in results]
    x = np.arange(len(names))
    width = 0.8 / len(metrics)
    fig, axes = figure(size=(max(5.0, 1.3 * len(names) * max(1, len(metrics) / 2) + 1.5), 4.2))
    ax = axes[0, 0]
    for j, metric in enumerate(metrics):
        column = values[:, j] * scale
        bars = ax.bar(x + (j - (len(metrics) - 1) / 2) * width, np.nan_to_num(column), width,
                      color=TAB10[j % 10], label=METRIC_NAMES.get(metric, metric))
        text = [(f"{v:.1f}" if percent else f"{v:.2f}") if np.isfinite(v) else "" for v in column]
        ax.bar_label(bars, labels=text, padding=2, fontsize=8)
    if chance is not None:
        ax.axhline(chance * scale, color="0.4", linestyle="--", linewidth=1, label="chance")
    ax.set_xticks(x, names, rotation=20 if max(map(len, names)) > 12 else 0, ha="right" if max(map(len, names)) > 12 else "center")
    ax.set_ylim(0, 1.15 * scale)
    ax.set_yticks(np.linspace(0, scale, 6))
    ax.set_ylabel("accuracy (%)" if percent else "accuracy")
    if percent:
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=100, decimals=0))
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    handles, entries = ax.get_legend_handles_labels()
    order = sorted(range(len(entries)), key=lambda i: entries[i] == "chance")  # the bars first
    ax.legend([handles[i] for i in order], [entries[i] for i in order], loc="upper left", ncols=len(entries), frameon=False)
    ax.set_title(title or "Accuracy on the test set")
    return fig
