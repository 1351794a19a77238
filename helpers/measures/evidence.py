"""Paired comparisons over seeds: the course's rule for any sentence that says one method beats or matches another.

Each seed gives both methods the same noise, and the verdict comes from the 95 % confidence interval of the mean paired
difference a - b (Student's t with n - 1 degrees of freedom), never from counting seeds (docs/decisions.md,
"Evidence: the calibrated rule"):
- "A better" or "B better" when the interval excludes 0;
- "A matches B within ±m" when the interval lies inside [-m, m], where m is measured, not chosen: by default B against
  B with fresh noise (redraw_margin). Matching is two-sided, so a method sharper than the baseline does not match it,
  and it needs MATCH_SEEDS seeds: with five, B fails to match a fresh draw of itself about one time in four;
- "undecided" otherwise: the interval holds 0 and reaches past the margin.
Where the question is closeness to a target such as the data's own value, target= compares |a - target| with
|b - target|, so that overshooting the data on the other side is not "better"; `no_worse` (matches or better) is then
the question "is A at least as close as B?".
"""

import math
import statistics
from dataclasses import dataclass

from scipy import stats

from .._checks import check_float, check_int

MIN_SEEDS = 5
MATCH_SEEDS = 10
CONFIDENCE = 0.95
REDRAW_SDS = 2.0


@dataclass(frozen=True)
class Comparison:
    """Per-seed numbers of two methods, their differences a - b, the 95 % interval of the mean difference, and the
    verdict it supports.

    lower_is_better says which direction is better. margin (0 for none) is the largest mean difference that counts as
    a match. Defined in lesson 07 (sampling).
    """

    names: tuple
    seeds: tuple
    a: tuple
    b: tuple
    lower_is_better: bool = True
    margin: float = 0.0

    @property
    def differences(self):
        return tuple(x - y for x, y in zip(self.a, self.b))

    @property
    def mean(self):
        return statistics.fmean(self.differences)

    @property
    def sd(self):
        return statistics.stdev(self.differences)

    @property
    def interval(self):
        """The 95 % confidence interval of the mean difference: mean ± t_{0.975, n-1} s.d. / sqrt(n)."""
        n = len(self.differences)
        half = stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1) * self.sd / math.sqrt(n)
        return self.mean - half, self.mean + half

    @property
    def a_better(self):
        low, high = self.interval
        return high < 0 if self.lower_is_better else low > 0

    @property
    def b_better(self):
        low, high = self.interval
        return low > 0 if self.lower_is_better else high < 0

    @property
    def matches(self):
        """The interval lies inside ±margin, over at least MATCH_SEEDS seeds: A and B differ by less than the margin."""
        low, high = self.interval
        return self.margin > 0 and len(self.seeds) >= MATCH_SEEDS and -self.margin <= low and high <= self.margin

    @property
    def no_worse(self):
        """The interval's worse end lies within the margin, over at least MATCH_SEEDS seeds: A matches B or beats it.
        Two-sided in the sense that matters when the numbers are distances to a target (target=)."""
        low, high = self.interval
        worst = high if self.lower_is_better else -low
        return self.margin > 0 and len(self.seeds) >= MATCH_SEEDS and worst <= self.margin

    @property
    def verdict(self):
        if self.matches:
            return f"{self.names[0]} matches {self.names[1]} within ±{self.margin:.3g}"
        if self.a_better:
            return f"{self.names[0]} better"
        if self.b_better:
            return f"{self.names[1]} better"
        return "undecided"

    def brief(self, digits=2):
        """The mean difference, its 95 % interval and the verdict, without the per-seed differences: one short line for
        comparisons over many seeds."""
        digits = check_int("digits", digits, 0)
        low, high = self.interval
        return f"{self.mean:+.{digits}f}, 95% [{low:+.{digits}f}, {high:+.{digits}f}] -> {self.verdict}"

    def summary(self, digits=2):
        """One line: every seed's difference, their mean, the 95 % interval and the verdict; with at least `digits`
        decimals, and more where the largest difference would otherwise round to 0.00."""
        digits = check_int("digits", digits, 0)
        largest = max(abs(d) for d in self.differences)
        if 0 < largest < 0.5 * 10**-digits:
            digits = -math.floor(math.log10(largest))
        each = " ".join(f"{d:+.{digits}f}" for d in self.differences)
        low, high = self.interval
        return f"{each} (mean {self.mean:+.{digits}f}, 95% [{low:+.{digits}f}, {high:+.{digits}f}]) -> {self.verdict}"

    def __str__(self):
        a, b = self.names
        width = max(len(a), len(b), 8)
        lines = [f"{'seed':>6s}  {a:>{width}s}  {b:>{width}s}  {'difference':>10s}"]
        for seed, x, y, d in zip(self.seeds, self.a, self.b, self.differences):
            lines.append(f"{seed!s:>6s}  {x:{width}.3f}  {y:{width}.3f}  {d:+10.3f}")
        low, high = self.interval
        lines.append(f"difference {a} - {b}: mean {self.mean:+.3f}, 95% interval [{low:+.3f}, {high:+.3f}] over "
                     f"{len(self.seeds)} seeds ({'lower' if self.lower_is_better else 'higher'} is better) -> {self.verdict}")
        return "\n".join(lines)


