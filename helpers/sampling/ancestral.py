"""The reverse process p_theta: posterior, reverse step and the sampling loop."""

import torch

from .._checks import check_generator, check_int, check_like, check_points, check_steps, check_weights
from .._random import noise
from ..process.schedules import check_model_schedule, check_schedule
from ..process.targets import read_as
from .grid import evaluating, model_device, start_points

SIGMAS = ("beta", "beta_tilde")


def posterior(x0, xt, t, schedule):
    """Mean and variance of q(x_{t-1} | x_t, x_0) (Ho et al. 2020, eqs. 6-7).

    mean = sqrt(alpha_bar_{t-1}) beta_t / (1 - alpha_bar_t) x_0 + sqrt(alpha_t)(1 - alpha_bar_{t-1}) / (1 - alpha_bar_t) x_t,
    var = beta_tilde_t = (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t) beta_t. Defined in lesson 07 (sampling).
    """
    xt = check_points("xt", xt, d=None)
    x0 = check_like("x0", x0, xt, "xt")
    schedule = check_schedule(schedule).to(xt.device)
    t = check_steps("t", t, schedule.T, n=xt.shape[0], device=xt.device)
    beta, alpha, alpha_bar = schedule.beta[t], schedule.alpha[t], schedule.alpha_bar[t]
    alpha_bar_prev = schedule.alpha_bar_prev[t]
    coef_x0 = alpha_bar_prev.sqrt() * beta / (1 - alpha_bar)
    coef_xt = alpha.sqrt() * (1 - alpha_bar_prev) / (1 - alpha_bar)
    mean = coef_x0.unsqueeze(1) * x0 + coef_xt.unsqueeze(1) * xt
    return mean, schedule.beta_tilde[t]


def reverse_mean(eps_pred, xt, t, schedule):
    """mu_theta = 1/sqrt(alpha_t) (x_t - beta_t / sqrt(1 - alpha_bar_t) eps_theta(x_t, t)).

    Defined in lesson 07 (sampling).
    """
    xt = check_points("xt", xt, d=None)
    eps_pred = check_like("eps_pred", eps_pred, xt, "xt")
    schedule = check_schedule(schedule).to(xt.device)
    t = check_steps("t", t, schedule.T, n=xt.shape[0], device=xt.device).unsqueeze(1)
    return _reverse_mean(eps_pred, xt, t, schedule)


def _reverse_mean(eps_pred, xt, t, schedule):
    """reverse_mean on checked inputs: t a single step (0-d) or one per point (N, 1), schedule on xt's device."""
    coef = schedule.beta[t] / schedule.sqrt_one_minus_alpha_bar[t]
    return (xt - coef * eps_pred) / schedule.alpha[t].sqrt()


def reverse_sigma(t, schedule, sigma="beta"):
    """sigma_t of the reverse step: sqrt(beta_t) or sqrt(beta_tilde_t). Defined in lesson 07 (sampling)."""
    schedule = check_schedule(schedule)
    return _reverse_sigma(check_steps("t", t, schedule.T, device=schedule.beta.device), schedule, _check_sigma(sigma))


def _check_sigma(sigma):
    if sigma not in SIGMAS:
        raise ValueError(f"sigma must be one of {list(SIGMAS)}, got {sigma!r}")
    return sigma


def _reverse_sigma(t, schedule, sigma):
    """reverse_sigma on checked inputs."""
    return (schedule.beta if sigma == "beta" else schedule.beta_tilde)[t].sqrt()


@torch.no_grad()
def sample(model, schedule, n, generator=None, device=None, sigma="beta", keep_chain=False, x_T=None):
    """Draw n points from p_theta: x_T ~ N(0, I), then T reverse steps; no noise at the last one.

    Returns x_0 of shape (n, 2) or, with keep_chain, all states (T + 1, n, 2) from x_T to x_0.
    The noise is drawn on the CPU (generator must be a CPU generator) and moved to the model's device,
    so one seed gives the same samples on every device. Runs under no_grad in eval mode and restores
    the model's mode. Defined in lesson 07 (sampling).
    """
    n = check_int("n", n, 1)
    sigma = _check_sigma(sigma)
    schedule = check_model_schedule(model, schedule)
    read_as(model, None, ("eps",), "helpers.sample (lesson 07's sampler)")
    generator = check_generator(generator)
    check_weights(model)
    if device is None:
        device = model_device(model)
    schedule = schedule.to(device)
    x = start_points(n, x_T, generator, device)
    sigmas = _reverse_sigma(torch.arange(schedule.T, device=device), schedule, sigma)
    chain = [x] if keep_chain else None
    with evaluating(model):
        for t in reversed(range(schedule.T)):
            step = torch.tensor(t, device=device)
            x = _reverse_mean(model(x, step), x, step, schedule)
            if t > 0:
                z = noise((n, 2), generator, device)
                x = x + sigmas[t] * z
            if keep_chain:
                chain.append(x)
    return torch.stack(chain) if keep_chain else x
