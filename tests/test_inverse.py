"""Lesson 18's exact posterior, checked by routes that share none of its formulas, and its samplers."""

import math

import pytest
import torch

import helpers
from conftest import seeded

# The lessons whose tests these are (`python3 course.py test --lesson NN`, tests/conftest.py).
LESSONS = ("18",)

SCHEDULE = helpers.sigmoid_schedule(100)
PRIOR = helpers.s_curve_oracle(SCHEDULE)
COORDINATE = (torch.tensor([[1.0, 0.0]]), 0.01)
PROJECTION = (torch.tensor([[0.6, 0.8]]), 0.02)
NOISY_POINT = (torch.eye(2), 0.05)


def problem(measurement, seed):
    A, sigma_o = measurement
    obs = helpers.observe(helpers.s_curve(1, seed=4000 + seed), A, sigma_o, seeded(seed))[0]
    return A, sigma_o, obs, helpers.PosteriorOracle(PRIOR, A, obs, sigma_o)


def floor_spread(posterior, n, seeds):
    """The largest |energy distance| between two independent exact draws of n points, over seeds: how far "matches" may
    stray (the unbiased distance of one distribution to itself falls either side of 0)."""
    return max(abs(helpers.energy_distance(posterior.sample(n, seeded(s)), posterior.sample(n, seeded(s + 500)))) for s in seeds)


@pytest.mark.parametrize("measurement", [COORDINATE, PROJECTION], ids=["coordinate", "projection"])
def test_exact_posterior_is_what_rejection_sampling_keeps(measurement):
    """Route 1: S-curve draws from lesson 01's generator, each kept with probability exp(-|o - A x|^2 / 2 sigma_o^2)."""
    A, sigma_o, obs, posterior = problem(measurement, 1)
    candidates = helpers.s_curve(600_000, seed=11)
    keep = torch.rand(len(candidates), generator=seeded(12)) < torch.exp(-((obs - candidates @ A.T) ** 2).sum(1) / (2 * sigma_o**2))
    accepted = candidates[keep][:3000]
    assert len(accepted) > 800
    distance = helpers.energy_distance(accepted, posterior.sample(len(accepted), seeded(13)))
    assert distance < 2 * floor_spread(posterior, len(accepted), range(5)), distance


def test_exact_posterior_density_is_bayes_rule_on_a_grid():
    """Route 2: prior density (lesson 09's log_prob) times the likelihood, normalised by a sum over a fine grid."""
    A, sigma_o, obs, posterior = problem(NOISY_POINT, 2)
    h = 0.002
    xs = torch.arange(-0.2, 0.2, h, dtype=torch.float64)
    zs = torch.arange(-0.3, 0.3, h, dtype=torch.float64)
    grid = torch.cartesian_prod(xs, zs)
    log_joint = PRIOR.log_prob(grid, None) - ((grid - obs.double()) ** 2).sum(1) / (2 * sigma_o**2)
    log_evidence = torch.logsumexp(log_joint, 0) + 2 * math.log(h)
    bayes = log_joint - log_evidence
    helper = posterior.log_prob(grid)
    where = bayes > bayes.max() - 10
    assert (helper - bayes)[where].abs().max() < 1e-3
    assert abs(helper.exp().sum().item() * h**2 - 1) < 1e-3


@pytest.mark.parametrize("t", [None, 0, 30, 99])
def test_score_is_the_gradient_of_the_log_density(t):
    A, sigma_o, obs, posterior = problem(PROJECTION, 3)
    x = posterior.sample(50, seeded(4), t=t).double()
    h = 1e-6
    numeric = torch.stack([(posterior.log_prob(x + h * e, t) - posterior.log_prob(x - h * e, t)) / (2 * h)
                           for e in torch.eye(2, dtype=torch.float64)], 1)
    torch.testing.assert_close(posterior.score(x, t), numeric, rtol=1e-5, atol=1e-3)


def test_noised_posterior_is_the_posterior_noised():
    """sample(t) against lesson 03's forward process applied to exact draws of x_0, at the last step (alpha_bar 0.78)."""
    A, sigma_o, obs, posterior = problem(COORDINATE, 5)
    direct = posterior.sample(3000, seeded(6), t=99)
    noised = helpers.q_sample(posterior.sample(3000, seeded(7)), 99, SCHEDULE, generator=seeded(8))
    assert helpers.energy_distance(direct, noised) < 2 * floor_spread(posterior, 3000, range(3))


