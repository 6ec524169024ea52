"""How good is a representation? Freeze the backbone, embed labelled samples, and
ask how well the labels can be read off the features.

    features = embed(backbone, data)               frozen, no augmentation
    knn_accuracy(...)                              weighted k-nearest neighbours
    linear_probe(...)                              a linear classifier on top
    embedding_std, effective_rank                  is a batch of embeddings collapsing?
    alignment, uniformity                          Wang & Isola's two properties of contrastive embeddings

Every number is shown next to two baselines measured the same way:
``random init`` (the same architecture, untrained) and the raw inputs (``raw
pixels`` for images: the flattened images themselves; a bag of tokens for
text). Beating both by a wide margin is what makes a self-supervised result
mean something.

This module depends only on the data and the models: it works for any backbone
that maps a batch of a dataset's inputs to (N, D) features.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..data.dataset import Dataset, ImageSet, check_images
from ..errors import WorkbenchError
from ..models import build_backbone
from ..runtime import eval_mode, pick_device, release_due, release_freed_memory


@torch.no_grad()
def embed(backbone: torch.nn.Module, data, batch_size: int = 256, device=None) -> torch.Tensor:
    """Features of ``data`` (a Dataset, or a tensor of inputs) as a float CPU tensor.

    ``batch_size`` samples go through the backbone at once; for clips it counts
    frames (256 frames: 16 clips of 16), which bounds the memory the same way.

    The backbone runs in eval mode (BatchNorm uses its running statistics) and
    is put back in the mode it was in.
    """
    if isinstance(data, Dataset):
        data.check_model(backbone)
        inputs, prepare = data.inputs, data.model_inputs
    elif isinstance(data, torch.Tensor) and data.dim() >= 2:
        if data.dtype == torch.uint8 and data.dim() == 4:
            check_images(data, "images to embed")  # says "channels last?" and the like
        inputs, prepare = data, Dataset.model_inputs
    else:
        what = tuple(data.shape) if isinstance(data, torch.Tensor) else type(data).__name__
        raise WorkbenchError(f"embed needs a dataset or a tensor with one row per sample; got {what}.")
    if device is None:
        try:
            device = next(backbone.parameters()).device
        except StopIteration:
            device = torch.device("cpu")
    device = pick_device(device)
    if inputs.dim() == 5:  # clips: batch_size counts frames, so that a batch of clips costs what a batch of images does
        batch_size = max(1, batch_size // inputs.shape[1])
    with eval_mode(backbone):
        features = None  # written batch by batch into one tensor: a list of chunks, then torch.cat, left
        for start in range(0, inputs.shape[0], batch_size):  # a large fragmented heap behind (28k verses)
            batch = backbone(prepare(inputs[start : start + batch_size].to(device))).float().cpu()
            if features is None:
                features = torch.empty(inputs.shape[0], *batch.shape[1:])
            features[start : start + len(batch)] = batch
            if release_due(start // batch_size + 1, device):
                release_freed_memory()
    return features if features is not None else torch.empty(0)


def pixel_features(images) -> torch.Tensor:
    """The raw-pixel "representation": each image flattened, values in [0, 1]."""
    if isinstance(images, ImageSet):
        return images.raw_features()
    check_images(images, "images")
    return ImageSet.model_inputs(images).float().flatten(1)


def embedding_std(embeddings: torch.Tensor) -> float:
    """Mean per-dimension std of L2-normalised embeddings: about 1/√d when the
    embeddings spread over the sphere, → 0 when they collapse to one point."""
    z = F.normalize(embeddings.float(), dim=1)
    return z.std(dim=0).mean().item()


def effective_rank(embeddings: torch.Tensor) -> float:
    """Effective rank (Roy & Vetterli 2007) of the covariance of the L2-normalised
    embeddings: exp of the entropy of its normalised eigenvalues. Between 1 (all
    variance along one direction: collapsed) and min(d, N − 1) (isotropic; a
    batch of N centred points spans at most N − 1 directions)."""
    z = F.normalize(embeddings.float(), dim=1)
    eigenvalues = torch.linalg.svdvals(z - z.mean(dim=0)).pow(2)
    p = eigenvalues / eigenvalues.sum().clamp_min(1e-12)
    return torch.exp(-(p * torch.log(p.clamp_min(1e-12))).sum()).item()


def alignment(z1: torch.Tensor, z2: torch.Tensor, alpha: float = 2.0) -> float:
    r"""Alignment of positive pairs (Wang & Isola, ICML 2020): how close the two views of
    one sample land, on the unit sphere. Row i of ``z1`` and row i of ``z2`` (both (N, D))
    are the embeddings of two views of sample i; each row is L2-normalised first,
    :math:`f = z / \lVert z \rVert`, and

    .. math::
        \ell_{\text{align}} = \mathbb{E}_{(x, y)\ \text{positive}}\,
            \lVert f(x) - f(y) \rVert_2^{\alpha}
        = \frac1N \sum_{i=1}^N \lVert f(z_{1,i}) - f(z_{2,i}) \rVert_2^{\alpha}, \qquad \alpha > 0.

    Lower is better aligned: 0 when both views map to the same point, 4 (α = 2) when they
    are antipodal; with α = 2 it is :math:`2 - 2\cos` averaged over the pairs. A collapsed
    encoder is perfectly aligned: read it next to :func:`uniformity`.
    """
    if not alpha > 0:  # also catches NaN
        raise WorkbenchError(f"alignment's alpha must be > 0 (got {alpha}); Wang & Isola use 2.")
    if z1.dim() != 2 or z1.shape != z2.shape or z1.shape[0] < 1:
        raise WorkbenchError(f"alignment needs two (N, D) tensors of one shape, row i of each a view of sample i; "
                             f"got {tuple(z1.shape)} and {tuple(z2.shape)}.")
    distance = (F.normalize(z1.float(), dim=1) - F.normalize(z2.float(), dim=1)).norm(dim=1)
    return distance.pow(alpha).mean().item()


def uniformity(embeddings: torch.Tensor, t: float = 2.0) -> float:
    r"""Uniformity (Wang & Isola, ICML 2020): how evenly the L2-normalised embeddings
    :math:`f(x) = z / \lVert z \rVert` of ``embeddings`` (N, D), N ≥ 2, cover the unit
    sphere: the log of the mean Gaussian potential over the N(N − 1)/2 distinct pairs,

    .. math::
        \ell_{\text{uniform}} = \log \mathbb{E}_{x \neq y}\, e^{-t \lVert f(x) - f(y) \rVert_2^2}
        = \log \frac{2}{N(N-1)} \sum_{i<j} e^{-t \lVert f(z_i) - f(z_j) \rVert_2^2}, \qquad t > 0,

    as the authors' code (``torch.pdist``). Lower is more uniform: 0 when every embedding is
    the same point (collapse), −4t for two antipodal points. Its lower bound for N points:
    the mean squared distance over distinct pairs is :math:`(2N^2 - 2\lVert\sum_i f_i\rVert^2)/(N(N-1))
    \le 2N/(N-1)`, so by Jensen's inequality :math:`\ell_{\text{uniform}} \ge -2tN/(N-1)`
    (about −2t for a large batch), reached by a regular simplex (N ≤ D + 1 points, centred, all
    pairs equally far apart). Memory grows as N²: meant for a batch of embeddings.
    """
    if not t > 0:  # also catches NaN
        raise WorkbenchError(f"uniformity's t must be > 0 (got {t}); Wang & Isola use 2.")
    if embeddings.dim() != 2 or embeddings.shape[0] < 2:
        raise WorkbenchError(f"uniformity needs (N, D) embeddings with N ≥ 2 (pairs of distinct rows); "
                             f"got {tuple(embeddings.shape)}.")
    z = F.normalize(embeddings.float(), dim=1)
    squared = torch.pdist(z, p=2).pow(2)
    # log of a mean of exponentials, without underflow: logsumexp − log(number of pairs)
    return (torch.logsumexp(-t * squared, dim=0) - torch.log(torch.tensor(float(squared.numel())))).item()


def _all_finite(features: torch.Tensor) -> bool:
    # min and max are NaN or ±inf whenever any element is: one pass and no N×D
    # mask (torch.isfinite(x).all() allocates N×D temporaries first)
    if features.numel() == 0:
        return True
    low, high = torch.aminmax(features)
    return bool(torch.isfinite(low) and torch.isfinite(high))


def _check_features(train_features, train_labels, test_features, test_labels):
    if train_features.dim() != 2 or test_features.dim() != 2 or train_features.shape[1] != test_features.shape[1]:
        raise WorkbenchError(
            f"Features must be (N, D) with the same D for train and test; got {tuple(train_features.shape)} "
            f"and {tuple(test_features.shape)}."
        )
    if train_features.shape[0] != len(train_labels) or test_features.shape[0] != len(test_labels):
        raise WorkbenchError("Each feature row needs one label: the numbers of features and labels differ.")
    if not (_all_finite(train_features) and _all_finite(test_features)):
        raise WorkbenchError("The features contain NaN or inf: the backbone has diverged; retrain with a lower lr.")


@torch.no_grad()
def knn_accuracy(
    train_features: torch.Tensor,
    train_labels: torch.Tensor,
    test_features: torch.Tensor,
    test_labels: torch.Tensor,
    k: int = 200,
    temperature: float = 0.1,
    chunk: int = 256,
) -> float:
    r"""Weighted kNN accuracy: InstDisc's classifier (Wu et al. 2018, with k = 200 and τ = 0.07);
    the default τ = 0.1 is the one MoCo's CIFAR-10 demo monitors its training with.

    Features are L2-normalised; each test point takes its k most cosine-similar
    training points, each voting for its label with weight
    :math:`\exp(s/\tau)`; the class with the largest total wins.
    ``k`` is capped at the training-set size.
    """
    _check_features(train_features, train_labels, test_features, test_labels)
    if temperature <= 0:
        raise WorkbenchError(f"kNN temperature must be > 0 (got {temperature}).")
    if k < 1:
        raise WorkbenchError(f"k must be ≥ 1 (got {k}).")
    train_labels = torch.as_tensor(train_labels).long()
    test_labels = torch.as_tensor(test_labels).long()
    num_classes = int(max(train_labels.max(), test_labels.max())) + 1
    k = min(k, train_features.shape[0])
    similarity, index = cosine_top_k(test_features, train_features, k, chunk=chunk)
    weights = (similarity / temperature).exp()
    votes = torch.zeros(test_features.shape[0], num_classes).scatter_add_(1, train_labels[index], weights)
    return (votes.argmax(dim=1) == test_labels).sum().item() / test_features.shape[0]


@torch.no_grad()
def cosine_top_k(queries: torch.Tensor, bank: torch.Tensor, k: int, chunk: int = 256,
                 exclude_self: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """(similarities, indices), each (Q, k): every query's k most cosine-similar rows
    of ``bank``, the most similar first — what the kNN classifier and retrieval
    (``downstream.nearest_neighbours``) both search. ``exclude_self``: query i is
    bank row i (a set searched against itself) and never finds itself."""
    bank = bank.float()
    # cosine similarity without a normalised copy of the bank (raw pixels of 10k images are 123 MB)
    bank_norms = bank.norm(dim=1).clamp_min(1e-12)
    similarities, indices = [], []
    for start in range(0, queries.shape[0], chunk):
        similarity = (F.normalize(queries[start : start + chunk].float(), dim=1) @ bank.T) / bank_norms
        if exclude_self:
            rows = torch.arange(similarity.shape[0])
            similarity[rows, rows + start] = -float("inf")
        top = similarity.topk(k, dim=1)
        similarities.append(top.values)
        indices.append(top.indices)
    return torch.cat(similarities), torch.cat(indices)


def linear_probe(
    train_features: torch.Tensor,
    train_labels: torch.Tensor,
    test_features: torch.Tensor,
    test_labels: torch.Tensor,
    C: float = 1.0,
    max_iter: int = 200,
    device=None,
) -> float:
    r"""Accuracy of a linear classifier trained on frozen, standardised features.

    Multinomial logistic regression with scikit-learn's objective and meaning
    of ``C`` (the inverse L2 strength), minimised over the full training set
    with L-BFGS:

    .. math::
        \min_{W, b}\; \frac{1}{N}\sum_i \mathrm{CE}(W x_i + b, y_i) + \frac{\lVert W \rVert^2}{2 C N}

    Why not ``sklearn.linear_model.LogisticRegression``? Same objective, but it is
    many times slower on a CPU, on features and even more on raw pixels
    (``python benchmarks/timings.py linear_probe`` times both); this one also runs
    on a GPU. ``tests/test_evaluation_probes.py`` checks both agree.
    """
    _check_features(train_features, train_labels, test_features, test_labels)
    device = pick_device(device) if device is not None else torch.device("cpu")
    num_classes = int(max(int(torch.as_tensor(train_labels).max()), int(torch.as_tensor(test_labels).max()))) + 1
    weight, bias = fit_linear_classifier(train_features, train_labels, num_classes, C=C, max_iter=max_iter, device=device)
    with torch.no_grad():
        predictions = F.linear(test_features.float().to(device), weight, bias).argmax(dim=1).cpu()
    return (predictions == torch.as_tensor(test_labels).long()).float().mean().item()


def fit_linear_classifier(features: torch.Tensor, labels: torch.Tensor, num_classes: int, C: float = 1.0,
                          max_iter: int = 200, device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """The linear probe's classifier as one linear layer on the *raw* features:
    (weight (classes, D), bias (classes,)) with ``F.linear(x, weight, bias)`` the
    logits of :func:`linear_probe`'s standardised logistic regression. Also the
    starting head of LP-FT fine-tuning (``finetune(..., head_init="probe")``)."""
    if C <= 0:
        raise WorkbenchError(f"C must be > 0 (got {C}).")
    device = device if device is not None else torch.device("cpu")
    x = features.float().to(device)
    std, mean = torch.std_mean(x, dim=0)
    # scikit-learn's StandardScaler: a constant feature stays 0 after standardising
    inverse_std = torch.where(std > 1e-6, 1.0 / std, torch.zeros_like(std))
    y = torch.as_tensor(labels).long().to(device)
    # (classes, features), used through F.linear: its backward reads x row-major,
    # faster on a CPU than the transposed product x.T @ grad
    # (python benchmarks/timings.py probe_weight_layout)
    weight = torch.zeros(num_classes, x.shape[1], device=device, requires_grad=True)
    bias = torch.zeros(num_classes, device=device, requires_grad=True)
    optimizer = torch.optim.LBFGS(
        [weight, bias], lr=1, max_iter=max_iter, history_size=20, tolerance_grad=1e-6,
        tolerance_change=1e-9, line_search_fn="strong_wolfe",
    )
    penalty = 1.0 / (2 * C * x.shape[0])

    def standardised_linear(features):
        # W·((x − mean)/std) + b, computed as (W/std)·x + (b − (W/std)·mean): the same
        # logits without a standardised copy of x (raw pixels of 10k images are 123 MB)
        scaled = weight * inverse_std
        return F.linear(features, scaled, bias - scaled @ mean)

    def objective():
        optimizer.zero_grad()
        loss = F.cross_entropy(standardised_linear(x), y) + penalty * weight.pow(2).sum()
        loss.backward()
        return loss

    optimizer.step(objective)
    with torch.no_grad():
        scaled = weight * inverse_std
        return scaled.detach(), (bias - scaled @ mean).detach()


def evaluate_features(train_features, train_labels, test_features, test_labels, k: int = 200) -> dict:
    return {
        "knn": knn_accuracy(train_features, train_labels, test_features, test_labels, k=k),
        "linear": linear_probe(train_features, train_labels, test_features, test_labels),
    }


def evaluate_backbone(backbone, train: Dataset, test: Dataset, k: int = 200, device=None) -> dict:
    """kNN and linear-probe accuracy of a frozen backbone: {"knn": ..., "linear": ...}."""
    for data in (train, test):  # an unlabelled set (one class) would score a meaningless 100%
        if not getattr(data, "labelled", True):
            raise WorkbenchError(
                f"{data.name!r} has no labels: kNN and the linear probe need labels; give the folder class "
                "sub-folders (or the text file a label_column=), or pretrain with evaluate=False.")
    return evaluate_features(embed(backbone, train, device=device), train.labels, embed(backbone, test, device=device), test.labels, k=k)


def baselines(train: Dataset, test: Dataset, backbone: str = "small_cnn", seed: int = 0, k: int = 200, device=None, backbone_options=None) -> dict:
    """The two reference points: an untrained backbone of the same architecture
    (seeded) and the raw inputs. Returns {"random init": {...}, "raw pixels": {...}}
    (for images; other kinds name their raw inputs, e.g. "bag of tokens")."""
    generator_state = torch.get_rng_state()
    torch.manual_seed(seed)
    untrained = build_backbone(backbone, **(backbone_options or {}))
    torch.set_rng_state(generator_state)
    if device is not None:
        untrained.to(pick_device(device))
    return {
        "random init": evaluate_backbone(untrained, train, test, k=k),
        train.raw_name: evaluate_features(train.raw_features(), train.labels, test.raw_features(), test.labels, k=k),
    }


@torch.no_grad()
def object_attention_share(backbone: torch.nn.Module, images, masks: torch.Tensor, batch_size: int = 256) -> dict:
    """How much of the [CLS] token's attention falls on the object, against how
    much of the image the object covers (Caron et al. 2021 show DINO's ViT
    attention segmenting objects; this is that, measured).

    ``images`` an ImageSet or uint8/float images (N, 3, H, W); ``masks`` (N, H, W)
    in [0, 1], the object's share of each pixel (``shapes.object_masks``).
    For each image and head: attention share = Σ_patches a_p · m_p / Σ_patches a_p,
    where a_p is [CLS]'s attention to patch p in the last block and m_p the
    object's share of that patch; area share = the mean of m_p. Returns the means
    over images: ``attention_share`` (heads averaged), ``per_head``, ``area_share``
    and ``ratio`` = attention share / area share (1: attention ignores the object).
    """
    if not hasattr(backbone, "attention_maps"):
        raise WorkbenchError(f"object_attention_share needs a vision transformer (backbone 'vit'), not {type(backbone).__name__}.")
    if isinstance(images, ImageSet):
        images = images.images
    check_images(images, "images")
    if masks.shape != (images.shape[0], *images.shape[-2:]):
        raise WorkbenchError(f"masks must be (N, H, W) = {(images.shape[0], *images.shape[-2:])}, one per image; got {tuple(masks.shape)}.")
    device = next(backbone.parameters()).device
    patch = backbone.patch_size
    shares, areas = [], []
    with eval_mode(backbone):
        for start in range(0, images.shape[0], batch_size):
            batch = Dataset.model_inputs(images[start : start + batch_size].to(device))
            attention = backbone.attention_maps(batch).float().cpu().flatten(2)  # (n, heads, P)
            coverage = F.avg_pool2d(masks[start : start + batch_size, None].float(), patch).flatten(1)  # (n, P)
            shares.append((attention * coverage[:, None]).sum(-1) / attention.sum(-1))
            areas.append(coverage.mean(1))
    per_head, area = torch.cat(shares).mean(0), float(torch.cat(areas).mean())
    share = float(per_head.mean())
    return {"attention_share": share, "per_head": per_head.tolist(), "area_share": area, "ratio": share / area}


def cluster_purity(labels, clusters) -> float:
    """Fraction of points whose cluster's most common label is their own label.

    1.0: every cluster holds one class; about 1/classes for clusters that
    ignore the labels (with as many clusters as classes)."""
    labels = torch.as_tensor(labels).long()
    clusters = torch.as_tensor(clusters).long()
    if labels.shape != clusters.shape:
        raise WorkbenchError("cluster_purity needs one cluster id per label.")
    agree = 0
    for cluster in clusters.unique():
        members = labels[clusters == cluster]
        agree += members.bincount().max().item()
    return agree / len(labels)


def probe_factors(train_features: torch.Tensor, test_features: torch.Tensor, factors: dict) -> dict:
    """Linear-probe accuracy for several labels of the same samples — which factors
    of variation can be read off the features? ``factors``: {name: (train labels,
    test labels)}; returns {name: accuracy}."""
    return {name: linear_probe(train_features, train_labels, test_features, test_labels)
            for name, (train_labels, test_labels) in factors.items()}


def factor_probes(backbone: torch.nn.Module, train: Dataset, test: Dataset, factors: dict, device=None) -> dict:
    """:func:`probe_factors` of a frozen backbone's features of ``train`` and ``test``
    (one embedding pass per split); ``backbone=None``: of the raw inputs."""
    if backbone is None:
        return probe_factors(train.raw_features(), test.raw_features(), factors)
    return probe_factors(embed(backbone, train, device=device), embed(backbone, test, device=device), factors)
