"""EDM's preconditioning (Karras et al. 2022, Table 1 and Appendix B.6) in this course's alpha_bar.

EDM writes the noisy point as y + sigma n; here that is x_t / sqrt(alpha_bar) = x_0 + nu eps with
nu = sqrt((1 - alpha_bar) / alpha_bar) (Schedule.noise_to_signal). The denoiser is
    D(x_t) = c_skip x~ + c_out F(c_in x~, c_noise),   x~ = x_t / sqrt(alpha_bar),
    c_skip = sd^2 / (nu^2 + sd^2), c_out = nu sd / sqrt(nu^2 + sd^2), c_in = 1 / sqrt(nu^2 + sd^2), c_noise = log(nu) / 4,
sd the data's std per coordinate: the raw network F sees inputs of unit variance and is trained on a target of unit
variance at every noise level, and c_skip is the choice that makes that target's variance (so the error c_out
amplifies) smallest.
"""

import torch
from torch import nn

from ._checks import check_float, check_points
from .targets import _alpha_bar


def edm_coefficients(alpha_bar, data_std):
    """(c_skip, c_out, c_in, c_noise) at alpha_bar (a float64 tensor), Karras et al. 2022, Table 1, with
    sigma = nu = sqrt((1 - alpha_bar) / alpha_bar). Defined in lesson 14 (what the network predicts)."""
    data_std = check_float("data_std", data_std, 0.0, float("inf"))
    nu = ((1 - alpha_bar) / alpha_bar).sqrt()
    total = (nu**2 + data_std**2).sqrt()
    return data_std**2 / total**2, nu * data_std / total, 1 / total, nu.log() / 4


class Preconditioned(nn.Module):
    """D(x_t, alpha_bar) = c_skip x~ + c_out raw(c_in x~, c_noise): an x_0 prediction built around a raw network
    raw(x, c_noise) (x: (N, 2), c_noise: (N,)), Karras et al. 2022, Table 1. convert(..., "x0", target) reads it as
    any other target. Defined in lesson 14 (what the network predicts)."""

    def __init__(self, raw, data_std):
        super().__init__()
        if not callable(raw):
            raise TypeError(f"raw must be a network raw(x, c_noise), got {type(raw).__name__}")
        self.raw = raw
        self.data_std = check_float("data_std", data_std, 0.0, float("inf"))

    def forward(self, x_t, alpha_bar):
        x_t = check_points("x_t", x_t)
        alpha_bar = _alpha_bar(alpha_bar, x_t.shape[0], x_t.device)
        c_skip, c_out, c_in, c_noise = edm_coefficients(alpha_bar, self.data_std)
        x_tilde = x_t.double() / alpha_bar.sqrt()
        inner = self.raw((c_in * x_tilde).to(x_t.dtype), c_noise.squeeze(1).to(x_t.dtype)).double()
        return (c_skip * x_tilde + c_out * inner).to(x_t.dtype)
