"""Lesson 15's solvers, grids, corrector and fast evaluation, each checked by a route that does not share its code:
closed forms for Gaussian data, scipy's ODE solver, the formulas of Lu et al. written out, and diffusers' schedulers."""

import math

import pytest
import torch

import helpers
from helpers.sampling.solvers import _segments

LESSONS = ("15",)
SCHEDULE = helpers.sigmoid_schedule(100)


def gaussian_eps(mean, std):
    """The exact eps* for data N(mean, std^2 I): sqrt(1 - ab) (x - sqrt(ab) mean) / (ab std^2 + 1 - ab)."""
    def eps(x, alpha_bar):
        return (1 - alpha_bar) ** 0.5 * (x - alpha_bar**0.5 * mean) / (alpha_bar * std**2 + 1 - alpha_bar)
    return eps


def gaussian_flow(x, mean, std, ab_from, ab_to):
    """The probability-flow ODE's exact map for Gaussian data: the standardised point keeps its value."""
    scale = lambda ab: (ab * std**2 + 1 - ab) ** 0.5  # noqa: E731
    return ab_to**0.5 * mean + (x - ab_from**0.5 * mean) * scale(ab_to) / scale(ab_from)


def lambda_grid(n, low=0.3, high=0.999):
    return torch.sigmoid(torch.linspace(math.log(low / (1 - low)), math.log(high / (1 - high)), n, dtype=torch.float64))


def solve(method, eps_of, x, alpha_bar):
    ab = alpha_bar.tolist()
    return helpers.solve(lambda x, k: eps_of(x, ab[k]), x, alpha_bar, method)


