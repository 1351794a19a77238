"""Noise schedules: beta_t and everything derived from it.

Time steps are 0-based in code: index t in [0, T) holds the paper's step t + 1.
"""

import math
from dataclasses import dataclass

import numpy as np
import torch

from .._checks import check_float, check_int


@dataclass(frozen=True)
class Schedule:
    """beta, alpha = 1 - beta and alpha_bar = cumprod(alpha), each of shape (T,).

    Defined in lesson 02 (noise schedule).
    """

    beta: torch.Tensor
    alpha: torch.Tensor
    alpha_bar: torch.Tensor

    @property
    def T(self):
        return self.beta.shape[0]

    @property
    def sqrt_alpha_bar(self):
        return self.alpha_bar.sqrt()

    @property
    def sqrt_one_minus_alpha_bar(self):
        return (1 - self.alpha_bar).sqrt()

    @property
    def log_snr(self):
        """lambda_t = log(alpha_bar / (1 - alpha_bar)): the log signal-to-noise ratio of x_t (Kingma et al. 2021)."""
        return self.alpha_bar.log() - torch.log1p(-self.alpha_bar)

    @property
    def alpha_bar_prev(self):
        """alpha_bar_{t-1} per step, with alpha_bar before the first step equal to 1 (nothing added yet)."""
        return torch.cat([self.alpha_bar.new_ones(1), self.alpha_bar[:-1]])

    @property
    def beta_tilde(self):
        """The posterior variance (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t) beta_t (Ho et al. 2020, eq. 7); 0 at the
        first step. Defined in lesson 07 (sampling)."""
        return (1 - self.alpha_bar_prev) / (1 - self.alpha_bar) * self.beta

    @property
    def noise_to_signal(self):
        """sqrt((1 - alpha_bar) / alpha_bar), in float64: the std of the noise in x_t / sqrt(alpha_bar) = x_0 + (this) eps,
        the time of lesson 10's probability-flow ODE (Karras et al. 2022's sigma). Float64 because it is a time grid:
        near alpha_bar = 1, float32 would round neighbouring steps together."""
        alpha_bar = self.alpha_bar.double()
        return ((1 - alpha_bar) / alpha_bar).sqrt()

    def to(self, device):
        return Schedule(self.beta.to(device), self.alpha.to(device), self.alpha_bar.to(device))


def check_schedule(schedule, name="schedule"):
    """A helpers.Schedule."""
    if not isinstance(schedule, Schedule):
        raise TypeError(f"{name} must be a helpers.Schedule (e.g. helpers.sigmoid_schedule(100)), got {type(schedule).__name__}")
    return schedule


def check_model_schedule(model, schedule):
    """A network built for T steps (model.T) must be used with a schedule of T steps: step k means the noise level
    alpha_bar_k of the schedule it was trained with. Callables without T (a lambda, an oracle made without a schedule)
    are not checked."""
    schedule = check_schedule(schedule)
    T = getattr(model, "T", None)
    if isinstance(T, int) and T > 0 and T != schedule.T:
        raise ValueError(
            f"the network was built for T = {T} steps but the schedule has T = {schedule.T}: sample and train a network "
            f"with the schedule it was made for (e.g. helpers.sigmoid_schedule({T}))"
        )
    return schedule


def schedule_from_beta(beta):
    """Build a Schedule from a 1-d tensor of beta_t, each strictly inside (0, 1).

    Defined in lesson 02 (noise schedule).
    """
    if isinstance(beta, np.ndarray):
        beta = torch.from_numpy(beta)
    if not isinstance(beta, torch.Tensor):
        raise TypeError(f"beta must be a torch.Tensor, got {type(beta).__name__}")
    if beta.ndim != 1 or beta.shape[0] < 1:
        raise ValueError(f"beta must be 1-d with T >= 1 entries, got shape {tuple(beta.shape)}")
    if not beta.is_floating_point():
        raise TypeError(f"beta must be floating point, got dtype {beta.dtype}")
    if not torch.isfinite(beta).all() or (beta <= 0).any() or (beta >= 1).any():
        raise ValueError(
            f"beta must lie in (0, 1), got values from {float(beta.min()):.3g} to {float(beta.max()):.3g}"
        )
    alpha = 1 - beta
    return Schedule(beta=beta, alpha=alpha, alpha_bar=torch.cumprod(alpha, dim=0))


