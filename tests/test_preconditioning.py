"""Lesson 14's EDM wrapper: it leaves the exact denoiser unchanged, and its input and raw target have unit variance."""

import dataclasses
import math

import pytest
import torch

import helpers
from conftest import SCH, seeded
from helpers.networks.preconditioning import Preconditioned, edm_coefficients

# The lessons whose tests these are (`python3 course.py test --lesson NN`, tests/conftest.py).
LESSONS = ("14",)

ORACLE = helpers.s_curve_oracle(SCH)


def test_wrapped_exact_denoiser_is_unchanged():
    """The raw network chosen as the wrapper's inverse applied to the oracle's denoiser gives that denoiser back, with
    the coefficients written here from Karras et al.'s Table 1, not taken from edm_coefficients."""
    data_std = 0.1

    class Inverse(torch.nn.Module):
        T = SCH.T

        def forward(self, u, t):
            alpha_bar = ORACLE.alpha_bar[t].reshape(-1, 1)
            nu = ((1 - alpha_bar) / alpha_bar).sqrt()
            total = torch.sqrt(nu**2 + data_std**2)
            x_t = u * total * alpha_bar.sqrt()
            return (ORACLE.denoise(x_t, t) - data_std**2 / total**2 * x_t / alpha_bar.sqrt()) / (nu * data_std / total)

    wrapped = Preconditioned(Inverse(), SCH, data_std)
    for t in (0, 40, 99):
        alpha_bar = ORACLE.alpha_bar[t]
        x0 = helpers.s_curve(300, seed=t).double()
        x_t = alpha_bar.sqrt() * x0 + (1 - alpha_bar).sqrt() * torch.randn(300, 2, generator=seeded(t), dtype=torch.float64)
        torch.testing.assert_close(wrapped(x_t, torch.tensor(t)), ORACLE.denoise(x_t, t), rtol=1e-10, atol=1e-12)
        steps = torch.full((300,), t)
        torch.testing.assert_close(wrapped(x_t, steps), ORACLE.denoise(x_t, t), rtol=1e-10, atol=1e-12)


def test_edm_loss_is_unit_weight_on_the_raw_output():
    """Trained as an x0-prediction with weighting 'edm', the wrapped network's loss is the raw network's plain MSE on
    its own target (x0 - c_skip x~) / c_out, up to the weights' normalisation: Karras et al.'s lambda c_out^2 = 1."""
    torch.manual_seed(0)
    raw = helpers.NoisePredictor(SCH.T, 32, predicts="edm").double()
    data_std = 0.7
    wrapped = Preconditioned(raw, SCH, data_std)
    x0 = helpers.s_curve(2000, seed=3).double()
    eps = torch.randn(2000, 2, generator=seeded(3), dtype=torch.float64)
    t = torch.randint(0, SCH.T, (2000,), generator=seeded(4))
    weights = helpers.loss_weights(SCH, "x0", "edm", data_std).double()
    alpha_bar = SCH.alpha_bar.double()[t].unsqueeze(1)
    x_t = alpha_bar.sqrt() * x0 + (1 - alpha_bar).sqrt() * eps
    weighted = weights[t] * ((wrapped(x_t, t) - x0) ** 2).mean(1)
    c_skip, c_out, c_in, _ = edm_coefficients(alpha_bar, data_std)
    x_tilde = x_t / alpha_bar.sqrt()
    raw_loss = ((raw(c_in * x_tilde, t) - (x0 - c_skip * x_tilde) / c_out) ** 2).mean(1)
    ratio = weighted / raw_loss
    # 1e-6: the weights are float32, like every per-step table the training loop indexes.
    assert (ratio.std() / ratio.mean()).item() < 1e-6


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


def test_a_preconditioned_network_is_not_wrapped_twice():
    """Wrapping twice would apply EDM's coefficients twice and predict nonsense in silence (issue 36)."""
    schedule = helpers.sigmoid_schedule(100)
    wrapped = helpers.build_model(dataclasses.replace(helpers.DEFAULT, target="edm"), schedule, helpers.s_curve(100))
    assert isinstance(wrapped, Preconditioned) and wrapped.raw.predicts == "edm"
    with pytest.raises(TypeError, match="already Preconditioned"):
        helpers.Preconditioned(wrapped, schedule, 0.5)


def test_a_network_trained_for_another_target_is_not_wrapped():
    """The committed eps-network wrapped in EDM's coefficients predicts nonsense in silence (issue 36): its record says
    eps, and the wrapper refuses it."""
    schedule = helpers.sigmoid_schedule(100)
    with pytest.raises(ValueError, match="predicts 'eps'"):
        helpers.Preconditioned(helpers.load_model(), schedule, 0.5)


def test_zero_terminal_snr_is_refused_by_name():
    """At alpha_bar = 0 EDM's coefficients are 0/0: the wrapper says so, instead of the samplers later blaming a diverged
    training run (issue 36)."""
    zero = helpers.zero_terminal_snr(SCH)
    with pytest.raises(ValueError, match="zero terminal SNR"):
        Preconditioned(helpers.NoisePredictor(SCH.T, 16, predicts="edm"), zero, 0.5)
    with pytest.raises(ValueError, match="zero terminal SNR"):
        helpers.build_model(dataclasses.replace(helpers.DEFAULT, target="edm"), zero, helpers.s_curve(100))
