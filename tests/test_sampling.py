import pytest
import torch

import helpers
from conftest import SCH

# The lessons whose tests these are (`python3 course.py test --lesson NN`, tests/conftest.py).
LESSONS = ("07",)



# The schedule is float32, as in the reference: 1 - alpha_bar near t = 0 cancels to ~3 significant digits.
RTOL = 2e-3


def test_posterior_matches_bayes_product_of_gaussians():
    x0, xt = helpers.s_curve(20, seed=1), helpers.s_curve(20, seed=2)
    for t in (1, 50, 99):
        mean, var = helpers.posterior(x0, xt, t, SCH)
        a, b, ab_prev = SCH.alpha[t], SCH.beta[t], SCH.alpha_bar[t - 1]
        precision = a / b + 1 / (1 - ab_prev)
        torch.testing.assert_close(var, (1 / precision).expand(20), rtol=RTOL, atol=0)
        expected = (a.sqrt() / b * xt + ab_prev.sqrt() / (1 - ab_prev) * x0) / precision
        torch.testing.assert_close(mean, expected, rtol=RTOL, atol=1e-6)


def test_posterior_at_first_step_is_x0():
    x0, xt = helpers.s_curve(5, seed=1), helpers.s_curve(5, seed=2)
    mean, var = helpers.posterior(x0, xt, 0, SCH)
    torch.testing.assert_close(mean, x0, rtol=RTOL, atol=0)
    assert (var == 0).all()


def test_reverse_mean_is_posterior_at_predicted_x0():
    xt, eps = helpers.s_curve(30, seed=3), torch.randn(30, 2)
    for t in (0, 10, 99):
        x0_hat = (xt - SCH.sqrt_one_minus_alpha_bar[t] * eps) / SCH.sqrt_alpha_bar[t]
        torch.testing.assert_close(helpers.reverse_mean(eps, xt, t, SCH), helpers.posterior(x0_hat, xt, t, SCH)[0], rtol=1e-3, atol=1e-4)


class Zero(torch.nn.Module):
    """Predicts no noise, so the sampler's only randomness is x_T and z."""

    def __init__(self):
        super().__init__()
        self.anchor = torch.nn.Parameter(torch.zeros(1))

    def forward(self, xt, t):
        return torch.zeros_like(xt) + 0 * self.anchor


def test_no_noise_at_the_last_step():
    x_T = torch.randn(4, 2)
    chain = helpers.sample(Zero(), SCH, 4, generator=torch.Generator().manual_seed(0), keep_chain=True, x_T=x_T)
    assert chain.shape == (101, 4, 2)
    torch.testing.assert_close(chain[-1], chain[-2] / SCH.alpha[0].sqrt())


def test_noise_added_at_other_steps():
    chain = helpers.sample(Zero(), SCH, 4, generator=torch.Generator().manual_seed(0), keep_chain=True)
    assert not torch.allclose(chain[-2], chain[-3] / SCH.alpha[1].sqrt())


def test_sample_is_seeded_without_grad_and_restores_mode():
    model = helpers.NoisePredictor(100, 16).train()
    a = helpers.sample(model, SCH, 5, generator=torch.Generator().manual_seed(1))
    b = helpers.sample(model, SCH, 5, generator=torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and not a.requires_grad and model.training


def test_beta_tilde_sigma():
    t = torch.arange(100)
    tilde = helpers.reverse_sigma(t, SCH, "beta_tilde") ** 2
    assert tilde[0] == 0
    torch.testing.assert_close(tilde[1:], (1 - SCH.alpha_bar[:-1]) / (1 - SCH.alpha_bar[1:]) * SCH.beta[1:])


def test_sample_on_device(device):
    model = helpers.NoisePredictor(100, 16).to(device)
    out = helpers.sample(model, SCH, 3, generator=torch.Generator().manual_seed(0))
    assert out.device.type == device.type and out.shape == (3, 2)


def test_bad_sampling_input():
    model = helpers.NoisePredictor(100, 16)
    with pytest.raises(ValueError, match=r"sigma must be one of \['beta', 'beta_tilde'\], got 'zero'"):
        helpers.sample(model, SCH, 3, sigma="zero")
    with pytest.raises(ValueError, match=r"n must be in >= 1, got 0"):
        helpers.sample(model, SCH, 0)
    with pytest.raises(ValueError, match="x_T must have n = 3 points, got 2"):
        helpers.sample(model, SCH, 3, x_T=torch.zeros(2, 2))
    with pytest.raises(ValueError, match=r"x0 must have the shape of xt \(4, 2\), got \(3, 2\)"):
        helpers.posterior(torch.zeros(3, 2), torch.zeros(4, 2), 1, SCH)
