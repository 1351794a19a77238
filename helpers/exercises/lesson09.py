"""Lesson 09 (the exact S-curve): its exercises' checks and hints."""

import torch

from ..data import curve, s_curve
from ..oracle import MixtureOracle, quadrature, training_set_oracle
from ..schedules import sigmoid_schedule
from .base import Exercise, close, expect, prediction


def _test_eps_star_finite(fn):
    x0 = s_curve(300, seed=5).double()
    schedule = sigmoid_schedule(100)
    for t in (0, 40, 99):
        alpha_bar_t = schedule.alpha_bar[t].item()
        xt = (alpha_bar_t**0.5 * s_curve(50, seed=6).double() + (1 - alpha_bar_t) ** 0.5 * torch.randn(50, 2, generator=torch.Generator().manual_seed(t), dtype=torch.float64))
        out = fn(xt, x0, alpha_bar_t)
        expect(isinstance(out, torch.Tensor) and out.shape == xt.shape, f"return a tensor shaped like xt {tuple(xt.shape)}")
        want = training_set_oracle(x0, schedule)(xt, t)
        expect(close(out, want, 1e-4), f"compare with helpers.training_set_oracle at step t = {t + 1} (alpha_bar_t = {alpha_bar_t:.6f})")


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
    "09.1": Exercise("eps_star_finite", _test_eps_star_finite, "E[x0 | xt] weighs each training point by how well it explains xt (a Gaussian likelihood, lesson 04); then solve the definition of x_t for eps"),
    "09.2": Exercise("predicted_floor", prediction(_sharp_data_first_step_floor, "the loss floor at t = 1", rel_tol=0.1), "the first step's noise is now wider than the curve: which directions of eps can x_1 reveal, and which can it not?"),
}
