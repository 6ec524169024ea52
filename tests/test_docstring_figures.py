"""Figures that docstrings state about the library's own output hold.

A docstring may state what the code computes, e.g. the permutation set jigsaw draws; it may
not state what a machine measured (those are printed by ``benchmarks/``). The first kind
is checked here, so that a change to the code cannot leave its docstring behind.
"""

import torch

from sslworkbench.views import pretext


def test_hamming_permutations_average_and_smallest_distance_are_as_documented():
    # views/pretext.py, hamming_permutations: "for 100 permutations of 9 tiles the average
    # distance is 8.08 and the smallest 2"
    permutations = pretext.hamming_permutations(100, tiles=9)
    distances = (permutations[:, None, :] != permutations[None, :, :]).sum(dim=2).float()
    pairs = len(permutations) * (len(permutations) - 1)
    assert round(distances.sum().item() / pairs, 2) == 8.08
    assert pretext.min_hamming_distance(permutations) == 2


def test_colorization_finds_the_documented_number_of_ab_bins():
    # views/pretext.py, ab_bins: "the paper counts 313 for grid 10; this sampling finds 261"
    bins = pretext.ab_bins(10)
    assert bins.shape == (261, 2)
    assert torch.isfinite(bins).all()
