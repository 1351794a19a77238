"""Lesson 11 (guidance): its exercises' checks and hints."""

import math

from ..data.s_curve import s_curve
from ..process.schedules import sigmoid_schedule
from ..sampling.guidance import LabelledOracle, labels_of
from .base import Exercise, expect, is_number, number, prediction


def _test_tilted_gaussian(fn):
    for m_c, v_c, m, v, w in ((0.5, 0.2, 0.0, 1.0, 1.0), (-1.0, 0.05, 0.3, 0.5, 4.0), (0.2, 0.3, 0.1, 0.4, 0.0),
                              (0.0, 1.0, 0.0, 1.0, 2.0), (2.0, 0.1, -1.0, 3.0, 0.5)):
        out = fn(m_c, v_c, m, v, w)
        expect(isinstance(out, (tuple, list)) and len(out) == 2, "return a tuple (mean, variance)")
        mean, variance = (number(value) for value in out)
        expect(is_number(mean) and is_number(variance), "return two numbers: the mean and the variance")
        # A power of a Gaussian density is Gaussian up to a constant, and products of Gaussians add their precisions.
        precision = (1 + w) / v_c - w / v
        expect(math.isclose(variance, 1 / precision, rel_tol=1e-6),
               f"for w = {w}, v_c = {v_c}, v = {v}: the variance is off; write the log-density, collect the x^2 terms")
        expect(math.isclose(mean, ((1 + w) * m_c / v_c - w * m / v) / precision, rel_tol=1e-6, abs_tol=1e-9),
               f"for w = {w}, m_c = {m_c}, m = {m}: the mean is off; collect the terms linear in x")


def _middle_stroke_rejected():
    oracle = LabelledOracle(sigmoid_schedule(100))
    points, u = s_curve(30_000, return_u=True, seed=3)
    stroke = points[labels_of(u) == 1].double()
    kept = oracle.classifier(stroke, None)[:, 1].exp() ** 4
    return 100 * (1 - kept.mean().item())


EXERCISES = {
    "11.1": Exercise("tilted_gaussian", _test_tilted_gaussian, "take logs: the tilted log-density is (1 + w) log q(x | c) - w log q(x) plus a constant, a quadratic in x; read the variance off the x^2 term and the mean off the x term"),
    "11.2": Exercise("predicted_rejected", prediction(_middle_stroke_rejected, "the % of the middle stroke's points rejected at w = 4", rel_tol=0.2),
                     "p(c | x) is 1 on the data except near an end where two pieces meet; how many such ends has the middle stroke, and how many has the upper arc?"),
}
