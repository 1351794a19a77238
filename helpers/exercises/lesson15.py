"""Lesson 15 (fast solvers): its exercises' checks and hints."""

import math

import torch

from ..oracle import s_curve_oracle
from ..samplers import sample_steps
from ..metrics import sharp_quality
from ..schedules import sigmoid_schedule
from ..solvers import grid_steps
from .base import Exercise, choice, close, expect


def _test_combination(fn):
    schedule = sigmoid_schedule(100)
    oracle = s_curve_oracle(schedule)
    steps = grid_steps(schedule, 10, "lambda")
    ab = schedule.alpha_bar.double()[steps]
    x = torch.randn(200, 2, generator=torch.Generator().manual_seed(3), dtype=torch.float64) * 0.5
    for k in (1, 4, 7):
        x0_previous, x0_now = oracle.denoise(x, int(steps[k - 1])), oracle.denoise(x * 0.9, int(steps[k]))
        got = fn(x0_now, x0_previous, ab[k - 1].item(), ab[k].item(), ab[k + 1].item())
        expect(isinstance(got, torch.Tensor) and got.shape == x0_now.shape, "return one point per row, shape (N, 2)")
        # Lu et al. 2022b, Algorithm 2, written with their lambda = log(a / b): D = x0_now + (x0_now - x0_previous) / (2 r).
        ell = [0.5 * math.log(value / (1 - value)) for value in (ab[k - 1].item(), ab[k].item(), ab[k + 1].item())]
        r = (ell[1] - ell[0]) / (ell[2] - ell[1])
        expect(close(got, x0_now + (x0_now - x0_previous) / (2 * r), tol=1e-10),
               "D = (1 + 1/(2r)) x0_now - x0_previous / (2r), with r = (previous step in lambda/2) / (this step in lambda/2)")


def _dpm2_against_ddim():
    schedule = sigmoid_schedule(100)
    oracle = s_curve_oracle(schedule)
    steps = grid_steps(schedule, 5, "t")
    x_T = torch.randn(4000, 2, generator=torch.Generator().manual_seed(4)) * 0.5
    off = {method: sharp_quality(sample_steps(oracle, schedule, 4000, steps, method, x_T=x_T), energy=False).off_curve
           for method in ("ddim", "dpm2")}
    return ("a" if off["dpm2"] < off["ddim"] else "b"), f"off-curve at 5 NFE: DDIM {off['ddim']:.1f}, DPM-Solver-2 {off['dpm2']:.1f}"


EXERCISES = {
    "15.1": Exercise("dpm_pp_2m_combination", _test_combination,
                     "h = (lambda_next - lambda_now) / 2 and h_previous = (lambda_now - lambda_previous) / 2 with "
                     "lambda = log(ab / (1 - ab)); r = h_previous / h"),
    "15.2": Exercise("prediction", choice(_dpm2_against_ddim, {"a": "DPM-Solver-2 closer", "b": "DPM-Solver-2 farther"}),
                     "on the 5-point even-t grid DPM-Solver-2's second step runs from lambda 3.4 (step 50) to 10.7 "
                     "(step 0); its correction is multiplied by (e^h - 1) / (2 r) there"),
}
