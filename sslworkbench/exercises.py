"""Checkers for the notebooks' exercises: your function against the library's.

    from sslworkbench import exercises
    exercises.check_nt_xent(my_nt_xent)      # ✓, or what differs and an example

Each checker runs your function and the reference on the same random inputs
(several sizes, edge cases included) and prints one line: a tick, or the first
case where they disagree.
"""

from __future__ import annotations

import torch

from .evaluate import cluster_purity
from .losses import nt_xent


def _report(name: str, failures: list[str]) -> bool:
    if failures:
        print(f"✗ {name}: {failures[0]}")
        return False
    print(f"✓ {name} matches the reference on every test case.")
    return True


def check_nt_xent(candidate, atol: float = 1e-4) -> bool:
    """Compare ``candidate(z1, z2, temperature)`` with :func:`sslworkbench.losses.nt_xent`."""
    generator = torch.Generator().manual_seed(0)
    failures = []
    for n, d, temperature in [(2, 3, 0.5), (8, 16, 0.1), (32, 8, 1.0), (5, 128, 0.2)]:
        z1 = torch.randn(n, d, generator=generator)
        for z2 in (torch.randn(n, d, generator=generator), z1.clone()):
            try:
                got = float(candidate(z1, z2, temperature))
            except Exception as error:  # the learner's code may raise anything
                failures.append(f"raised {type(error).__name__}: {error} for N={n}, D={d}, τ={temperature}")
                continue
            want = float(nt_xent(z1, z2, temperature))
            if abs(got - want) > atol:
                failures.append(f"N={n}, D={d}, τ={temperature}: got {got:.5f}, expected {want:.5f}")
    return _report("nt_xent", failures)


def check_purity(candidate) -> bool:
    """Compare ``candidate(labels, clusters)`` with :func:`sslworkbench.evaluate.cluster_purity`."""
    generator = torch.Generator().manual_seed(1)
    cases = [
        (torch.tensor([0, 0, 1, 1]), torch.tensor([5, 5, 7, 7])),
        (torch.tensor([0, 1, 2, 0, 1, 2]), torch.tensor([0, 0, 0, 0, 0, 0])),
    ] + [
        (torch.randint(0, 10, (200,), generator=generator), torch.randint(0, k, (200,), generator=generator))
        for k in (3, 10, 25)
    ]
    failures = []
    for labels, clusters in cases:
        try:
            got = float(candidate(labels.clone(), clusters.clone()))
        except Exception as error:
            failures.append(f"raised {type(error).__name__}: {error}")
            continue
        want = cluster_purity(labels, clusters)
        if abs(got - want) > 1e-6:
            failures.append(f"labels {labels.tolist()[:8]}…, clusters {clusters.tolist()[:8]}…: got {got:.4f}, expected {want:.4f}")
    return _report("purity", failures)
