"""Lesson 04 (closed form): its exercises' checks and hints."""

import math

import torch

from ..data.s_curve import s_curve
from ..process.forward import q_sample
from ..process.schedules import sigmoid_schedule
from .base import Exercise, expect, is_number, number, prediction


def _steps_by_counting(beta, target):
    """The first n at which (1 - beta)^n <= target, by multiplying one step at a time."""
    kept, n = 1.0, 0
    while kept > target:
        kept, n = kept * (1 - beta), n + 1
    return n


def _test_steps_to_reach(fn):
    # None of these cases lies within 1e-6 of a whole number of steps, where rounding could decide.
    for beta, target in ((0.01, 0.5), (0.02, 0.01), (1e-4, 0.9), (0.3, 1e-3)):
        value = number(fn(beta, target))
        expect(isinstance(value, int) and not isinstance(value, bool), "return an int")
        expect(value == _steps_by_counting(beta, target), f"count again for beta = {beta}, alpha_bar_target = {target}")


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
    "04.1": Exercise("steps_to_reach", _test_steps_to_reach, "write alpha_bar after n equal steps, set it equal to the target and solve for n; then round in the right direction"),
    "04.2": Exercise("x0_from_eps", _test_x0_from_eps, "subtract the noise term, then undo the scaling of x_0"),
    "04.3": Exercise("prediction", prediction(_measure_correlation_z, "the correlation of z in x_0 and in x_T"),
                     "write Cov(x_0, x_T) for x_T = a x_0 + b eps with eps independent of x_0, then divide by the two stds"),
}
