"""Interactive apps for the notebooks: an augmentation explorer and a live training dashboard.

    >>> from sslworkbench import widgets
    >>> explorer = widgets.AugmentationExplorer("shapes", preset="SimCLR")
    >>> explorer                                   # the last value of a cell: shows the app
    >>> explorer.set_encoder(method.backbone)      # adds "what the encoder thinks"
    >>> dashboard = widgets.TrainingDashboard(knn=(train_subset, test_subset))
    >>> history = sw.train(method, train_set, epochs=5, callbacks=[dashboard])

The apps are thin. The views come from :func:`sslworkbench.course.viz.draw_view_pairs`, the
code path training runs (``Views.pairs``); the similarities from :func:`pair_similarities`;
the dashboard's figure from :meth:`TrainingDashboard.figure`. A control only sets a value
that the app turns into a :class:`~sslworkbench.views.images.ViewConfig` (``explorer.config``).
What the controls change is plain state a test (or a curious learner) can read:
``explorer.view1``, ``explorer.view2``, ``explorer.image.value`` (the PNG shown),
``explorer.similarity``; ``dashboard.history``, ``dashboard.stopped``.
"""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

import ipywidgets as W
import numpy as np
import torch
import torch.nn.functional as F

from ..data import load_dataset
from ..data.dataset import ImageSet, resize_uint8
from ..errors import WorkbenchError
from ..evaluation.probes import embed
from ..training.trainer import Callback, KNNMonitor
from ..views.images import PRESETS, ViewConfig
from . import viz

#: What the explorer can show: the embedded sets, and scikit-learn's two bundled photos.
EXPLORER_DATASETS = ("shapes", "digits", "photos")
PHOTO_SIZE = 256  # the photos, centre-cropped to a square, are resized to this…
PHOTO_VIEW_SIZE = 128  # …and their views are this large: a high-resolution look
POOL_SIZE = 256  # images per dataset the explorer keeps
SIMILARITY_IMAGES = 128  # of which the encoder panel compares this many (python benchmarks/timings.py explorer)
TILE = 96  # small images are enlarged (nearest neighbour) to about this many pixels


# ---------------------------------------------------------------------------
# Data and pictures (plain functions; the apps call them)
# ---------------------------------------------------------------------------


def load_photos(size: int = PHOTO_SIZE) -> ImageSet:
    """scikit-learn's two sample photos (a temple in China, a flower), square, ``size``×``size``."""
    from sklearn.datasets import load_sample_images

    bundle = load_sample_images()
    squares = []
    for array in bundle.images:  # (427, 640, 3) uint8
        height, width, _ = array.shape
        side = min(height, width)
        top, left = (height - side) // 2, (width - side) // 2
        squares.append(torch.from_numpy(np.ascontiguousarray(array[top : top + side, left : left + side])).permute(2, 0, 1))
    names = [Path(name).stem for name in bundle.filenames]
    return ImageSet(resize_uint8(torch.stack(squares), size), torch.arange(len(names)), names, "photos")


def explorer_images(dataset: str, n: int = POOL_SIZE) -> ImageSet:
    """The images the explorer shows: the first ``n`` of a dataset's training split, or the photos."""
    if dataset == "photos":
        return load_photos()
    if dataset not in EXPLORER_DATASETS:
        raise WorkbenchError(f"The explorer shows one of {', '.join(EXPLORER_DATASETS)} (got {dataset!r}).")
    return load_dataset(dataset, split="train", n=n)


