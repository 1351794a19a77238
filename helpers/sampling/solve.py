"""Fewer steps (lesson 10): DDPM, DDIM(eta) and Heun on any subsequence of steps, through one update rule.

Every sampler here moves x from a step with alpha_bar_t to one with alpha_bar_s by DDIM's update (Song, Meng & Ermon
2021, eq. 12). They differ only in which noise prediction goes in and how much fresh noise comes out:
- DDIM(eta): eps_theta(x_t, t) in, sigma = eta * sqrt(beta~') out, beta~' = (1 - alpha_bar_s) / (1 - alpha_bar_t) beta';
- DDPM on a subsequence: the same mean as DDIM(eta=1) (the posterior mean with beta' = 1 - alpha_bar_t / alpha_bar_s),
  out sigma = sqrt(beta'), the respaced version of helpers.sample's sigma^2 = beta;
- Heun (Karras et al. 2022, Algorithm 1): the average of eps at both ends of a DDIM(eta=0) step, none out.
"""

import numbers

import torch
from scipy.integrate import solve_ivp

from .._checks import (check_eps_fn, check_float, check_generator, check_int, check_points, check_steps, check_weights,
                       to_number)
from .._random import noise
from ..exact.oracle import MixtureOracle
from ..process.schedules import check_model_schedule
from ..process.targets import read_as, x0_and_eps
from .ddim import _check_eta, _check_grid, _ddim_step, timesteps
from .grid import evaluating, model_device, model_dim, ode_step, run_grid, start_points
from .solvers import SOLVERS, dpm_solve

METHODS = ("ddpm", "ddim", "heun", *SOLVERS)


def solve(eps_fn, x, alpha_bar, method="ddim", eta=0.0, generator=None, keep_chain=False, target="eps"):
    """Move x through a grid of alpha_bar values with one sampler; eps_fn(x, k) predicts eps at grid point k.

    alpha_bar is a 1-d float64 tensor: increasing to sample (a last value of 1 means x_0: Heun then takes an Euler
    step, as eps is not defined there), decreasing to invert with DDIM(eta=0). Noise (DDPM, DDIM with eta > 0) is drawn
    on the CPU before every step except one that ends at alpha_bar = 1. Returns the last x, or with keep_chain all
    len(alpha_bar) states. Defined in lesson 10 (fewer steps). With target 'x0' or 'v' (lesson 14), eps_fn predicts
    that instead, and DDPM and DDIM may start at alpha_bar = 0, a schedule that ends in pure noise. Methods 'dpm2',
    'dpm3' and 'dpm++2m' are lesson 15's DPM-Solvers, and 'pc' its predictor-corrector (helpers.dpm_solve).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    x = check_eps_fn(eps_fn, x, target)
    alpha_bar = _check_grid(alpha_bar, zero=target != "eps" and method in ("ddpm", "ddim"))
    eta = _check_eta(eta)
    generator = check_generator(generator)
    if method in SOLVERS:
        return dpm_solve(eps_fn, x, alpha_bar, method, keep_chain, target, generator)
    increments = alpha_bar[1:] - alpha_bar[:-1]
    stochastic = method == "ddpm" or (method == "ddim" and eta > 0)
    if stochastic and not (increments > 0).all():
        raise ValueError(f"method {method!r} with eta = {eta} needs alpha_bar increasing (it samples, never inverts)")
    ab = alpha_bar.tolist()
    if target != "eps" and method != "heun":
        return run_grid(_predicting_step(eps_fn, ab, target, method, eta, generator), x, len(ab) - 1, keep_chain)
    if target != "eps":
        predict = eps_fn
        eps_fn = lambda x, k: x0_and_eps(predict(x, k), x, ab[k], target)[1].to(x.dtype)  # noqa: E731

    def move(x, k, eps):
        return _ddim_step(x, eps, ab[k], ab[k + 1])

    if not stochastic:
        # Heun's slope at x_0 (alpha_bar = 1) does not exist: its last step there is Euler's.
        step = ode_step(move, eps_fn, "heun" if method == "heun" else "euler", euler_only=lambda k: ab[k + 1] == 1)
    else:
        def step(x, k):
            eps = eps_fn(x, k)
            z = noise(x.shape, generator, x.device, x.dtype) if ab[k + 1] != 1 else None
            if method == "ddim":
                return _ddim_step(x, eps, ab[k], ab[k + 1], eta, z)
            return _ddim_step(x, eps, ab[k], ab[k + 1], 1.0, z, noise_std=(1 - ab[k] / ab[k + 1]) ** 0.5)

    return run_grid(step, x, len(ab) - 1, keep_chain)


def _predicting_step(predict, ab, target, method, eta, generator):
    """solve's DDPM or DDIM step for a network that predicts x0 or v: its own x0_hat goes into the DDIM update."""
    def step(x, k):
        x0_hat, eps = (u.to(x.dtype) for u in x0_and_eps(predict(x, k), x, ab[k], target))
        z = noise(x.shape, generator, x.device, x.dtype) if (method == "ddpm" or eta > 0) and ab[k + 1] != 1 else None
        if method == "ddpm":
            return _ddim_step(x, eps, ab[k], ab[k + 1], 1.0, z, (1 - ab[k] / ab[k + 1]) ** 0.5, x0_hat)
        return _ddim_step(x, eps, ab[k], ab[k + 1], eta, z, x0_hat=x0_hat)

    return step


