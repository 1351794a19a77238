"""Lesson 10's samplers: the identities they rest on, their orders of convergence, diffusers' agreement, bad input."""

import math

import numpy as np
import pytest
import torch
from diffusers import DDIMScheduler, DDPMScheduler

import helpers
from conftest import SCH, seeded

# The lessons whose tests these are (`python3 course.py test --lesson NN`, tests/conftest.py).
LESSONS = ("10",)

T = SCH.T


class Linear(torch.nn.Module):
    """A small network with a smooth, step-dependent output: enough to tell samplers apart."""

    def __init__(self, dtype=torch.float32):
        super().__init__()
        g = seeded(0)
        self.weight = torch.nn.Parameter(0.3 * torch.randn(2, 2, generator=g, dtype=dtype))
        self.bias = torch.nn.Parameter(0.1 * torch.randn(T, 2, generator=g, dtype=dtype))

    def forward(self, x, t):
        return torch.tanh(x @ self.weight) + self.bias[t]


@pytest.fixture(scope="module")
def oracle():
    return helpers.s_curve_oracle(SCH)


def test_timesteps_are_even_and_end_at_both_ends():
    assert helpers.timesteps(5, 100).tolist() == [99, 74, 50, 25, 0]
    assert helpers.timesteps(100, 100).tolist() == list(range(99, -1, -1))
    assert helpers.timesteps(1, 100).tolist() == [99]


def test_ddpm_on_every_step_is_lesson_07s_sampler():
    model = Linear()
    ours = helpers.sample_steps(model, SCH, 500, T, "ddpm", generator=seeded(1))
    torch.testing.assert_close(ours, helpers.sample(model, SCH, 500, generator=seeded(1), sigma="beta"), atol=1e-4, rtol=0)


def test_ddim_eta_one_on_every_step_is_beta_tilde():
    model = Linear()
    ours = helpers.sample_steps(model, SCH, 500, T, "ddim", eta=1.0, generator=seeded(1))
    torch.testing.assert_close(ours, helpers.sample(model, SCH, 500, generator=seeded(1), sigma="beta_tilde"), atol=1e-4, rtol=0)


def test_eta_one_variance_is_beta_tilde_in_float64():
    schedule = helpers.schedule_from_beta(SCH.beta.double())
    x, eps, z = torch.randn(3, 50, 2, dtype=torch.float64)
    for t in range(1, T):
        ab_t, ab_s = schedule.alpha_bar[t].item(), schedule.alpha_bar[t - 1].item()
        mean = helpers.ddim_step(x, eps, ab_t, ab_s, eta=1.0)
        torch.testing.assert_close(mean, helpers.reverse_mean(eps, x, t, schedule), atol=1e-12, rtol=0)
        noise_only = helpers.ddim_step(x, eps, ab_t, ab_s, 1.0, z) - mean
        sigma = helpers.reverse_sigma(t, schedule, "beta_tilde")
        torch.testing.assert_close(noise_only, sigma * z, atol=1e-12, rtol=0)


def test_eta_zero_draws_no_noise_and_eta_positive_does():
    model, x_T = Linear(), torch.randn(200, 2)
    a, b = (helpers.sample_steps(model, SCH, 200, 10, "ddim", generator=seeded(k), x_T=x_T) for k in (1, 2))
    assert torch.equal(a, b)
    a, b = (helpers.sample_steps(model, SCH, 200, 10, "ddim", eta=0.5, generator=seeded(k), x_T=x_T) for k in (1, 2))
    assert (a - b).abs().max() > 1e-3


def test_heun_calls_the_network_twice_per_step_but_the_last():
    calls = []

    class Counting(Linear):
        def forward(self, x, t):
            calls.append(int(t))
            return super().forward(x, t)

    helpers.sample_steps(Counting(), SCH, 10, 7, "heun")
    assert len(calls) == 2 * 7 - 1


