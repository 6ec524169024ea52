"""Checkers for the notebooks' exercises: your function against the library's.

    from sslworkbench import exercises
    exercises.check_nt_xent(my_nt_xent)      # ✓, or what differs and an example
    exercises.check_info_nce(my_info_nce)    # MoCo's InfoNCE with a queue of negatives
    exercises.check_skipgram_loss(my_loss)   # word2vec's skip-gram loss with negative sampling
    exercises.check_causal_lm_loss(my_loss)  # GPT's next-token loss
    exercises.check_retrieval_accuracy(my_retrieval_accuracy)   # top-1 translation retrieval
    exercises.check_precision_at_k(my_precision_at_k)           # image retrieval within a set
    exercises.check_worst_group_accuracy(my_worst_group)         # the accuracy of the group served worst
    exercises.check_patchify(my_patchify)    # a ViT's tokens: images cut into patch vectors
    exercises.check_masked_patch_loss(my_loss)                   # MAE's loss on hidden patches
    exercises.check_clip_loss(my_clip_loss)  # CLIP's symmetric InfoNCE over image–caption pairs
    exercises.check_learning_rate(my_learning_rate)              # warm-up, then a cosine to 0
    exercises.check_colour_projection(my_projection)             # Doersch's defence against lens fringes
    exercises.check_stratified_split(my_split)                    # your own data: a fixed, stratified test split
    exercises.check_rank_with_ties(my_rank)                       # the recap: a leaderboard's ranks, ties within a band
    exercises.check_above_chance(my_above_chance)                 # capstone: how far above chance each factor is read
    exercises.solution("purity")             # a worked solution, folded until clicked

Each checker runs your function and the reference on the same random inputs
(several sizes, edge cases included) and prints one line: a tick, the first
case where they disagree, or — while your function is still the empty stub that
returns ``None`` — that it is not written yet.
"""

from __future__ import annotations

import copy
import html
import inspect

import torch
from torch import nn

from ..data.log_mel import log_mel_spectrogram, mel_filterbank
from ..errors import WorkbenchError
from ..evaluation.downstream import nearest_neighbours, precision_at_k
from ..evaluation.language import retrieval_accuracy
from ..evaluation.probes import cluster_purity, linear_probe
from ..losses import clip_loss, info_nce, masked_patch_mse, nt_xent, skipgram_negative_sampling, token_prediction_loss
from ..methods.ema import ema_update
from ..models.vit import patchify
from ..training.trainer import learning_rate
from ..views.clips import order_triplet
from ..views.images import grayscale
from ..views.pretext import GREEN_MAGENTA, RED_BLUE, project_out, rotate
from ..views.tokens import next_token_targets
from . import solutions
from .setup import show


def _not_written(name: str) -> bool:
    print(f"… {name}: not written yet — your function returns None so far. Write it, then run this cell again.")
    return False


def _report(name: str, failures: list[str]) -> bool:
    if failures:
        print(f"✗ {name}: {failures[0]}")
        return False
    print(f"✓ {name} matches the reference on every test case.")
    return True


def _check(name: str, candidate, cases) -> bool:
    """Run ``candidate`` on every case ``(description, args, judge)``; ``judge(result)`` returns
    None when the result is right, else what is wrong. The candidate gets copies of the
    tensors, so that it cannot change the reference's inputs."""
    failures = []
    for case, args, judge in cases:
        try:
            got = candidate(*(a.clone() if isinstance(a, torch.Tensor) else a for a in args))
            if got is None:   # the stub's `...` returns None
                return _not_written(name)
            problem = judge(got)
        except Exception as error:  # the learner's code may raise anything
            failures.append(f"raised {type(error).__name__}: {error} for {case}")
            continue
        if problem:
            failures.append(f"{case}: {problem}")
    return _report(name, failures)


def _number_near(want: float, atol: float, digits: int = 5):
    """A judge for a scalar result (a float or a one-element tensor); NaN is wrong."""
    def judge(got) -> str | None:
        got = float(got)
        return None if abs(got - want) <= atol else f"got {got:.{digits}f}, expected {want:.{digits}f}"
    return judge


def check_nt_xent(candidate, atol: float = 1e-4) -> bool:
    """Compare ``candidate(z1, z2, temperature)`` with :func:`sslworkbench.losses.nt_xent`."""
    generator = torch.Generator().manual_seed(0)
    cases = []
    for n, d, temperature in [(2, 3, 0.5), (8, 16, 0.1), (32, 8, 1.0), (5, 128, 0.2)]:
        z1 = torch.randn(n, d, generator=generator)
        for z2 in (torch.randn(n, d, generator=generator), z1.clone()):
            cases.append((f"N={n}, D={d}, τ={temperature}", (z1, z2, temperature),
                          _number_near(float(nt_xent(z1, z2, temperature)), atol)))
    return _check("nt_xent", candidate, cases)


