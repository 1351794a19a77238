"""Lesson 14's EDM wrapper: it leaves the exact denoiser unchanged, and its input and raw target have unit variance."""

import math

import torch

import helpers
from conftest import SCH, seeded
from helpers.preconditioning import Preconditioned, edm_coefficients

# The lessons whose tests these are (`python3 course.py test --lesson NN`, tests/conftest.py).
LESSONS = ("14",)

ORACLE = helpers.s_curve_oracle(SCH)


def test_wrapped_exact_denoiser_is_unchanged():
    """The raw network chosen as the wrapper's inverse applied to the oracle's denoiser gives that denoiser back."""
    data_std = 0.1
    for t in (0, 40, 99):
        alpha_bar = ORACLE.alpha_bar[t]
        nu = ((1 - alpha_bar) / alpha_bar).sqrt()
        total = math.sqrt(nu.item() ** 2 + data_std**2)

        def raw(u, c_noise):
            assert torch.allclose(c_noise, torch.log(nu).expand_as(c_noise) / 4, rtol=1e-12, atol=0)
            x_t = u * total * alpha_bar.sqrt()
            return (ORACLE.denoise(x_t, t) - data_std**2 / total**2 * x_t / alpha_bar.sqrt()) / (nu * data_std / total)

        x0 = helpers.s_curve(300, seed=t).double()
        x_t = alpha_bar.sqrt() * x0 + (1 - alpha_bar).sqrt() * torch.randn(300, 2, generator=seeded(t), dtype=torch.float64)
        torch.testing.assert_close(Preconditioned(raw, data_std)(x_t, alpha_bar.item()), ORACLE.denoise(x_t, t),
                                   rtol=1e-10, atol=1e-12)


def test_input_and_raw_target_have_unit_variance():
    """Karras et al. 2022, Appendix B.6: with sd the data's RMS per coordinate, E|c_in x~|^2 = E|F's target|^2 = 2."""
    n = 400_000
    x0 = helpers.s_curve(n, seed=1).double()
    eps = torch.randn(n, 2, generator=seeded(1), dtype=torch.float64)
    data_std = math.sqrt((x0**2).sum(1).mean().item() / 2)
    for alpha_bar in (0.999, 0.9, 0.5, 0.05):
        c_skip, c_out, c_in, _ = edm_coefficients(torch.tensor(alpha_bar, dtype=torch.float64), data_std)
        x_tilde = x0 + math.sqrt((1 - alpha_bar) / alpha_bar) * eps
        assert abs((c_in * x_tilde).pow(2).sum(1).mean().item() / 2 - 1) < 1e-2
        assert abs(((x0 - c_skip * x_tilde) / c_out).pow(2).sum(1).mean().item() / 2 - 1) < 1e-2