def test_noised_density_is_the_posterior_convolved_with_the_noise():
    """log p(x_t | o) against a Monte Carlo average of q(x_t | x_0) = N(a x_0, b^2 I) over exact draws of x_0."""
    A, sigma_o, obs, posterior = problem(PROJECTION, 21)
    t = SCHEDULE.T - 1
    a, b = SCHEDULE.alpha_bar[t].double().sqrt(), (1 - SCHEDULE.alpha_bar[t].double()).sqrt()
    x0 = posterior.sample(40_000, seeded(22)).double()
    x = posterior.sample(200, seeded(23), t=t).double()
    log_kernel = -((x[:, None] - a * x0[None]) ** 2).sum(2) / (2 * b**2) - torch.log(2 * math.pi * b**2)
    monte_carlo = torch.logsumexp(log_kernel, 1) - math.log(len(x0))
    assert (posterior.log_prob(x, t) - monte_carlo).abs().max() < 2e-3


def test_exact_eps_through_ddpm_lands_on_the_posterior():
    A, sigma_o, obs, posterior = problem(COORDINATE, 9)
    start = posterior.sample(2000, seeded(10), t=SCHEDULE.T - 1)
    drawn = helpers.sample(posterior, SCHEDULE, 2000, generator=seeded(11), sigma="beta_tilde", x_T=start)
    assert helpers.energy_distance(drawn, posterior.sample(2000, seeded(12))) < 3 * floor_spread(posterior, 2000, range(3))


def test_a_finite_set_posterior_reweights_its_points_by_the_likelihood():
    """delta = 0: the weights are softmax(-|o - A p_j|^2 / 2 sigma_o^2), the draws are the points themselves."""
    points = torch.tensor([[0.0, 0.0], [0.1, 0.0], [0.0, 0.2], [0.3, 0.1]])
    oracle = helpers.training_set_oracle(points, SCHEDULE)
    A, sigma_o, obs = torch.tensor([[1.0, 0.0]]), 0.05, torch.tensor([0.04])
    posterior = helpers.PosteriorOracle(oracle, A, obs, sigma_o)
    expected = torch.softmax(-((obs.double() - points[:, 0].double()) ** 2) / (2 * sigma_o**2), 0)
    torch.testing.assert_close(posterior.log_weights.exp(), expected)
    drawn = posterior.sample(4000, seeded(1))
    counts = torch.stack([(drawn == p).all(1).sum() for p in points]).double() / 4000
    assert (drawn.unsqueeze(1) == points).all(2).any(1).all()
    assert (counts - expected).abs().max() < 0.03


def test_smc_with_the_exact_prior_matches_the_posterior():
    """The twisted sampler is exact as its particles grow: with 2 000 and the exact prior it sits at the floor."""
    A, sigma_o, obs, posterior = problem(COORDINATE, 13)
    g = seeded(14)
    start = helpers.q_sample(helpers.s_curve(2000, seed=15), SCHEDULE.T - 1, SCHEDULE, generator=g)
    drawn = helpers.posterior_sample(PRIOR, SCHEDULE, A, obs, sigma_o, start, "smc", g, variance=0.0122)
    assert helpers.energy_distance(drawn.float(), posterior.sample(2000, seeded(16))) < 3 * floor_spread(posterior, 2000, range(3))


def test_replacement_keeps_the_observed_coordinate_near_y():
    A, sigma_o, obs, posterior = problem(COORDINATE, 17)
    drawn = helpers.posterior_sample(PRIOR, SCHEDULE, A, obs, 0.0, posterior.sample(500, seeded(18), t=99), "replace", seeded(19))
    # The last step writes sqrt(alpha_bar) o + sqrt(1 - alpha_bar) z with alpha_bar = 1: o itself.
    assert torch.equal(drawn[:, 0], obs.expand(500).to(drawn.dtype))
    with pytest.raises(ValueError, match="pick coordinates"):
        helpers.posterior_sample(PRIOR, SCHEDULE, PROJECTION[0], obs, 0.02, posterior.sample(5, seeded(1), t=99), "replace")


def test_observe_adds_noise_of_the_given_size():
    x0 = helpers.s_curve(20_000, seed=3)
    A = torch.tensor([[0.6, 0.8]])
    obs = helpers.observe(x0, A, 0.05, seeded(3))
    residual = (obs - x0 @ A.T).double()
    assert abs(residual.std().item() - 0.05) < 0.002 and abs(residual.mean().item()) < 0.002
