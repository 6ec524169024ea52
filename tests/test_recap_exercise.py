"""Notebook 15's exercise: a leaderboard's ranks with ties within a noise band (``check_rank_with_ties``)."""

from sslworkbench.course import exercises, solutions


def test_the_worked_solution_passes_and_ties_share_the_best_place(capsys):
    assert exercises.check_rank_with_ties(solutions.rank_with_ties)
    assert capsys.readouterr().out.startswith("✓ rank_with_ties matches")
    assert solutions.rank_with_ties({"a": 0.6, "b": 0.59, "c": 0.5}, 0.02) == {"a": 1, "b": 1, "c": 3}


def test_wrong_rankings_are_named_not_raised(capsys):
    def no_ties(scores, band):         # the plain order: the band ignored
        return {name: place for place, name in enumerate(sorted(scores, key=lambda n: -scores[n]), start=1)}

    def chained(scores, band):         # compares each score with the one above it, not with its group's leader
        ranks, previous, rank = {}, None, 0
        for place, name in enumerate(sorted(scores, key=lambda n: -scores[n]), start=1):
            if previous is None or previous - scores[name] > band:
                rank = place
            ranks[name], previous = rank, scores[name]
        return ranks

    def dense(scores, band):           # 1, 1, 2 instead of 1, 1, 3
        ranks = solutions.rank_with_ties(scores, band)
        levels = sorted(set(ranks.values()))
        return {name: levels.index(rank) + 1 for name, rank in ranks.items()}

    def crashes(scores, band):
        raise ValueError("oops")

    for wrong in (no_ties, chained, dense, crashes):
        assert not exercises.check_rank_with_ties(wrong)
        out = capsys.readouterr().out
        assert out.startswith("✗ rank_with_ties: "), out
    assert not exercises.check_rank_with_ties(lambda scores, band: None)
    assert "not written yet" in capsys.readouterr().out