def check_purity(candidate) -> bool:
    """Compare ``candidate(labels, clusters)`` with :func:`sslworkbench.evaluation.probes.cluster_purity`."""
    generator = torch.Generator().manual_seed(1)
    pairs = [
        (torch.tensor([0, 0, 1, 1]), torch.tensor([5, 5, 7, 7])),
        (torch.tensor([0, 1, 2, 0, 1, 2]), torch.tensor([0, 0, 0, 0, 0, 0])),
    ] + [
        (torch.randint(0, 10, (200,), generator=generator), torch.randint(0, k, (200,), generator=generator))
        for k in (3, 10, 25)
    ]
    cases = [(f"labels {labels.tolist()[:8]}…, clusters {clusters.tolist()[:8]}…", (labels, clusters),
              _number_near(cluster_purity(labels, clusters), 1e-6, digits=4)) for labels, clusters in pairs]
    return _check("purity", candidate, cases)


def check_info_nce(candidate, atol: float = 1e-4) -> bool:
    """Compare ``candidate(query, key, queue, temperature)`` with :func:`sslworkbench.losses.info_nce`.

    As in the library (and MoCo), the candidate must L2-normalise ``query`` and
    ``key`` itself: the test cases pass them un-normalised, at random scales.
    The ``queue`` rows are passed already normalised (MoCo stores normalised
    keys), so normalising them again changes nothing. Cases: several sizes,
    temperatures from 0.05 to 1, a queue of one negative, an empty queue
    (K = 0: the loss is 0), and a key equal to its query.
    """
    generator = torch.Generator().manual_seed(2)
    cases = []
    for n, d, k, temperature in [(4, 8, 16, 0.2), (8, 16, 64, 0.07), (16, 32, 256, 0.5), (3, 5, 1, 1.0), (6, 4, 0, 0.1),
                                 (32, 128, 512, 0.05)]:
        scale = torch.rand(n, 1, generator=generator) * 5 + 0.5
        query = torch.randn(n, d, generator=generator) * scale
        keys = (torch.randn(n, d, generator=generator) * scale, 2 * query)  # a random key, and the query itself
        queue = torch.nn.functional.normalize(torch.randn(k, d, generator=generator), dim=1)
        for key in keys:
            cases.append((f"N={n}, D={d}, K={k}, τ={temperature}", (query, key, queue, temperature),
                          _number_near(float(info_nce(query, key, queue, temperature)), atol)))
    return _check("info_nce", candidate, cases)


def check_skipgram_loss(candidate, atol: float = 1e-4) -> bool:
    """Compare ``candidate(center, context, noise)`` with
    :func:`sslworkbench.losses.skipgram_negative_sampling`: centre vectors (P, D), the
    context vectors of the words seen next to them (P, D) and K noise words' context
    vectors per pair (P, K, D) → one number, the loss averaged over the P pairs.

    Cases: several sizes, one noise word (K = 1), all vectors 0 (the loss is then
    (K + 1) · log 2, where word2vec starts), and large dot products (up to a few
    hundred: log σ(x) must not be computed as log(sigmoid(x)), which gives −inf there).
    """
    generator = torch.Generator().manual_seed(5)
    cases = []
    for p, k, d, scale in [(1, 1, 2, 1.0), (6, 5, 8, 0.5), (32, 5, 16, 0.3), (10, 1, 4, 1.0), (64, 15, 100, 0.1),
                           (4, 3, 5, 0.0), (8, 5, 16, 5.0)]:
        center, context = (torch.randn(p, d, generator=generator) * scale for _ in range(2))
        noise = torch.randn(p, k, d, generator=generator) * scale
        what = "all vectors 0" if scale == 0 else "large dot products" if scale > 1 else "random vectors"
        want = float(skipgram_negative_sampling(center, context, noise))
        cases.append((f"P={p}, K={k}, D={d}, {what}", (center, context, noise),
                      _number_near(want, atol * max(1.0, abs(want)))))   # relative for large losses
    return _check("skipgram_loss", candidate, cases)


def _causal_lm_loss(scores: torch.Tensor, tokens: torch.Tensor, pad_id: int) -> torch.Tensor:
    """The reference: GPT's loss from scores at every position (``methods/gpt.py``)."""
    predicted, targets = next_token_targets(tokens, pad_id)
    return token_prediction_loss(scores[:, :-1][predicted], targets)


def check_causal_lm_loss(candidate, atol: float = 1e-4) -> bool:
    """Compare ``candidate(scores, tokens, pad_id)`` with GPT's loss: scores (N, L, V)
    at every position, tokens (N, L) ending in padding → the mean cross-entropy of
    token t + 1 under the scores at t, over the positions whose next token is not
    ``pad_id``.

    Cases: several sizes, rows of different lengths, a row with no padding, and
    uniform scores (the loss is then log V)."""
    generator = torch.Generator().manual_seed(7)
    cases = []
    for n, length, vocab, pad_id in [(1, 5, 7, 0), (4, 9, 11, 0), (8, 16, 50, 0), (3, 6, 9, 2)]:
        tokens = torch.randint(3, vocab, (n, length), generator=generator)
        for row in range(n):  # row r ends in r padding tokens (row 0 has none)
            if row:
                tokens[row, length - min(row, length - 2):] = pad_id
        for scores, what in ((torch.randn(n, length, vocab, generator=generator) * 2, "random scores"),
                             (torch.zeros(n, length, vocab), "uniform scores")):
            want = float(_causal_lm_loss(scores, tokens, pad_id))
            cases.append((f"N={n}, L={length}, V={vocab}, pad_id={pad_id}, {what}", (scores, tokens, pad_id),
                          _number_near(want, atol)))
    return _check("causal_lm_loss", candidate, cases)


