"""Posterior sampling with a diffusion prior (lesson 18): x_0 given a measurement o = A x_0 + sigma_o z, from a network
that only ever learned p(x_0).

Each sampler walks the schedule's every step from x_T, by DDPM's step with sigma^2 = beta~ (DDIM's update with eta = 1,
sampling/ddim.py), and differs only in how obs enters. With x0_hat(x_t) = (x_t - b eps_theta(x_t, t)) / a (lesson 06's
Tweedie estimate; a = sqrt(alpha_bar_t), b = sqrt(1 - alpha_bar_t)):
- "dps" (Chung et al. 2023, Algorithm 1): after the step, x_{t-1} -= gamma_t grad_{x_t} |o - A x0_hat|^2, with
  gamma_t = gamma / |o - A x0_hat| (their step size zeta_t, by their rule);
- "pigdm" (Song et al. 2023, PiGDM): p(obs | x_t) taken as N(obs; A x0_hat, r_t^2 A A^T + sigma_o^2 I), its gradient added to the
  score (eps - b grad); r_t^2 = v b^2 / (a^2 v + b^2), the variance of x_0 given x_t were the data Gaussian of variance v
  per coordinate (their choice, with v = 1);
- "replace" (Lugmayr et al. 2022, RePaint's Algorithm 1 without its resampling): A must pick coordinates; after each step
  they are overwritten by a fresh draw of q(x_{t-1} | x_0 = obs);
- "smc" (Wu et al. 2023, twisted diffusion sampler): the n points are particles, moved by the "pigdm"-guided step and
  weighted so that, as n grows, they are exact draws of the model's posterior p_theta(x_0 | obs); its twist at step t is
  pigdm's p(obs | x_t), at x_0 the true likelihood; resampled whenever the effective sample size falls below n / 2.
"""

import math

import torch

from .._checks import check_float, check_generator, check_points
from .._random import noise
from ..exact.posterior import check_operator
from ..process.schedules import check_model_schedule
from .ddim import _ddim_step
from .grid import evaluating, model_device, run_grid

METHODS = ("dps", "pigdm", "replace", "smc")


def _levels(schedule):
    """alpha_bar at t = T-1, ..., 0 and then 1 (x_0): the grid every sampler here walks."""
    return [*schedule.alpha_bar.double().flip(0).tolist(), 1.0]


def _guide(model, A, obs, sigma_o, variance):
    """The function (x, k, alpha_bar) -> (eps, x0_hat, log p~(o | x), its gradient in x) of the "pigdm" twist, r_t^2 from
    variance v; with variance None, the DPS residual |o - A x0_hat|^2 and its gradient instead of the log density."""
    eye = torch.eye(A.shape[0], dtype=torch.float64)

    def guide(x, t, alpha_bar):
        a, b = alpha_bar**0.5, (1 - alpha_bar) ** 0.5
        with torch.enable_grad():
            x = x.detach().requires_grad_(True)
            eps = model(x, torch.full((x.shape[0],), t, dtype=torch.long, device=x.device))
            x0_hat = (x - b * eps) / a
            residual = obs - x0_hat.double() @ A.T
            if variance is None:
                value = (residual**2).sum(1)
            else:
                r2 = variance * b**2 / (a**2 * variance + b**2)
                cov = r2 * A @ A.T + sigma_o**2 * eye
                value = -0.5 * (residual * torch.linalg.solve(cov, residual.T).T).sum(1)
            (grad,) = torch.autograd.grad(value.sum(), x)
        return eps.detach(), x0_hat.detach(), value.detach(), grad.detach()

    return guide


def _step_std(ab_t, ab_s):
    """DDPM's noise std with sigma^2 = beta~ from alpha_bar_t to alpha_bar_s (0 where alpha_bar_s = 1)."""
    return ((1 - ab_s) / (1 - ab_t) * (1 - ab_t / ab_s)) ** 0.5


