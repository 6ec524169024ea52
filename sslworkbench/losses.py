"""Self-supervised objectives, one pure function each.

A loss takes tensors and returns a scalar tensor; it keeps no state and draws
no randomness, so it can be tested against a closed form and checked against a
learner's own implementation (``sslworkbench.course.exercises``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .errors import WorkbenchError


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.5) -> torch.Tensor:
    r"""NT-Xent, the normalised temperature-scaled cross-entropy of SimCLR.

    The 2N embeddings of a batch of N positive pairs (z1[i], z2[i]) are
    L2-normalised; with :math:`s_{ij} = z_i^\top z_j / \tau` the loss of anchor i
    whose positive is j(i) is

    .. math::
        \ell_i = -\log \frac{\exp(s_{i,j(i)})}{\sum_{k \ne i} \exp(s_{ik})}

    (2N − 1 candidates: its positive and 2N − 2 negatives), and the loss is the
    mean of :math:`\ell_i` over all 2N anchors — as in the SimCLR authors' code.

    Identical views (z1 == z2) and otherwise orthogonal embeddings give
    ``log(1 + (2N - 2) * exp(-1/τ))``; a perfectly uninformative embedding gives
    ``log(2N - 1)``.
    """
    if not temperature > 0:  # also catches NaN
        raise WorkbenchError(f"temperature must be > 0 (got {temperature}); SimCLR uses 0.1–0.5.")
    if z1.shape != z2.shape or z1.dim() != 2:
        raise WorkbenchError(
            f"nt_xent needs two embedding batches of the same shape (N, D); got {tuple(z1.shape)} and {tuple(z2.shape)}."
        )
    n = z1.shape[0]
    if n < 2:
        raise WorkbenchError(
            "nt_xent needs a batch of at least 2 pairs: with 1 pair there are no negatives. "
            "Use batch_size ≥ 2 (SimCLR is usually run with 256 or more)."
        )
    z = torch.cat([z1, z2])
    if z.dtype in (torch.float16, torch.bfloat16):  # under mixed precision: softmax in float32
        z = z.float()
    z = F.normalize(z, dim=1)  # (2N, D)
    logits = z @ z.T / temperature
    logits.fill_diagonal_(float("-inf"))  # an anchor is not its own candidate
    positive = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(logits, positive)


# ---------------------------------------------------------------------------
# Joint-embedding objectives (issue #5). Each follows its authors' published
# reference implementation; the tests check each against a closed form and an
# independent straightforward re-computation.
# ---------------------------------------------------------------------------


def _check_pair(name: str, a: torch.Tensor, b: torch.Tensor, a_name: str = "z1", b_name: str = "z2") -> None:
    """Two embedding batches of the same shape (N, D) with N ≥ 2."""
    if a.dim() != 2 or a.shape != b.shape:
        raise WorkbenchError(
            f"{name} needs {a_name} and {b_name} of the same shape (N, D); got {tuple(a.shape)} and {tuple(b.shape)}. "
            "Check that the projector's output dimension is the one the loss gets."
        )
    if a.shape[0] < 2:
        raise WorkbenchError(f"{name} needs a batch of at least 2 images (got 1): use batch_size ≥ 2.")


def _float32(*tensors):
    """Under mixed precision, compute the loss in float32."""
    return [t.float() if t.dtype in (torch.float16, torch.bfloat16) else t for t in tensors]


def info_nce(query: torch.Tensor, key: torch.Tensor, queue: torch.Tensor, temperature: float = 0.2) -> torch.Tensor:
    r"""InfoNCE with a queue of negatives, as MoCo computes it (He et al. 2020).

    ``query`` (N, D) and its positive ``key`` (N, D) are L2-normalised; ``queue``
    (K, D) holds K negatives (one per row, already normalised, no gradient).
    With :math:`l^+_i = q_i^\top k_i` and :math:`l^-_{ij} = q_i^\top n_j`,

    .. math::
        \mathcal{L} = \frac1N \sum_i -\log \frac{\exp(l^+_i/\tau)}
                      {\exp(l^+_i/\tau) + \sum_{j=1}^{K} \exp(l^-_{ij}/\tau)}

    i.e. a (K+1)-way cross-entropy whose correct class is 0, as in the authors'
    ``moco/builder.py``. The key gets no gradient (it comes from the momentum
    encoder). With ``queue`` of shape (0, D) the loss is 0.
    """
    if not temperature > 0:
        raise WorkbenchError(f"temperature must be > 0 (got {temperature}); MoCo v2 uses 0.2.")
    _check_pair("info_nce", query, key, "query", "key")
    if queue.dim() != 2 or queue.shape[1] != query.shape[1]:
        raise WorkbenchError(
            f"info_nce: the queue must be (K, D) with D = {query.shape[1]} like the query; got {tuple(queue.shape)}."
        )
    query, key, queue = _float32(query, key, queue)
    query = F.normalize(query, dim=1)
    key = F.normalize(key, dim=1).detach()
    positive = (query * key).sum(dim=1, keepdim=True)  # (N, 1)
    negative = query @ queue.detach().T  # (N, K)
    logits = torch.cat([positive, negative], dim=1) / temperature
    return F.cross_entropy(logits, torch.zeros(len(query), dtype=torch.long, device=query.device))


def clip_loss(image_embeddings: torch.Tensor, text_embeddings: torch.Tensor, logit_scale: torch.Tensor | float) -> torch.Tensor:
    r"""CLIP's symmetric InfoNCE over a batch of N image–text pairs (Radford et al. 2021, Fig. 3).

    Both embeddings are L2-normalised; with the learnable inverse temperature
    :math:`s = 1/\tau` (``logit_scale``) the similarity of image i and text j is
    :math:`l_{ij} = s\, u_i^\top v_j`, and

    .. math::
        \mathcal{L} = \frac12 \Big[ \frac1N \sum_i -\log \frac{\exp l_{ii}}{\sum_j \exp l_{ij}}
                     + \frac1N \sum_j -\log \frac{\exp l_{jj}}{\sum_i \exp l_{ij}} \Big]

    each image must pick out its own caption among the N captions of the batch (rows), and
    each caption its own image (columns): NT-Xent of notebook 04 with the second *view*
    replaced by the second *modality*, and only cross-modal negatives. A batch of N
    unrelated embeddings gives about ``log N``; ``logit_scale`` is a scalar (a tensor, to
    learn it: CLIP starts it at 1/0.07 and clamps it at 100).
    """
    _check_pair("clip_loss", image_embeddings, text_embeddings, "image_embeddings", "text_embeddings")
    scale = torch.as_tensor(logit_scale, dtype=torch.float32, device=image_embeddings.device)
    if scale.numel() != 1 or not bool(scale > 0):
        raise WorkbenchError(f"clip_loss: logit_scale must be one number > 0 (1/temperature); got {scale.flatten()[:3].tolist()}.")
    image_embeddings, text_embeddings = _float32(image_embeddings, text_embeddings)
    logits = scale * F.normalize(image_embeddings, dim=1) @ F.normalize(text_embeddings, dim=1).T  # (N images, N texts)
    target = torch.arange(len(logits), device=logits.device)
    return (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2


def supervised_contrastive(
    features: torch.Tensor, labels: torch.Tensor, temperature: float = 0.1, base_temperature: float | None = None
) -> torch.Tensor:
    r"""SupCon (Khosla et al. 2020): every view with the same label is a positive.

    ``features`` (N, V, D): V views of each of N images (L2-normalised here);
    ``labels`` (N,): images with equal labels are positives of each other
    (for MICLe-style training, the label is the *instance* id). Over all NV
    anchors i, with P(i) the other views sharing i's label and A(i) all views
    but i,

    .. math::
        \mathcal{L} = \frac{\tau}{\tau_b}\,\frac{1}{NV}\sum_i \frac{-1}{|P(i)|}
            \sum_{p \in P(i)} \log \frac{\exp(z_i^\top z_p/\tau)}{\sum_{a \in A(i)} \exp(z_i^\top z_a/\tau)}

    as the authors' ``SupConLoss`` (contrast mode "all"). ``base_temperature``
    τ_b defaults to τ (so the factor is 1). With all labels distinct and V = 2
    it is exactly :func:`nt_xent`.
    """
    if not temperature > 0:
        raise WorkbenchError(f"temperature must be > 0 (got {temperature}); SupCon uses 0.1.")
    if features.dim() != 3 or features.shape[1] < 1:
        raise WorkbenchError(f"supervised_contrastive needs features of shape (N, V, D); got {tuple(features.shape)}.")
    n, v, _ = features.shape
    if labels.shape != (n,):
        raise WorkbenchError(f"supervised_contrastive: {n} images but labels of shape {tuple(labels.shape)}.")
    if n * v < 2:
        raise WorkbenchError("supervised_contrastive needs at least 2 views in the batch: use batch_size ≥ 2.")
    (features,) = _float32(features)
    z = F.normalize(features, dim=2).transpose(0, 1).reshape(n * v, -1)  # view-major, as torch.cat(unbind(1))
    label = labels.repeat(v)
    logits = z @ z.T / temperature
    self_mask = torch.eye(n * v, dtype=torch.bool, device=z.device)
    logits = logits.masked_fill(self_mask, float("-inf"))
    log_prob = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    positive = (label[:, None] == label[None, :]) & ~self_mask
    count = positive.sum(dim=1)
    if (count == 0).any():
        raise WorkbenchError(
            "supervised_contrastive: some view has no positive (a label seen once, with V = 1); use V ≥ 2 views."
        )
    mean_log_prob_positive = log_prob.masked_fill(~positive, 0).sum(dim=1) / count
    scale = temperature / (base_temperature or temperature)
    return -(scale * mean_log_prob_positive).mean()


def negative_cosine(p: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    r"""SimSiam's D(p, z) = −cos(p, stopgrad(z)), averaged over the batch.

    .. math:: \mathcal{D}(p, z) = -\frac1N\sum_i \frac{p_i}{\|p_i\|}\cdot\frac{z_i}{\|z_i\|}

    ``z`` is detached: the gradient flows only through the predictor's output
    ``p`` (the stop-gradient of SimSiam and BYOL). BYOL's regression loss
    ``‖p̄ − z̄‖² = 2 − 2 cos`` is ``2 + 2 · negative_cosine(p, z)``. In [−1, 1].
    """
    _check_pair("negative_cosine", p, z, "p", "z")
    p, z = _float32(p, z)
    return -(F.normalize(p, dim=1) * F.normalize(z.detach(), dim=1)).sum(dim=1).mean()


def _off_diagonal(matrix: torch.Tensor) -> torch.Tensor:
    """The off-diagonal entries of a square matrix, flattened (the authors' helper)."""
    n = matrix.shape[0]
    return matrix.flatten()[:-1].view(n - 1, n + 1)[:, 1:].flatten()


def barlow_twins(z1: torch.Tensor, z2: torch.Tensor, lambd: float = 5e-3) -> torch.Tensor:
    r"""Barlow Twins (Zbontar et al. 2021): make the cross-correlation the identity.

    Each embedding dimension is standardised over the batch (as a BatchNorm
    without affine parameters: biased variance, ε = 1e-5), then
    :math:`C = \tilde z_1^\top \tilde z_2 / N` (D × D) and

    .. math::
        \mathcal{L} = \sum_i (1 - C_{ii})^2 + \lambda \sum_{i \ne j} C_{ij}^2

    — exactly the authors' ``main.py`` (sums, not means; λ = 5e-3).
    """
    _check_pair("barlow_twins", z1, z2)
    if not lambd >= 0:
        raise WorkbenchError(f"lambd must be ≥ 0 (got {lambd}); Barlow Twins uses 5e-3.")
    z1, z2 = _float32(z1, z2)
    n = z1.shape[0]
    c = F.batch_norm(z1, None, None, training=True).T @ F.batch_norm(z2, None, None, training=True) / n
    on_diagonal = (torch.diagonal(c) - 1).pow(2).sum()
    off_diagonal = _off_diagonal(c).pow(2).sum()
    return on_diagonal + lambd * off_diagonal


def vicreg(
    z1: torch.Tensor, z2: torch.Tensor, sim_weight: float = 25.0, var_weight: float = 25.0, cov_weight: float = 1.0
) -> torch.Tensor:
    r"""VICReg (Bardes, Ponce & LeCun 2022): variance, invariance, covariance.

    With D-dimensional embeddings, centred per dimension,

    .. math::
        s = \tfrac{1}{ND}\|z_1 - z_2\|^2, \quad
        v = \tfrac12\sum_{k=1,2}\tfrac1D\sum_j \max(0, 1 - \sqrt{\mathrm{Var}(z_k^{(j)}) + 10^{-4}}),

        c = \sum_{k=1,2} \tfrac1D \sum_{i \ne j} \mathrm{Cov}(z_k)_{ij}^2, \quad
        \mathcal{L} = \lambda s + \mu v + \nu c

    (unbiased variance and covariance, /(N−1)), as the authors' ``main_vicreg.py``.
    """
    _check_pair("vicreg", z1, z2)
    z1, z2 = _float32(z1, z2)
    n, d = z1.shape
    invariance = F.mse_loss(z1, z2)
    z1 = z1 - z1.mean(dim=0)
    z2 = z2 - z2.mean(dim=0)
    std1 = torch.sqrt(z1.var(dim=0) + 1e-4)
    std2 = torch.sqrt(z2.var(dim=0) + 1e-4)
    variance = F.relu(1 - std1).mean() / 2 + F.relu(1 - std2).mean() / 2
    cov1 = z1.T @ z1 / (n - 1)
    cov2 = z2.T @ z2 / (n - 1)
    covariance = _off_diagonal(cov1).pow(2).sum() / d + _off_diagonal(cov2).pow(2).sum() / d
    return sim_weight * invariance + var_weight * variance + cov_weight * covariance


def dino_loss(
    student: list[torch.Tensor] | tuple[torch.Tensor, ...],
    teacher: list[torch.Tensor] | tuple[torch.Tensor, ...],
    center: torch.Tensor,
    student_temperature: float = 0.1,
    teacher_temperature: float = 0.04,
) -> torch.Tensor:
    r"""DINO's self-distillation loss (Caron et al. 2021), a pure function.

    ``student``: the student's logits for each of its crops (each (N, K));
    ``teacher``: the teacher's logits for the global crops (each (N, K));
    ``center`` (K,): the running mean of the teacher's logits (kept by the
    method). The teacher is *centred* and *sharpened*, the student softened:

    .. math::
        P_t = \mathrm{softmax}\big((g_t - c)/\tau_t\big), \quad
        \log P_s = \mathrm{log\,softmax}(g_s/\tau_s),

        \mathcal{L} = \frac{1}{\#\text{pairs}} \sum_{t}\sum_{s \ne t}
                      \frac1N\sum_i -P_t^{(i)} \cdot \log P_s^{(i)}

    over every (teacher crop t, student crop s) pair except a crop with itself
    (the first ``len(teacher)`` student crops are the same global crops), as the
    authors' ``DINOLoss``. The teacher gets no gradient.
    """
    if not (student_temperature > 0 and teacher_temperature > 0):
        raise WorkbenchError(
            f"DINO's temperatures must be > 0 (got student {student_temperature}, teacher {teacher_temperature})."
        )
    if len(teacher) < 1 or len(student) < 2:
        raise WorkbenchError("dino_loss needs ≥ 1 teacher crop and ≥ 2 student crops (a crop is not compared with itself).")
    k = teacher[0].shape[-1]
    for name, outputs in (("student", student), ("teacher", teacher)):
        for out in outputs:
            if out.dim() != 2 or out.shape[1] != k or out.shape[0] != teacher[0].shape[0]:
                raise WorkbenchError(
                    f"dino_loss: every {name} output must be (N, K) = {tuple(teacher[0].shape)}; got {tuple(out.shape)}."
                )
    if center.shape[-1] != k:
        raise WorkbenchError(f"dino_loss: the centre has {center.shape[-1]} entries but the outputs have K = {k}.")
    student = _float32(*student)
    teacher = _float32(*teacher)
    targets = [F.softmax((t.detach() - center) / teacher_temperature, dim=-1) for t in teacher]
    log_predictions = [F.log_softmax(s / student_temperature, dim=-1) for s in student]
    total, terms = 0.0, 0
    for t, target in enumerate(targets):
        for s, log_prediction in enumerate(log_predictions):
            if s == t:
                continue
            total = total + (-target * log_prediction).sum(dim=-1).mean()
            terms += 1
    return total / terms


def sinkhorn_knopp(scores: torch.Tensor, epsilon: float = 0.05, iterations: int = 3) -> torch.Tensor:
    r"""SwAV's codes (Caron et al. 2020): a batch's scores against the prototypes turned
    into soft assignments that share the prototypes out equally, by Sinkhorn–Knopp.

    ``scores`` (N, K): :math:`s_{ik} = z_i^\top c_k`, each of N embeddings against each
    of K prototypes. The codes solve the entropic optimal-transport problem

    .. math::
        \max_{Q \in \mathcal{Q}} \operatorname{Tr}(Q^\top S) + \epsilon H(Q), \qquad
        \mathcal{Q} = \{Q \in \mathbb{R}_+^{K \times N} : Q \mathbf 1_N = \tfrac1K \mathbf 1_K,\
                      Q^\top \mathbf 1_K = \tfrac1N \mathbf 1_N\}

    whose solution has the form :math:`Q = \operatorname{diag}(a)\, \exp(S^\top/\epsilon)\,
    \operatorname{diag}(b)`. Sinkhorn–Knopp finds :math:`a, b` by alternate scaling, as
    the authors' ``distributed_sinkhorn``: :math:`Q = \exp(S^\top/\epsilon)` normalised to
    sum 1, then ``iterations`` times

        rows (prototypes) scaled to sum 1/K;  columns (images) scaled to sum 1/N,

    and the codes are :math:`(N Q)^\top` (N, K): each row is a distribution over the
    prototypes (it sums to 1) and, once converged, every prototype gets N/K of the
    batch's mass (the *equipartition* constraint that keeps all images from taking
    one prototype). A small ``epsilon`` makes the codes sharper; the paper uses
    ε = 0.05 and 3 iterations.

    Each prototype's largest score is subtracted before the exponential, so that it
    cannot overflow and no prototype's row is all zeros; the first scaling of the rows
    cancels it, so the codes are the same. No gradient flows
    through the codes (SwAV computes them under ``torch.no_grad``); in float32 under
    mixed precision.
    """
    if not epsilon > 0:  # also catches NaN
        raise WorkbenchError(f"epsilon must be > 0 (got {epsilon}); SwAV uses 0.05 (smaller: sharper codes).")
    whole = hasattr(iterations, "__index__") and not isinstance(iterations, bool)  # an int, a NumPy int
    if not whole or iterations < 1:
        raise WorkbenchError(f"iterations must be a whole number ≥ 1 (got {iterations!r}); SwAV uses 3.")
    if scores.dim() != 2 or scores.shape[0] < 1 or scores.shape[1] < 1:
        raise WorkbenchError(
            f"sinkhorn_knopp needs scores of shape (N, K): N embeddings against K prototypes; got {tuple(scores.shape)}."
        )
    (scores,) = _float32(scores.detach())
    n, k = scores.shape
    q = torch.exp((scores - scores.max(dim=0, keepdim=True).values) / epsilon).T  # (K, N)
    q = q / q.sum()
    for _ in range(iterations):
        q = q / q.sum(dim=1, keepdim=True) / k  # each prototype's row sums to 1/K
        q = q / q.sum(dim=0, keepdim=True) / n  # each image's column sums to 1/N
    return (q * n).T


def swav_loss(
    scores1: torch.Tensor,
    scores2: torch.Tensor,
    codes1: torch.Tensor,
    codes2: torch.Tensor,
    temperature: float = 0.1,
) -> torch.Tensor:
    r"""SwAV's swapped prediction (Caron et al. 2020): each view predicts the *other*
    view's code from its own scores.

    ``scores1``, ``scores2`` (N, K): the two views' scores against the K prototypes,
    :math:`s_v = z_v C^\top`; ``codes1``, ``codes2`` (N, K): their codes
    (``sinkhorn_knopp``; no gradient flows through them). With
    :math:`p_v = \mathrm{softmax}(s_v / \tau)` over the prototypes,

    .. math::
        \mathcal{L} = -\frac12 \cdot \frac1N \sum_{i=1}^{N} \sum_{k=1}^{K}
            \Big[ q_{1,ik} \log p_{2,ik} + q_{2,ik} \log p_{1,ik} \Big]

    the code of view 1 is the target of view 2's prediction and the other way round
    (the authors' loss with two crops). Scores all equal (every prototype as likely)
    give ``log K`` whatever the codes.
    """
    if not temperature > 0:
        raise WorkbenchError(f"temperature must be > 0 (got {temperature}); SwAV uses 0.1.")
    shape = scores1.shape
    if len(shape) != 2 or any(t.shape != shape for t in (scores2, codes1, codes2)):
        raise WorkbenchError(
            "swav_loss needs scores1, scores2, codes1 and codes2 of one shape (N, K); got "
            f"{', '.join(str(tuple(t.shape)) for t in (scores1, scores2, codes1, codes2))}."
        )
    scores1, scores2, codes1, codes2 = _float32(scores1, scores2, codes1.detach(), codes2.detach())
    log_p1 = F.log_softmax(scores1 / temperature, dim=1)
    log_p2 = F.log_softmax(scores2 / temperature, dim=1)
    view2_predicts_code1 = -(codes1 * log_p2).sum(dim=1).mean()
    view1_predicts_code2 = -(codes2 * log_p1).sum(dim=1).mean()
    return (view2_predicts_code1 + view1_predicts_code2) / 2


# ---------------------------------------------------------------------------
# Pretext (generative) objectives: context encoder, autoencoders
# ---------------------------------------------------------------------------


def masked_mse(prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    r"""Mean squared error over the masked region only (Pathak et al.'s reconstruction loss).

    .. math::
        L_{rec} = \frac{\sum_{n,c,h,w} M_{nhw} (\hat x_{nchw} - x_{nchw})^2}{C \sum_{n,h,w} M_{nhw}}

    ``mask`` (N, 1, H, W) is 1 where the image was blacked out; pixels the model
    could see cost nothing. With a mask of ones it is the plain MSE. It is MAE's
    :func:`masked_patch_mse` with every pixel a "patch" of its C values.
    """
    if prediction.shape != target.shape or prediction.dim() != 4:
        raise WorkbenchError(
            f"masked_mse needs prediction and target of the same shape (N, C, H, W); got "
            f"{tuple(prediction.shape)} and {tuple(target.shape)}."
        )
    if mask.shape != (prediction.shape[0], 1, *prediction.shape[2:]):
        raise WorkbenchError(f"masked_mse needs a mask of shape (N, 1, H, W); got {tuple(mask.shape)}.")
    if mask.sum() == 0:
        raise WorkbenchError("masked_mse: the mask is empty, there is nothing to reconstruct.")
    # (N, C, H, W) → (N, H·W, C): every pixel a patch of its C values
    return masked_patch_mse(prediction.flatten(2).transpose(1, 2), target.flatten(2).transpose(1, 2), mask.flatten(1))


def frame_prediction_error(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    r"""Mean squared error of predicted video frames (future-frame prediction).

    .. math::
        L = \frac{1}{N C H W} \sum_{n,c,h,w} (\hat x_{t+1} - x_{t+1})^2_{nchw}

    The trivial baseline predicts the last frame seen again, :math:`\hat x_{t+1}
    = x_t`: on a still background only the moving object's pixels are wrong, so
    it is hard to beat by much — a model beats it only by knowing how things move.
    ``predicted`` and ``target``: frames (N, C, H, W) or clips (N, T, C, H, W).
    """
    if predicted.shape != target.shape or predicted.dim() not in (4, 5):
        raise WorkbenchError(
            f"frame_prediction_error needs predicted and target frames of the same shape, (N, C, H, W) or "
            f"(N, T, C, H, W); got {tuple(predicted.shape)} and {tuple(target.shape)}."
        )
    return ((predicted.float() - target.float()) ** 2).mean()


def masked_patch_mse(prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    r"""MAE's loss: the mean squared error over the hidden patches only (He et al. 2022, §3).

    .. math::
        L = \frac{\sum_{n,p} M_{np} \, \frac{1}{D} \sum_{d} (\hat x_{npd} - x_{npd})^2}{\sum_{n,p} M_{np}}

    ``prediction`` and ``target`` (N, P, D): P patches of D values each;
    ``mask`` (N, P) is 1 where a patch was hidden from the encoder. Visible patches
    cost nothing: copying what it was shown would teach the model nothing.
    """
    if prediction.shape != target.shape or prediction.dim() != 3:
        raise WorkbenchError(
            f"masked_patch_mse needs prediction and target of the same shape (N, P, D); got "
            f"{tuple(prediction.shape)} and {tuple(target.shape)}."
        )
    if mask.shape != prediction.shape[:2]:
        raise WorkbenchError(f"masked_patch_mse needs a mask of shape (N, P) = {tuple(prediction.shape[:2])}; got {tuple(mask.shape)}.")
    mask = mask.to(prediction.dtype)
    if mask.sum() == 0:
        raise WorkbenchError("masked_patch_mse: no patch is hidden, there is nothing to reconstruct.")
    per_patch = ((prediction - target) ** 2).mean(dim=-1)
    return (per_patch * mask).sum() / mask.sum()


def adversarial_discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    r"""The discriminator's GAN loss (Goodfellow et al. 2014), on logits:

    .. math::
        L_D = -\tfrac12\big[\overline{\log \sigma(D(x))} + \overline{\log(1 - \sigma(D(\hat x)))}\big]

    ``log 2`` when it cannot tell real from fake (all logits 0)."""
    real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return (real + fake) / 2


def adversarial_generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    r"""The generator's (non-saturating) GAN loss: :math:`L_{adv} = -\overline{\log \sigma(D(\hat x))}`.

    ``log 2`` when the discriminator is undecided (logits 0)."""
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    r"""KL(N(μ, diag σ²) ‖ N(0, I)) per sample, summed over latent dimensions (Kingma & Welling 2014, App. B):

    .. math::
        \mathrm{KL} = -\tfrac12 \sum_j \big(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2\big)

    Returns shape (N,); 0 exactly when μ = 0 and log σ² = 0."""
    return -0.5 * (1 + logvar - mu**2 - logvar.exp()).sum(dim=1)


def vae_loss(
    reconstruction: torch.Tensor, target: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor, beta: float = 1.0
) -> torch.Tensor:
    r"""The negative evidence lower bound of a VAE, per image, averaged over the batch:

    .. math::
        L = \frac1N \sum_n \Big[\sum_{c,h,w} (\hat x_{nchw} - x_{nchw})^2 + \beta\,\mathrm{KL}_n\Big]

    (the squared error is a Gaussian decoder's negative log-likelihood with
    variance ½, up to a constant; β = 1 is the VAE, β > 1 the β-VAE)."""
    if reconstruction.shape != target.shape:
        raise WorkbenchError(
            f"vae_loss needs reconstruction and target of the same shape; got {tuple(reconstruction.shape)} and {tuple(target.shape)}."
        )
    if beta < 0:
        raise WorkbenchError(f"beta must be ≥ 0 (got {beta}).")
    squared_error = ((reconstruction - target) ** 2).flatten(1).sum(dim=1)
    return (squared_error + beta * gaussian_kl(mu, logvar)).mean()


# ---------------------------------------------------------------------------
# Text objectives: word2vec, masked and causal language models, next sentence
# ---------------------------------------------------------------------------


def skipgram_negative_sampling(
    center: torch.Tensor, context: torch.Tensor, noise: torch.Tensor
) -> torch.Tensor:
    r"""word2vec's skip-gram with negative sampling (Mikolov et al. 2013b, eq. 4).

    For a centre word's input vector :math:`v_c` (``center``, (P, D)), the output
    vector of a word seen next to it :math:`u_o` (``context``, (P, D)) and the
    output vectors of K words drawn from the noise distribution :math:`u_k`
    (``noise``, (P, K, D)):

    .. math::
        \ell = -\log \sigma(u_o^\top v_c) - \sum_{k=1}^{K} \log \sigma(-u_k^\top v_c)

    averaged over the P pairs: pull true neighbours together, push K random
    words away. ``log 2 · (K + 1)`` when every vector is 0."""
    if center.shape != context.shape or center.dim() != 2:
        raise WorkbenchError(
            f"skipgram_negative_sampling needs center and context of the same shape (P, D); got "
            f"{tuple(center.shape)} and {tuple(context.shape)}."
        )
    if noise.dim() != 3 or noise.shape[0] != center.shape[0] or noise.shape[2] != center.shape[1]:
        raise WorkbenchError(f"noise must be (P, K, D) = ({center.shape[0]}, K, {center.shape[1]}); got {tuple(noise.shape)}.")
    positive = F.logsigmoid((center * context).sum(-1))
    negative = F.logsigmoid(-torch.einsum("pd,pkd->pk", center, noise)).sum(-1)
    return -(positive + negative).mean()


def cbow_negative_sampling(
    context: torch.Tensor, mask: torch.Tensor, center: torch.Tensor, noise: torch.Tensor
) -> torch.Tensor:
    r"""word2vec's continuous bag of words (CBOW, Mikolov et al. 2013a) with negative
    sampling: the words around a centre word predict it.

    For the input vectors :math:`v_j` of the C words around each centre word
    (``context``, (P, C, D); ``mask`` (P, C), booleans: which of the C slots hold a
    context word, the others are padding and never read), the output vector of the
    centre word :math:`u_o` (``center``, (P, D)) and the output vectors of K noise
    words :math:`u_k` (``noise``, (P, K, D)):

    .. math::
        h = \frac{\sum_j m_j v_j}{\sum_j m_j}, \qquad
        \ell = -\log \sigma(u_o^\top h) - \sum_{k=1}^{K} \log \sigma(-u_k^\top h)

    averaged over the P centre words: :func:`skipgram_negative_sampling` with the
    context's mean :math:`h` in place of the centre word's :math:`v_c` (with one
    context word each, the two are the same loss). ``log 2 · (K + 1)`` when every
    vector is 0."""
    if (context.dim() != 3 or mask.shape != context.shape[:2] or mask.dtype != torch.bool
            or center.shape != context.shape[::2] or noise.dim() != 3 or noise.shape[::2] != center.shape):
        raise WorkbenchError(
            f"cbow_negative_sampling needs context (P, C, D), mask (P, C) of booleans, center (P, D) and noise (P, K, D); "
            f"got {tuple(context.shape)}, {tuple(mask.shape)} of {mask.dtype}, {tuple(center.shape)} and {tuple(noise.shape)}."
        )
    if not mask.any(1).all():
        raise WorkbenchError(
            f"cbow_negative_sampling: centre word {int((~mask.any(1)).nonzero()[0])} has no context word (its mask row "
            "is all False): leave such centre words out."
        )
    mean = torch.where(mask[..., None], context, 0).sum(1) / mask.sum(1, keepdim=True)
    return skipgram_negative_sampling(mean, center, noise)


def token_prediction_loss(scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    r"""Cross-entropy of the true tokens at the predicted positions — the loss of
    every language model here:

    .. math::
        L = -\frac{1}{|M|} \sum_{(n,t) \in M} \log \operatorname{softmax}(s_{n,t})[x_{n,t}]

    ``scores`` (|M|, V): the model's scores over the vocabulary at the positions
    M it must predict, ``targets`` (|M|,): the true token ids there.

    - masked language model (BERT, XLM's TLM): M = the positions that were masked;
      the model saw the rest of the sequence;
    - causal language model (GPT): M = every position whose next token is text,
      the target is that next token; the model saw only the tokens before it.

    ``log V`` for uniform scores; its exponential is the perplexity."""
    if scores.dim() != 2 or targets.shape != scores.shape[:1]:
        raise WorkbenchError(
            f"token_prediction_loss needs scores (M, V) and targets (M,); got {tuple(scores.shape)} and {tuple(targets.shape)}."
        )
    if scores.shape[0] == 0:
        raise WorkbenchError("token_prediction_loss: no position to predict (M is empty).")
    return F.cross_entropy(scores.float(), targets)


def next_sentence_loss(logits: torch.Tensor, is_next: torch.Tensor) -> torch.Tensor:
    r"""BERT's next-sentence prediction (and ALBERT's sentence-order prediction):
    a binary classification of each pair from the [CLS] state's logit :math:`s`,

    .. math::
        L = -\overline{y \log \sigma(s) + (1 - y) \log(1 - \sigma(s))}

    with y = 1 when segment B really follows segment A. ``log 2`` when undecided."""
    if logits.shape != is_next.shape:
        raise WorkbenchError(f"next_sentence_loss needs logits and labels of one shape; got {tuple(logits.shape)} and {tuple(is_next.shape)}.")
    return F.binary_cross_entropy_with_logits(logits.float(), is_next.float())


# ---------------------------------------------------------------------------
# Audio objectives: COLA's bilinear contrast, contrastive predictive coding
# ---------------------------------------------------------------------------


def bilinear_contrastive(anchors: torch.Tensor, positives: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    r"""COLA's loss (Saeed, Grangier & Zeghidour 2021): a cross-entropy over the batch
    with a learned **bilinear** similarity.

    For N anchors :math:`a_i` and their positives :math:`p_i` (``anchors``, ``positives``
    (N, D): the projections g(x) of two segments of clip i) and ``weight`` W (D, D),

    .. math::
        s_{ij} = a_i^\top W p_j, \qquad
        \mathcal{L} = \frac1N \sum_i -\log \frac{\exp s_{ii}}{\sum_{j=1}^{N} \exp s_{ij}}

    each anchor must pick out the segment of its own clip among the N positives
    of the batch; the other clips' segments are the negatives. Unlike NT-Xent, the
    vectors are not normalised and there is no temperature: W learns the scale
    (and which directions count). One direction only, as in the authors' code.
    N unrelated embeddings (W = 0) give ``log N``.
    """
    _check_pair("bilinear_contrastive", anchors, positives, "anchors", "positives")
    d = anchors.shape[1]
    if weight.shape != (d, d):
        raise WorkbenchError(f"bilinear_contrastive needs a weight of shape (D, D) = ({d}, {d}); got {tuple(weight.shape)}.")
    anchors, positives, weight = _float32(anchors, positives, weight)
    similarities = anchors @ weight @ positives.T  # (N anchors, N positives)
    return F.cross_entropy(similarities, torch.arange(len(anchors), device=anchors.device))


def cpc_logits(
    predictions: torch.Tensor, latents: torch.Tensor, step: int, negatives: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""The scores of CPC's prediction ``step`` = k steps ahead (see :func:`cpc_loss`).

    One row per prediction :math:`\hat z^{\,k}_{n,t} = W_k c_{n,t}` with t < T − k, in
    the order (n, t); column 0 scores the true future :math:`z_{n,t+k}`, the other
    columns the candidate latents: every latent of the batch (``negatives=None``), or
    those whose indices (into the N·T latents, numbered n·T + t) ``negatives`` gives.
    A candidate that *is* the row's true future is masked out (−inf): it is already
    column 0. Returns ``logits`` (N·(T − k), 1 + M) and ``targets`` (all 0)."""
    n, t, _, d = predictions.shape
    future = predictions[:, : t - step, step - 1].reshape(-1, d)  # (N·(T−k), D)
    flat = latents.reshape(n * t, d)
    truth = (torch.arange(n, device=latents.device)[:, None] * t + torch.arange(step, t, device=latents.device)).reshape(-1)
    candidates = torch.arange(n * t, device=latents.device) if negatives is None else negatives.to(latents.device)
    positive = (future * flat[truth]).sum(dim=1, keepdim=True)
    scores = (future @ flat[candidates].T).masked_fill(candidates[None, :] == truth[:, None], float("-inf"))
    logits = torch.cat([positive, scores], dim=1)
    return logits, torch.zeros(len(logits), dtype=torch.long, device=logits.device)


def cpc_loss(predictions: torch.Tensor, latents: torch.Tensor, negatives: torch.Tensor | None = None) -> torch.Tensor:
    r"""InfoNCE of contrastive predictive coding (van den Oord, Li & Vinyals 2018, eq. 4).

    ``latents`` (N, T, D): the encoder's latent frames :math:`z_{n,t}`;
    ``predictions`` (N, T, K, D): :math:`\hat z^{\,k}_{n,t} = W_k c_{n,t}`, what the
    context :math:`c_{n,t}` (which has heard :math:`z_{n,\le t}`) predicts for
    :math:`z_{n,t+k}`, k = 1..K. With the paper's score :math:`f_k(z, c_t) = \exp(z^\top W_k c_t)`,

    .. math::
        \mathcal{L}_k = \frac{1}{N(T-k)} \sum_{n} \sum_{t < T-k}
            -\log \frac{\exp\big(z_{n,t+k}^\top \hat z^{\,k}_{n,t}\big)}
                       {\exp\big(z_{n,t+k}^\top \hat z^{\,k}_{n,t}\big)
                        + \sum_{z \in \mathcal{N}_{n,t+k}} \exp\big(z^\top \hat z^{\,k}_{n,t}\big)},
        \qquad \mathcal{L} = \frac1K \sum_{k=1}^{K} \mathcal{L}_k

    where the negatives :math:`\mathcal{N}_{n,t+k}` are **latents of the batch** other than
    the true future: the other clips' latents and the same clip's latents at other
    times. By default all N·T − 1 of them; ``negatives`` (M,), indices into the N·T
    latents (numbered n·T + t), uses only those — a random sample, shared by every
    prediction, costs M/(N·T) of the full sum (the method draws it). Without a
    sample, a prediction that says nothing (all scores equal) gives ``log(N·T)``.
    Predictions for times past the end (t ≥ T − k) are ignored.
    """
    if latents.dim() != 3 or predictions.dim() != 4 or predictions.shape[:2] != latents.shape[:2] \
            or predictions.shape[3] != latents.shape[2]:
        raise WorkbenchError(
            f"cpc_loss needs predictions (N, T, K, D) and latents (N, T, D) with the same N, T and D; got "
            f"{tuple(predictions.shape)} and {tuple(latents.shape)}."
        )
    steps = predictions.shape[2]
    if not 1 <= steps < latents.shape[1]:
        raise WorkbenchError(f"cpc_loss: predicting K = {steps} steps ahead needs more than K latent frames "
                             f"(got T = {latents.shape[1]}).")
    count = latents.shape[0] * latents.shape[1]
    if negatives is not None and (negatives.dim() != 1 or len(negatives) == 0 or negatives.dtype != torch.long
                                  or int(negatives.min()) < 0 or int(negatives.max()) >= count):
        raise WorkbenchError(f"cpc_loss: negatives must be a non-empty int64 tensor (M,) of indices into the "
                             f"N·T = {count} latents.")
    predictions, latents = _float32(predictions, latents)
    total = 0.0
    for step in range(1, steps + 1):
        logits, targets = cpc_logits(predictions, latents, step, negatives)
        total = total + F.cross_entropy(logits, targets)
    return total / steps
