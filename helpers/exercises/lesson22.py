"""Lesson 22 (scale): its exercises' checks and hints."""

import math

import torch

from .base import Exercise, expect, number


def _numbers(value, n, what):
    try:
        values = [float(number(v)) for v in value]
    except TypeError:
        expect(False, f"return {what} as a list of {n} numbers, got {value!r}")
    expect(len(values) == n and all(math.isfinite(v) for v in values), f"return {n} finite numbers ({what}), got {value!r}")
    return values


def _test_share_weights(fn):
    # The check by autograd: a linear model's mean squared error on the whole batch against the average (what DDP
    # does) of each process's gradient of its share's mean error times the learner's factor.
    generator = torch.Generator().manual_seed(22)
    for sizes in ((64, 64), (34, 33), (43, 43, 42), (5, 1, 7, 3)):
        n, world = sum(sizes), len(sizes)
        factors = _numbers(fn(list(sizes)), world, "one factor per process")
        x = torch.randn(n, 3, generator=generator, dtype=torch.float64)
        y = torch.randn(n, generator=generator, dtype=torch.float64)
        w = torch.randn(3, generator=generator, dtype=torch.float64, requires_grad=True)
        whole, = torch.autograd.grad(((x @ w - y) ** 2).mean(), w)
        averaged = torch.zeros(3, dtype=torch.float64)
        for rows, factor in zip(torch.split(torch.arange(n), list(sizes)), factors):
            share, = torch.autograd.grad(factor * ((x[rows] @ w - y[rows]) ** 2).mean(), w)
            averaged += share / world
        expect(torch.allclose(averaged, whole, rtol=1e-9, atol=1e-12),
               f"for shares of {list(sizes)} rows the averaged gradient is {averaged.tolist()}, the whole batch's "
               f"{whole.tolist()}")


def _test_bf16_spacing(fn):
    for x in (1.0, 0.5, 0.7, 3.0, 1000.0, 1e-3, 2.0**-20):
        value = number(fn(x))
        expect(isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(float(value)),
               f"return the spacing as one finite number, got {value!r}")
        # x rounded to bfloat16, and the next bfloat16 number: its bit pattern plus one in the last place (none of
        # these x rounds across a power of 2).
        rounded = torch.tensor([x], dtype=torch.bfloat16)
        measured = ((rounded.view(torch.int16) + 1).view(torch.bfloat16).double() - rounded.double()).item()
        expect(abs(float(value) - measured) <= 1e-12 * measured,
               f"at x = {x} your spacing is {float(value):.6g}, the gap between bfloat16 numbers there is {measured:.6g}")


EXERCISES = {
    "22.1": Exercise("share_weights", _test_share_weights,
                     "the whole batch's mean is a sum over the shares of (rows in the share / rows in the batch) times "
                     "the share's mean; DDP then divides the sum of the processes' gradients by their number"),
    "22.2": Exercise("bf16_spacing", _test_bf16_spacing,
                     "bfloat16 keeps float32's 8 exponent bits and 7 of its 23 fraction bits: between 2^e and 2^(e+1) "
                     "there are 2^7 evenly spaced numbers"),
}
