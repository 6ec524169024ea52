"""Self-supervised objectives, one pure function each.

A loss takes tensors and returns a scalar tensor; it keeps no state and draws
no randomness, so it can be tested against a closed form and checked against a
learner's own implementation (``sslworkbench.exercises``).
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