def gaussian_order(method):
    """log_4 of the error ratio between 12 and 48 intervals (even in lambda), against the exact Gaussian flow map."""
    mean, std = torch.tensor([0.3, -0.2], dtype=torch.float64), 0.15
    x = torch.randn(50, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    eps_of = gaussian_eps(mean, std)
    errors = []
    for n in (12, 48):
        grid = lambda_grid(n + 1)
        exact = gaussian_flow(x, mean, std, grid[0].item(), grid[-1].item())
        errors.append((solve(method, eps_of, x, grid) - exact).norm(dim=1).max().item())
    return math.log(errors[0] / errors[1], 4)


@pytest.mark.parametrize("method, order", [("ddim", 1), ("dpm2", 2), ("dpm3", 3), ("dpm++2m", 2)])
def test_orders_against_the_gaussian_closed_form(method, order):
    assert gaussian_order(method) == pytest.approx(order, abs=0.3)


def test_dpm_solver_1_is_ddim():
    """Lu et al. 2022 eq. 4.1 written with alpha, sigma and e^h equals the course's DDIM step to rounding."""
    x, eps = torch.randn(2, 100, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    for ab_t, ab_s in ((0.3, 0.5), (0.78, 0.9999)):
        a_t, s_t, a_s, s_s = ab_t**0.5, (1 - ab_t) ** 0.5, ab_s**0.5, (1 - ab_s) ** 0.5
        h = math.log(a_s / s_s) - math.log(a_t / s_t)
        dpm1 = a_s / a_t * x - s_s * math.expm1(h) * eps
        assert torch.allclose(dpm1, helpers.ddim_step(x, eps, ab_t, ab_s), rtol=0, atol=1e-13)


def test_dpm_solver_2_matches_the_papers_algorithm():
    """One DPM-Solver-2 step as Lu et al. 2022's Algorithm 4 writes it (general r), against helpers.dpm_solve."""
    mean, std = torch.tensor([0.1, 0.4], dtype=torch.float64), 0.3
    eps_of = gaussian_eps(mean, std)
    x = torch.randn(30, 2, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    grid = torch.tensor([0.4, 0.47, 0.8], dtype=torch.float64)
    lam = [helpers.half_log_snr(ab) for ab in grid.tolist()]
    a = grid.sqrt().tolist()
    s = (1 - grid).sqrt().tolist()
    h, r = lam[2] - lam[0], (lam[1] - lam[0]) / (lam[2] - lam[0])
    e0 = eps_of(x, grid[0].item())
    u = a[1] / a[0] * x - s[1] * math.expm1(r * h) * e0
    expected = a[2] / a[0] * x - s[2] * math.expm1(h) * e0 - s[2] / (2 * r) * math.expm1(h) * (eps_of(u, grid[1].item()) - e0)
    assert torch.allclose(solve("dpm2", eps_of, x, grid), expected, rtol=0, atol=1e-13)


def test_solvers_against_the_s_curve_reference():
    """With the S-curve's exact eps, DPM-Solver-3 on 48 intervals lands within 1e-4 of scipy's DOP853 solution for the
    median point, and DPM-Solver++(2M) within 1e-3; DDIM on the same grid does not come within 1e-3."""
    oracle = helpers.s_curve_oracle(SCHEDULE)
    x = helpers.gaussian_prior(helpers.s_curve(2000), SCHEDULE, 40, torch.Generator().manual_seed(3)).double()
    grid = helpers.grid_alpha_bar(SCHEDULE, 49, "lambda")
    reference = helpers.ode_reference(oracle, x, grid[0].item(), grid[-1].item(), rtol=1e-10, atol=1e-12)
    ab = grid.tolist()

    def median_error(method):
        out = helpers.solve(lambda x, k: oracle(x, None, alpha_bar=ab[k]), x, grid, method)
        return (out - reference).norm(dim=1).median().item()

    assert median_error("dpm3") < 1e-4
    assert median_error("dpm++2m") < 1e-3 < median_error("ddim")


def test_targets_give_the_same_solution():
    """dpm_solve driven by the oracle's denoiser as an x0-network equals the same solver driven by eps*."""
    oracle = helpers.s_curve_oracle(SCHEDULE)
    steps = helpers.grid_steps(SCHEDULE, 8, "lambda")
    x = torch.randn(200, 2, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    for method in ("dpm2", "dpm++2m"):
        by_eps = helpers.sample_steps(oracle, SCHEDULE, 200, steps, method, x_T=x)
        ab = torch.cat([SCHEDULE.alpha_bar.double()[steps], torch.ones(1, dtype=torch.float64)])
        by_x0 = helpers.dpm_solve(lambda x, k: oracle.denoise(x, int(steps[k])), x, ab, method, target="x0")
        assert torch.allclose(by_eps, by_x0, rtol=0, atol=1e-10)


def test_segments_cover_the_grid_once():
    for n_points in range(3, 12):
        for order in (2, 3):
            segments = _segments(n_points, order, last_is_data=True)
            visited = [k for start, stages, end in segments for k in (start, *stages)] + [segments[-1][2]]
            assert visited == list(range(n_points))
            assert all(len(stages) < order for _, stages, _ in segments)


def test_nfe_is_one_per_grid_point():
    """Every solver evaluates the network once per grid step; PC twice but at the first and the last."""
    for method, expected in (("ddim", 10), ("dpm2", 10), ("dpm3", 10), ("dpm++2m", 10), ("pc", 19)):
        calls = []

        def eps(x, k):
            calls.append(k)
            return 0.5 * x

        steps = helpers.grid_steps(SCHEDULE, 10, "t")
        ab = torch.cat([SCHEDULE.alpha_bar.double()[steps], torch.ones(1, dtype=torch.float64)])
        helpers.solve(eps, torch.ones(5, 2), ab, method, generator=torch.Generator().manual_seed(0))
        assert len(calls) == expected, method


def test_pc_without_a_step_is_ddim():
    """kappa = 0 makes every Langevin step zero: PC's samples are DDIM's."""
    oracle = helpers.s_curve_oracle(SCHEDULE)
    steps = helpers.grid_steps(SCHEDULE, 6, "lambda")
    ab = torch.cat([SCHEDULE.alpha_bar.double()[steps], torch.ones(1, dtype=torch.float64)])
    x = torch.randn(100, 2, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    eps = lambda x, k: oracle(x, steps[k])  # noqa: E731
    pc = helpers.dpm_solve(eps, x, ab, "pc", generator=torch.Generator().manual_seed(0), kappa=1e-300)
    assert torch.allclose(pc, helpers.solve(eps, x, ab, "ddim"), rtol=0, atol=1e-12)


def test_langevin_reaches_a_gaussian_and_its_bias_grows_with_the_step():
    """From a start 1.5 times too wide, Langevin steps with the exact score reach N(0, v I), v = ab std^2 + 1 - ab,
    within Monte Carlo error at kappa = 0.05. For a Gaussian, Langevin with step delta keeps variance w = v / (1 - delta /
    (2 v)), and Song et al.'s step is delta = 2 kappa^2 v^2 / w at that spread, so w = v (1 + kappa^2): at kappa = 0.5, 1.25 v."""
    std, ab = 0.2, 0.6
    v = ab * std**2 + 1 - ab
    eps_of = gaussian_eps(torch.zeros(2, dtype=torch.float64), std)
    start = 1.5 * v**0.5 * torch.randn(10_000, 2, generator=torch.Generator().manual_seed(6), dtype=torch.float64)
    ratios = {kappa: helpers.langevin(lambda x: eps_of(x, ab), start, ab, 1500, kappa, torch.Generator().manual_seed(7))
              .var(0).mean().item() / v for kappa in (0.05, 0.5)}
    assert ratios[0.05] == pytest.approx(1, abs=0.03)  # Monte Carlo s.d. of the ratio: sqrt(2 / 20 000) = 0.01
    assert ratios[0.5] == pytest.approx(1.25, abs=0.03)


def own_time_unevenness(grid):
    """The largest relative spread of a grid's steps in its own time (lambda; nu^(1/7) with nu = sqrt((1 - ab) / ab)),
    and its endpoints' distance from the schedule's last and first alpha_bar."""
    ab = SCHEDULE.alpha_bar.double()
    own_time = {"lambda": torch.logit, "karras": lambda a: ((1 - a) / a) ** (0.5 / 7)}[grid]
    values = helpers.grid_alpha_bar(SCHEDULE, 9, grid)
    gaps = own_time(values).diff()
    return max(((gaps - gaps.mean()) / gaps.mean()).abs().max().item(),
               abs(values[0].item() - ab[-1].item()), abs(values[-1].item() - ab[0].item()))


def test_grids_are_even_in_their_own_time():
    for grid in ("lambda", "karras"):
        assert own_time_unevenness(grid) < 1e-9
    for grid in ("t", "shift"):
        values = helpers.grid_alpha_bar(SCHEDULE, 9, grid)
        assert values[0].item() == pytest.approx(SCHEDULE.alpha_bar[-1].item(), rel=1e-12)
        assert values[-1].item() == pytest.approx(SCHEDULE.alpha_bar[0].item(), rel=1e-12)
    shifted = helpers.flow_time(helpers.grid_alpha_bar(SCHEDULE, 9, "shift"))
    s_first, s_last = shifted[-1], shifted[0]
    u = (shifted - s_first) / (s_last - s_first)
    unshifted = u / (helpers.sampling.solvers.SHIFT + (1 - helpers.sampling.solvers.SHIFT) * u)  # the inverse of s = c u / (1 + (c - 1) u)
    assert torch.allclose(unshifted, torch.linspace(1, 0, 9, dtype=torch.float64), atol=1e-12)


@pytest.mark.parametrize("grid", helpers.GRIDS)
def test_grid_steps_are_distinct_and_span_the_schedule(grid):
    for n in (2, 3, 10, 50, 100):
        steps = helpers.grid_steps(SCHEDULE, n, grid)
        assert len(steps) == n and steps[0] == 99 and steps[-1] == 0 and (steps.diff() < 0).all()


def test_lambda_grid_is_diffusers_lu_lambdas():
    """diffusers' use_lu_lambdas (even in Lu et al.'s lambda, rounded to whole steps) picks the same steps."""
    from diffusers import DPMSolverMultistepScheduler
    scheduler = DPMSolverMultistepScheduler(num_train_timesteps=100, trained_betas=SCHEDULE.beta.numpy(),
                                            algorithm_type="dpmsolver++", use_lu_lambdas=True, final_sigmas_type="zero")
    for n in (5, 8, 10, 15):
        scheduler.set_timesteps(n)
        assert scheduler.timesteps.tolist() == helpers.grid_steps(SCHEDULE, n, "lambda").tolist()


def test_dpm_plus_plus_2m_is_diffusers():
    """diffusers' DPMSolverMultistepScheduler (DPM-Solver++, order 2, first order into x_0) with float64 sigmas, driven
    by the committed network in float64, matches helpers' 'dpm++2m' to 1e-6: its step casts the sample to float32."""
    from diffusers import DPMSolverMultistepScheduler
    model = helpers.load_model(helpers.COMMITTED_CHECKPOINT).double()
    steps = helpers.grid_steps(SCHEDULE, 10, "shift")
    scheduler = DPMSolverMultistepScheduler(num_train_timesteps=100, trained_betas=SCHEDULE.beta.numpy(),
                                            algorithm_type="dpmsolver++", solver_order=2, lower_order_final=True,
                                            final_sigmas_type="zero")
    scheduler.set_timesteps(timesteps=steps.tolist())
    ab = SCHEDULE.alpha_bar.double()[steps]
    scheduler.sigmas = torch.cat([((1 - ab) / ab).sqrt(), torch.zeros(1, dtype=torch.float64)])
    x_T = torch.randn(500, 2, generator=torch.Generator().manual_seed(8), dtype=torch.float64) * 0.5
    x = x_T.clone()
    with torch.no_grad():
        for t in scheduler.timesteps:
            x = scheduler.step(model(x, t), t, x).prev_sample
    ours = helpers.sample_steps(model, SCHEDULE, 500, steps, "dpm++2m", x_T=x_T)
    assert (x - ours).abs().max().item() < 1e-6
    assert (x - helpers.sample_steps(model, SCHEDULE, 500, steps, "ddim", x_T=x_T)).abs().max().item() > 1e-3


def test_fast_eps_is_the_network():
    model = helpers.load_model(helpers.COMMITTED_CHECKPOINT)
    fast = helpers.FastEps(model)
    x = torch.randn(1000, 2, generator=torch.Generator().manual_seed(9))
    with torch.no_grad():
        for t in (0, 37, 99):
            assert torch.allclose(fast(x, t), model(x, torch.tensor(t)), rtol=1e-5, atol=1e-5)
    with pytest.raises(TypeError, match="NoisePredictor"):
        helpers.FastEps(helpers.s_curve_oracle(SCHEDULE))
    with pytest.raises(ValueError, match="t must be"):
        fast(x, 100)