def _enlarge(images: torch.Tensor, size: int) -> torch.Tensor:
    """float (N, 3, h, w) in [0, 1] → uint8 (N, 3, size·k, size·k): resized to ``size``, then
    enlarged by a whole factor k (nearest neighbour) so that small images stay crisp."""
    images = images.float()
    if images.shape[-1] != size:
        images = F.interpolate(images, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
    zoom = max(1, TILE // size)
    if zoom > 1:
        images = images.repeat_interleave(zoom, dim=2).repeat_interleave(zoom, dim=3)
    return (images.clamp(0, 1) * 255).round().to(torch.uint8)


def pair_grid(originals, view1, view2, ncols: int = 4, captions=None) -> np.ndarray:
    """One picture of many positive pairs: an (H, W, 3) uint8 array.

    Each cell is ``original | view 1 | view 2``; ``ncols`` cells a row; ``captions``
    (one string per pair, e.g. the cosine similarity) are written under the cells.
    """
    from PIL import Image, ImageDraw

    n, size = view1.shape[0], view1.shape[-1]
    originals = originals.float().div(255) if originals.dtype == torch.uint8 else originals
    tiles = [_enlarge(x.detach().cpu(), size) for x in (originals, view1, view2)]
    tile = tiles[0].shape[-1]
    gap, cell_gap, caption_h = 2, 12, 14 if captions is not None else 0
    cell_w = 3 * tile + 2 * gap
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    canvas = np.full((nrows * (tile + caption_h + cell_gap), ncols * (cell_w + cell_gap), 3), 255, dtype=np.uint8)
    for i in range(n):
        y, x = (i // ncols) * (tile + caption_h + cell_gap), (i % ncols) * (cell_w + cell_gap)
        for j, column in enumerate(tiles):
            left = x + j * (tile + gap)
            canvas[y : y + tile, left : left + tile] = column[i].permute(1, 2, 0).numpy()
    if captions is not None:
        picture = Image.fromarray(canvas)
        draw = ImageDraw.Draw(picture)
        for i, text in enumerate(captions):
            y, x = (i // ncols) * (tile + caption_h + cell_gap), (i % ncols) * (cell_w + cell_gap)
            draw.text((x + tile + gap, y + tile + 1), str(text), fill=(0, 0, 0))
        canvas = np.asarray(picture)
    return canvas


def png_bytes(figure) -> bytes:
    """A matplotlib Figure as PNG bytes (what an Image widget shows)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    return buffer.getvalue()


def jpeg_bytes(picture: np.ndarray, quality: int = 92) -> bytes:
    """An (H, W, 3) uint8 array as JPEG bytes: many times faster to encode than PNG for big grids
    (``python benchmarks/timings.py explorer``), so the explorer redraws while a slider moves."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="jpeg", quality=quality)
    return buffer.getvalue()


@torch.no_grad()
def pair_similarities(backbone, images, config, seed: int = 0, sources=None) -> dict:
    """How alike a backbone finds two views of one image, and views of different images.

    Draws a positive pair of every image with ``config`` (as training does), embeds the
    views, and returns cosine similarities of the features:

    positive  (N,) similarity of each image's two views
    negative  similarities of view 1 of image i and view 2 of image j, for every pair of
              different images (``sources``: an id per image; equal ids are not negatives)
    """
    images = images.images if isinstance(images, ImageSet) else images
    view1, view2 = viz.draw_view_pairs(images, config, seed)
    h1 = F.normalize(embed(backbone, view1), dim=1)
    h2 = F.normalize(embed(backbone, view2), dim=1)
    cosine = h1 @ h2.T
    sources = torch.arange(len(images)) if sources is None else torch.as_tensor(sources)
    different = sources.view(-1, 1) != sources.view(1, -1)
    return {"positive": cosine.diagonal().clone(), "negative": cosine[different]}


def similarity_figure(similarity: dict, title: str | None = None):
    """Histograms of positive vs negative similarities (what :func:`pair_similarities` returns)."""
    fig, axes = viz.figure(size=(5.6, 3.0))
    ax = axes[0, 0]
    bins = np.linspace(-1, 1, 41)
    for key, color, name in (("negative", "C7", "different images"), ("positive", "C1", "two views of one image")):
        values = similarity[key].numpy()
        if len(values):
            ax.hist(values, bins=bins, density=True, alpha=0.6, color=color, label=f"{name} (mean {values.mean():.2f})")
            ax.axvline(values.mean(), color=color, linestyle="--", linewidth=1)
    ax.set_xlabel("cosine similarity of the encoder's features")
    ax.set_yticks([])
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    ax.set_title(title or "What the encoder thinks: positives vs negatives", fontsize=10)
    return fig


def _backbone_of(encoder):
    """A backbone from a backbone, a method (its ``.backbone``), or a checkpoint path."""
    if isinstance(encoder, (str, Path)):
        from ..training.checkpoint import load_method

        encoder = load_method(encoder)
    backbone = getattr(encoder, "backbone", encoder)
    if not isinstance(backbone, torch.nn.Module):
        raise WorkbenchError(
            "set_encoder needs a trained backbone, a method (its .backbone is used) or a checkpoint path "
            f"(got {type(encoder).__name__})."
        )
    return backbone


# ---------------------------------------------------------------------------
# The augmentation explorer
# ---------------------------------------------------------------------------

#: Each augmentation: the setting that switches it off, and its sliders
#: (name, label, min, max, step, value shown when the preset leaves it off).
AUGMENTATIONS = {
    "crop": {"label": "random resized crop", "off": {"scale": (1.0, 1.0), "ratio": (1.0, 1.0)},
             "sliders": [("scale", "area kept", 0.02, 1.0, 0.02, (0.2, 1.0)), ("ratio", "aspect ratio", 0.25, 4.0, 0.05, (0.75, 1.33))]},
    "flip": {"label": "horizontal flip", "off": {"flip_p": 0.0},
             "sliders": [("flip_p", "probability", 0.0, 1.0, 0.05, 0.5)]},
    "rotation": {"label": "rotation", "off": {"degrees": 0.0},
                 "sliders": [("degrees", "± degrees", 0.0, 180.0, 5.0, 30.0)]},
    "jitter": {"label": "colour jitter", "off": {"jitter_p": 0.0},
               "sliders": [("jitter_p", "probability", 0.0, 1.0, 0.05, 0.8), ("brightness", "brightness", 0.0, 1.5, 0.05, 0.4),
                           ("contrast", "contrast", 0.0, 1.5, 0.05, 0.4), ("saturation", "saturation", 0.0, 1.5, 0.05, 0.4),
                           ("hue", "hue", 0.0, 0.5, 0.01, 0.1)]},
    "grayscale": {"label": "grayscale", "off": {"grayscale_p": 0.0},
                  "sliders": [("grayscale_p", "probability", 0.0, 1.0, 0.05, 0.2)]},
    "blur": {"label": "Gaussian blur", "off": {"blur_p": 0.0},
             "sliders": [("blur_p", "probability", 0.0, 1.0, 0.05, 0.5), ("kernel_size", "kernel size", 1, 31, 2, 3),
                         ("sigma", "sigma", 0.1, 5.0, 0.1, (0.1, 2.0))]},
    "solarize": {"label": "solarize", "off": {"solarize_p": 0.0},
                 "sliders": [("solarize_p", "probability", 0.0, 1.0, 0.05, 0.2), ("threshold", "threshold", 0.0, 1.0, 0.05, 0.5)]},
}


def _is_on(augmentation: str, config: ViewConfig) -> bool:
    return any(getattr(config, key) != value for key, value in AUGMENTATIONS[augmentation]["off"].items())


def _slider(label, low, high, step, value, continuous_update):
    style, layout = {"description_width": "90px"}, W.Layout(width="380px")
    options = dict(min=low, max=high, step=step, value=value, description=label, style=style, layout=layout,
                   continuous_update=continuous_update)
    if isinstance(value, tuple):
        return W.FloatRangeSlider(readout_format=".2f", **options)
    if isinstance(step, int):
        return W.IntSlider(**options)
    return W.FloatSlider(readout_format=".2f", **options)


class AugmentationExplorer:
    """Many positive pairs at once, re-drawn whenever a control moves.

    dataset           "shapes", "digits" or "photos" (scikit-learn's two photos, larger views),
                      or an ImageSet of your own
    preset            "SimCLR", "BYOL", "MoCo v2" (each paper's small-image settings) or a ViewConfig
    n_pairs           how many pairs to show; they cycle through ``n_images`` images from ``first``
    encoder           a trained backbone / method / checkpoint path: adds "what the encoder thinks"
    continuous_update re-draw while a slider is dragged (True) or when it is let go (False)
    """

    def __init__(self, dataset="shapes", preset="SimCLR", n_pairs: int = 16, n_images: int = 4, first: int = 0,
                 seed: int = 0, encoder=None, continuous_update: bool = False):
        self._busy = False  # True while the app sets several controls at once (one re-draw at the end)
        self._pools: dict = {}
        self.encoder = None
        self.similarity: dict | None = None
        self.pair_similarity: torch.Tensor | None = None
        self.draw_seconds = float("nan")

        own = isinstance(dataset, ImageSet)
        if own:
            self._pools[dataset.name] = dataset
        names = [dataset.name] if own else list(EXPLORER_DATASETS)
        self.dataset = W.Dropdown(options=names, value=dataset.name if own else dataset, description="dataset")
        self.preset = W.Dropdown(options=[*PRESETS, "custom"], value="custom", description="preset")
        self.n_pairs = W.IntSlider(value=n_pairs, min=1, max=32, description="pairs", continuous_update=False)
        self.n_images = W.IntSlider(value=n_images, min=1, max=16, description="images", continuous_update=False)
        self.first = W.BoundedIntText(value=first, min=0, max=POOL_SIZE - 1, description="first image")
        self.seed = W.IntText(value=seed, description="seed")
        self.resample = W.Button(description="resample", icon="refresh", tooltip="new random views (seed + 1)")
        self.switches: dict[str, W.Checkbox] = {}
        self.sliders: dict[str, W.Widget] = {}
        for name, spec in AUGMENTATIONS.items():
            self.switches[name] = W.Checkbox(value=True, description=spec["label"], indent=False)
            for key, label, low, high, step, value in spec["sliders"]:
                self.sliders[key] = _slider(label, low, high, step, value, continuous_update)
        self.image = W.Image(format="jpeg")
        self.status = W.HTML()
        self.similarity_image = W.Image(format="png")
        self.similarity_box = W.VBox([W.HTML("<b>What the encoder thinks</b>"), self.similarity_image])
        self.similarity_box.layout.display = "none"

        self.apply_preset(preset, redraw=False)
        for control in (self.dataset, self.n_pairs, self.n_images, self.first, self.seed):
            control.observe(self._on_change, names="value")
        for control in (*self.switches.values(), *self.sliders.values()):
            control.observe(self._on_control_change, names="value")
        self.preset.observe(self._on_preset, names="value")
        self.resample.on_click(self._on_resample)
        self.widget = self._layout()
        if encoder is not None:
            self.set_encoder(encoder, redraw=False)
        self.redraw()

    # -- layout -----------------------------------------------------------

    def _layout(self) -> W.Widget:
        groups = []
        for name, spec in AUGMENTATIONS.items():
            groups.append(W.VBox([self.switches[name], *(self.sliders[key] for key, *_ in spec["sliders"])],
                                 layout=W.Layout(border="1px solid #ddd", padding="2px 4px", margin="2px")))
        controls = W.VBox(groups, layout=W.Layout(width="400px", flex="0 0 auto"))
        top = W.HBox([self.dataset, self.preset, self.seed, self.resample])
        picks = W.HBox([self.n_pairs, self.n_images, self.first])
        return W.VBox([top, picks, W.HBox([controls, W.VBox([self.image, self.status, self.similarity_box])])])

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    # -- state --------------------------------------------------------------

    @property
    def images(self) -> ImageSet:
        """The current dataset's pool of images (loaded once, then kept)."""
        name = self.dataset.value
        if name not in self._pools:
            self._pools[name] = explorer_images(name)
        return self._pools[name]

    @property
    def view_size(self) -> int:
        return PHOTO_VIEW_SIZE if self.dataset.value == "photos" else self.images.image_size

    @property
    def config(self) -> ViewConfig:
        """The ViewConfig the controls describe (what training would use)."""
        settings = {key: slider.value for key, slider in self.sliders.items()}
        for name, switch in self.switches.items():
            if not switch.value:
                settings.update(AUGMENTATIONS[name]["off"])
        return ViewConfig(size=self.view_size, **settings)

    def selected(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The images of the shown pairs (N, 3, H, W), cycling through the chosen ones, and their ids."""
        pool = self.images
        count = min(self.n_images.value, len(pool))
        start = min(self.first.value, len(pool) - count)
        ids = start + torch.arange(self.n_pairs.value) % count
        return pool.images[ids], ids

    def apply_preset(self, preset, redraw: bool = True) -> None:
        """Set every control to a published pipeline ("SimCLR", "BYOL", "MoCo v2") or a ViewConfig."""
        if isinstance(preset, ViewConfig):
            config, name = preset, "custom"
        elif preset in PRESETS:
            config, name = PRESETS[preset](self.view_size), preset
        else:
            raise WorkbenchError(f"Unknown preset {preset!r}. Presets: {', '.join(PRESETS)}, or a ViewConfig.")
        self._busy = True
        try:
            for augmentation, spec in AUGMENTATIONS.items():
                on = _is_on(augmentation, config)
                self.switches[augmentation].value = on
                for key, _, low, high, _, shown_when_off in spec["sliders"]:
                    # a switched-off augmentation's sliders show a value worth switching on
                    value = shown_when_off if not on and key in spec["off"] else getattr(config, key)
                    slider = self.sliders[key]
                    slider.value = tuple(float(np.clip(v, low, high)) for v in value) if isinstance(value, tuple) else type(slider.value)(np.clip(value, low, high))
            self.preset.value = name
        finally:
            self._busy = False
        if redraw:
            self.redraw()

    def set_encoder(self, encoder, redraw: bool = True) -> None:
        """Show how alike ``encoder`` finds the views: a backbone, a method, or a checkpoint path."""
        self.encoder = _backbone_of(encoder)
        self.similarity_box.layout.display = "flex"
        if redraw:
            self.redraw()

    # -- drawing ----------------------------------------------------------

    def redraw(self) -> None:
        """Draw the pairs (and the encoder's similarities) for the current controls."""
        start = time.perf_counter()
        config = self.config
        originals, ids = self.selected()
        self.view1, self.view2 = viz.draw_view_pairs(originals, config, seed=self.seed.value)
        captions = None
        if self.encoder is not None:
            h1 = F.normalize(embed(self.encoder, self.view1), dim=1)
            h2 = F.normalize(embed(self.encoder, self.view2), dim=1)
            self.pair_similarity = (h1 * h2).sum(dim=1)
            captions = [f"cos {value:+.2f}" for value in self.pair_similarity.tolist()]
        self.image.value = jpeg_bytes(pair_grid(originals, self.view1, self.view2, captions=captions))
        self.draw_seconds = time.perf_counter() - start
        if self.encoder is not None:
            pool = self.images
            sources = pool.labels if self.dataset.value == "photos" else None
            sources = None if sources is None else sources[:SIMILARITY_IMAGES]
            self.similarity = pair_similarities(self.encoder, pool.images[:SIMILARITY_IMAGES], config, self.seed.value, sources)
            self.similarity_image.value = png_bytes(similarity_figure(self.similarity))
        on = [spec["label"] for name, spec in AUGMENTATIONS.items() if _is_on(name, config)]
        self.status.value = (
            f"{len(ids)} pairs of {self.dataset.value} images, seed {self.seed.value}, drawn in "
            f"{self.draw_seconds * 1000:.0f} ms. On: {', '.join(on) or 'nothing (both views = the image)'}."
        )

    def _on_change(self, change) -> None:
        if change["owner"] is self.dataset and self.preset.value in PRESETS:
            self.apply_preset(self.preset.value, redraw=False)  # the preset at the new view size
        if not self._busy:
            self.redraw()

    def _on_control_change(self, change) -> None:
        if self._busy:
            return
        self._busy = True
        self.preset.value = "custom"  # a moved control is no longer the published pipeline
        self._busy = False
        self.redraw()

    def _on_preset(self, change) -> None:
        if not self._busy and change["new"] in PRESETS:
            self.apply_preset(change["new"])

    def _on_resample(self, _button=None) -> None:
        self.seed.value += 1  # observed: re-draws


# ---------------------------------------------------------------------------
# The live training dashboard
# ---------------------------------------------------------------------------


def interactive_frontend() -> bool:
    """True in a notebook a person is looking at (JupyterLab, classic, Colab), False under
    papermill / nbclient and in scripts: those execute without a front end that could
    draw a widget, and say so by not accepting keyboard input (``allow_stdin``)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    kernel = getattr(shell, "kernel", None)
    return bool(kernel is not None and getattr(kernel, "_allow_stdin", False))


def _hear_clicks_while_busy(button: W.Button, on_click) -> bool:
    """Let ``button`` work while a cell is running, where the kernel allows it.

    A running cell keeps the kernel's main thread busy, so widget messages wait until it
    ends. ipykernel ≥ 7 first receives every message on a separate shell-channel thread and
    asks each comm there where its replies go (``_reply_subshell_for``); we use that hook
    to notice a click at once. Elsewhere the kernel's interrupt (■) also stops training
    cleanly (the trainer keeps the model and history).
    """
    comm = getattr(button, "comm", None)
    if comm is None:
        return False

    def route(data, subshell_id):
        try:
            if isinstance(data, dict) and data.get("method") == "custom" and data.get("content", {}).get("event") == "click":
                on_click()
        except Exception:  # never break the kernel's message thread
            pass
        return subshell_id

    comm._reply_subshell_for = route
    return True


class TrainingDashboard(Callback):
    """A training callback that shows the run as it happens.

    Curves of the loss, the learning rate and the collapse indicator (``embedding_std``:
    the per-dimension std of normalised embeddings, → 0 when they collapse), a kNN
    accuracy point every ``knn_every`` epochs (``knn=(train_set, test_set)``), a progress
    bar and a Stop button that ends training after the current step (model and history
    kept). Under papermill and in scripts (``live=False``) nothing updates during
    training: one final figure is shown at the end instead.
    """

    def __init__(self, knn=None, knn_every: int = 1, k: int = 200, update_every_s: float = 1.0,
                 live: bool | None = None, title: str = "training"):
        self.knn = KNNMonitor(knn[0], knn[1], every=knn_every, k=k) if knn is not None else None
        self.update_every_s = update_every_s
        self.live = interactive_frontend() if live is None else live
        self.title = title
        self.trainer = None
        self.stopped = False
        self.redraws = 0
        self._last_draw = 0.0
        self._shown = False
        self.progress = W.IntProgress(value=0, min=0, max=1, description=title, bar_style="info")
        self.status = W.HTML("waiting for training to start")
        self.stop_button = W.Button(description="Stop", icon="stop", button_style="danger",
                                    tooltip="end training after this step; the model and history are kept")
        self.stop_button.on_click(lambda _button: self.stop())
        self.chart = W.Image(format="png")
        self.widget = W.VBox([W.HBox([self.progress, self.stop_button]), self.status, self.chart])

    def _repr_mimebundle_(self, **kwargs):
        self._shown = True
        return self.widget._repr_mimebundle_(**kwargs)

    @property
    def history(self):
        return self.trainer.history if self.trainer is not None else None

    def stop(self) -> None:
        """What the Stop button does: training ends after the current step."""
        self.stopped = True
        self.stop_button.disabled = True
        if self.trainer is not None:
            self.trainer.request_stop()

    # -- the trainer's calls ------------------------------------------------

    def on_train_start(self, trainer) -> None:
        self.trainer = trainer
        self.stopped = False
        self.stop_button.disabled = False
        self.progress.max = max(1, trainer.total_steps)
        self.progress.value = trainer.step
        self.status.value = f"training {trainer.total_steps} steps on {trainer.device}"
        if self.live:
            _hear_clicks_while_busy(self.stop_button, self.stop)
            if not self._shown:
                from IPython.display import display

                display(self.widget)
                self._shown = True

    def on_step_end(self, trainer, logs) -> None:
        self.progress.value = trainer.step
        if self.stopped:
            trainer.request_stop()
        if self.live and time.perf_counter() - self._last_draw >= self.update_every_s:
            self.refresh()

    def on_epoch_end(self, trainer, logs) -> None:
        if self.knn is not None:
            self.knn.on_epoch_end(trainer, logs)  # writes logs["knn"] into the history
        if self.live:
            self.refresh()

    def on_train_end(self, trainer) -> None:
        history = trainer.history
        if self.stopped:
            what, style = f"stopped by you at step {trainer.step} of {trainer.total_steps}", "warning"
        elif history.interrupted or history.stopped_reason:
            what, style = f"stopped at step {trainer.step} of {trainer.total_steps}", "warning"
        else:
            what, style = f"finished: {trainer.step} steps", "success"
        last = f", last loss {history.losses[-1]:.3f}" if history.steps else ""
        self.status.value = f"{what}{last} (model and history kept)"
        self.progress.bar_style = style
        self.stop_button.disabled = True
        if not history.steps:
            return
        if self.live:
            self.refresh()
        elif _in_kernel():
            from IPython.display import display

            display(self.figure())  # papermill: one final figure

    # -- drawing ----------------------------------------------------------

    def refresh(self) -> None:
        """Re-draw the curves into the widget."""
        if self.history is None or not self.history.steps:
            return
        self.chart.value = png_bytes(self.figure())
        self.redraws += 1
        self._last_draw = time.perf_counter()

    def figure(self):
        """The dashboard's curves for the history so far, as a matplotlib Figure."""
        history = self.history
        if history is None or not history.steps:
            raise WorkbenchError("The dashboard has no training steps to show yet: pass it to train(callbacks=[...]).")
        steps = np.array([row["step"] for row in history.steps], dtype=float)
        fig, axes = viz.figure(1, 4, size=(14.0, 3.0))
        losses = np.array(history.losses, dtype=float)
        window = max(1, len(losses) // 25)
        axes[0, 0].plot(steps, losses, color="C0", alpha=0.3, linewidth=0.8)
        axes[0, 0].plot(steps, viz.moving_average(losses, window), color="C0", linewidth=2)
        axes[0, 0].set_title("loss")
        axes[0, 1].plot(steps, history.metric("lr") or [np.nan] * len(steps), color="C2")
        axes[0, 1].set_title("learning rate")
        stds = [row.get("embedding_std", np.nan) for row in history.steps]
        axes[0, 2].plot(steps, stds, color="C3")
        axes[0, 2].set_ylim(bottom=0)
        axes[0, 2].set_title("embedding std (→ 0: collapse)")
        rows = [row for row in history.epochs if row.get("knn") is not None]
        axes[0, 3].plot([row["epoch"] for row in rows], [row["knn"] for row in rows], "o-", color="C1")
        axes[0, 3].set_xlim(0.5, max(1, self.trainer.config.epochs) + 0.5)
        axes[0, 3].set_ylim(0, 1)
        axes[0, 3].set_title("kNN accuracy" if self.knn is not None else "kNN accuracy (pass knn=(train, test))")
        axes[0, 3].set_xlabel("epoch")
        for ax in axes[0, :3]:
            ax.set_xlabel("step")
        for ax in axes[0]:
            ax.grid(alpha=0.3)
        fig.suptitle(f"{self.title}: {self.status.value}", fontsize=10)
        return fig


def _in_kernel() -> bool:
    """True inside a Jupyter kernel (also under papermill), False in a script or test."""
    if "IPython" not in sys.modules:
        return False
    from IPython import get_ipython

    return getattr(get_ipython(), "kernel", None) is not None
