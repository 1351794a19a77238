"""Lesson 08 (training): its exercises' checks and hints."""

import math

import torch

from ..data.s_curve import s_curve
from ..networks.mlp import input_scale
from ..process.schedules import sigmoid_schedule
from ..training.loop import TrainConfig, ema_weight, learning_rate
from .base import Exercise, close, expect, is_number, number, prediction


def _test_lr_at(fn):
    config = TrainConfig(steps=1000, lr=0.01, lr_schedule="cosine", warmup_steps=100)
    for step in (0, 50, 99, 100, 550, 999):
        value = number(fn(step, 1000, 0.01, 100))
        expect(is_number(value), "return a number")
        expect(math.isclose(value, learning_rate(config, step), rel_tol=1e-6, abs_tol=1e-12), f"check step {step}")


def _share_of_recent(decay, n, m):
    """The bias-corrected EMA of n updates of a weight that is 1 in the last m updates and 0 before, run update by
    update as train runs it: the share of the average that the last m updates carry."""
    e = 0.0
    for k in range(1, n + 1):
        e += ema_weight(decay, k) * ((1.0 if k > n - m else 0.0) - e)
    return e


def _test_recent_half(fn):
    for decay, n in ((0.999, 2000), (0.9, 5), (0.99, 10_000), (0.5, 3)):
        value = number(fn(decay, n))
        expect(isinstance(value, int) and not isinstance(value, bool), "return an int")
        expect(1 <= value <= n, f"m counts updates among the n = {n} made: between 1 and n")
        expect(_share_of_recent(decay, n, value) >= 0.5, f"for decay = {decay}, n = {n} the last {value} updates carry "
               f"less than half of the average")
        expect(value == 1 or _share_of_recent(decay, n, value - 1) < 0.5, f"for decay = {decay}, n = {n} fewer than "
               f"{value} updates already carry half")


def _scaled_input_std_first_step():
    schedule = sigmoid_schedule(100)
    x0 = s_curve(10_000)
    xt = schedule.alpha_bar[0].sqrt() * x0 + (1 - schedule.alpha_bar[0]).sqrt() * torch.randn(x0.shape, generator=torch.Generator().manual_seed(0))
    return float((input_scale(schedule, x0.std().item())[0] * xt[:, 0]).std())


EXERCISES = {
    "08.1": Exercise("lr_at", _test_lr_at, "two pieces: a straight line up to the peak over the warm-up steps (step 0 already above 0), then half a cosine period from the peak down to 0 at the last step"),
    "08.2": Exercise("recent_half", _test_recent_half, "the k-th update's share is proportional to decay**(n - k): sum the "
                     "shares of the last m updates as a geometric series, divide by the sum over all n, and find the "
                     "smallest m that reaches one half"),
    "08.3": Exercise("predicted_std", prediction(_scaled_input_std_first_step, "the std of the scaled first coordinate at t = 1", rel_tol=0.05), "which std does c_in divide by, and is it the first coordinate's own?"),
}
