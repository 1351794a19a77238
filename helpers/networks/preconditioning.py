"""EDM's preconditioning (Karras et al. 2022, Table 1 and Appendix B.6) in this course's alpha_bar.

EDM writes the noisy point as data + sigma n; here that is y = x_t / sqrt(alpha_bar) = x_0 + nu eps with
nu = sqrt((1 - alpha_bar) / alpha_bar) (Schedule.noise_to_signal). The denoiser is
    D(x_t) = c_skip y + c_out F(c_in y, c_noise),   y = x_t / sqrt(alpha_bar),
    c_skip = sd^2 / (nu^2 + sd^2), c_out = nu sd / sqrt(nu^2 + sd^2), c_in = 1 / sqrt(nu^2 + sd^2), c_noise = log(nu) / 4,
sd the data's std per coordinate: the raw network F sees inputs of unit variance and is trained on a target of unit
variance at every noise level, and c_skip is the choice that makes that target's variance (so the error c_out
amplifies) smallest. c_in y = x_t / sqrt(alpha_bar sd^2 + 1 - alpha_bar) is lesson 08's input scaling.
"""

import torch
from torch import nn

from .._checks import check_float, check_points
from ..process.schedules import check_model_schedule


def edm_coefficients(alpha_bar, data_std):
    """(c_skip, c_out, c_in, c_noise) at alpha_bar (a number or a tensor, in (0, 1)), as float64, Karras et al. 2022, Table 1, with
    sigma = nu = sqrt((1 - alpha_bar) / alpha_bar). Defined in lesson 14 (what the network predicts)."""
    data_std = check_float("data_std", data_std, 0.0, float("inf"))
    alpha_bar = torch.as_tensor(alpha_bar, dtype=torch.float64)
    # At 0, nu is infinite and c_out is inf / inf; at 1, c_noise = log(0) / 4.
    if not torch.isfinite(alpha_bar).all() or not ((alpha_bar > 0) & (alpha_bar < 1)).all():
        raise ValueError(f"alpha_bar must be in (0, 1), got values from {alpha_bar.min().item():.3g} to "
                         f"{alpha_bar.max().item():.3g}")
    nu = ((1 - alpha_bar) / alpha_bar).sqrt()
    total = (nu**2 + data_std**2).sqrt()
    return data_std**2 / total**2, nu * data_std / total, 1 / total, nu.log() / 4


class Preconditioned(nn.Module):
    """D(x_t, t) = c_skip y + c_out raw(c_in y, t): an x0-prediction built around a raw network raw(x, t) of the
    schedule's T steps (Karras et al. 2022, Table 1). raw gets the step t itself rather than c_noise = log(nu) / 4:
    the course's networks embed each step with a table of their own, and any one-to-one function of t gives the same
    table. Trained on x0 with EDM's lambda(sigma), its raw output is regressed on a unit-variance target with unit
    weight (helpers/objectives/weighting.py). Defined in lesson 14 (what the network predicts)."""

    predicts = "x0"

    def __init__(self, raw, schedule, data_std):
        super().__init__()
        if not isinstance(raw, nn.Module):
            raise TypeError(f"raw must be a network raw(x, t) (a torch.nn.Module), got {type(raw).__name__}")
        if isinstance(raw, Preconditioned):
            raise TypeError("raw is already Preconditioned: wrapping it again applies EDM's coefficients twice; pass "
                            "its .raw network")
        if getattr(raw, "predicts", "edm") != "edm":
            raise ValueError(f"raw records that it predicts {raw.predicts!r}, not EDM's raw output: build it with "
                             "predicts='edm' (helpers.NoisePredictor(..., predicts='edm'); build_model does for "
                             "TrainConfig(target='edm'))")
        schedule = check_model_schedule(raw, schedule)
        if not (schedule.alpha_bar > 0).all():
            # nu = sqrt((1 - alpha_bar) / alpha_bar) is infinite there, and c_skip y, c_out raw(...) become 0 times inf.
            raise ValueError("EDM's preconditioning needs alpha_bar > 0 at every step, and this schedule reaches "
                             f"alpha_bar = {schedule.alpha_bar.min().item():.3g} (zero terminal SNR): train target 'v' "
                             "there, which stays defined (lesson 14)")
        self.raw, self.T, self.d = raw, schedule.T, getattr(raw, "d", 2)
        self.data_std = check_float("data_std", data_std, 0.0, float("inf"))
        alpha_bar = schedule.alpha_bar.double()
        c_skip, c_out, c_in, _ = edm_coefficients(alpha_bar, self.data_std)
        # Folded per step into factors of x_t itself, y = x_t / sqrt(alpha_bar).
        scale = torch.stack([c_skip, c_out, c_in]) / torch.stack([alpha_bar.sqrt(), torch.ones_like(alpha_bar), alpha_bar.sqrt()])
        self.register_buffer("scale", scale)

    def forward(self, x_t, t):
        x_t = check_points("x_t", x_t, self.d)
        t = torch.as_tensor(t, device=self.scale.device)
        # float64 coefficients, cast to the points' dtype: float32 training, float64 checks against the oracle.
        skip, out, inp = self.scale[:, t].reshape(3, -1, 1).to(x_t.dtype)
        return skip * x_t + out * self.raw(inp * x_t, t)
