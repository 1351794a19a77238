"""Lesson 07 (sampling): its exercises' checks and hints."""

import torch

from ..measures.metrics import sharp_quality
from ..networks import checkpoint
from ..process.schedules import linear_schedule, sigmoid_schedule
from ..sampling.ancestral import sample
from .base import Exercise, expect, prediction


def _off_curve_with_last_step_noise():
    schedule = sigmoid_schedule(100)
    # Looked up at each call, so that a test can point it at a damaged copy.
    model = checkpoint.load_model(checkpoint.COMMITTED_CHECKPOINT)
    x = sample(model, schedule, 10_000, generator=torch.Generator().manual_seed(0), sigma="beta_tilde")
    x = x + schedule.beta[0].sqrt() * torch.randn(x.shape, generator=torch.Generator().manual_seed(3))
    return sharp_quality(x, energy=False).off_curve


def _test_two_step_variance(fn):
    for sch in (sigmoid_schedule(100), linear_schedule(30)):
        value = fn(sch)
        expect(isinstance(value, torch.Tensor) and value.shape == (sch.T - 1,), "return a tensor of shape (T - 1,): the "
               "paper's t = 2 .. T")
        # Gaussian conditioning of the pair (x_{t-2}, x_t) given x_0: Var(a) - Cov(a, b)^2 / Var(b).
        a = torch.cat([torch.ones(1, dtype=torch.float64), sch.alpha_bar.double()])
        before, now = a[:-2], a[2:]
        covariance = (now / before).sqrt() * (1 - before)
        expected = (1 - before) - covariance**2 / (1 - now)
        value = value.double()
        wrong = ~torch.isfinite(value) | ((value - expected).abs() > 1e-6 * (1 + expected.abs()))
        expect(not bool(wrong.any()), f"for a schedule of T = {sch.T} the variance is off first at the paper's "
               f"t = {int(wrong.nonzero()[0]) + 2 if bool(wrong.any()) else 0}")


EXERCISES = {
    "07.1": Exercise("predicted_off_curve", prediction(_off_curve_with_last_step_noise, "the off-curve RMS x 10^3", rel_tol=0.03), "independent errors add in quadrature, and only the part of the noise across the curve moves a point off it"),
    "07.2": Exercise("two_step_variance", _test_two_step_variance, "x_t is x_(t-2) moved by one merged step (lesson 04): put that step's variance where beta~_t has beta_t, and the alpha_bar of two steps before where it has one step before"),
}