def test_ddim_is_euler_in_scaled_variables(oracle):
    xt = helpers.q_sample(helpers.s_curve(300, seed=4), 70, SCH).double()
    ab_t, ab_s = SCH.alpha_bar[70].double().item(), SCH.alpha_bar[30].double().item()

    def sigma(ab):
        return math.sqrt((1 - ab) / ab)

    euler = math.sqrt(ab_s) * (xt / math.sqrt(ab_t) + (sigma(ab_s) - sigma(ab_t)) * oracle(xt, 70))
    torch.testing.assert_close(helpers.ddim_step(xt, oracle(xt, 70), ab_t, ab_s), euler, atol=1e-13, rtol=0)


def test_oracle_at_a_step_equals_oracle_at_its_alpha_bar(oracle):
    x = helpers.s_curve(100, seed=2).double()
    for t in (0, 50, 99):
        torch.testing.assert_close(oracle(x, t), oracle(x, None, alpha_bar=SCH.alpha_bar[t].double().item()), atol=1e-14, rtol=0)
    torch.testing.assert_close(oracle.score(x, None), oracle.score(x, None, alpha_bar=1.0), atol=1e-10, rtol=1e-12)


@pytest.fixture(scope="module")
def ode_problem(oracle):
    """200 exact draws of q(x_T) and the probability-flow ODE's solution at step 1, to tight tolerance."""
    alpha_bar = SCH.alpha_bar.double()
    starts = helpers.q_sample(helpers.s_curve(200, seed=41), T - 1, SCH, generator=seeded(41)).double()
    return starts, helpers.ode_reference(oracle, starts, alpha_bar[-1].item(), alpha_bar[0].item())


