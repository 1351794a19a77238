"""The forward (noising) process q."""

import torch

from ._checks import check_points, check_steps
from .schedules import Schedule


def _noise_like(x, eps, generator):
    # Drawn on the CPU and moved, so that one seed gives the same noise on every device.
    if eps is None:
        return torch.randn(x.shape, generator=generator, dtype=x.dtype).to(x.device)
    if not isinstance(eps, torch.Tensor) or eps.shape != x.shape:
        got = tuple(eps.shape) if isinstance(eps, torch.Tensor) else type(eps).__name__
        raise ValueError(f"eps must be a tensor shaped like x {tuple(x.shape)}, got {got}")
    return eps


def _check_schedule(schedule):
    if not isinstance(schedule, Schedule):
        raise TypeError(f"schedule must be a helpers.Schedule, got {type(schedule).__name__}")
    return schedule


def q_step(x_prev, t, schedule, eps=None, generator=None):
    """One forward step: x_t = sqrt(1 - beta_t) x_{t-1} + sqrt(beta_t) eps, eps ~ N(0, I).

    t is 0-based (an int, or one step per point); generator, if given, is a CPU generator.
    Defined in lesson 03 (forward process).
    """
    x_prev = check_points("x_prev", x_prev)
    schedule = _check_schedule(schedule).to(x_prev.device)
    t = check_steps("t", t, schedule.T, n=x_prev.shape[0], device=x_prev.device)
    eps = _noise_like(x_prev, eps, generator)
    beta = schedule.beta[t].unsqueeze(1)
    return (1 - beta).sqrt() * x_prev + beta.sqrt() * eps


def q_sample(x0, t, schedule, eps=None, generator=None):
    """The closed form: x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps, eps ~ N(0, I).

    t is 0-based (an int, or one step per point); generator, if given, is a CPU generator.
    Defined in lesson 04 (closed form).
    """
    x0 = check_points("x0", x0)
    schedule = _check_schedule(schedule).to(x0.device)
    t = check_steps("t", t, schedule.T, n=x0.shape[0], device=x0.device)
    eps = _noise_like(x0, eps, generator)
    return schedule.sqrt_alpha_bar[t].unsqueeze(1) * x0 + schedule.sqrt_one_minus_alpha_bar[t].unsqueeze(1) * eps
