"""DDIM's update (lesson 10): the one step arithmetic every sampler and solver here moves x with, and the grids it moves on.

x moves from a step with alpha_bar_t to one with alpha_bar_s by Song, Meng & Ermon 2021, eq. 12; helpers.solve (DDPM,
DDIM, Heun) and helpers.dpm_solve (lesson 15) build their steps from it, and lesson 16's objectives take it one step at a
time.
"""

import numpy as np
import torch

from .._checks import check_finite, check_float, check_int, check_like, check_points


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
