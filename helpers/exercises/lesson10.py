"""Lesson 10 (fewer steps): its exercises' checks and hints."""

import torch

from ..data import s_curve
from ..forward import q_sample
from ..oracle import s_curve_oracle
from ..samplers import ode_reference, solve, timesteps
from ..schedules import sigmoid_schedule
from .base import Exercise, expect, prediction


def _test_karras_steps(fn):
    for T, n, rho in ((100, 10, 7.0), (100, 5, 3.0), (1000, 25, 7.0)):
        schedule = sigmoid_schedule(T)
        steps = fn(schedule, n, rho)
        expect(isinstance(steps, torch.Tensor) and steps.dtype == torch.long, "return a long tensor of steps")
        sigma = schedule.noise_to_signal
        i = torch.arange(n, dtype=torch.float64) / (n - 1)
        target = (sigma[-1] ** (1 / rho) + i * (sigma[0] ** (1 / rho) - sigma[-1] ** (1 / rho))) ** rho
        want = torch.unique_consecutive((sigma[None, :] - target[:, None]).abs().argmin(1))
        expect(steps.ndim == 1 and steps[0] == T - 1 and steps[-1] == 0, "start at the last step T - 1 and end at step 0")
        expect(bool((steps[1:] < steps[:-1]).all()), "make the steps strictly decreasing: drop repeated neighbours")
        expect(torch.equal(steps, want), f"for T = {T}, n = {n}, rho = {rho}: pick the step whose sigma is nearest to each sigma_i")


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


EXERCISES = {
    "10.1": Exercise("karras_steps", _test_karras_steps, "sigma = sqrt((1 - alpha_bar) / alpha_bar) per step (a Schedule has it as noise_to_signal); for each target sigma_i take argmin |sigma - sigma_i| over the steps, then torch.unique_consecutive"),
    "10.2": Exercise("predicted_ratio", prediction(_heun_ratio_33_99, "Heun's error ratio, 33 vs 99 intervals", rel_tol=0.2), "an order-p method's error scales like N^-p; the step count grows by a factor 3"),
}
