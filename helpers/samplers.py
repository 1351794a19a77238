"""Fewer steps (lesson 10): DDPM, DDIM(eta) and Heun on any subsequence of steps, through one update rule.

Every sampler here moves x from a step with alpha_bar_t to one with alpha_bar_s by DDIM's update (Song, Meng & Ermon
2021, eq. 12). They differ only in which noise prediction goes in and how much fresh noise comes out:
- DDIM(eta): eps_theta(x_t, t) in, sigma = eta * sqrt(beta~') out, beta~' = (1 - alpha_bar_s) / (1 - alpha_bar_t) beta';
- DDPM on a subsequence: the same mean as DDIM(eta=1) (the posterior mean with beta' = 1 - alpha_bar_t / alpha_bar_s),
  out sigma = sqrt(beta'), the respaced version of helpers.sample's sigma^2 = beta;
- Heun (Karras et al. 2022, Algorithm 1): the average of eps at both ends of a DDIM(eta=0) step, none out.
"""

import numbers

import numpy as np
import torch
from scipy.integrate import solve_ivp

from ._checks import (check_eps_fn, check_finite, check_float, check_generator, check_int, check_like,
                      check_model_schedule, check_points, check_steps, check_weights, to_number)
from ._random import noise
from .integrate import evaluating, model_device, model_dim, ode_step, run_grid, start_points
from .oracle import MixtureOracle
from .solvers import SOLVERS, dpm_solve
from .targets import read_as, x0_and_eps

METHODS = ("ddpm", "ddim", "heun", *SOLVERS)


def timesteps(n_steps, T):
    """n_steps steps from T-1 down to 0, evenly spaced and rounded (diffusers' 'linspace' spacing), 0-based.

    Defined in lesson 10 (fewer steps).
    """
    T = check_int("T", T, 1)
    n_steps = check_int("n_steps", n_steps, 1, T + 1)
    return torch.linspace(T - 1, 0, n_steps, dtype=torch.float64).round().long()


def ddim_step(x, eps, alpha_bar_t, alpha_bar_s, eta=0.0, z=None, noise_std=None):
    """x_s = sqrt(alpha_bar_s) x0_hat + sqrt(1 - alpha_bar_s - sigma^2) eps + noise (Song, Meng & Ermon 2021, eq. 12).

    x0_hat = (x_t - sqrt(1 - alpha_bar_t) eps) / sqrt(alpha_bar_t) and sigma = eta sqrt(beta~') (their eq. 16), eta in
    [0, 1] (above 1, sigma^2 can exceed 1 - alpha_bar_s), alpha_bar_t and alpha_bar_s in (0, 1]. The
    noise is noise_std * z, noise_std defaulting to sigma; z=None adds none. With eta = 0 and any alpha_bar_s, forward
    or backward in time, this is one Euler step of the probability-flow ODE in x / sqrt(alpha_bar) and
    sqrt((1 - alpha_bar) / alpha_bar). Defined in lesson 10 (fewer steps).
    """
    x = check_points("x", x, d=None)
    eps = check_like("eps", eps, x, "x")
    alpha_bar_t = check_float("alpha_bar_t", alpha_bar_t, 0.0, 1.0, high_open=False)
    alpha_bar_s = check_float("alpha_bar_s", alpha_bar_s, 0.0, 1.0, high_open=False)
    eta = _check_eta(eta, alpha_bar_t, alpha_bar_s)
    if z is not None:
        z = check_like("z", z, x, "x")
    if noise_std is not None:
        noise_std = check_float("noise_std", noise_std, 0.0, float("inf"), low_open=False)
    return _ddim_step(x, eps, alpha_bar_t, alpha_bar_s, eta, z, noise_std)


def _check_eta(eta, alpha_bar_t=None, alpha_bar_s=None):
    """eta in [0, 1]: above 1, sigma^2 can exceed 1 - alpha_bar_s and the step's square root turns complex. Noise
    (eta > 0) only goes with a step towards the data, alpha_bar_s > alpha_bar_t."""
    eta = check_float("eta", eta, 0.0, 1.0, low_open=False, high_open=False)
    if eta and alpha_bar_t is not None and not alpha_bar_s > alpha_bar_t:
        raise ValueError(f"eta > 0 needs alpha_bar_s > alpha_bar_t (a step towards the data), got {alpha_bar_s} and {alpha_bar_t}")
    return eta


def _ddim_step(x, eps, alpha_bar_t, alpha_bar_s, eta=0.0, z=None, noise_std=None, x0_hat=None):
    """ddim_step on checked inputs: every sampler's step (helpers.solve checks the grid once). x0_hat, when given,
    is the network's own (lesson 14: from v or x0, defined at alpha_bar_t = 0 where eps cannot give it)."""
    if x0_hat is None:
        x0_hat = (x - (1 - alpha_bar_t) ** 0.5 * eps) / alpha_bar_t**0.5
    # Inversion starts at alpha_bar_t = 1, where sigma's formula is 0/0; eta = 0 needs no sigma.
    sigma = eta * ((1 - alpha_bar_s) / (1 - alpha_bar_t) * (1 - alpha_bar_t / alpha_bar_s)) ** 0.5 if eta else 0.0
    # Clamped at 0 against rounding; alpha_bar may be one per point (lesson 16's objectives: tensors of shape (n, 1)).
    rest = 1 - alpha_bar_s - sigma**2
    x = alpha_bar_s**0.5 * x0_hat + (rest.clamp(min=0.0) if torch.is_tensor(rest) else max(rest, 0.0)) ** 0.5 * eps
    if z is None:
        return x
    return x + (sigma if noise_std is None else noise_std) * z


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


def _check_grid(alpha_bar, zero=False):
    """A grid of at least two finite alpha_bar values in (0, 1] ([0, 1] with zero), as a float64 tensor."""
    if isinstance(alpha_bar, np.ndarray):
        alpha_bar = torch.from_numpy(np.ascontiguousarray(alpha_bar))
    if not isinstance(alpha_bar, torch.Tensor) or not alpha_bar.is_floating_point():
        raise TypeError(f"alpha_bar must be a 1-d float tensor of at least 2 values, got {alpha_bar!r:.80}")
    if alpha_bar.ndim != 1 or alpha_bar.shape[0] < 2:
        raise ValueError(f"alpha_bar must be a 1-d float tensor of at least 2 values, got shape {tuple(alpha_bar.shape)}")
    alpha_bar = check_finite("alpha_bar", alpha_bar.double())
    if alpha_bar.min() == 0 and not zero and alpha_bar.max() <= 1:
        raise ValueError("alpha_bar must lie in (0, 1]: at alpha_bar = 0 (a schedule that ends in pure noise) eps says "
                         "nothing about x_0; sample a network that predicts x0 or v, with target='x0' or 'v' (lesson 14), "
                         "by DDPM or DDIM")
    if alpha_bar.min() < 0 or alpha_bar.max() > 1:
        raise ValueError(f"alpha_bar must lie in {'[0' if zero else '(0'}, 1], got values from {alpha_bar.min().item():.3g} to {alpha_bar.max().item():.3g}")
    return alpha_bar


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
