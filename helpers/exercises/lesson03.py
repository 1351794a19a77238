"""Lesson 03 (forward process): its exercises' checks and hints."""

import math

import torch

from ..process.forward import q_step
from ..process.schedules import linear_schedule, sigmoid_schedule
from .base import Exercise, expect, number, prediction


def _test_std_without_shrink(fn):
    for var0, beta in ((0.01, sigmoid_schedule(100).beta), (2.0, linear_schedule(50, 0.01, 0.2).beta)):
        value = number(fn(var0, beta.clone()))
        expect(isinstance(value, float), "return a number (a float, or a tensor holding one)")
        var = var0
        for b in beta.tolist():  # the recurrence with its shrink left out, one step at a time
            var = var + b
        expect(math.isclose(value, math.sqrt(var), rel_tol=1e-4),
               "apply the changed variance recurrence once per step, then take the square root")


def _test_second_moment_after(fn):
    for mean0, var0, beta in ((0.3, 0.01, sigmoid_schedule(100).beta), (-2.0, 0.5, linear_schedule(50, 0.01, 0.2).beta),
                              (0.0, 4.0, linear_schedule(10).beta)):
        value = number(fn(mean0, var0, beta.clone()))
        expect(isinstance(value, float), "return a number (a float, or a tensor holding one)")
        # Step by step: each step scales the mean by sqrt(1 - beta) and the variance by (1 - beta), then adds beta.
        mean, var = mean0, var0
        for b in beta.tolist():
            mean, var = math.sqrt(1 - b) * mean, (1 - b) * var + b
        expect(math.isclose(value, mean**2 + var, rel_tol=1e-4), f"for mean0 = {mean0}, var0 = {var0} the second moment is "
               "off: which share of the starting mean is left after all steps, and of the starting variance?")


def _measure_std_from_origin():
    schedule = sigmoid_schedule(100)
    generator = torch.Generator().manual_seed(0)
    x = torch.zeros(10_000, 2)
    for t in range(schedule.T):
        x = q_step(x, t, schedule, generator=generator)
    return x.std().item()


EXERCISES = {
    "03.1": Exercise("second_moment_after", _test_second_moment_after, "E[x^2] is the squared mean plus the variance; follow each through two steps, then three, and look for the product"),
    "03.2": Exercise("std_without_shrink", _test_std_without_shrink, "which factor of the variance recursion comes from the shrink? Leave it out"),
    "03.3": Exercise("prediction", prediction(_measure_std_from_origin, "the std of x_T for a chain started at the origin", rel_tol=0.05),
                     "which term of the variance recursion is left when the chain starts with no variance?"),
}
