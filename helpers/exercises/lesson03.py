"""Lesson 03 (forward process): its exercises' checks and hints."""

import math

import torch

from ..process.forward import q_step
from ..process.schedules import linear_schedule, sigmoid_schedule
from .base import Exercise, expect, number, prediction


def _variance_after(var0, beta, shrink):
    var = var0
    for b in beta.tolist():
        var = (1 - b) * var + b if shrink else var + b
    return math.sqrt(var)


def _test_std_after(fn, shrink=True):
    for var0, beta in ((0.01, sigmoid_schedule(100).beta), (2.0, linear_schedule(50, 0.01, 0.2).beta)):
        value = number(fn(var0, beta.clone()))
        expect(isinstance(value, float), "return a number (a float, or a tensor holding one)")
        expect(math.isclose(value, _variance_after(var0, beta, shrink), rel_tol=1e-4), "apply the variance recurrence once per step, then take the square root")


def _measure_std_from_origin():
    schedule = sigmoid_schedule(100)
    generator = torch.Generator().manual_seed(0)
    x = torch.zeros(10_000, 2)
    for t in range(schedule.T):
        x = q_step(x, t, schedule, generator=generator)
    return x.std().item()


EXERCISES = {
    "03.1": Exercise("std_after", _test_std_after, "write the recursion for two steps and then three: which part of var0 is left, and what do the added parts sum to?"),
    "03.2": Exercise("std_without_shrink", lambda fn: _test_std_after(fn, shrink=False), "which factor of the variance recursion comes from the shrink? Leave it out"),
    "03.3": Exercise("prediction", prediction(_measure_std_from_origin, "the std of x_T for a chain started at the origin", rel_tol=0.05),
                     "which term of the variance recursion is left when the chain starts with no variance?"),
}
