"""helpers.compare: paired over seeds, verdicts that follow the per-seed signs, and the rule's minimum of five seeds."""

import numpy as np
import pytest
from scipy import stats

import helpers

LESSONS = ("07", "09", "10", "11", "12")


def test_both_methods_get_each_seed_in_turn():
    calls = []
    helpers.compare(lambda s: calls.append(("a", s)) or s, lambda s: calls.append(("b", s)) or 2 * s, seeds=[3, 1, 4, 5, 9])
    assert calls == [(who, s) for s in (3, 1, 4, 5, 9) for who in ("a", "b")]


def test_statistics_against_numpy_and_a_paired_t_test():
    rng = np.random.default_rng(0)
    a, b = rng.normal(1.0, 0.3, 7), rng.normal(1.2, 0.3, 7)
    result = helpers.compare(lambda s: a[s], lambda s: b[s], seeds=range(7))
    np.testing.assert_allclose(result.differences, a - b, rtol=0, atol=1e-15)
    assert result.mean == pytest.approx(np.mean(a - b), abs=1e-15)
    assert result.sd == pytest.approx(np.std(a - b, ddof=1), rel=1e-12)
    # The paired t statistic is mean / (sd / sqrt(n)): scipy's is computed on its own.
    assert result.mean / (result.sd / np.sqrt(7)) == pytest.approx(stats.ttest_rel(a, b).statistic, rel=1e-10)


@pytest.mark.parametrize("lower_is_better", [True, False])
def test_verdicts_follow_the_signs(lower_is_better):
    low, high = (lambda s: 1.0 + s), (lambda s: 2.0 + s)
    good, bad = (low, high) if lower_is_better else (high, low)
    names = ("A", "B")
    assert helpers.compare(good, bad, names=names, lower_is_better=lower_is_better).verdict == "A better on every seed"
    assert helpers.compare(bad, good, names=names, lower_is_better=lower_is_better).verdict == "B better on every seed"
    mixed = helpers.compare(lambda s: float(s % 2), lambda s: 0.5, names=names, lower_is_better=lower_is_better)
    assert mixed.verdict == "no consistent difference" and not mixed.a_better and not mixed.b_better


def test_margin_decides_what_counts_as_better_and_what_matches():
    small = helpers.compare(lambda s: 1.0 + 0.01 * (-1) ** s, lambda s: 1.0, names=("A", "B"), margin=0.05)
    assert small.verdict == "A within ±0.05 of B on every seed" and small.within_margin
    shifted = helpers.compare(lambda s: 0.9, lambda s: 1.0, names=("A", "B"), margin=0.05)
    assert shifted.verdict == "A better on every seed"
    # One seed better by less than the margin: not "better on every seed", and not within the margin either.
    one_short = helpers.compare(lambda s: 0.9 if s else 0.98, lambda s: 1.0, names=("A", "B"), margin=0.05)
    assert one_short.verdict == "no consistent difference"
    assert helpers.compare(lambda s: 1.0, lambda s: 1.0, names=("A", "B")).verdict == "no consistent difference"
    # No worse by more than the margin: better on some seeds, slightly worse on others.
    mixed = helpers.compare(lambda s: 1.0 + (0.04 if s % 2 else -0.3), lambda s: 1.0, names=("A", "B"), margin=0.05)
    assert mixed.a_no_worse and not mixed.within_margin and not mixed.a_better
    assert not helpers.compare(lambda s: 1.0 + 0.06 * (s == 3), lambda s: 1.0, margin=0.05).a_no_worse


def test_table_prints_every_seed_and_the_verdict():
    text = str(helpers.compare(lambda s: s / 10, lambda s: 0.25, seeds=[10, 11, 12, 13, 14], names=("fast", "slow")))
    lines = text.splitlines()
    assert len(lines) == 7 and "fast" in lines[0] and "slow" in lines[0]
    assert lines[1].split() == ["10", "1.000", "0.250", "+0.750"]
    assert "mean +0.950, s.d. 0.158 over 5 seeds" in lines[-1] and lines[-1].endswith("slow better on every seed")
    summary = helpers.compare(lambda s: s / 10, lambda s: 0.25, seeds=[10, 11, 12, 13, 14], names=("fast", "slow")).summary()
    assert summary == "+0.75 +0.85 +0.95 +1.05 +1.15 (mean +0.95, s.d. 0.16) -> slow better on every seed"


@pytest.mark.parametrize("seeds", [range(4), [1, 1, 2, 3, 4]])
def test_fewer_than_five_distinct_seeds_is_not_evidence(seeds):
    with pytest.raises(ValueError, match="at least 5 distinct seeds"):
        helpers.compare(lambda s: 1.0, lambda s: 2.0, seeds=seeds)


def test_a_function_that_returns_no_number_is_named():
    with pytest.raises(TypeError, match="must return a number"):
        helpers.compare(lambda s: "fast", lambda s: 1.0)
    with pytest.raises(ValueError, match="not a finite number"):
        helpers.compare(lambda s: float("nan"), lambda s: 1.0)


def test_summary_shows_differences_that_the_verdict_tells_apart():
    """Differences of a few thousandths printed to two decimals read -0.00 beside "A better on every seed" (issue 36):
    the summary carries the decimals that show the largest one, and keeps two where they suffice."""
    small = helpers.compare(lambda k: 1.0 + 0.001 * k, lambda k: 1.004 + 0.001 * k)
    assert small.a_better and "-0.00 " not in small.summary() and small.summary().startswith("-0.004 -0.004")
    large = helpers.compare(lambda k: 1.0 + k, lambda k: 1.25 + k)
    assert large.summary().startswith("-0.25 -0.25")
