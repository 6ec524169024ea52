"""Checkers for the notebooks' exercises: your function against the library's.

    from sslworkbench import exercises
    exercises.check_nt_xent(my_nt_xent)      # ✓, or what differs and an example
    exercises.check_info_nce(my_info_nce)    # MoCo's InfoNCE with a queue of negatives
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

from . import solutions
from .augment import grayscale
from .errors import WorkbenchError
from .evaluate import cluster_purity
from .losses import info_nce, nt_xent
from .methods.ema import ema_update
from .pretext import rotate


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


def check_grayscale(candidate, atol: float = 2e-4) -> bool:
    """Compare ``candidate(images)`` with :func:`sslworkbench.augment.grayscale`: (N, 3, H, W)
    in [0, 1] → (N, 1, H, W), luma 0.2989 R + 0.587 G + 0.114 B (0.299 R passes too)."""
    generator = torch.Generator().manual_seed(3)
    cases = [torch.rand(4, 3, 8, 8, generator=generator), torch.rand(1, 3, 32, 32, generator=generator),
             torch.eye(3).view(3, 3, 1, 1).expand(3, 3, 2, 5).contiguous()]   # pure red, green, blue
    failures = []
    for images in cases:
        case = f"images of shape {tuple(images.shape)}"
        try:
            got = candidate(images.clone())
        except Exception as error:  # the learner's code may raise anything
            failures.append(f"raised {type(error).__name__}: {error} for {case}")
            continue
        if got is None:
            return _not_written("grayscale")
        want = grayscale(images)
        if not isinstance(got, torch.Tensor) or got.shape != want.shape:
            failures.append(f"{case}: expected a tensor of shape {tuple(want.shape)}, got "
                            f"{tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__}")
        elif not torch.allclose(got.float(), want, atol=atol):
            worst = (got.float() - want).abs().max().item()
            failures.append(f"{case}: values differ from the luma by up to {worst:.4f}")
    return _report("grayscale", failures)


def check_rotation_batch(candidate) -> bool:
    """Compare ``candidate(images)`` with the rotation method's batch: ``(inputs, targets)``, row
    ``k·N + i`` being image ``i`` turned ``k`` quarter turns counter-clockwise, target ``k``."""
    generator = torch.Generator().manual_seed(4)
    failures = []
    for n, size in [(1, 4), (3, 8), (5, 32)]:
        images = torch.rand(n, 3, size, size, generator=generator)
        case = f"N={n}, {size}×{size}"
        try:
            got = candidate(images.clone())
        except Exception as error:  # the learner's code may raise anything
            failures.append(f"raised {type(error).__name__}: {error} for {case}")
            continue
        if got is None:
            return _not_written("rotation_batch")
        turns = torch.arange(4).repeat_interleave(n)
        want_inputs, want_targets = rotate(images.repeat(4, 1, 1, 1), turns), turns
        if not (isinstance(got, tuple) and len(got) == 2):
            failures.append(f"{case}: return a pair (inputs, targets), got {type(got).__name__}")
            continue
        inputs, targets = got
        if tuple(inputs.shape) != tuple(want_inputs.shape) or tuple(targets.shape) != (4 * n,):
            failures.append(f"{case}: expected inputs {tuple(want_inputs.shape)} and targets ({4 * n},), got "
                            f"{tuple(inputs.shape)} and {tuple(targets.shape)}")
        elif not torch.equal(targets.long(), want_targets):
            failures.append(f"{case}: targets {targets.tolist()[:8]}…, expected {want_targets.tolist()[:8]}…")
        elif not torch.allclose(inputs, want_inputs):
            wrong = [k for k in range(4) if not torch.allclose(inputs[k * n:(k + 1) * n], want_inputs[k * n:(k + 1) * n])]
            failures.append(f"{case}: the rows for {wrong} quarter turn(s) differ (counter-clockwise: torch.rot90 "
                            "with dims=(2, 3) and k quarter turns)")
    return _report("rotation_batch", failures)


def _small_network(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    network = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 3))
    network(torch.randn(8, 4))   # training mode: fills BatchNorm's running statistics
    return network


def check_ema_update(candidate) -> bool:
    """Compare ``candidate(target, online, momentum)`` with :func:`sslworkbench.methods.ema.ema_update`
    (in place; weights averaged, buffers copied; the online network left unchanged)."""
    failures = []
    for first, momentum in zip((True, False, False, False), (0.99, 0.5, 0.0, 1.0)):
        target, online = _small_network(0), _small_network(1)
        before = copy.deepcopy(online.state_dict())
        want = copy.deepcopy(target)
        ema_update(want, online, momentum)
        try:
            returned = candidate(target, online, momentum)
        except Exception as error:  # the learner's code may raise anything
            failures.append(f"raised {type(error).__name__}: {error} for momentum {momentum}")
            continue
        unchanged = all(torch.equal(value, want_value) for value, want_value in
                        zip(target.state_dict().values(), _small_network(0).state_dict().values()))
        if first and returned is None and unchanged:   # the empty stub changes nothing
            return _not_written("ema_update")
        got, expected = target.state_dict(), want.state_dict()
        wrong = [name for name in expected if not torch.allclose(got[name].float(), expected[name].float(), atol=1e-6)]
        if any(not torch.equal(online.state_dict()[name], value) for name, value in before.items()):
            failures.append(f"momentum {momentum}: the online network changed; only the target may")
        elif wrong:
            failures.append(f"momentum {momentum}: the target's {', '.join(wrong[:3])} differ from the expected update "
                            "(weights: m·target + (1 − m)·online; buffers: copied)")
    return _report("ema_update", failures)


SOLVED = {
    "purity": solutions.purity,
    "grayscale": solutions.grayscale,
    "rotation_batch": solutions.rotation_batch,
    "ema_update": solutions.ema_update,
}


def solution(name: str) -> str:
    """Show the worked solution of exercise ``name``, folded: in Jupyter it opens with a click."""
    if name not in SOLVED:
        raise WorkbenchError(f"No worked solution called {name!r}; there are: {', '.join(SOLVED)}.")
    source = inspect.getsource(SOLVED[name])
    try:
        from IPython import get_ipython
        from IPython.display import HTML, display
    except ImportError:
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        display(HTML(f"<details><summary><b>Show a worked solution: {name}</b> (click)</summary>"
                     f"<pre>{html.escape(source)}</pre></details>"))
    else:
        print(source)
    return source
