"""Lesson 10 (fewer steps): its exercises' checks and hints."""

import torch

from ..data.s_curve import s_curve
from ..exact.oracle import s_curve_oracle
from ..process.forward import q_sample
from ..process.schedules import sigmoid_schedule
from ..sampling.solve import ode_reference, solve, timesteps
from .base import Exercise, close, expect, prediction


def _test_karras_steps(fn):
    for T, n, rho in ((100, 10, 7.0), (100, 5, 3.0), (1000, 25, 7.0)):
        schedule = sigmoid_schedule(T)
        steps = fn(schedule, n, rho)
        expect(isinstance(steps, torch.Tensor) and steps.dtype == torch.long, "return a long tensor of steps")
        nu = schedule.noise_to_signal
        i = torch.arange(n, dtype=torch.float64) / (n - 1)
        target = (nu[-1] ** (1 / rho) + i * (nu[0] ** (1 / rho) - nu[-1] ** (1 / rho))) ** rho
        want = torch.unique_consecutive((nu[None, :] - target[:, None]).abs().argmin(1))
        expect(steps.ndim == 1 and steps[0] == T - 1 and steps[-1] == 0, "start at the last step T - 1 and end at step 0")
        expect(bool((steps[1:] < steps[:-1]).all()), "make the steps strictly decreasing: drop repeated neighbours")
        expect(torch.equal(steps, want), f"for T = {T}, n = {n}, rho = {rho}: pick the step whose nu is nearest to each nu_i")


def _heun_ratio_33_99():
    schedule = sigmoid_schedule(100)
    oracle = s_curve_oracle(schedule)
    alpha_bar = schedule.alpha_bar.double()
    starts = q_sample(s_curve(200, seed=41), 99, schedule, generator=torch.Generator().manual_seed(41)).double()
    x_ref = ode_reference(oracle, starts, alpha_bar[-1].item(), alpha_bar[0].item())

    def error(n_intervals):
        steps = timesteps(n_intervals + 1, 100)
        x = solve(lambda x, k: oracle(x, steps[k]), starts, alpha_bar[steps], "heun")
        return (x - x_ref).norm(dim=1).pow(2).mean().sqrt().item()

    return error(33) / error(99)


def _test_pf_ode_gaussian(fn):
    y = torch.linspace(-3, 3, 13, dtype=torch.float64)
    for nu_from, nu_to, sigma_data in ((2.0, 0.0, 0.1), (0.5, 3.0, 1.0), (10.0, 0.01, 0.3)):
        out = fn(y.clone(), nu_from, nu_to, sigma_data)
        expect(isinstance(out, torch.Tensor) and out.shape == y.shape, f"return a tensor shaped like y {tuple(y.shape)}")
        # For these data the ODE's slope is proportional to y, so each point moves by the same factor.
        want = y * ((sigma_data**2 + nu_to**2) / (sigma_data**2 + nu_from**2)) ** 0.5
        expect(close(out, want, 1e-6),
               f"from nu = {nu_from} to nu = {nu_to} with sigma_data = {sigma_data}: the density of y at nu is Gaussian; "
               "what is its variance, and what ODE does its score give?")


EXERCISES = {
    "10.1": Exercise("karras_steps", _test_karras_steps, "nu = sqrt((1 - alpha_bar) / alpha_bar) per step (a Schedule has it as noise_to_signal); for each target nu_i take argmin |nu - nu_i| over the steps, then torch.unique_consecutive"),
    "10.2": Exercise("predicted_ratio", prediction(_heun_ratio_33_99, "Heun's error ratio, 33 vs 99 intervals", rel_tol=0.2), "an order-p method's error scales like N^-p; the step count grows by a factor 3"),
    "10.3": Exercise("pf_ode_gaussian", _test_pf_ode_gaussian, "y = x_0 + nu eps, so p(y; nu) is a Gaussian whose variance you can write down; its score is linear in y, and the ODE dy/dnu = -nu d/dy log p separates: integrate dy/y against a function of nu"),
}
