"""Every worked solution passes its exercise's checker."""

import pytest

from sslworkbench.course import exercises, solutions

CHECKERS = {
    "purity": exercises.check_purity,
    "info_nce": exercises.check_info_nce,
    "nt_xent": exercises.check_nt_xent,
    "grayscale": exercises.check_grayscale,
    "rotation_batch": exercises.check_rotation_batch,
    "ema_update": exercises.check_ema_update,
    "skipgram_loss": exercises.check_skipgram_loss,
    "causal_lm_loss": exercises.check_causal_lm_loss,
    "retrieval_accuracy": exercises.check_retrieval_accuracy,
    "precision_at_k": exercises.check_precision_at_k,
    "worst_group_accuracy": exercises.check_worst_group_accuracy,
    "patchify": exercises.check_patchify,
    "masked_patch_loss": exercises.check_masked_patch_loss,
    "clip_loss": exercises.check_clip_loss,
    "order_triplet": exercises.check_order_triplet,
    "log_mel": exercises.check_log_mel,
    "learning_rate": exercises.check_learning_rate,
    "colour_projection": exercises.check_colour_projection,
    "stratified_split": exercises.check_stratified_split,
    "rank_with_ties": exercises.check_rank_with_ties,
    "above_chance": exercises.check_above_chance,
}


def test_every_solution_is_offered():
    assert set(exercises.SOLVED) == set(CHECKERS)
    assert all(exercises.SOLVED[name] is getattr(solutions, name) for name in CHECKERS)


@pytest.mark.parametrize("name", sorted(CHECKERS))
def test_solution_passes_its_checker(name, capsys):
    assert CHECKERS[name](getattr(solutions, name))
    assert capsys.readouterr().out.startswith("✓")
