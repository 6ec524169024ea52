"""Checkers for the notebooks' exercises: your function against the library's.

    from sslworkbench import exercises
    exercises.check_nt_xent(my_nt_xent)      # ✓, or what differs and an example
    exercises.check_info_nce(my_info_nce)    # MoCo's InfoNCE with a queue of negatives

Each checker runs your function and the reference on the same random inputs
(several sizes, edge cases included) and prints one line: a tick, the first
case where they disagree, or — while your function is still the empty stub that
returns ``None`` — that it is not written yet.
"""

from __future__ import annotations

import torch

from .evaluate import cluster_purity
from .losses import info_nce, nt_xent


class NotWrittenYet(Exception):
    """The candidate returned None: the exercise's stub (``...``) is still empty."""


def _value(candidate, *args) -> float:
    result = candidate(*args)
    if result is None:
        raise NotWrittenYet
    return float(result)


def _not_written(name: str) -> bool:
    print(f"… {name}: not written yet — your function returns None so far. Write it, then run this cell again.")
    return False


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
                got = _value(candidate, z1, z2, temperature)
            except NotWrittenYet:
                return _not_written("nt_xent")
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
            got = _value(candidate, labels.clone(), clusters.clone())
        except NotWrittenYet:
            return _not_written("purity")
        except Exception as error:  # the learner's code may raise anything
            failures.append(f"raised {type(error).__name__}: {error}")
            continue
        want = cluster_purity(labels, clusters)
        if abs(got - want) > 1e-6:
            failures.append(f"labels {labels.tolist()[:8]}…, clusters {clusters.tolist()[:8]}…: got {got:.4f}, expected {want:.4f}")
    return _report("purity", failures)


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
    cases = [(4, 8, 16, 0.2), (8, 16, 64, 0.07), (16, 32, 256, 0.5), (3, 5, 1, 1.0), (6, 4, 0, 0.1), (32, 128, 512, 0.05)]
    failures = []
    for n, d, k, temperature in cases:
        scale = torch.rand(n, 1, generator=generator) * 5 + 0.5
        query = torch.randn(n, d, generator=generator) * scale
        keys = (torch.randn(n, d, generator=generator) * scale, 2 * query)  # a random key, and the query itself
        queue = torch.nn.functional.normalize(torch.randn(k, d, generator=generator), dim=1)
        for key in keys:
            case = f"N={n}, D={d}, K={k}, τ={temperature}"
            try:
                got = _value(candidate, query.clone(), key.clone(), queue.clone(), temperature)
            except NotWrittenYet:
                return _not_written("info_nce")
            except Exception as error:  # the learner's code may raise anything
                failures.append(f"raised {type(error).__name__}: {error} for {case}")
                continue
            want = float(info_nce(query, key, queue, temperature))
            if not abs(got - want) <= atol:  # NaN fails too
                failures.append(f"{case}: got {got:.5f}, expected {want:.5f}")
    return _report("info_nce", failures)