def _numbers(fn, seeds):
    values = []
    for seed in seeds:
        value = fn(seed)
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"{getattr(fn, '__name__', fn)}({seed}) must return a number, got {value!r:.80}") from None
        if not math.isfinite(value):
            raise ValueError(f"{getattr(fn, '__name__', fn)}({seed}) returned {value}, not a finite number")
        values.append(value)
    return values


def _distinct(seeds, least):
    seeds = tuple(seeds)
    if len(seeds) < least or len(set(seeds)) != len(seeds):
        raise ValueError(f"this needs at least {least} distinct seeds, got {seeds}")
    return seeds


def compare(fn_a, fn_b, seeds=range(MIN_SEEDS), names=("A", "B"), lower_is_better=True, margin=0.0, target=None):
    """Run fn_a(seed) and fn_b(seed) for each seed and compare the numbers they return, seed by seed.

    Both functions must draw their noise from the seed they are given, so that within a seed A and B see the same
    noise (a paired comparison). margin: the largest difference that counts as a match, from redraw_margin or another
    measurement. target: compare the distances |a - target| and |b - target| instead (lower is better). Returns a
    Comparison, whose str is the table to print beside the claim and whose verdict is "<A> better", "<B> better",
    "<A> matches <B> within ±margin" or "undecided". Defined in lesson 07 (sampling).
    """
    if not callable(fn_a) or not callable(fn_b):
        raise TypeError("fn_a and fn_b must be functions of a seed that return a number")
    seeds = _distinct(seeds, MIN_SEEDS)
    if len(names) != 2 or not all(isinstance(name, str) for name in names):
        raise ValueError(f"names must be two strings, got {names!r}")
    margin = check_float("margin", margin, 0.0, math.inf, low_open=False)
    a, b = [], []
    for seed in seeds:
        a += _numbers(fn_a, [seed])
        b += _numbers(fn_b, [seed])
    if target is not None:
        target = check_float("target", target, -math.inf, math.inf)
        a, b, lower_is_better = [abs(x - target) for x in a], [abs(y - target) for y in b], True
    return Comparison(tuple(names), seeds, tuple(a), tuple(b), bool(lower_is_better), margin)


def redraw_margin(fn, fn_again, seeds):
    """The margin of "matches": REDRAW_SDS (2) standard deviations of fn(seed) - fn_again(seed), where fn_again runs
    the same method from the same start with fresh noise, over at least MATCH_SEEDS seeds that are not evidence seeds.

    A method compared with a fresh draw of itself then matches on at least 95 % of ten-seed comparisons
    (tests/test_evidence.py measures it). Defined in lesson 10 (fewer steps).
    """
    if not callable(fn) or not callable(fn_again):
        raise TypeError("fn and fn_again must be functions of a seed that return a number")
    seeds = _distinct(seeds, MATCH_SEEDS)
    differences = [x - y for x, y in zip(_numbers(fn, seeds), _numbers(fn_again, seeds))]
    return REDRAW_SDS * statistics.stdev(differences)
