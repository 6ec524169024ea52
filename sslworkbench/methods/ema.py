"""The momentum (EMA) teacher shared by MoCo, BYOL and DINO.

    target ← m · target + (1 − m) · online          after every optimiser step

The target network is a copy of the online network that gets no gradient: it
changes only through this update, so it is a slowly moving average of the
online network's past weights. BYOL and DINO raise m from its base value to 1
along a cosine over training (:func:`cosine_momentum`); MoCo keeps it constant.
"""

from __future__ import annotations

import copy
import math

import torch
from torch import nn

from .constraints import Number

#: what an EMA momentum may be (MoCo, BYOL, DINO's tables): 1 would never move the target
MOMENTUM = Number(at_least=0, below=1,
                  hint="the target moves by (1 − m) of the way each step; published values are 0.99–0.999")


def frozen_copy(module: nn.Module) -> nn.Module:
    """A copy of ``module`` that the optimiser will not train (the EMA target)."""
    target = copy.deepcopy(module)
    for parameter in target.parameters():
        parameter.requires_grad_(False)
    return target


@torch.no_grad()
def ema_update(target: nn.Module, online: nn.Module, momentum: float) -> None:
    """``target ← momentum · target + (1 − momentum) · online`` for every parameter.

    Buffers (BatchNorm's running statistics) are copied from the online
    network: the target runs in training mode (batch statistics) and is never
    evaluated, so only its weights are averaged.
    """
    for t, o in zip(target.parameters(), online.parameters()):
        t.mul_(momentum).add_(o.detach(), alpha=1 - momentum)
    for t, o in zip(target.buffers(), online.buffers()):
        t.copy_(o)


def cosine_momentum(base: float, step: int, total_steps: int) -> float:
    """BYOL's schedule: m = 1 − (1 − base) · (cos(π k / K) + 1) / 2, from base to 1."""
    if total_steps <= 0:
        return base
    progress = min(1.0, step / total_steps)
    return 1 - (1 - base) * (math.cos(math.pi * progress) + 1) / 2