def check_retrieval_accuracy(candidate) -> bool:
    """Compare ``candidate(english, spanish)`` with :func:`sslworkbench.evaluation.language.retrieval_accuracy`:
    features (N, D) of N verses and (N, D) of their translations, row for row → the share of
    English rows whose most cosine-similar Spanish row is their own (a number in [0, 1]).

    Cases: several sizes, translations as noisy copies (some found, some not), the Spanish
    rows at very different lengths (the nearest by dot product or by distance is then often
    the wrong one: cosine is asked for), perfect translations at twice the length (1.0), and
    one verse (1.0). Spanish → English retrieval gives other numbers on these cases."""
    generator = torch.Generator().manual_seed(8)
    cases = []
    for n, d, noise, scaled in [(1, 4, 1.0, False), (6, 3, 0.5, False), (40, 16, 1.0, False), (200, 32, 1.2, False),
                                (50, 8, 0.6, True), (30, 12, 0.0, False)]:
        english = torch.randn(n, d, generator=generator)
        spanish = english + noise * torch.randn(n, d, generator=generator)
        spanish = spanish * (torch.rand(n, 1, generator=generator) * 20 + 0.05 if scaled else 2.0)
        what = ("Spanish rows of very different lengths" if scaled else "perfect translations" if noise == 0
                else "noisy translations")
        cases.append((f"N={n}, D={d}, {what}", (english, spanish),
                      _number_near(retrieval_accuracy(english, spanish), 1e-6, digits=4)))
    return _check("retrieval_accuracy", candidate, cases)


def _precision_at_k(features: torch.Tensor, labels: torch.Tensor, k: int) -> float:
    return precision_at_k(labels, labels, nearest_neighbours(features, features, k=k, exclude_self=True))


def check_precision_at_k(candidate) -> bool:
    """Compare ``candidate(features, labels, k)`` with the library's retrieval within one set:
    each row of ``features`` (N, D) is a query against all the *other* rows; its k most
    cosine-similar rows are retrieved, and the answer is the share of retrieved rows whose
    label is the query's, over all N·k of them (a number in [0, 1]).

    Cases: several sizes and k, rows of very different lengths (cosine is asked for, not the
    dot product or the distance), labels that features separate well or not at all, and k = N−1
    (everything else is retrieved: the answer no longer depends on the features). A function
    that lets a row find itself scores too high on every case."""
    generator = torch.Generator().manual_seed(9)
    cases = []
    for n, d, classes, k, separation, scaled in [(5, 3, 2, 1, 1.0, False), (30, 8, 3, 5, 2.0, False),
                                                 (60, 16, 4, 10, 0.0, False), (80, 6, 5, 3, 1.5, True),
                                                 (12, 4, 3, 11, 1.0, False), (200, 32, 10, 20, 1.0, False)]:
        labels = torch.arange(n) % classes
        centres = torch.randn(classes, d, generator=generator)
        features = separation * centres[labels] + torch.randn(n, d, generator=generator)
        if scaled:
            features = features * (torch.rand(n, 1, generator=generator) * 20 + 0.05)
        what = "rows of very different lengths" if scaled else f"class separation {separation:g}"
        cases.append((f"N={n}, D={d}, {classes} classes, k={k}, {what}", (features, labels, k),
                      _number_near(_precision_at_k(features, labels, k), 1e-6, digits=4)))
    return _check("precision_at_k", candidate, cases)


def _worst_group_accuracy(predictions: torch.Tensor, labels: torch.Tensor, groups: torch.Tensor) -> float:
    """The reference: the lowest accuracy among the groups that occur in ``groups``."""
    correct = (predictions == labels).float()
    return min(correct[groups == group].mean().item() for group in groups.unique())


