"""Paired comparisons over seeds: the course's rule for any sentence that says one method beats or matches another.

A comparison is a claim only when it holds over at least five seeds, each seed giving both methods the same noise,
with every seed's difference printed beside the claim (docs/decisions.md, "Evidence").
"""

import math
import statistics
from dataclasses import dataclass

from ._checks import check_float, check_int

MIN_SEEDS = 5


@dataclass(frozen=True)
class Comparison:
    """Per-seed numbers of two methods, their differences a - b, and the verdict they support.

    lower_is_better says which direction is better; margin is the size of difference that counts as a difference: A is
    better on a seed only when it is better by more than margin, and the two match when every |a - b| <= margin.
    Defined in lesson 07 (sampling).
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

    def _better(self, difference):
        """+1 where A is better by more than the margin, -1 where B is, 0 otherwise."""
        gain = -difference if self.lower_is_better else difference
        return (gain > self.margin) - (gain < -self.margin)

    @property
    def a_better(self):
        return all(self._better(d) == 1 for d in self.differences)

    @property
    def b_better(self):
        return all(self._better(d) == -1 for d in self.differences)

    @property
    def verdict(self):
        if self.a_better:
            return f"{self.names[0]} better on every seed"
        if self.b_better:
            return f"{self.names[1]} better on every seed"
        if self.margin > 0 and self.within_margin:
            return f"{self.names[0]} within ±{self.margin:.3g} of {self.names[1]} on every seed"
        return "no consistent difference"

    @property
    def a_no_worse(self):
        """On every seed A is better, or worse by at most the margin: "A matches B" in the one-sided sense."""
        return all(self._better(d) >= 0 for d in self.differences)

    @property
    def within_margin(self):
        return all(abs(d) <= self.margin for d in self.differences)

    def summary(self, digits=2):
        """One line: every seed's difference, their mean and s.d., and the verdict; with at least `digits` decimals, and
        more where the largest difference would otherwise round to 0.00 beside a verdict that tells the two apart."""
        digits = check_int("digits", digits, 0)
        largest = max(abs(d) for d in self.differences)
        if 0 < largest < 0.5 * 10**-digits:
            digits = -math.floor(math.log10(largest))
        each = " ".join(f"{d:+.{digits}f}" for d in self.differences)
        return f"{each} (mean {self.mean:+.{digits}f}, s.d. {self.sd:.{digits}f}) -> {self.verdict}"

    def __str__(self):
        a, b = self.names
        width = max(len(a), len(b), 8)
        lines = [f"{'seed':>6s}  {a:>{width}s}  {b:>{width}s}  {'difference':>10s}"]
        for seed, x, y, d in zip(self.seeds, self.a, self.b, self.differences):
            lines.append(f"{seed!s:>6s}  {x:{width}.3f}  {y:{width}.3f}  {d:+10.3f}")
        lines.append(f"difference {a} - {b}: mean {self.mean:+.3f}, s.d. {self.sd:.3f} over {len(self.seeds)} seeds "
                     f"({'lower' if self.lower_is_better else 'higher'} is better) -> {self.verdict}")
        return "\n".join(lines)


def compare(fn_a, fn_b, seeds=range(MIN_SEEDS), names=("A", "B"), lower_is_better=True, margin=0.0):
    """Run fn_a(seed) and fn_b(seed) for each seed and compare the numbers they return, seed by seed.

    Both functions must draw their noise from the seed they are given, so that within a seed A and B see the same
    noise (a paired comparison). Returns a Comparison, whose str is the table to print beside the claim and whose
    verdict is "<A> better on every seed", "<B> better on every seed", "<A> within ±margin of <B> on every seed"
    (only when margin > 0) or "no consistent difference". Defined in lesson 07 (sampling).
    """
    if not callable(fn_a) or not callable(fn_b):
        raise TypeError("fn_a and fn_b must be functions of a seed that return a number")
    seeds = tuple(seeds)
    if len(seeds) < MIN_SEEDS or len(set(seeds)) != len(seeds):
        raise ValueError(f"a comparison needs at least {MIN_SEEDS} distinct seeds, got {seeds}")
    if len(names) != 2 or not all(isinstance(name, str) for name in names):
        raise ValueError(f"names must be two strings, got {names!r}")
    margin = check_float("margin", margin, 0.0, math.inf, low_open=False)
    a, b = [], []
    for seed in seeds:
        for fn, out in ((fn_a, a), (fn_b, b)):
            value = fn(seed)
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise TypeError(f"{getattr(fn, '__name__', fn)}({seed}) must return a number, got {value!r:.80}") from None
            if not math.isfinite(value):
                raise ValueError(f"{getattr(fn, '__name__', fn)}({seed}) returned {value}, not a finite number")
            out.append(value)
    return Comparison(tuple(names), seeds, tuple(a), tuple(b), bool(lower_is_better), margin)