def ode_reference(oracle, x, alpha_bar_start, alpha_bar_end, rtol=1e-11, atol=1e-13):
    """The probability-flow ODE solved to near machine precision: the points x, at noise level alpha_bar_start, carried
    to alpha_bar_end with the oracle's exact eps (a MixtureOracle, lesson 09).

    In y = x / sqrt(alpha_bar) and sigma = sqrt((1 - alpha_bar) / alpha_bar) the ODE is dy/dsigma = eps*(sqrt(alpha_bar) y)
    (Song, Meng & Ermon 2021, eq. 14), solved by scipy's DOP853 at the given tolerances: the reference lesson 10 measures
    its samplers' errors against. Returns x at alpha_bar_end, float64. Defined in lesson 10 (fewer steps).
    """
    if not isinstance(oracle, MixtureOracle):
        raise TypeError(f"oracle must be a MixtureOracle (helpers.s_curve_oracle(...)), got {type(oracle).__name__}")
    x = check_points("x", x, d=None).double().cpu()
    alpha_bar_start = check_float("alpha_bar_start", alpha_bar_start, 0.0, 1.0)
    alpha_bar_end = check_float("alpha_bar_end", alpha_bar_end, 0.0, 1.0)

    def rhs(sigma, y_flat):
        alpha_bar = 1 / (1 + sigma**2)
        x = torch.from_numpy(y_flat).reshape(-1, d) * alpha_bar**0.5
        return oracle(x, None, alpha_bar=alpha_bar).cpu().numpy().ravel()

    d = x.shape[1]

    def level(alpha_bar):
        return ((1 - alpha_bar) / alpha_bar) ** 0.5

    solution = solve_ivp(rhs, (level(alpha_bar_start), level(alpha_bar_end)), (x / alpha_bar_start**0.5).numpy().ravel(),
                         method="DOP853", rtol=rtol, atol=atol)
    if not solution.success:
        raise RuntimeError(f"the reference solver failed: {solution.message}")
    return torch.from_numpy(solution.y[:, -1]).reshape(-1, d) * alpha_bar_end**0.5


def _grid(schedule, steps):
    """Steps as a strictly decreasing long tensor in [0, T), and alpha_bar along them (float64), then 1 (x_0)."""
    steps = to_number(steps)
    if isinstance(steps, numbers.Integral) and not isinstance(steps, bool):
        steps = timesteps(int(steps), schedule.T)
    elif isinstance(steps, (float, bool, str)):
        raise TypeError(f"steps must be an int or a sequence of steps, got {type(steps).__name__} {steps!r}")
    steps = check_steps("steps", steps, schedule.T)
    if steps.ndim != 1 or len(steps) < 1:
        raise ValueError(f"steps must be an int or a 1-d sequence of at least one step, got shape {tuple(steps.shape)}")
    if len(steps) > 1 and not (steps[1:] < steps[:-1]).all():
        raise ValueError(f"steps must be strictly decreasing, got {steps.tolist()}")
    alpha_bar = torch.cat([schedule.alpha_bar.cpu()[steps].double(), torch.ones(1, dtype=torch.float64)])
    return steps, alpha_bar


@torch.no_grad()
def sample_steps(model, schedule, n, steps, method="ddim", eta=0.0, generator=None, x_T=None, keep_chain=False,
                 target=None):
    """Draw n points with DDPM, DDIM(eta) or Heun on a subsequence of steps, ending at x_0.

    steps: a number of evenly spaced steps (timesteps) or a strictly decreasing sequence of 0-based steps. Noise is
    drawn on the CPU as in helpers.sample, in x_T's dtype (float32 by default), so 'ddpm' on all T steps gives
    helpers.sample's samples and 'ddim' with eta = 1 gives helpers.sample(sigma='beta_tilde')'s. Returns x_0 (n, 2),
    or with keep_chain all len(steps) + 1 states. Defined in lesson 10 (fewer steps). target: what model predicts
    (lesson 14; 'x0' and 'v' can start where alpha_bar = 0), by default what it records (a function: eps).
    """
    n = check_int("n", n, 1)
    schedule = check_model_schedule(model, schedule)
    target = read_as(model, target, ("eps", "x0", "v"), "helpers.sample_steps")
    generator = check_generator(generator)
    check_weights(model)
    device = model_device(model)
    x = start_points(n, x_T, generator, device, d=model_dim(model))
    steps, alpha_bar = _grid(schedule, steps)
    steps = steps.to(device)
    with evaluating(model):
        return solve(lambda x, k: model(x, steps[k]), x, alpha_bar, method, eta, generator, keep_chain, target)


@torch.no_grad()
def invert(model, schedule, x0, steps):
    """DDIM inversion: run DDIM(eta=0) from x_0 up to the first of steps, through them in reverse order.

    The first move, from x_0 to the last (smallest) step, uses the prediction at that step, as the network has no
    input for x_0 itself; sample_steps(..., method='ddim', x_T=invert(...)) then runs back. Defined in lesson 10.
    """
    schedule = check_model_schedule(model, schedule)
    read_as(model, None, ("eps",), "helpers.invert")
    check_weights(model)
    x = check_points("x0", x0, model_dim(model)).to(model_device(model))
    steps, alpha_bar = _grid(schedule, steps)
    up, alpha_bar = steps.flip(0).to(x.device), alpha_bar.flip(0)
    with evaluating(model):
        # Grid point k > 0 is step up[k - 1]; point 0 is x_0 itself, where the smallest step's prediction stands in.
        return solve(lambda x, k: model(x, up[max(k - 1, 0)]), x, alpha_bar, "ddim")