def check_worst_group_accuracy(candidate) -> bool:
    """Compare ``candidate(predictions, labels, groups)`` with worst-group accuracy: three (N,)
    tensors of class ids, class ids and group ids → the accuracy within each group, and the
    lowest of them (a number in [0, 1]).

    Cases: groups of very different sizes (the overall accuracy, the mean of the groups'
    accuracies and the smallest group's accuracy all differ from the answer), group ids that
    are not 0, 1, 2 … (only groups that occur count), one group (the overall accuracy), a group
    with nothing right (0), and everything right (1)."""
    generator = torch.Generator().manual_seed(11)
    cases = []
    for what, sizes, ids, right in [
        ("three groups of 50, 300 and 20 examples", (50, 300, 20), (0, 1, 2), (0.9, 0.6, 0.8)),
        ("group ids 2, 7 and 9 (no group 0, 1, 3 …)", (40, 10, 70), (2, 7, 9), (0.5, 0.9, 0.7)),
        ("one group", (120,), (0,), (0.75,)),
        ("a group with nothing right", (30, 30), (0, 1), (1.0, 0.0)),
        ("everything right", (25, 5, 40), (0, 1, 2), (1.0, 1.0, 1.0)),
    ]:
        groups = torch.cat([torch.full((size,), group) for size, group in zip(sizes, ids)])
        labels = torch.randint(0, 10, (len(groups),), generator=generator)
        wrong = torch.rand(len(groups), generator=generator) >= torch.cat(
            [torch.full((size,), share) for size, share in zip(sizes, right)])
        predictions = torch.where(wrong, (labels + 1 + torch.randint(0, 9, labels.shape, generator=generator)) % 10, labels)
        order = torch.randperm(len(groups), generator=generator)   # the groups mixed, as in a real test set
        predictions, labels, groups = predictions[order], labels[order], groups[order]
        cases.append((what, (predictions, labels, groups),
                      _number_near(_worst_group_accuracy(predictions, labels, groups), 1e-6, digits=4)))
    return _check("worst_group_accuracy", candidate, cases)


def check_patchify(candidate) -> bool:
    """Compare ``candidate(images, patch_size)`` with the ViT's ``patchify``: (N, C, H, W) →
    (N, P, patch_size² · C), patches in reading order, each flattened row by row with the
    channels last. Cases: several sizes, patch sizes 1 to the whole image, one channel."""
    generator = torch.Generator().manual_seed(10)
    cases = []
    for n, c, side, p in [(1, 3, 8, 4), (2, 3, 32, 4), (3, 3, 12, 3), (2, 1, 6, 2), (1, 3, 4, 4), (2, 3, 4, 1)]:
        images = torch.rand(n, c, side, side, generator=generator)
        cases.append((f"images {(n, c, side, side)}, patch_size {p}", (images, p), _tensor_like(patchify(images, p), 0.0)))
    return _check("patchify", candidate, cases)


def check_masked_patch_loss(candidate, atol: float = 1e-5) -> bool:
    """Compare ``candidate(prediction, target, mask)`` with MAE's loss ``masked_patch_mse``:
    predictions and targets (N, P, D), mask (N, P) with 1 on hidden patches → each patch's
    mean squared error, averaged over the hidden patches. Cases: several sizes and mask
    ratios, one hidden patch, every patch hidden, patches with very different errors."""
    generator = torch.Generator().manual_seed(11)
    cases = []
    for n, patches, d, ratio in [(1, 4, 3, 0.25), (2, 16, 12, 0.75), (4, 64, 48, 0.9), (3, 9, 5, 1.0), (2, 64, 48, 0.5)]:
        prediction, target = torch.randn(n, patches, d, generator=generator), torch.randn(n, patches, d, generator=generator)
        target[:, ::2] *= 5  # the visible patches must not count, whatever their error
        mask = (torch.rand(n, patches, generator=generator).argsort(1) < max(1, round(ratio * patches))).float()
        cases.append((f"N={n}, P={patches}, D={d}, {int(mask.sum())} hidden patches", (prediction, target, mask),
                      _number_near(float(masked_patch_mse(prediction, target, mask)), atol)))
    return _check("masked_patch_loss", candidate, cases)


def check_clip_loss(candidate, atol: float = 1e-4) -> bool:
    """Compare ``candidate(image_embeddings, text_embeddings, logit_scale)`` with CLIP's loss
    :func:`sslworkbench.losses.clip_loss`: both batches normalised, logits = scale · u vᵀ, the
    mean of the image→text and text→image cross-entropies with the diagonal as targets. Cases:
    several sizes and scales, embeddings of any length (normalise them), a batch where the two
    directions disagree (one direction alone is wrong), matched pairs."""
    generator = torch.Generator().manual_seed(5)
    cases = []
    for n, d, scale in [(2, 3, 1.0), (8, 16, 14.3), (32, 64, 100.0), (5, 4, 0.5)]:
        images, texts = torch.randn(n, d, generator=generator) * 3, torch.randn(n, d, generator=generator)
        cases.append((f"N={n}, D={d}, scale {scale}", (images, texts, scale), _number_near(float(clip_loss(images, texts, scale)), atol)))
    images = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])   # two images alike: image→text ≠ text→image
    texts = torch.tensor([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]])
    cases.append(("3 pairs whose two directions differ", (images, texts, 5.0), _number_near(float(clip_loss(images, texts, 5.0)), atol)))
    matched = torch.eye(4)
    cases.append(("4 matched one-hot pairs, scale 3", (matched, matched.clone(), 3.0), _number_near(float(clip_loss(matched, matched, 3.0)), atol)))
    return _check("clip_loss", candidate, cases)


