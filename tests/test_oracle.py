"""The exact oracles of lesson 09: quadrature, density, score, eps*, denoiser, and their use in place of a network."""

import math

import pytest
import torch

import helpers
from conftest import SCH
from helpers.exact.oracle import MixtureOracle

# The lessons whose tests these are (`python3 course.py test --lesson NN`, tests/conftest.py).
LESSONS = ("09",)



@pytest.fixture(scope="module")
def oracle():
    return helpers.s_curve_oracle(SCH)


def test_quadrature_weights_average_over_u():
    u, log_w = helpers.quadrature(256)
    w = log_w.exp()
    assert u.shape == (256,) and abs(w.sum().item() - 1) < 1e-13
    # E[u^2] = (3 pi / 2)^2 / 3 and E[cos u] = -2 / (3 pi) for u ~ U[-3 pi/2, 3 pi/2].
    assert abs((w * u**2).sum().item() - (1.5 * math.pi) ** 2 / 3) < 1e-12
    assert abs((w * u.cos()).sum().item() + 2 / (3 * math.pi)) < 1e-13


@pytest.mark.parametrize("nodes", [0, 24, 100])
def test_quadrature_rejects_bad_node_counts(nodes):
    with pytest.raises(ValueError, match="nodes"):
        helpers.quadrature(nodes)


def test_s_curve_returns_its_curve_parameter():
    x0, u = helpers.s_curve(5000, seed=4, return_u=True)
    noise = x0.double() - helpers.curve(u)
    assert u.min() >= -1.5 * math.pi and u.max() <= 1.5 * math.pi
    assert abs(noise.std().item() - 0.01) < 4e-4
    no_noise, u0 = helpers.s_curve(50, noise=0.0, seed=4, return_u=True)
    torch.testing.assert_close(no_noise.double(), helpers.curve(u0), atol=1e-7, rtol=0)


@pytest.mark.parametrize("t", [0, 40, 99])
def test_density_integrates_to_one(oracle, t):
    grid = torch.linspace(-2.0, 2.0, 801, dtype=torch.float64) if t else torch.linspace(-0.3, 0.3, 1201, dtype=torch.float64)
    xx, yy = torch.meshgrid(grid, grid, indexing="xy")
    mass = oracle.log_prob(torch.stack([xx.ravel(), yy.ravel()], 1), t).exp().sum() * (grid[1] - grid[0]) ** 2
    assert abs(mass.item() - 1) < 1e-4


