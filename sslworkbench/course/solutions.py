"""Worked solutions to the notebooks' implementation exercises.

Each is written the way the exercise asks for it, step by step, and passes the
exercise's checker (``tests/test_course_exercises.py``). A notebook shows one only on
request: ``sw.exercises.solution("purity")`` displays it folded, to be opened with
a click.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..evaluation.probes import linear_probe  # the learner's sw.linear_probe


def purity(labels: torch.Tensor, clusters: torch.Tensor) -> float:
    """Notebook 01: the share of images whose label is their cluster's most common one."""
    agreeing = 0
    for cluster in clusters.unique():
        labels_in_cluster = labels[clusters == cluster]
        agreeing += int(torch.bincount(labels_in_cluster).max())   # the cluster's majority label
    return agreeing / len(labels)


def grayscale(images: torch.Tensor) -> torch.Tensor:
    """Notebook 02: (N, 3, H, W) colour images in [0, 1] → (N, 1, H, W) luma."""
    red, green, blue = images[:, 0], images[:, 1], images[:, 2]
    luma = 0.2989 * red + 0.587 * green + 0.114 * blue   # how bright each colour looks to us
    return luma.unsqueeze(1)                              # keep a channel axis of size 1


def rotation_batch(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Notebook 03: every image in its 4 rotations, and how many quarter turns each got.

    Row ``k·N + i`` is image ``i`` turned ``k`` × 90° counter-clockwise; its target is ``k``."""
    n = images.shape[0]
    rotated = [torch.rot90(images, k, dims=(2, 3)) for k in range(4)]   # dims (2, 3): height and width
    targets = torch.arange(4).repeat_interleave(n)                      # 0 … 0, 1 … 1, 2 … 2, 3 … 3
    return torch.cat(rotated), targets


def info_nce(query: torch.Tensor, key: torch.Tensor, queue: torch.Tensor, temperature: float) -> torch.Tensor:
    """Notebook 04: MoCo's InfoNCE — each query picks its own key among the key and the K queued
    negatives, a (1 + K)-way classification whose right answer is class 0."""
    q = F.normalize(query, dim=1)                             # unit vectors: dot product = cosine
    k = F.normalize(key, dim=1)
    positive = (q * k).sum(dim=1, keepdim=True)               # (N, 1): q_i · k_i
    negatives = q @ queue.T                                   # (N, K): q_i · n_j (the queue is normalised)
    logits = torch.cat([positive, negatives], dim=1) / temperature
    right = torch.zeros(len(q), dtype=torch.long)             # the key sits in column 0
    return F.cross_entropy(logits, right)


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float) -> torch.Tensor:
    """Notebook 04: SimCLR's NT-Xent — each of the 2N views picks its partner among the other
    2N − 1 views of the batch."""
    z = F.normalize(torch.cat([z1, z2]), dim=1)               # (2N, D): view 1 of every image, then view 2
    n = len(z1)
    logits = z @ z.T / temperature                            # (2N, 2N) cosine similarities / τ
    logits.fill_diagonal_(float("-inf"))                      # a view is not its own candidate
    partner = torch.cat([torch.arange(n, 2 * n), torch.arange(n)])   # i's partner: i + N, or i − N
    return F.cross_entropy(logits, partner)


@torch.no_grad()
def ema_update(target: nn.Module, online: nn.Module, momentum: float) -> None:
    """Notebook 05: BYOL's target update, in place: θ_target ← m · θ_target + (1 − m) · θ_online.

    Buffers (BatchNorm's running statistics) are not averaged: they are copied."""
    for target_weight, online_weight in zip(target.parameters(), online.parameters()):
        target_weight.copy_(momentum * target_weight + (1 - momentum) * online_weight)
    for target_buffer, online_buffer in zip(target.buffers(), online.buffers()):
        target_buffer.copy_(online_buffer)


def skipgram_loss(center: torch.Tensor, context: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """Notebook 06: word2vec's skip-gram loss with negative sampling, as a binary classification.

    For each of the P pairs, the word really seen next to the centre word (label 1) and the K noise
    words (label 0) are scored by u · v_c; the loss is the logistic loss of those 1 + K scores,
    summed over a pair's words and averaged over the pairs."""
    words = torch.cat([context.unsqueeze(1), noise], dim=1)        # (P, 1 + K, D): the real context word first
    scores = torch.bmm(words, center.unsqueeze(2)).squeeze(2)       # (P, 1 + K): u · v_c of each word
    labels = torch.zeros_like(scores)
    labels[:, 0] = 1                                                # 1: seen next to the centre; 0: noise
    # binary cross-entropy on logits: −log σ(s) for a label 1, −log σ(−s) = −log(1 − σ(s)) for a label 0,
    # computed stably (never log of a sigmoid that rounded to 0)
    return F.binary_cross_entropy_with_logits(scores, labels, reduction="sum") / len(center)


def causal_lm_loss(scores: torch.Tensor, tokens: torch.Tensor, pad_id: int) -> torch.Tensor:
    """Notebook 07: GPT's loss. The scores at position t predict token t + 1, so
    drop the last position's scores and the first token, and average the
    cross-entropy over the pairs whose target is not padding."""
    scores_before = scores[:, :-1]           # (N, L − 1, V): what each position says about the next token
    next_tokens = tokens[:, 1:]              # (N, L − 1): the token that did come next
    counts = next_tokens != pad_id           # padding is not text: nothing to predict there
    log_p = scores_before.log_softmax(dim=-1).gather(2, next_tokens.unsqueeze(-1)).squeeze(-1)
    return -(log_p * counts).sum() / counts.sum()


def retrieval_accuracy(english: torch.Tensor, spanish: torch.Tensor) -> float:
    """Notebook 08: top-1 translation retrieval. Row i of ``spanish`` is the translation of row i
    of ``english``; the share of English rows whose most cosine-similar Spanish row is their own."""
    english = F.normalize(english, dim=1)     # unit length: a dot product is now a cosine
    spanish = F.normalize(spanish, dim=1)
    similarity = english @ spanish.T          # (N, N): row i holds English verse i against every Spanish verse
    nearest = similarity.argmax(dim=1)        # the Spanish row each English verse finds
    return (nearest == torch.arange(len(english))).float().mean().item()


def precision_at_k(features: torch.Tensor, labels: torch.Tensor, k: int) -> float:
    """Notebook 09: retrieval within one set. Each row is a query against all the *other* rows;
    the share of its k most cosine-similar rows that have its label, averaged over every query."""
    features = F.normalize(features, dim=1)          # unit length: a dot product is now a cosine
    similarity = features @ features.T               # (N, N): every row against every row
    similarity.fill_diagonal_(-float("inf"))         # a query must not find itself
    nearest = similarity.topk(k, dim=1).indices      # (N, k): the k most similar other rows
    same = labels[nearest] == labels[:, None]        # (N, k): True where the label matches the query's
    return same.float().mean().item()


def worst_group_accuracy(predictions: torch.Tensor, labels: torch.Tensor, groups: torch.Tensor) -> float:
    """Notebook 09b: the accuracy within each group of test examples, and the lowest of them."""
    correct = (predictions == labels).float()                 # 1 where the prediction is right, else 0
    accuracies = [correct[groups == group].mean().item()     # one accuracy per group that occurs
                  for group in groups.unique()]
    return min(accuracies)                                    # the group the classifier serves worst


def patchify(images: torch.Tensor, patch_size: int) -> torch.Tensor:
    """Notebook 10: (N, C, H, W) images → (N, P, patch_size² · C) patch vectors, patches
    in reading order (left to right, then top to bottom), each flattened row by row with
    the channels last — the order of the ViT's tokens and of MAE's targets."""
    n, c, h, w = images.shape
    p = patch_size
    grid = images.reshape(n, c, h // p, p, w // p, p)   # split each axis into (which patch, where in it)
    grid = grid.permute(0, 2, 4, 3, 5, 1)                # (N, patch row, patch column, y, x, channel)
    return grid.reshape(n, (h // p) * (w // p), p * p * c)


def clip_loss(image_embeddings: torch.Tensor, text_embeddings: torch.Tensor, logit_scale: float) -> torch.Tensor:
    """Notebook 11: CLIP's loss — every image picks its caption among the batch's captions,
    and every caption its image."""
    u = F.normalize(image_embeddings, dim=1)                  # unit vectors: similarity = cosine
    v = F.normalize(text_embeddings, dim=1)
    logits = logit_scale * u @ v.T                            # (N images, N captions)
    pairs = torch.arange(len(logits))                         # image i belongs with caption i
    image_to_text = F.cross_entropy(logits, pairs)            # each row: which caption?
    text_to_image = F.cross_entropy(logits.T, pairs)          # each column: which image?
    return (image_to_text + text_to_image) / 2


def order_triplet(clips: torch.Tensor, five: torch.Tensor, in_order: torch.Tensor, from_before: torch.Tensor) -> torch.Tensor:
    """Notebook 12: Shuffle & Learn's triplet — the middle frame c when in order, else a frame
    from outside (a before, e after), between the same two ends b and d."""
    a, b, c, d, e = five.unbind(1)                                    # each (N,): frame numbers
    outside = torch.where(from_before, a, e)                          # a frame outside [b, d]
    middle = torch.where(in_order, c, outside)
    frames = torch.stack([b, middle, d], dim=1)                       # (N, 3) frame numbers
    return clips[torch.arange(len(clips))[:, None], frames]           # (N, 3, C, H, W)


def log_mel(waveforms: torch.Tensor, filters: torch.Tensor, n_fft: int, hop: int) -> torch.Tensor:
    """Notebook 13: the log-mel spectrogram — short-time Fourier transform, power, mel
    filters, log."""
    window = torch.hann_window(n_fft)                                  # tapers each 25 ms slice
    spectrum = torch.stft(waveforms, n_fft, hop_length=hop, window=window, center=True,
                          return_complex=True)                         # (N, n_fft // 2 + 1, frames)
    power = spectrum.abs() ** 2                                        # energy at each frequency
    return torch.log(filters @ power + 1e-6)                           # (N, n_mels, frames)


def masked_patch_loss(prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Notebook 10: MAE's loss — each patch's mean squared error, averaged over the hidden
    patches only (mask 1 = hidden)."""
    per_patch = ((prediction - target) ** 2).mean(dim=-1)   # (N, P): one error per patch
    return (per_patch * mask).sum() / mask.sum()            # the visible patches count for nothing


def learning_rate(step: int, total_steps: int, warmup_steps: int, base_lr: float) -> float:
    """Notebook 02b: the trainer's schedule — a linear warm-up to ``base_lr`` over the first
    ``warmup_steps`` steps, then a cosine from ``base_lr`` down to 0 at ``total_steps``."""
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps                  # step 0 already moves: 1/warmup of the way
    if total_steps <= warmup_steps:
        return base_lr                                              # nothing left to decay over
    progress = min(1.0, (step - warmup_steps) / (total_steps - warmup_steps))   # 0 → 1 after the warm-up
    return base_lr * 0.5 * (1 + math.cos(math.pi * progress))      # 1 → 0 along half a cosine


def colour_projection(patches: torch.Tensor, axis: torch.Tensor) -> torch.Tensor:
    """Notebook 03b: Doersch et al.'s colour projection — remove every pixel's component along
    a colour ``axis``, keeping the patch's mean component (so the patch stays in range)."""
    unit = (axis / axis.norm()).view(1, 3, 1, 1)                        # the axis as a unit colour
    along = (patches * unit).sum(dim=1, keepdim=True)                   # (N, 1, H, W): each pixel's component
    mean = along.mean(dim=(2, 3), keepdim=True)                         # (N, 1, 1, 1): the patch's mean component
    return patches - (along - mean) * unit                              # only the variation along the axis goes


def stratified_split(labels: torch.Tensor, test_fraction: float, seed: int) -> torch.Tensor:
    """Notebook 14: the rows of ``labels`` that go to the test split — in every class a seeded
    shuffle, and the first ``round(count × test_fraction)`` of it (at least one when the class
    has two or more and a test split is asked for, never the whole class)."""
    generator = torch.Generator().manual_seed(seed)   # the same seed, the same split, every time
    test_rows = []
    for label in labels.unique():
        members = torch.nonzero(labels == label).flatten()          # this class's rows
        count = len(members)
        no_test = count < 2 or test_fraction == 0                   # nothing to spare, or none asked for
        share = 0 if no_test else min(count - 1, max(1, round(count * test_fraction)))
        shuffled = members[torch.randperm(count, generator=generator)]
        test_rows.append(shuffled[:share])
    return torch.cat(test_rows).sort().values


def rank_with_ties(scores: dict, band: float) -> dict:
    """Notebook 15: each method's rank, best first, with ties within ``band``. Walk down the scores
    from the best: a method within ``band`` of its group's leader (the group's best score) joins
    the group, any other starts a new one; every method of a group gets the rank 1 + the number
    of methods in the groups above it (1, 1, 3: competition ranking)."""
    ranks, leader, rank = {}, None, 0
    for place, (name, score) in enumerate(sorted(scores.items(), key=lambda item: -item[1]), start=1):
        if leader is None or leader - score > band:   # more than the band below this group's leader: a new group
            leader, rank = score, place
        ranks[name] = rank
    return ranks


def above_chance(train_features: torch.Tensor, test_features: torch.Tensor, factors: dict) -> dict:
    """Notebook 16: how far above chance a linear probe reads each factor off the features.
    ``factors``: {name: (train labels, test labels)}; returns {name: accuracy − chance}, where
    chance is the share of the test set's most common label (what always guessing it scores)."""
    gains = {}
    for name, (train_labels, test_labels) in factors.items():
        accuracy = linear_probe(train_features, train_labels, test_features, test_labels)   # fit on train, score on test
        chance = torch.bincount(test_labels).max().item() / len(test_labels)               # always the commonest label
        gains[name] = accuracy - chance
    return gains