def _tensor_like(want: torch.Tensor, atol: float, what: str = "the luma"):
    """A judge for a tensor result (an image, a spectrogram): the same shape, values within ``atol``."""
    def judge(got) -> str | None:
        if not isinstance(got, torch.Tensor) or got.shape != want.shape:
            shape = tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__
            return f"expected a tensor of shape {tuple(want.shape)}, got {shape}"
        if not torch.allclose(got.float(), want, atol=atol):
            return f"values differ from {what} by up to {(got.float() - want).abs().max().item():.4f}"
        return None
    return judge


def check_grayscale(candidate, atol: float = 2e-4) -> bool:
    """Compare ``candidate(images)`` with :func:`sslworkbench.views.images.grayscale`: (N, 3, H, W)
    in [0, 1] → (N, 1, H, W), luma 0.2989 R + 0.587 G + 0.114 B (0.299 R passes too)."""
    generator = torch.Generator().manual_seed(3)
    batches = [torch.rand(4, 3, 8, 8, generator=generator), torch.rand(1, 3, 32, 32, generator=generator),
               torch.eye(3).view(3, 3, 1, 1).expand(3, 3, 2, 5).contiguous()]   # pure red, green, blue
    cases = [(f"images of shape {tuple(images.shape)}", (images,), _tensor_like(grayscale(images), atol))
             for images in batches]
    return _check("grayscale", candidate, cases)


def _rotation_batch_of(images: torch.Tensor):
    """A judge for ``(inputs, targets)``: the rotation method's batch of ``images``."""
    n = images.shape[0]
    want_targets = torch.arange(4).repeat_interleave(n)
    want_inputs = rotate(images.repeat(4, 1, 1, 1), want_targets)

    def judge(got) -> str | None:
        if not (isinstance(got, tuple) and len(got) == 2):
            return f"return a pair (inputs, targets), got {type(got).__name__}"
        inputs, targets = got
        if tuple(inputs.shape) != tuple(want_inputs.shape) or tuple(targets.shape) != (4 * n,):
            return (f"expected inputs {tuple(want_inputs.shape)} and targets ({4 * n},), got "
                    f"{tuple(inputs.shape)} and {tuple(targets.shape)}")
        if not torch.equal(targets.long(), want_targets):
            return f"targets {targets.tolist()[:8]}…, expected {want_targets.tolist()[:8]}…"
        if not torch.allclose(inputs, want_inputs):
            wrong = [k for k in range(4)
                     if not torch.allclose(inputs[k * n:(k + 1) * n], want_inputs[k * n:(k + 1) * n])]
            return (f"the rows for {wrong} quarter turn(s) differ (counter-clockwise: torch.rot90 with dims=(2, 3) "
                    "and k quarter turns)")
        return None
    return judge


def check_rotation_batch(candidate) -> bool:
    """Compare ``candidate(images)`` with the rotation method's batch: ``(inputs, targets)``, row
    ``k·N + i`` being image ``i`` turned ``k`` quarter turns counter-clockwise, target ``k``."""
    generator = torch.Generator().manual_seed(4)
    cases = []
    for n, size in [(1, 4), (3, 8), (5, 32)]:
        images = torch.rand(n, 3, size, size, generator=generator)
        cases.append((f"N={n}, {size}×{size}", (images,), _rotation_batch_of(images)))
    return _check("rotation_batch", candidate, cases)


def check_order_triplet(candidate) -> bool:
    """Compare ``candidate(clips, five, in_order, from_before)`` with Shuffle & Learn's triplet
    (:func:`sslworkbench.views.clips.order_triplet`): frames (b, c, d) of each clip when in order,
    else (b, a, d) where ``from_before``, (b, e, d) where not. Cases: clips whose pixels hold their
    frame number (a wrong frame is named), all in order, none in order, and random clips."""
    generator = torch.Generator().manual_seed(6)
    cases = []
    for n, t, what in [(4, 6, "numbered"), (6, 9, "numbered"), (5, 12, "random")]:
        if what == "numbered":  # every pixel of frame k holds k: a wrong frame is easy to name
            clips = torch.arange(t).float().view(1, t, 1, 1, 1).expand(n, t, 3, 2, 2).clone()
        else:
            clips = torch.rand(n, t, 3, 4, 4, generator=generator)
        five = torch.rand(n, t, generator=generator).argsort(dim=1)[:, :5].sort(dim=1).values
        for in_order in (torch.rand(n, generator=generator) < 0.5, torch.ones(n, dtype=torch.bool), torch.zeros(n, dtype=torch.bool)):
            from_before = torch.rand(n, generator=generator) < 0.5
            want = order_triplet(clips, five, in_order, from_before)
            label = f"{n} {what} clips of {t} frames, {int(in_order.sum())} in order"
            cases.append((label, (clips, five, in_order, from_before), _triplet_like(want, what == "numbered")))
    return _check("order_triplet", candidate, cases)


