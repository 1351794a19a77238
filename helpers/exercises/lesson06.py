"""Lesson 06 (loss): its exercises' checks and hints."""

import math

import torch
from torch.distributions import MultivariateNormal, kl_divergence

from ..data.s_curve import s_curve
from ..objectives.denoising import eps_loss
from ..process.schedules import linear_schedule, sigmoid_schedule
from .base import Exercise, expect, is_number, number, prediction


def _test_elbo_weight(fn):
    for sch in (sigmoid_schedule(100), linear_schedule(50)):
        for t in (1, 10, sch.T - 1):
            value = number(fn(sch, t))
            expect(isinstance(value, float), "return a number (a float, or a tensor holding one)")
            # Section 4's general weight beta_t^2 / (2 sigma_t^2 alpha_t (1 - alpha_bar_t)) with the schedule's own beta~_t.
            beta, alpha = sch.beta.double(), sch.alpha.double()
            expected = (beta[t] ** 2 / (2 * sch.beta_tilde.double()[t] * alpha[t] * (1 - sch.alpha_bar.double()[t]))).item()
            expect(math.isclose(value, expected, rel_tol=1e-4), f"at step t = {t} the weight is off")


def _test_kl_isotropic(fn):
    for mu1, v1, mu2, v2 in (([0.0, 0.0], 1.0, [0.0, 0.0], 1.0), ([0.3, -0.1, 2.0], 0.5, [0.1, 0.2, 1.0], 2.0), ([1.0, 1.0], 0.1, [0.0, 0.0], 0.1)):
        a, b = torch.tensor(mu1, dtype=torch.float64), torch.tensor(mu2, dtype=torch.float64)
        value = number(fn(a, v1, b, v2))
        expect(is_number(value), "return a number")
        eye = torch.eye(len(mu1), dtype=torch.float64)
        expected = kl_divergence(MultivariateNormal(a, v1 * eye), MultivariateNormal(b, v2 * eye)).item()
        expect(math.isclose(value, expected, rel_tol=1e-6, abs_tol=1e-9),
               f"for mu1 = {mu1}, var1 = {v1}, mu2 = {mu2}, var2 = {v2} (d = {len(mu1)}) your KL, {value:.6g}, is too "
               f"{'high' if value > expected else 'low'}")


def _measure_zero_predictor_loss():
    def zero(xt, t):
        return torch.zeros_like(xt)

    return eps_loss(zero, s_curve(10_000), sigmoid_schedule(100), generator=torch.Generator().manual_seed(0)).item()


EXERCISES = {
    "06.1": Exercise("elbo_weight", _test_elbo_weight, "start from w_t in section 4, write beta~_t = (1 - alpha_bar_(t-1)) / (1 - alpha_bar_t) beta_t, and cancel; alpha_bar_(t-1) = alpha_bar_t / alpha_t"),
    "06.2": Exercise("kl_isotropic", _test_kl_isotropic, "the general Gaussian KL with both covariances a multiple of I"),
    "06.3": Exercise("prediction", prediction(_measure_zero_predictor_loss, "L_simple of the predictor that always says 0"),
                     "with eps_theta = 0, what is left inside the squared error, and how is it distributed?"),
}
