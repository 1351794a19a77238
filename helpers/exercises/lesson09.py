"""Lesson 09 (the exact S-curve): its exercises' checks and hints."""

import math

import torch

from ..data.s_curve import curve, s_curve
from ..exact.oracle import MixtureOracle, quadrature
from ..process.schedules import sigmoid_schedule
from .base import Exercise, expect, is_number, number, prediction


def _test_gaussian_floor(fn):
    schedule = sigmoid_schedule(100)
    data = s_curve(10_000, seed=5).double()
    cases = [(schedule.alpha_bar[t].item(), torch.cov(data.T)) for t in (0, 40, 99)]
    cases += [(0.5, torch.tensor([[0.3, 0.1], [0.1, 0.2]], dtype=torch.float64)),
              (0.05, torch.tensor([[2.0, 0.0, 0.5], [0.0, 1.0, 0.0], [0.5, 0.0, 0.8]], dtype=torch.float64))]
    for alpha_bar_t, cov in cases:
        value = number(fn(alpha_bar_t, cov.clone()))
        expect(is_number(value), "return a number (a float, or a tensor holding one)")
        d = cov.shape[0]
        # The residual covariance of the best linear predictor of eps from x_t, averaged over the d coordinates.
        residual = torch.eye(d, dtype=torch.float64) - (1 - alpha_bar_t) * torch.linalg.inv(alpha_bar_t * cov + (1 - alpha_bar_t) * torch.eye(d, dtype=torch.float64))
        expected = (residual.trace() / d).item()
        expect(0 <= value <= 1, f"a floor of the loss per coordinate lies between 0 (x_t reveals eps) and 1 (it reveals nothing); you have {value:.4g}")
        expect(math.isclose(value, expected, rel_tol=1e-6, abs_tol=1e-9),
               f"at alpha_bar_t = {alpha_bar_t:.4g} and a {d} x {d} covariance your floor is off; "
               "check the covariance of x_t and that you average over the coordinates")


def _sharp_data_first_step_floor():
    schedule = sigmoid_schedule(100)
    u, log_w = quadrature(1024)
    # make_s_curve's noise 0.01, divided by 10: a curve 0.001 thick, thinner than the first step's noise.
    oracle = MixtureOracle(curve(u), log_w, 0.001, schedule)
    x0 = s_curve(20_000, noise=0.01, seed=9)
    eps = torch.randn(x0.shape, generator=torch.Generator().manual_seed(0))
    xt = schedule.alpha_bar[0].sqrt() * x0 + (1 - schedule.alpha_bar[0]).sqrt() * eps
    return float(((eps - oracle(xt, 0)) ** 2).mean())


EXERCISES = {
    "09.1": Exercise("gaussian_floor", _test_gaussian_floor, "x_t is Gaussian too (a sum of independent Gaussians, lesson 04): find its covariance; the best predictor of eps from a Gaussian x_t is linear, and the floor is the variance it leaves; lesson 06's bound is the case cov = delta^2 I"),
    "09.2": Exercise("predicted_floor", prediction(_sharp_data_first_step_floor, "the loss floor at t = 1", rel_tol=0.1), "the first step's noise is now wider than the curve: which directions of eps can x_1 reveal, and which can it not?"),
}