def _triplet_like(want: torch.Tensor, numbered: bool):
    """A judge for a batch of triplets (N, 3, C, H, W); on numbered clips it names the frames."""
    def judge(got) -> str | None:
        if not isinstance(got, torch.Tensor) or got.shape != want.shape:
            shape = tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__
            return f"expected a tensor of shape {tuple(want.shape)} (N, 3 frames, C, H, W), got {shape}"
        if torch.equal(got.float(), want):
            return None
        if numbered:
            wrong = next(i for i in range(len(want)) if not torch.equal(got[i].float(), want[i]))
            frames = lambda x: [int(v) for v in x[wrong, :, 0, 0, 0]]  # noqa: E731 - the frame number each pixel holds
            return f"clip {wrong}: your triplet shows frames {frames(got.float())}, expected {frames(want)}"
        return "the frames differ from the expected triplet"
    return judge


def check_log_mel(candidate, atol: float = 1e-3) -> bool:
    """Compare ``candidate(waveforms, filters, n_fft, hop)`` with the audio front end
    (:func:`sslworkbench.data.log_mel.log_mel_spectrogram`): a Hann-windowed ``torch.stft`` with
    centred frames, the power (squared magnitude), the mel filters, then log(x + 1e-6).
    Cases: several rates, window sizes and batch sizes, a pure tone, and silence."""
    generator = torch.Generator().manual_seed(7)
    cases = []
    for n, rate, n_fft, hop, mels in [(2, 8000, 200, 80, 40), (1, 16000, 400, 160, 64), (3, 8000, 256, 64, 20)]:
        waveforms = torch.randn(n, rate // 4, generator=generator) * 0.1
        filters = mel_filterbank(n_fft, mels, rate)
        want = log_mel_spectrogram(waveforms, rate, n_mels=mels, n_fft=n_fft, hop=hop)
        cases.append((f"{n} clip(s) of noise at {rate} Hz, n_fft {n_fft}, hop {hop}, {mels} mel bands",
                      (waveforms, filters, n_fft, hop), _tensor_like(want, atol, "the log-mel spectrogram")))
    t = torch.arange(2000) / 8000
    for name, waveform in [("a 440 Hz tone", torch.sin(2 * torch.pi * 440 * t)), ("silence", torch.zeros(2000))]:
        want = log_mel_spectrogram(waveform[None], 8000, n_fft=200, hop=80)
        cases.append((name, (waveform[None], mel_filterbank(200, 40, 8000), 200, 80),
                      _tensor_like(want, atol, "the log-mel spectrogram")))
    return _check("log_mel", candidate, cases)


def _small_network(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    network = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 3))
    network(torch.randn(8, 4))   # training mode: fills BatchNorm's running statistics
    return network


def check_ema_update(candidate) -> bool:
    """Compare ``candidate(target, online, momentum)`` with :func:`sslworkbench.methods.ema.ema_update`
    (in place; weights averaged, buffers copied; the online network left unchanged). It returns
    None when right, so an empty stub is recognised by changing nothing."""
    failures = []
    for first, momentum in zip((True, False, False, False), (0.99, 0.5, 0.0, 1.0)):
        target, online = _small_network(0), _small_network(1)
        target_before, online_before = copy.deepcopy(target.state_dict()), copy.deepcopy(online.state_dict())
        want = copy.deepcopy(target)
        ema_update(want, online, momentum)
        try:
            returned = candidate(target, online, momentum)
        except Exception as error:  # the learner's code may raise anything
            failures.append(f"raised {type(error).__name__}: {error} for momentum {momentum}")
            continue
        got, expected = target.state_dict(), want.state_dict()
        if first and returned is None and all(torch.equal(got[name], value) for name, value in target_before.items()):
            return _not_written("ema_update")
        wrong = [name for name in expected if not torch.allclose(got[name].float(), expected[name].float(), atol=1e-6)]
        if any(not torch.equal(online.state_dict()[name], value) for name, value in online_before.items()):
            failures.append(f"momentum {momentum}: the online network changed; only the target may")
        elif wrong:
            failures.append(f"momentum {momentum}: the target's {', '.join(wrong[:3])} differ from the expected update "
                            "(weights: m·target + (1 − m)·online; buffers: copied)")
    return _report("ema_update", failures)


