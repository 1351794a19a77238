"""Lesson 08 (training): its exercises' checks and hints."""

import math

import torch

from ..data import s_curve
from ..model import input_scale
from ..schedules import sigmoid_schedule
from ..training import TrainConfig, learning_rate
from .base import Exercise, close, expect, is_number, number, prediction


def _test_lr_at(fn):
    config = TrainConfig(steps=1000, lr=0.01, lr_schedule="cosine", warmup_steps=100)
    for step in (0, 50, 99, 100, 550, 999):
        value = number(fn(step, 1000, 0.01, 100))
        expect(is_number(value), "return a number")
        expect(math.isclose(value, learning_rate(config, step), rel_tol=1e-6, abs_tol=1e-12), f"check step {step}")


def _test_ema_update(fn):
    ema = [torch.ones(3), torch.zeros(2, 2)]
    weights = [torch.full((3,), 3.0), torch.ones(2, 2)]
    out = fn(ema, weights, 0.9)
    expect(isinstance(out, list) and len(out) == 2, "return the list of EMA tensors")
    expect(out[0] is ema[0] and out[1] is ema[1], "update the tensors in place (e.g. mul_ and add_, or lerp_)")
    expect(close(out[0], [1.2] * 3, 1e-6) and close(out[1], torch.full((2, 2), 0.1), 1e-6), "decay * ema + (1 - decay) * weights")


def _scaled_input_std_first_step():
    schedule = sigmoid_schedule(100)
    x0 = s_curve(10_000)
    xt = schedule.alpha_bar[0].sqrt() * x0 + (1 - schedule.alpha_bar[0]).sqrt() * torch.randn(x0.shape, generator=torch.Generator().manual_seed(0))
    return float((input_scale(schedule, x0.std().item())[0] * xt[:, 0]).std())


EXERCISES = {
    "08.1": Exercise("lr_at", _test_lr_at, "two pieces: a straight line up to the peak over the warm-up steps (step 0 already above 0), then half a cosine period from the peak down to 0 at the last step"),
    "08.2": Exercise("ema_update", _test_ema_update, "keep decay of each old value and add (1 - decay) of the new one; in-place tensor methods end in an underscore",
                     copies=False),
    "08.3": Exercise("predicted_std", prediction(_scaled_input_std_first_step, "the std of the scaled first coordinate at t = 1", rel_tol=0.05), "c_in divides by one pooled std for both coordinates; how does the first coordinate's own std compare with the pooled one?"),
}
