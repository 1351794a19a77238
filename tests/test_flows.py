"""Lesson 12's helpers: the straight path, its loss, the exact velocity, the change of variables to DDPM, the solvers."""

import math

import numpy as np
import pytest
import torch

import helpers

# The lessons whose tests these are (`python3 course.py test --lesson NN`, tests/conftest.py).
LESSONS = ("12",)

MIXTURE = helpers.s_curve_oracle()
ORACLE = helpers.FlowOracle(MIXTURE)


def generator(k):
    return torch.Generator().manual_seed(k)


def test_path_ends_at_data_and_noise():
    x0, eps = helpers.s_curve(100), torch.randn(100, 2, generator=generator(0))
    assert torch.equal(helpers.flow_path(x0, 0.0, eps), x0)
    assert torch.equal(helpers.flow_path(x0, 1.0, eps), eps)


def data_moments():
    """E[x_0] and E[x_0 x_0^T] of the S-curve from lesson 09's quadrature: no sampling, no flow code."""
    w, p = MIXTURE.log_weights.exp(), MIXTURE.points
    return w @ p, torch.einsum("j,jd,je->de", w, p, p) + MIXTURE.std**2 * torch.eye(2, dtype=torch.float64)


def z_scores(values, expected):
    return ((values.mean(0) - expected).abs() / (values.std(0) / len(values) ** 0.5)).max().item()