def check_learning_rate(candidate, atol: float = 1e-9) -> bool:
    """Compare ``candidate(step, total_steps, warmup_steps, base_lr)`` with the trainer's schedule
    (:func:`sslworkbench.training.trainer.learning_rate`, cosine): a linear warm-up to ``base_lr`` (step 0 gets
    ``base_lr / warmup_steps``), then half a cosine down to 0 at ``total_steps``. Cases: every step of
    short and long runs, no warm-up, a warm-up as long as the run, and steps past the end."""
    cases = []
    for total, warmup, base in [(10, 2, 0.1), (40, 0, 1.0), (7, 7, 0.5), (1000, 100, 3e-4)]:
        for step in sorted({0, 1, warmup - 1, warmup, warmup + 1, total // 2, total - 1, total, total + 5} - {-1}):
            want = learning_rate(step, total, warmup, base, "cosine")
            cases.append((f"step {step} of {total} ({warmup} warm-up steps, base {base})", (step, total, warmup, base),
                          _number_near(want, atol * max(1.0, base), digits=8)))
    return _check("learning_rate", candidate, cases)


def check_colour_projection(candidate, atol: float = 1e-5) -> bool:
    """Compare ``candidate(patches, axis)`` with :func:`sslworkbench.views.pretext.project_out`: every pixel
    loses its component along the colour ``axis`` (normalised first), except the patch's mean
    component. Cases: random patches, the red–blue and green–magenta axes, an unnormalised axis, and
    a patch whose colours vary only along the axis (it becomes flat)."""
    generator = torch.Generator().manual_seed(8)
    cases = []
    for n, size, axis, what in [(4, 8, RED_BLUE, "red–blue"), (2, 5, GREEN_MAGENTA, "green–magenta"),
                                (3, 16, (2.0, 0.0, -2.0), "red–blue, not normalised")]:
        patches, axis = torch.rand(n, 3, size, size, generator=generator), torch.tensor(axis)
        cases.append((f"{n} patches {size}×{size}, the {what} axis", (patches, axis),
                      _tensor_like(project_out(patches, tuple(axis.tolist())), atol, "the projected patches")))
    fringe = 0.5 + 0.2 * torch.tensor([1.0, 0.0, -1.0]).view(1, 3, 1, 1) * torch.linspace(-1, 1, 6).view(1, 1, 1, 6)
    fringe = fringe.expand(1, 3, 6, 6).contiguous()   # colours that vary only along red–blue: a fringe and nothing else
    cases.append(("a patch whose colours vary only along the red–blue axis", (fringe, torch.tensor(RED_BLUE)),
                  _tensor_like(project_out(fringe, RED_BLUE), atol, "the projected patch (flat: 0.5 everywhere)")))
    return _check("colour_projection", candidate, cases)


def check_stratified_split(candidate) -> bool:
    """Judge ``candidate(labels, test_fraction, seed)`` → the test rows, by what a split must do:
    distinct rows of the data; in every class ``round(count × test_fraction)`` of them (rounded
    either way), at least one when the class has two or more, never all; the same rows for the
    same seed, other rows for another seed."""
    generator = torch.Generator().manual_seed(9)
    cases = []
    for what, labels, fraction in [
        ("5 classes of 200 rows", torch.randint(0, 5, (200,), generator=generator), 0.2),
        ("a class of 1 row and one of 2", torch.tensor([0, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2]), 0.2),
        ("unsorted labels, a third to test", torch.tensor([3, 1, 3, 3, 1, 1, 1, 3, 3, 1, 3, 1, 3]), 1 / 3),
        ("no test split", torch.randint(0, 3, (30,), generator=generator), 0.0),
    ]:
        cases.append((f"{what}, test_fraction={fraction:.2f}", (labels, fraction, 0), _split_judge(candidate, labels, fraction)))
    return _check("stratified_split", candidate, cases)


def check_rank_with_ties(candidate) -> bool:
    """Compare ``candidate(scores, band)`` → {name: rank} with :func:`solutions.rank_with_ties`: ranks from
    1, best first; a method at most ``band`` below its group's leader shares the group's rank (1, 1, 3).
    Cases: no ties, two groups of ties, a chain (each within the band of the next, not all of the
    leader's), equal scores and no band, a score exactly the band below the leader, one method."""
    cases = []
    for what, scores, band in [
        ("three methods far apart", {"a": 0.9, "b": 0.5, "c": 0.7}, 0.01),
        ("two groups of ties", {"simclr": 0.60, "vicreg": 0.59, "byol": 0.55, "dino": 0.545, "rotation": 0.30}, 0.02),
        ("a chain: b within the band of a, c within the band of b but not of a", {"a": 0.60, "b": 0.585, "c": 0.57}, 0.02),
        ("equal scores and no band", {"x": 0.5, "y": 0.5, "z": 0.4}, 0.0),
        ("a score exactly the band below the leader", {"p": 0.75, "q": 0.5, "r": 0.25}, 0.25),
        ("one method", {"only": 0.42}, 0.05),
    ]:
        want = solutions.rank_with_ties(scores, band)
        cases.append((f"{what}, scores {scores}, band {band}", (dict(scores), band), _ranks_like(want)))
    return _check("rank_with_ties", candidate, cases)


def _ranks_like(want: dict):
    """A judge for {name: rank}: the same names, each with the expected rank."""
    def judge(got) -> str | None:
        if not isinstance(got, dict) or set(got) != set(want):
            return f"expected a dict with a rank for each of {sorted(want)}, got {got!r}"
        if any(got[name] != rank for name, rank in want.items()):
            return f"got the ranks {dict(sorted(got.items()))}, expected {dict(sorted(want.items()))}"
        return None
    return judge


def _above_chance_case(seed: int, n_train: int, n_test: int):
    """Features (N, 6) that carry a 5-class "shape" well and a 3-class "nuisance" (its test
    labels mostly one value: chance is not 1/3) weakly, and a "noise" factor they do not carry."""
    generator = torch.Generator().manual_seed(seed)

    def split(n, majority):
        shape = torch.randint(0, 5, (n,), generator=generator)
        nuisance = torch.where(torch.rand(n, generator=generator) < majority, 0, torch.randint(1, 3, (n,), generator=generator))
        noise = torch.randint(0, 4, (n,), generator=generator)
        features = torch.randn(n, 6, generator=generator)
        features[:, :5] += 2.0 * nn.functional.one_hot(shape, 5)
        features[:, 5] += 0.7 * nuisance
        return features, {"shape": shape, "nuisance": nuisance, "noise": noise}

    (train_features, train), (test_features, test) = split(n_train, 0.4), split(n_test, 0.6)
    return train_features, test_features, {name: (train[name], test[name]) for name in train}


def check_above_chance(candidate, atol: float = 1e-4) -> bool:
    """Compare ``candidate(train_features, test_features, factors)`` → {name: accuracy − chance}
    with :func:`solutions.above_chance`: a linear probe (``sw.linear_probe``) per factor, minus
    the share of the test set's most common label."""
    cases = []
    for seed, n_train, n_test in [(0, 300, 200), (1, 120, 90)]:
        train_features, test_features, factors = _above_chance_case(seed, n_train, n_test)
        want = solutions.above_chance(train_features, test_features, factors)
        accuracy = {name: linear_probe(train_features, labels[0], test_features, labels[1]) for name, labels in factors.items()}

        def judge(got, want=want, accuracy=accuracy):
            if not isinstance(got, dict) or set(got) != set(want):
                return f"return a dict with one entry per factor, {sorted(want)}; got {got!r:.80}"
            for name, value in want.items():
                value_got = float(got[name])
                if abs(value_got - value) > atol:
                    hint = (" — that is the probe's accuracy: subtract chance" if abs(value_got - accuracy[name]) <= atol
                            else " — chance is the share of the *test* set's most common label")
                    return f"factor {name!r}: got {value_got:+.4f}, expected {value:+.4f}{hint}"
            return None
        cases.append((f"{n_train} training and {n_test} test samples", (train_features, test_features, factors), judge))
    return _check("above_chance", candidate, cases)


def _split_judge(candidate, labels: torch.Tensor, fraction: float):
    def judge(got) -> str | None:
        rows = torch.as_tensor(got).long().flatten()
        if len(rows) != len(rows.unique()) or (len(rows) and (rows.min() < 0 or rows.max() >= len(labels))):
            return f"the test rows must be distinct rows of the data (0 … {len(labels) - 1}); got {rows.tolist()[:10]}"
        for label in labels.unique().tolist():
            count, taken = int((labels == label).sum()), int((labels[rows] == label).sum())
            exact = count * fraction
            allowed = {int(exact), int(exact) + (exact != int(exact))}
            allowed = {0} if count < 2 or fraction == 0 else {min(count - 1, max(1, k)) for k in allowed}
            if taken not in allowed:
                return f"class {label} has {count} rows and {taken} went to test; expected {sorted(allowed)}"
        if not torch.equal(torch.as_tensor(candidate(labels.clone(), fraction, 0)).long().flatten().sort().values,
                           rows.sort().values):
            return "the same seed gave other rows: seed a generator (torch.Generator().manual_seed(seed))"
        if len(labels) >= 100 and fraction > 0:
            again = torch.as_tensor(candidate(labels.clone(), fraction, 1)).long().flatten()
            if torch.equal(again.sort().values, rows.sort().values):
                return "another seed gave the same rows: shuffle each class with the seeded generator"
        return None
    return judge


SOLVED = {
    "purity": solutions.purity,
    "info_nce": solutions.info_nce,
    "nt_xent": solutions.nt_xent,
    "grayscale": solutions.grayscale,
    "rotation_batch": solutions.rotation_batch,
    "ema_update": solutions.ema_update,
    "skipgram_loss": solutions.skipgram_loss,
    "causal_lm_loss": solutions.causal_lm_loss,
    "retrieval_accuracy": solutions.retrieval_accuracy,
    "precision_at_k": solutions.precision_at_k,
    "worst_group_accuracy": solutions.worst_group_accuracy,
    "patchify": solutions.patchify,
    "masked_patch_loss": solutions.masked_patch_loss,
    "clip_loss": solutions.clip_loss,
    "order_triplet": solutions.order_triplet,
    "log_mel": solutions.log_mel,
    "learning_rate": solutions.learning_rate,
    "colour_projection": solutions.colour_projection,
    "stratified_split": solutions.stratified_split,
    "rank_with_ties": solutions.rank_with_ties,
    "above_chance": solutions.above_chance,
}


def solution(name: str) -> None:
    """Show the worked solution of exercise ``name``, folded: in Jupyter it opens with a click.

    Returns nothing: a returned string would be echoed, unfolded, below the cell."""
    if name not in SOLVED:
        raise WorkbenchError(f"No worked solution called {name!r}; there are: {', '.join(SOLVED)}.")
    source = inspect.getsource(SOLVED[name])
    show(source, html=f"<details><summary><b>Show a worked solution: {name}</b> (click)</summary>"
                      f"<pre>{html.escape(source)}</pre></details>")
