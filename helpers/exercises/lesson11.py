"""Lesson 11 (guidance): its exercises' checks and hints."""

import math

import torch

from ..data import s_curve
from ..guidance import Guided, LabelledOracle, labels_of
from ..metrics import curve_coordinates
from ..integrate import gaussian_prior
from ..samplers import sample_steps
from ..schedules import sigmoid_schedule
from .base import Exercise, choice, close, expect


def _test_classifier_probs(fn):
    schedule = sigmoid_schedule(100)
    oracle = LabelledOracle(schedule)
    x = s_curve(300, seed=12).double()
    for t in (0, 30, 99):
        out = fn(x, t)
        expect(isinstance(out, torch.Tensor) and out.shape == (300, 3), "return a tensor of shape (N, 3): one column per label")
        expect(close(out.sum(1), torch.ones(300), 1e-6), "each row must sum to 1: divide q_t(x | c) p(c) by q_t(x)")
        expect(close(out, oracle.classifier(x, t).exp(), 1e-6), f"at t = {t + 1}, p(c | x_t) = q_t(x | c) * (1/3) / q_t(x)")


def _guided_middle_stroke():
    schedule = sigmoid_schedule(100)
    oracle = LabelledOracle(schedule)
    x0, u0 = s_curve(10_000, return_u=True)
    piece = x0[labels_of(u0) == 1]
    start = gaussian_prior(piece, schedule, 2_000, generator=torch.Generator().manual_seed(2)).double()
    samples = sample_steps(Guided(oracle, 1, 2.0), schedule, 2_000, 50, "ddim", eta=1.0,
                           generator=torch.Generator().manual_seed(3), x_T=start)
    u, _ = curve_coordinates(samples)
    # The middle stroke is u in [-pi/2, pi/2]; its middle half is |u| < pi/4, where the data put 50 % of the stroke's points.
    share = 100 * float(((u.abs() < math.pi / 4) & (labels_of(u) == 1)).double().sum() / (labels_of(u) == 1).sum())
    answer = "b" if share > 60 else "c" if share < 40 else "a"
    return answer, f"{share:.0f} % of the guided samples on the stroke lie in its middle half (data: 50 %)"


EXERCISES = {
    "11.1": Exercise("classifier_probs", _test_classifier_probs, "stack the three conditional log densities, add log(1/3), subtract the unconditional log density, exponentiate"),
    "11.2": Exercise("prediction", choice(_guided_middle_stroke, {"a": "samples spread evenly along the stroke", "b": "samples crowded towards the middle of the stroke", "c": "samples pushed towards the stroke's ends"}),
                     "guidance multiplies by p(c | x_t)^w at every step: where on the stroke is the label most certain?"),
}