def test_path_marginal_has_the_closed_form_mean_and_covariance():
    """eps independent of x_0: x_s has mean (1 - s) mu and covariance (1 - s)^2 Sigma + s^2 I, per-point times too."""
    mu, second = data_moments()
    n = 200_000
    x0, eps = helpers.s_curve(n, seed=12).double(), torch.randn(n, 2, generator=generator(12), dtype=torch.float64)
    s = torch.tensor([0.2, 0.7], dtype=torch.float64).repeat(n // 2)
    xs = helpers.flow_path(x0, s, eps)
    for value, rows in ((0.2, slice(0, None, 2)), (0.7, slice(1, None, 2))):
        centred = xs[rows] - (1 - value) * mu
        cov = (1 - value) ** 2 * (second - torch.outer(mu, mu)) + value**2 * torch.eye(2, dtype=torch.float64)
        assert z_scores(centred, 0) < 4.5
        assert z_scores((centred[:, :, None] * centred[:, None, :]).flatten(1), cov.flatten()) < 4.5


def test_loss_of_a_linear_field_has_its_closed_form():
    """v = a x leaves the residual (1 - a s) eps - (1 + a (1 - s)) x_0, so the loss per coordinate is
    (2 (1 - a s)^2 + (1 + a (1 - s))^2 E||x_0||^2) / 2; Monte Carlo over 100 batches."""
    _, second = data_moments()
    x0, eps = helpers.s_curve(200_000, seed=13).double(), torch.randn(200_000, 2, generator=generator(13), dtype=torch.float64)
    for s, a in ((0.1, 2.0), (0.6, -1.0)):
        losses = torch.stack([helpers.flow_loss(lambda x, s_: a * x, x0[k::100], torch.full((2000,), s), eps[k::100])
                              for k in range(100)])
        exact = (2 * (1 - a * s) ** 2 + (1 + a * (1 - s)) ** 2 * second.trace()) / 2
        assert z_scores(losses[:, None], exact) < 4.5
    perfect = helpers.flow_loss(lambda x, s_: eps[:200] - x0[:200], x0[:200], torch.rand(200, generator=generator(1)), eps[:200])
    assert perfect.item() == 0.0


def test_time_maps_are_inverse_and_match_ddpm_at_the_ends():
    s = torch.linspace(0, 1, 101, dtype=torch.float64)
    torch.testing.assert_close(helpers.flow_time(helpers.alpha_bar_of(s)), s)
    assert helpers.alpha_bar_of(0.0).item() == 1.0 and helpers.alpha_bar_of(1.0).item() == 0.0
    # x_s / k(s) has unit noise variance plus signal alpha_bar: (1 - s)^2 / k^2 + s^2 / k^2 = 1.
    k2 = (1 - s) ** 2 + s**2
    torch.testing.assert_close(helpers.alpha_bar_of(s) + s**2 / k2, torch.ones_like(s))


@pytest.mark.parametrize("s", [0.001, 0.1, 0.5, 0.9, 0.999])
def test_exact_velocity_is_ddpm_eps_after_the_change_of_variables(s):
    x = helpers.flow_path(helpers.s_curve(500, seed=3), s, torch.randn(500, 2, generator=generator(3))).double()
    k = math.sqrt((1 - s) ** 2 + s**2)
    via_ddpm = (MIXTURE(x / k, None, alpha_bar=helpers.alpha_bar_of(s).item()) - x) / (1 - s)
    torch.testing.assert_close(ORACLE(x, s), via_ddpm, rtol=1e-8, atol=1e-10)


def test_exact_velocity_at_the_noise_end_points_from_the_data_mean():
    x = torch.randn(300, 2, generator=generator(4), dtype=torch.float64)
    mean = (MIXTURE.log_weights.exp()[:, None] * MIXTURE.points).sum(0)
    torch.testing.assert_close(ORACLE(x, 1.0), x - mean)


def test_exact_velocity_matches_monte_carlo():
    draws = helpers.s_curve(200_000, seed=8).double()
    s = 0.4
    queries = helpers.flow_path(helpers.s_curve(6, seed=9), s, torch.randn(6, 2, generator=generator(9))).double()
    w = torch.softmax(-torch.cdist(queries, (1 - s) * draws) ** 2 / (2 * s**2), dim=1)
    velocities = (queries[:, None, :] - (1 - s) * draws) / s - draws
    v_mc = torch.einsum("qi,qid->qd", w, velocities)
    se = torch.einsum("qi,qid->qd", w**2, (velocities - v_mc[:, None, :]) ** 2).sqrt()
    assert ((v_mc - ORACLE(queries, s)).abs() / se).max() < 4.5


def test_log_prob_is_the_ddpm_density_rescaled():
    s = 0.3
    k = math.sqrt((1 - s) ** 2 + s**2)
    x = helpers.flow_path(helpers.s_curve(200), s, torch.randn(200, 2, generator=generator(5))).double()
    # x_s = k x_DDPM, so q_s(x) = q_DDPM(x / k) / k^2 in two dimensions.
    ddpm = helpers.s_curve_oracle(helpers.sigmoid_schedule(100))._terms(x / k, None, helpers.alpha_bar_of(s).item())[3]
    torch.testing.assert_close(ORACLE.log_prob(x, s), ddpm - 2 * math.log(k))


def test_euler_on_the_flow_is_ddim():
    grid = torch.linspace(0.9, 0.05, 8, dtype=torch.float64)
    x = torch.randn(200, 2, generator=generator(6), dtype=torch.float64) * 0.9
    euler = helpers.flow_solve(ORACLE, x, grid, "euler")
    ab = helpers.alpha_bar_of(grid)
    k = ((1 - grid) ** 2 + grid**2).sqrt()
    ddim = helpers.solve(lambda y, j: MIXTURE(y, None, alpha_bar=ab[j].item()), x / k[0], ab, "ddim") * k[-1]
    torch.testing.assert_close(euler, ddim, rtol=1e-10, atol=1e-12)


def test_solver_orders_on_a_linear_ode():
    """dx/ds = -2 x from s = 1 to 0: exact x_0 = e^2 x_1; Euler's error falls like 1/N, Heun's like 1/N^2."""
    x1 = torch.ones(1, 2, dtype=torch.float64)
    for method, order in (("euler", 1), ("heun", 2)):
        err = [(helpers.flow_solve(lambda x, s: -2 * x, x1, helpers.flow_grid(n), method) - math.e**2).abs().max().item()
               for n in (50, 100)]
        assert abs(math.log2(err[0] / err[1]) - order) < 0.05


def test_grid_runs_from_noise_to_data_and_shift_crowds_near_the_data():
    plain, shifted = helpers.flow_grid(10), helpers.flow_grid(10, shift=0.125)
    for grid in (plain, shifted):
        assert grid[0] == 1 and grid[-1] == 0 and (grid[1:] < grid[:-1]).all()
    torch.testing.assert_close(plain, torch.linspace(1, 0, 11, dtype=torch.float64))
    assert (shifted[1:-1] < plain[1:-1]).all()
    with pytest.raises(ValueError):
        helpers.flow_grid(10, shift=0.0)


def test_sample_is_deterministic_and_keeps_its_chain():
    x1 = torch.randn(300, 2, generator=generator(7))
    a = helpers.flow_sample(ORACLE, 300, 5, "heun", x1=x1.double())
    b = helpers.flow_sample(ORACLE, 300, 5, "heun", x1=x1.double())
    assert torch.equal(a, b)
    chain = helpers.flow_sample(ORACLE, 300, 5, "euler", x1=x1.double(), keep_chain=True)
    assert chain.shape == (6, 300, 2) and torch.equal(chain[0], x1.double())
    assert helpers.flow_sample(ORACLE, 10, 3, generator=generator(0)).shape == (10, 2)


def test_bad_inputs_are_refused():
    x = torch.zeros(4, 2)
    with pytest.raises(ValueError, match="method"):
        helpers.flow_solve(ORACLE, x, helpers.flow_grid(2), "rk4")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        ORACLE(x, 1.5)
    with pytest.raises(ValueError, match="one time per point"):
        helpers.flow_path(x, torch.rand(3), x)
    with pytest.raises(ValueError, match="data_std"):
        helpers.VelocityPredictor(data_std=-1.0)


def test_velocity_network_takes_one_time_or_one_per_point():
    torch.manual_seed(0)
    net = helpers.VelocityPredictor(hidden=16, data_std=0.1)
    x = torch.randn(5, 2)
    torch.testing.assert_close(net(x, 0.3), net(x, torch.full((5,), 0.3)))
    assert not torch.allclose(net(x, 0.3), net(x, 0.7))
    # The input scaling divides x_s by its std at s: (1 - s)^2 0.1^2 + s^2.
    unscaled = helpers.VelocityPredictor(hidden=16)
    unscaled.load_state_dict(net.state_dict())
    torch.testing.assert_close(net(x, 0.3), unscaled(x / math.sqrt(0.7**2 * 0.01 + 0.09), 0.3))


def test_training_with_the_flow_objective_lowers_the_loss():
    x0 = helpers.s_curve(2_000)
    config = helpers.TrainConfig(steps=300, batch_size=256, lr=3e-3, scaled_input=True, hidden=32)
    torch.manual_seed(0)
    model = helpers.build_flow_model(config, x0)
    result = helpers.train(model, x0, helpers.FlowLoss(), config, progress=False)
    assert result["losses"][-50:].mean() < 0.8 * result["losses"][:50].mean()


def test_heun_on_a_finite_training_set_lands_on_its_points():
    """The finite set's exact velocity is infinite at s = 0 off its points: Heun takes its last step by Euler (Karras et
    al. 2022, Algorithm 1), which lands on the posterior mean. Finite at 4 steps, and at 1 000 steps every sample is a
    copy of a training point, far closer to it than the points are to each other (memorisation, lesson 09), by scipy's
    distances. Asked for s = 0, the oracle says why it cannot answer."""
    from scipy.spatial.distance import cdist

    points = helpers.s_curve(64)
    oracle = helpers.FlowOracle(helpers.training_set_oracle(points, None))
    assert torch.isfinite(helpers.flow_sample(oracle, 8, 4, method="heun", generator=torch.Generator().manual_seed(0))).all()
    samples = helpers.flow_sample(oracle, 50, 1000, method="heun", generator=torch.Generator().manual_seed(1))
    between = cdist(points.numpy(), points.numpy()) + np.diag(np.full(64, np.inf))
    spacing = np.median(between.min(1))
    assert cdist(samples.double().numpy(), points.double().numpy()).min(1).max() < spacing / 4
    with pytest.raises(ValueError, match="s must be > 0"):
        oracle(points[:3], 0.0)
