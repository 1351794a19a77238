"""helpers.elbo and helpers.ode_log_likelihood against independent routes: torch.distributions' KLs, Gaussian data whose
density is known in closed form, torch.autograd.functional's Jacobians, and Monte Carlo."""

import math

import pytest
import torch
from torch.distributions import MultivariateNormal, Normal, kl_divergence

import helpers
from conftest import SCH, seeded
from helpers.measures.likelihood import exact_divergence, hutchinson_divergence
from helpers.exact.oracle import MixtureOracle

LESSONS = ("13",)

S0 = 0.3


def gaussian_oracle(schedule, std=S0):
    """Data N(0, std^2 I) as a one-component mixture: its eps* and log q_t are exact."""
    return MixtureOracle(torch.zeros(1, 2), torch.zeros(1), std, schedule)


def gaussian_log_density(x, variance):
    return -(x**2).sum(1) / (2 * variance) - math.log(2 * math.pi * variance)


def test_elbo_terms_match_torch_distributions():
    torch.manual_seed(0)
    model = helpers.NoisePredictor(100, 16).double()
    x0 = helpers.s_curve(200, seed=1).double()
    terms = helpers.elbo(model, SCH, x0, sigma="beta", generator=seeded(3))
    beta = SCH.beta.double()
    alpha_bar = torch.cumprod(1 - beta, 0)
    generator = seeded(3)
    for t in range(1, 100):
        xt = alpha_bar[t].sqrt() * x0 + (1 - alpha_bar[t]).sqrt() * torch.randn(x0.shape, generator=generator, dtype=torch.float64)
        var_q = (1 - alpha_bar[t - 1]) / (1 - alpha_bar[t]) * beta[t]
        mean_q = (alpha_bar[t - 1].sqrt() * beta[t] * x0 + (1 - beta[t]).sqrt() * (1 - alpha_bar[t - 1]) * xt) / (1 - alpha_bar[t])
        mean_p = (xt - beta[t] / (1 - alpha_bar[t]).sqrt() * model(xt, t)) / (1 - beta[t]).sqrt()
        want = kl_divergence(MultivariateNormal(mean_q, var_q * torch.eye(2, dtype=torch.float64)),
                             MultivariateNormal(mean_p, beta[t] * torch.eye(2, dtype=torch.float64)))
        torch.testing.assert_close(terms.steps[t - 1], want.detach(), rtol=1e-9, atol=1e-9)
    prior = kl_divergence(Normal(alpha_bar[-1].sqrt() * x0, (1 - alpha_bar[-1]).sqrt()), Normal(0.0, 1.0)).sum(1)
    torch.testing.assert_close(terms.prior, prior)
    assert terms.continuous_bits_per_dim() == pytest.approx(terms.nll_bound.mean().item() / (2 * math.log(2)))


def test_elbo_prior_closed_form_and_monte_carlo_agree():
    oracle = helpers.s_curve_oracle(SCH)
    x0 = helpers.s_curve(4000, seed=2).double()
    standard = MultivariateNormal(torch.zeros(2), torch.eye(2))
    closed = helpers.elbo(oracle, SCH, x0, generator=seeded(0)).prior
    torch.testing.assert_close(helpers.elbo(oracle, SCH, x0, prior=standard, generator=seeded(0)).prior, closed)
    sampled = helpers.elbo(oracle, SCH, x0, prior=standard.log_prob, generator=seeded(0)).prior
    difference = sampled - closed
    assert abs(difference.mean()) < 4 * difference.std() / len(x0) ** 0.5


def test_exact_elbo_bounds_the_entropy_of_gaussian_data():
    """Gaussian data N(0, S0^2 I): E[L] >= H = log(2 pi e S0^2), and with the exact q_T the slack is modest."""
    oracle = gaussian_oracle(SCH)
    x0 = S0 * torch.randn(4000, 2, generator=seeded(4), dtype=torch.float64)
    bound = helpers.elbo(oracle, SCH, x0, prior=lambda x: oracle.log_prob(x, 99), generator=seeded(5)).nll_bound
    entropy = math.log(2 * math.pi * math.e * S0**2)
    assert bound.mean() > entropy - 4 * bound.std() / len(x0) ** 0.5


@pytest.mark.parametrize("method, tolerance", [("euler", 0.1), ("heun", 2e-3)])
def test_ode_log_likelihood_of_gaussian_data_is_the_gaussian_density(method, tolerance):
    oracle = gaussian_oracle(SCH)
    x0 = S0 * torch.randn(100, 2, generator=seeded(6), dtype=torch.float64)
    result = helpers.ode_log_likelihood(oracle, SCH, x0, method=method, prior=lambda x: oracle.log_prob(x, 99))
    assert (result.log_p - gaussian_log_density(x0, S0**2)).abs().max() < tolerance
    # x_T is where the ODE takes x_0: for Gaussian data a rescaling by the ratio of the marginals' stds.
    ratio = ((SCH.alpha_bar[-1].double() * S0**2 + 1 - SCH.alpha_bar[-1].double()) / S0**2).sqrt()
    torch.testing.assert_close(result.x_T, ratio * x0, rtol=tolerance, atol=tolerance)


def test_hutchinson_is_exact_for_an_isotropic_jacobian_and_unbiased_otherwise():
    oracle = gaussian_oracle(SCH)
    x0 = S0 * torch.randn(50, 2, generator=seeded(7), dtype=torch.float64)
    exact = helpers.ode_log_likelihood(oracle, SCH, x0, steps=20).log_p
    hutch = helpers.ode_log_likelihood(oracle, SCH, x0, steps=20, divergence="hutchinson", generator=seeded(8)).log_p
    torch.testing.assert_close(hutch, exact)
    # A sheared linear field: v^T A v has mean trace(A) over +-1 probes, and varies with v.
    A = torch.tensor([[1.0, 2.0], [-0.5, 3.0]], dtype=torch.float64)
    x = torch.randn(20_000, 2, generator=seeded(9), dtype=torch.float64)
    v = torch.randint(0, 2, x.shape, generator=seeded(10), dtype=torch.float64) * 2 - 1
    estimate = hutchinson_divergence(lambda y: y @ A.T, x, v)[1]
    assert abs(estimate.mean() - 4.0) < 4 * estimate.std() / len(x) ** 0.5 and estimate.std() > 1


def test_exact_divergence_is_the_jacobians_trace():
    torch.manual_seed(1)
    model = helpers.NoisePredictor(100, 16).double()
    x = helpers.s_curve(30, seed=3).double()
    div = exact_divergence(lambda y: model(y, 7), x)[1]
    jacobians = [torch.autograd.functional.jacobian(lambda y: model(y[None], 7)[0], point) for point in x]
    torch.testing.assert_close(div, torch.stack([jacobian.trace() for jacobian in jacobians]))


def test_network_likelihood_is_finite_float64_and_leaves_the_model_as_it_was():
    model = helpers.load_model(helpers.COMMITTED_CHECKPOINT)
    model.train()
    x0 = helpers.s_curve(50, seed=4)
    result = helpers.ode_log_likelihood(model, SCH, x0, steps=10)
    assert result.log_p.dtype == torch.float64 and torch.isfinite(result.log_p).all() and model.training
    terms = helpers.elbo(model, SCH, x0.numpy(), generator=seeded(0))
    torch.testing.assert_close(terms.nll_bound, helpers.elbo(model, SCH, x0, generator=seeded(0)).nll_bound)
    assert model.training
