"""Lesson 04 (closed form): its exercises' checks and hints."""

import math

import torch

from ..data.s_curve import s_curve
from ..process.forward import q_sample
from ..process.schedules import sigmoid_schedule
from .base import Exercise, expect, is_number, number, prediction


def _test_merged_beta(fn):
    for b1, b2 in ((0.1, 0.2), (1e-3, 0.5), (0.0, 0.3)):
        value = number(fn(b1, b2))
        expect(is_number(value), "return a number")
        expect(math.isclose(value, 1 - (1 - b1) * (1 - b2), rel_tol=1e-9, abs_tol=1e-12), "the kept fractions (1 - beta) multiply")


def _test_x0_from_eps(fn):
    generator = torch.Generator().manual_seed(0)
    # Two data sets: an answer that ignores its inputs cannot match both.
    for seed in (1, 2):
        x0 = s_curve(100, seed=seed)
        eps = torch.randn(x0.shape, generator=generator)
        for alpha_bar_t in (0.999, 0.5, 0.01):
            a = torch.tensor(alpha_bar_t)
            xt = a.sqrt() * x0 + (1 - a).sqrt() * eps
            value = fn(xt, eps, a)
            expect(isinstance(value, torch.Tensor) and value.shape == x0.shape, "return a tensor shaped like xt")
            expect(torch.allclose(value, x0, atol=1e-4), "solve x_t = sqrt(ab) x_0 + sqrt(1 - ab) eps for x_0")


def _measure_correlation_z():
    schedule = sigmoid_schedule(100)
    x0 = s_curve(10_000).double()
    xT = q_sample(x0, schedule.T - 1, schedule.to("cpu"), generator=torch.Generator().manual_seed(0))
    return torch.corrcoef(torch.stack([x0[:, 1], xT[:, 1].double()]))[0, 1].item()


EXERCISES = {
    "04.1": Exercise("merged_beta", _test_merged_beta, "1 - beta is the fraction kept; what is kept after both steps?"),
    "04.2": Exercise("x0_from_eps", _test_x0_from_eps, "subtract the noise term, then undo the scaling of x_0"),
    "04.3": Exercise("prediction", prediction(_measure_correlation_z, "the correlation of z in x_0 and in x_T"),
                     "corr = Cov(x_0, x_T) / (std x_0 * std x_T), with Cov(x_0, a x_0 + b eps) = a Var(x_0); lesson 02 printed the stds"),
}