def sigmoid_schedule(T=100, beta_min=1e-5, beta_max=5e-3):
    """The reference recipe: beta_t = sigmoid(linspace(-6, 6, T)) * (beta_max - beta_min) + beta_min.

    Defined in lesson 02 (noise schedule).
    """
    T = check_int("T", T, 1)
    beta_min = check_float("beta_min", beta_min, 0.0, 1.0)
    beta_max = check_float("beta_max", beta_max, 0.0, 1.0)
    beta = torch.sigmoid(torch.linspace(-6, 6, T, dtype=torch.float64)) * (beta_max - beta_min) + beta_min
    return schedule_from_beta(beta.float())


def linear_schedule(T=1000, beta_start=1e-4, beta_end=0.02):
    """Ho et al. (2020): beta_t evenly spaced from beta_start to beta_end.

    Defined in lesson 02 (noise schedule).
    """
    T = check_int("T", T, 1)
    beta_start = check_float("beta_start", beta_start, 0.0, 1.0)
    beta_end = check_float("beta_end", beta_end, 0.0, 1.0)
    return schedule_from_beta(torch.linspace(beta_start, beta_end, T, dtype=torch.float64).float())


def cosine_schedule(T=1000, s=0.008, max_beta=0.999):
    """Nichol & Dhariwal (2021): alpha_bar_t = f(t) / f(0), f(t) = cos^2(((t/T) + s) / (1 + s) * pi/2).

    beta_t = 1 - alpha_bar_t / alpha_bar_{t-1}, clipped at max_beta. Defined in lesson 02 (noise schedule).
    """
    T = check_int("T", T, 1)
    s = check_float("s", s, 0.0, float("inf"), low_open=False)
    max_beta = check_float("max_beta", max_beta, 0.0, 1.0)
    steps = torch.arange(T + 1, dtype=torch.float64) / T
    f = torch.cos((steps + s) / (1 + s) * math.pi / 2) ** 2
    beta = (1 - f[1:] / f[:-1]).clamp(max=max_beta)
    return schedule_from_beta(beta.float())


def zero_terminal_snr(schedule):
    """The schedule rescaled to end in pure noise (Lin et al. 2024, Algorithm 1): sqrt(alpha_bar) shifted so its last
    value is 0 and scaled so its first is unchanged. Then alpha_bar_T = 0, beta_T = 1 and x_T = eps exactly, so the
    sampler's N(0, I) start is the forward process's end; an eps-network has nothing to predict there (lesson 14's
    sampler needs x0 or v). Computed in float64, stored in float32 like the others. Defined in lesson 14.
    """
    if check_schedule(schedule).T < 2:
        raise ValueError("schedule must have T >= 2 steps: its first alpha_bar is kept and its last is set to 0, "
                         f"and with T = {schedule.T} they are the same step")
    root = schedule.alpha_bar.double().sqrt()
    root = (root - root[-1]) * root[0] / (root[0] - root[-1])
    alpha_bar = root**2
    alpha = alpha_bar / torch.cat([alpha_bar.new_ones(1), alpha_bar[:-1]])
    return Schedule(beta=(1 - alpha).float(), alpha=alpha.float(), alpha_bar=alpha_bar.float())


SCHEDULES = {"sigmoid": sigmoid_schedule, "linear": linear_schedule, "cosine": cosine_schedule}


def make_schedule(name, T, **kwargs):
    """A schedule by name: 'sigmoid' (the reference recipe), 'linear' or 'cosine'.

    Defined in lesson 02 (noise schedule).
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    if name not in SCHEDULES:
        raise ValueError(f"name must be one of {sorted(SCHEDULES)}, got {name!r}")
    return SCHEDULES[name](T, **kwargs)
