"""How the loss is weighted over noise levels (lesson 14).

Every weighting here is a weight w(t) on the eps loss |eps - eps_theta|^2, a function of SNR_t = alpha_bar_t / (1 -
alpha_bar_t) (or of lambda_t = log SNR_t) and, for the ELBO, of the step sizes. Training a network whose output is
another target y = A eps + B x_t with the same objective weighs |y - y_theta|^2 = A^2 |eps - eps_theta|^2 by
w(t) / A^2 (helpers.floor_factor), so "which target" and "which weighting" are two separate choices:
    eps      1                                   L_simple (Ho et al. 2020, eq. 14): the eps target's own MSE
    x0       1 / SNR                             the x0 target's own MSE
    v        1 + 1 / SNR                         the v target's own MSE (Salimans & Ho 2022)
    elbo     beta_t / (2 alpha_t (1 - alpha_bar_{t-1})), first step 1 / (2 alpha_1)
                                                 the ELBO's own weights for sigma_t^2 = beta~_t (Ho et al. 2020, eq. 12)
    min_snr  min(SNR, gamma) / SNR, gamma = 5    Hang et al. 2023, Min-SNR-gamma weighting (gamma = 5, their default)
    edm      (1 / SNR + sd^2) / sd^2             Karras et al. 2022, Table 1: lambda(sigma) = (sigma^2 + sd^2) / (sigma sd)^2
                                                 on the x0 loss, sigma = nu = 1 / sqrt(SNR)
"own" is the chosen target's own MSE, weight 1 on |y - y_theta|^2.
"""

import torch

from .._checks import check_float
from ..process.schedules import check_schedule
from ..process.targets import _target_name, floor_factor

WEIGHTINGS = ("own", "eps", "x0", "v", "elbo", "min_snr", "edm")
MIN_SNR_GAMMA = 5.0


def eps_weights(schedule, weighting, data_std=None):
    """w(t) on the eps loss for each step of schedule, float64, not normalised (see the module docstring).

    data_std (the data's std, lesson 08's input_scale) is needed for 'edm' only. Defined in lesson 14.
    """
    schedule = check_schedule(schedule)
    if weighting not in WEIGHTINGS[1:]:
        raise ValueError(f"weighting must be one of {list(WEIGHTINGS[1:])}, got {weighting!r:.80}")
    beta, alpha_bar = schedule.beta.double(), schedule.alpha_bar.double()
    if alpha_bar.min() <= 0:
        raise ValueError("these weightings need SNR > 0 at every step; a schedule that ends in pure noise "
                         "(alpha_bar_T = 0) is trained with weighting='own'")
    snr = alpha_bar / (1 - alpha_bar)
    if weighting == "eps":
        return torch.ones_like(snr)
    if weighting == "x0":
        return 1 / snr
    if weighting == "v":
        return 1 + 1 / snr
    if weighting == "min_snr":
        return snr.clamp(max=MIN_SNR_GAMMA) / snr
    if weighting == "edm":
        if data_std is None:
            raise ValueError("weighting 'edm' needs the data's std (data_std > 0), got None")
        data_std = check_float("data_std", data_std, 0.0, float("inf"))
        return (1 / snr + data_std**2) / data_std**2
    # From beta in float64, as helpers.elbo does: near the data 1 - alpha_bar is 1e-5, where float32's cumprod is off.
    alpha_bar = torch.cumprod(1 - beta, 0)
    alpha_bar_prev = torch.cat([alpha_bar.new_ones(1), alpha_bar[:-1]])
    elbo = beta[1:] / (2 * (1 - beta[1:]) * (1 - alpha_bar_prev[1:]))
    return torch.cat([1 / (2 * (1 - beta[:1])), elbo])


def loss_weights(schedule, target, weighting, data_std=None):
    """Per-step weights on the target's own MSE that give weighting's objective: eps_weights / floor_factor, scaled
    to mean 1 over the steps (so the learning rate and gradient clipping mean the same for every weighting; the
    optimum does not depend on the scale). 'own' is 1 at every step. float32, shape (T,). Defined in lesson 14.
    """
    # Checked first: with weighting 'own' the target is not otherwise used, and a misspelt one would pass unseen.
    _target_name("target", target)
    schedule = check_schedule(schedule)
    if weighting == "own":
        return torch.ones(schedule.T)
    weights = eps_weights(schedule, weighting, data_std) / floor_factor(schedule.alpha_bar.double(), target)
    return (weights / weights.mean()).float()