def posterior_sample(model, schedule, A, obs, sigma_o, x_T, method="dps", generator=None, gamma=1.0, variance=None):
    """Draws of x_0 given o = A x_0 + sigma_o z from model (an eps network for schedule, or lesson 09's oracle), one draw
    per start point in x_T (at step T - 1), by one of METHODS (the module's docstring says what each does).

    obs: one measurement o (m values). gamma: "dps"'s step size (Chung et al.'s zeta). variance: the data's variance per
    coordinate v for "pigdm" and "smc" (None: that of N(0, I) draws, 1). "smc" needs x_T drawn from the prior p(x_T)
    (e.g. data noised to step T - 1); the others start wherever they are given. Noise drawn on the CPU. Returns (n, d)
    points.
    Defined in lesson 18 (inverse problems).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    schedule = check_model_schedule(model, schedule)
    d = getattr(model, "d", 2)
    A = check_operator(A, d)
    obs = torch.as_tensor(obs, dtype=torch.float64).reshape(-1)
    if obs.shape != (A.shape[0],) or not torch.isfinite(obs).all():
        raise ValueError(f"obs must hold one finite value per row of A ({A.shape[0]}), got {tuple(obs.shape)}")
    sigma_o = check_float("sigma_o", sigma_o, 0.0, math.inf, low_open=method != "replace")
    gamma = check_float("gamma", gamma, 0.0, math.inf)
    variance = 1.0 if variance is None else check_float("variance", variance, 0.0, math.inf)
    generator = check_generator(generator)
    device = model_device(model)
    x = check_points("x_T", x_T, d).to(device)
    A, obs = A.to(device), obs.to(device)
    levels = _levels(schedule)
    steps = list(range(schedule.T - 1, -1, -1))
    with evaluating(model):
        drawn = _draw(model, method, A, obs, sigma_o, gamma, variance, x, levels, steps, generator)
    if not torch.isfinite(drawn).all():
        raise ValueError(f"the draws overflowed: x_T reaches {x.abs().max().item():.3g}; start from draws of the prior or the "
                         "posterior at step T - 1 (the S-curve lies within 0.3 of the origin, the digits within [-1, 1])")
    return drawn


def _draw(model, method, A, obs, sigma_o, gamma, variance, x, levels, steps, generator):
    """posterior_sample on checked inputs, the model in eval mode."""
    if method == "smc":
        return _smc(model, A, obs, sigma_o, variance, x, levels, steps, generator)
    guide = _guide(model, A, obs, sigma_o, None if method == "dps" else variance)
    if method == "replace":
        observed = _picked(A)

    def step(x, k):
        ab_t, ab_s = levels[k], levels[k + 1]
        z = noise(x.shape, generator, x.device, x.dtype) if ab_s < 1 else None
        if method == "replace":
            with torch.no_grad():
                eps = model(x, torch.full((x.shape[0],), steps[k], dtype=torch.long, device=x.device))
            moved = _ddim_step(x, eps, ab_t, ab_s, 1.0, z)
            fresh = noise((x.shape[0], len(observed)), generator, x.device, torch.float64)
            moved[:, observed] = (ab_s**0.5 * obs + (1 - ab_s) ** 0.5 * fresh).to(x.dtype)
            return moved
        eps, _, value, grad = guide(x, steps[k], ab_t)
        if method == "pigdm":
            return _ddim_step(x, eps - (1 - ab_t) ** 0.5 * grad.to(x.dtype), ab_t, ab_s, 1.0, z)
        size = gamma / value.clamp(min=1e-300).sqrt()
        return _ddim_step(x, eps, ab_t, ab_s, 1.0, z) - (size.unsqueeze(1) * grad).to(x.dtype)

    return run_grid(step, x, len(steps)).detach()


def _picked(A):
    """The coordinates a selection matrix picks (one 1 per row, zeros elsewhere), for "replace"."""
    if not bool(((A == 0) | (A == 1)).all()) or not bool((A.sum(1) == 1).all()):
        raise ValueError("method 'replace' needs A to pick coordinates (rows of one 1 and zeros): it overwrites them")
    return A.argmax(1).tolist()


def _smc(model, A, obs, sigma_o, variance, x, levels, steps, generator):
    """The twisted sequential Monte Carlo of posterior_sample's "smc"; returns the particles after a last resampling."""
    n = x.shape[0]
    guide = _guide(model, A, obs, sigma_o, variance)
    eps, _, twist, grad = guide(x, steps[0], levels[0])
    log_w = twist.clone()
    for k in range(len(steps)):
        ab_t, ab_s = levels[k], levels[k + 1]
        std = _step_std(ab_t, ab_s)
        mean = _ddim_step(x, eps, ab_t, ab_s, 1.0).double()
        proposal = mean + std**2 * grad
        z = noise(x.shape, generator, x.device, torch.float64)
        moved = proposal + std * z
        if ab_s < 1:
            eps, _, new_twist, grad = guide(moved.to(x.dtype), steps[k + 1], ab_s)
            # log p(x' | x) - log q(x' | x): Gaussians of the same std around mean and proposal.
            log_w += (((moved - proposal) ** 2).sum(1) - ((moved - mean) ** 2).sum(1)) / (2 * std**2)
        else:
            # The step to x_0 is deterministic (std 0): the twist gives way to the true likelihood.
            new_twist = -0.5 * ((obs - moved @ A.T) ** 2).sum(1) / sigma_o**2
        log_w += new_twist - twist
        x, twist = moved.to(x.dtype), new_twist
        weights = torch.softmax(log_w, 0)
        if 1 / (weights**2).sum() < n / 2 or ab_s == 1:
            pick = torch.multinomial(weights.cpu(), n, replacement=True, generator=generator).to(x.device)
            x, twist, log_w = x[pick], twist[pick], torch.zeros_like(log_w)
            if ab_s < 1:
                eps, grad = eps[pick], grad[pick]
    return x.detach()