@pytest.mark.parametrize("t", [0, 20, 99])
def test_score_is_the_gradient_of_log_density(oracle, t):
    x = helpers.q_sample(helpers.s_curve(50, seed=1), t, SCH).double().requires_grad_()
    (grad,) = torch.autograd.grad(oracle.log_prob(x, t).sum(), x)
    torch.testing.assert_close(oracle.score(x.detach(), t), grad, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("t", [0, 50, 99])
def test_eps_and_tweedie_identities(oracle, t):
    xt = helpers.q_sample(helpers.s_curve(100, seed=2), t, SCH).double()
    ab = SCH.alpha_bar[t].double()
    score = oracle.score(xt, t)
    torch.testing.assert_close(oracle(xt, t), -(1 - ab).sqrt() * score, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(oracle.denoise(xt, t), (xt + (1 - ab) * score) / ab.sqrt(), rtol=1e-10, atol=1e-12)


def test_eps_star_matches_bayes_rule_by_monte_carlo(oracle):
    t = 70
    ab = SCH.alpha_bar[t].double()
    draws = helpers.s_curve(200_000, seed=12).double()
    query = helpers.q_sample(helpers.s_curve(4, seed=3), t, SCH).double()
    w = torch.softmax(-torch.cdist(query, ab.sqrt() * draws) ** 2 / (2 * (1 - ab)), 1)
    eps_i = (query[:, None] - ab.sqrt() * draws) / (1 - ab).sqrt()
    bayes = (w[..., None] * eps_i).sum(1)
    se = (w[..., None] ** 2 * (eps_i - bayes[:, None]) ** 2).sum(1).sqrt()
    assert ((bayes - oracle(query, t)).abs() / se).max() < 5


def test_two_point_set_has_the_textbook_denoiser():
    # Data +-p with equal weight: E[x0 | x_t] = p tanh(a p.x_t / (1 - alpha_bar)).
    p = torch.tensor([[0.1, 0.05]], dtype=torch.float64)
    oracle = helpers.training_set_oracle(torch.cat([p, -p]), SCH)
    t = 30
    ab = SCH.alpha_bar[t].double()
    xt = torch.randn(20, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0)) * 0.3
    expected = p * torch.tanh(ab.sqrt() * (xt @ p.T) / (1 - ab))
    torch.testing.assert_close(oracle.denoise(xt, t), expected, rtol=1e-10, atol=1e-12)


def test_per_point_steps_match_single_steps(oracle):
    xt = torch.randn(6, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    steps = torch.tensor([0, 5, 17, 50, 80, 99])
    per_point = oracle(xt, steps)
    for i, t in enumerate(steps.tolist()):
        torch.testing.assert_close(per_point[i], oracle(xt[i : i + 1], t)[0])


def test_oracle_drops_in_for_the_network(oracle, device):
    generator = torch.Generator().manual_seed(0)
    samples = helpers.sample(oracle.to(device), SCH, 500, generator=generator)
    assert samples.device.type == device.type and samples.dtype == torch.float32
    x0 = helpers.s_curve(500, device=device)
    loss = helpers.eps_loss(oracle, x0, SCH, generator=torch.Generator().manual_seed(1))
    assert 0.1 < loss.item() < 0.6


def test_network_cannot_beat_the_loss_floor(oracle):
    model = helpers.load_model(helpers.COMMITTED_CHECKPOINT)
    x0 = helpers.s_curve(20_000, seed=8)
    generator = torch.Generator().manual_seed(2)
    t = helpers.antithetic_steps(len(x0), 100, generator=generator)
    eps = torch.randn(x0.shape, generator=generator)
    xt = helpers.q_sample(x0, t, SCH, eps=eps)
    with torch.no_grad():
        gap = ((eps - model(xt, t)) ** 2).mean(1) - ((eps - oracle(xt, t)) ** 2).mean(1)
    assert gap.mean() > -3 * gap.std() / math.sqrt(len(gap))


def test_finite_set_optimum_returns_training_points():
    train = helpers.s_curve(20, seed=5)
    samples = helpers.sample(helpers.training_set_oracle(train, SCH), SCH, 200,
                             generator=torch.Generator().manual_seed(0), sigma="beta_tilde")
    fresh = helpers.s_curve(200, seed=6)
    on_a_point = (torch.cdist(samples, train).min(1).values < 1e-3).float().mean()
    assert on_a_point > 0.7 and (torch.cdist(fresh, train).min(1).values < 1e-3).float().mean() < 0.1


def test_bad_oracle_input(oracle):
    with pytest.raises(ValueError, match="t must be in"):
        oracle(torch.zeros(3, 2), 100)
    with pytest.raises(ValueError, match=r"x must have shape \(N, 2\)"):
        oracle.score(torch.zeros(3), 0)
    with pytest.raises(ValueError, match="needs std > 0"):
        helpers.training_set_oracle(torch.zeros(4, 2), SCH).log_prob(torch.zeros(2, 2), None)
    with pytest.raises(ValueError, match="log_weights"):
        MixtureOracle(torch.zeros(4, 2), torch.zeros(3), 0.0, SCH)
    with pytest.raises(TypeError, match="u must be"):
        helpers.curve([0.0, 1.0])


def test_unnormalised_weights_are_refused():
    """Two equal components with log weights 0 sum to 2: every log density would be log 2 too high (checked against
    torch's mixture), so the oracle refuses them and names the fix (issue 36); normalised, it agrees with torch."""
    from torch.distributions import Categorical, Independent, MixtureSameFamily, Normal

    points = torch.tensor([[0.0, 0.0], [1.0, 0.0]], dtype=torch.float64)
    with pytest.raises(ValueError, match="log_weights must be normalised"):
        MixtureOracle(points, torch.zeros(2), 0.1, SCH)
    oracle = MixtureOracle(points, torch.full((2,), -math.log(2)), 0.1, SCH)
    exact = MixtureSameFamily(Categorical(logits=torch.zeros(2, dtype=torch.float64)),
                              Independent(Normal(points, torch.full_like(points, 0.1)), 1))
    x = torch.tensor([[0.3, 0.1], [0.9, -0.2]], dtype=torch.float64)
    torch.testing.assert_close(oracle.log_prob(x, None), exact.log_prob(x))
