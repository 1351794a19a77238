"""Lesson 07 (sampling): its exercises' checks and hints."""

import torch

from ..measures.metrics import sharp_quality
from ..networks import checkpoint
from ..process.schedules import linear_schedule, sigmoid_schedule
from ..sampling.ancestral import reverse_sigma, sample
from .base import Exercise, close, expect, prediction


def _off_curve_with_last_step_noise():
    schedule = sigmoid_schedule(100)
    # Looked up at each call, so that a test can point it at a damaged copy.
    model = checkpoint.load_model(checkpoint.COMMITTED_CHECKPOINT)
    x = sample(model, schedule, 10_000, generator=torch.Generator().manual_seed(0), sigma="beta_tilde")
    x = x + schedule.beta[0].sqrt() * torch.randn(x.shape, generator=torch.Generator().manual_seed(3))
    return sharp_quality(x, energy=False).off_curve


def _test_posterior_variance(fn):
    for sch in (sigmoid_schedule(100), linear_schedule(30)):
        value = fn(sch)
        expect(isinstance(value, torch.Tensor) and value.shape == (sch.T,), "return a tensor of shape (T,)")
        expected = reverse_sigma(torch.arange(sch.T), sch, "beta_tilde") ** 2
        expect(close(value, expected, 1e-6), "(1 - alpha_bar_{t-1}) / (1 - alpha_bar_t) * beta_t, alpha_bar before the first step = 1")


EXERCISES = {
    "07.1": Exercise("predicted_off_curve", prediction(_off_curve_with_last_step_noise, "the off-curve RMS x 10^3", rel_tol=0.03), "independent errors add in quadrature, and only the part of the noise across the curve moves a point off it"),
    "07.2": Exercise("posterior_variance", _test_posterior_variance, "beta~_t needs alpha_bar of the step before; the first step has none, so use the value before any noise was added"),
}