def test_ode_reference_agrees_with_a_fine_runge_kutta_run(oracle, ode_problem):
    """An independent route: the classical fourth-order Runge-Kutta method on 400 steps, equal in log sigma."""
    starts, x_ref = ode_problem
    alpha_bar = SCH.alpha_bar.double()
    sigma_from, sigma_to = SCH.noise_to_signal[-1].item(), SCH.noise_to_signal[0].item()

    def slope(sigma, y):
        ab = 1 / (1 + sigma**2)
        return oracle(y * ab**0.5, None, alpha_bar=ab)

    levels = torch.logspace(math.log10(sigma_from), math.log10(sigma_to), 401, dtype=torch.float64).tolist()
    y = starts / alpha_bar[-1].sqrt()
    for s, s_next in zip(levels[:-1], levels[1:]):
        h = s_next - s
        k1 = slope(s, y)
        k2 = slope(s + h / 2, y + h / 2 * k1)
        k3 = slope(s + h / 2, y + h / 2 * k2)
        k4 = slope(s + h, y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    torch.testing.assert_close(y * alpha_bar[0].sqrt(), x_ref, rtol=0, atol=1e-8)


@pytest.mark.parametrize("method, order", [("ddim", 1), ("heun", 2)])
def test_order_of_convergence(oracle, ode_problem, method, order):
    starts, x_ref = ode_problem
    intervals = np.array([9, 11, 33, 99])
    errors = []
    for n in intervals:
        steps = helpers.timesteps(n + 1, T)
        x = helpers.solve(lambda x, k: oracle(x, steps[k]), starts, SCH.alpha_bar.double()[steps], method)
        errors.append((x - x_ref).norm(dim=1).pow(2).mean().sqrt().item())
    slope = -np.polyfit(np.log(intervals), np.log(errors), 1)[0]
    assert abs(slope - order) < 0.2


def test_inversion_round_trip_shrinks_with_steps(oracle):
    points = helpers.s_curve(300, seed=8)
    errors = []
    for n_steps in (5, 20, 100):
        latent = helpers.invert(oracle, SCH, points, n_steps)
        back = helpers.sample_steps(oracle, SCH, len(points), n_steps, "ddim", x_T=latent)
        errors.append((back - points).norm(dim=1).pow(2).mean().sqrt().item())
    assert errors[0] > 2 * errors[1] > 4 * errors[2]


def test_gaussian_prior_has_the_moments_of_x_T():
    x0 = helpers.s_curve(20_000, seed=3)
    draws = helpers.gaussian_prior(x0, SCH, 200_000, generator=seeded(0))
    x_T = helpers.q_sample(helpers.s_curve(200_000, seed=4), T - 1, SCH, generator=seeded(5))
    torch.testing.assert_close(draws.mean(0), x_T.mean(0), atol=5e-3, rtol=0)
    torch.testing.assert_close(torch.cov(draws.T), torch.cov(x_T.T), atol=5e-3, rtol=0)


def _schedulers(dtype, n_steps):
    common = dict(num_train_timesteps=T, trained_betas=SCH.beta.numpy(), clip_sample=False)
    ddpm = DDPMScheduler(variance_type="fixed_large", **common)
    ddpm.set_timesteps(timesteps=helpers.timesteps(n_steps, T).tolist())
    ddim = DDIMScheduler(set_alpha_to_one=True, **common)
    ddim.set_timesteps(n_steps)
    for scheduler in (ddpm, ddim):
        scheduler.alphas_cumprod = scheduler.alphas_cumprod.to(dtype)
    return ddpm, ddim


def _diffusers_loop(scheduler, net, x_T, generator, **kwargs):
    x = x_T.clone()
    with torch.no_grad():
        for t in scheduler.timesteps:
            x = scheduler.step(net(x, t), t, x, generator=generator, **kwargs).prev_sample
    return x


@pytest.mark.parametrize("dtype, tolerance", [(torch.float64, 1e-12), (torch.float32, 1e-4)])
@pytest.mark.parametrize("kind, eta", [("ddpm", 0.0), ("ddim", 0.0), ("ddim", 1.0)])
def test_diffusers_gives_the_same_samples(dtype, tolerance, kind, eta):
    model = Linear(dtype)
    ddpm, ddim = _schedulers(dtype, 10)
    scheduler = ddpm if kind == "ddpm" else ddim
    x_T = torch.randn(300, 2, generator=seeded(3), dtype=dtype)
    kwargs = {} if kind == "ddpm" else {"eta": eta}
    theirs = _diffusers_loop(scheduler, model, x_T, seeded(9), **kwargs)
    ours = helpers.sample_steps(model, SCH, 300, scheduler.timesteps, kind, eta=eta, generator=seeded(9), x_T=x_T)
    assert (theirs - ours).abs().max() < tolerance


def test_diffusers_ddim_with_linspace_spacing_steps_elsewhere():
    """DDIMScheduler.step assumes steps T/N apart: with 'linspace' spacing it is not the sampler on those steps."""
    model = Linear(torch.float64)
    scheduler = DDIMScheduler(num_train_timesteps=T, trained_betas=SCH.beta.numpy(), clip_sample=False,
                              set_alpha_to_one=True, timestep_spacing="linspace")
    scheduler.set_timesteps(10)
    scheduler.alphas_cumprod = scheduler.alphas_cumprod.double()
    x_T = torch.randn(300, 2, generator=seeded(3), dtype=torch.float64)
    ours = helpers.sample_steps(model, SCH, 300, scheduler.timesteps, "ddim", x_T=x_T)
    assert (_diffusers_loop(scheduler, model, x_T, None) - ours).abs().max() > 1e-4


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"steps": [50, 50, 0]}, "strictly decreasing"),
        ({"steps": [0, 10]}, "strictly decreasing"),
        ({"steps": [100, 0]}, r"\[0, T\)"),
        ({"steps": [10, -1]}, r"\[0, T\)"),
        ({"steps": 0}, "n_steps"),
        ({"steps": 101}, "n_steps"),
        ({"steps": 10, "eta": -0.1}, "eta"),
        ({"steps": 10, "method": "euler"}, "method"),
    ],
)
def test_bad_input_gets_a_clear_error(kwargs, match):
    kwargs = {"method": "ddim", **kwargs}
    with pytest.raises(ValueError, match=match):
        helpers.sample_steps(Linear(), SCH, 5, **kwargs)


def test_stochastic_samplers_refuse_to_run_backwards():
    x = torch.randn(5, 2, dtype=torch.float64)
    alpha_bar = SCH.alpha_bar.double()[[0, 50, 99]]
    with pytest.raises(ValueError, match="increasing"):
        helpers.solve(lambda x, k: x, x, alpha_bar, "ddpm")
    helpers.solve(lambda x, k: x, x, alpha_bar, "ddim")  # eta = 0 inverts
