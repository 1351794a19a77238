"""Lesson 15 (fast solvers): its exercises' checks and hints."""

import math

import torch

from ..exact.oracle import s_curve_oracle
from ..measures.metrics import sharp_quality
from ..process.schedules import sigmoid_schedule
from ..sampling.solve import sample_steps
from ..sampling.solvers import grid_steps
from .base import Exercise, choice, expect, is_number, number


def _straight_line_step(weight, h, r, ell_t=0.7):
    """One DPM-Solver++ step of h from ell_t, with `weight` on the difference of the last two x0_hats, where x0_hat is a
    straight line in ell, relative to the exact solution's change over the step (x_s - (b_s / b_t) x_t)."""
    a_s, b_s = 1 / math.sqrt(1 + math.exp(-2 * (ell_t + h))), 1 / math.sqrt(1 + math.exp(2 * (ell_t + h)))
    start, slope = torch.tensor([0.4, -1.2], dtype=torch.float64), torch.tensor([-0.9, 0.5], dtype=torch.float64)
    # x0_hat(ell) = start + slope (ell - ell_t); the previous grid point is r h back.
    x0_now, x0_previous = start, start - slope * r * h
    # The exact change: b_s times the integral of e^ell x0_hat(ell) over the step, in closed form.
    exact = b_s * math.exp(ell_t) * (start * math.expm1(h) + slope * (h * math.exp(h) - math.expm1(h)))
    step = a_s * -math.expm1(-h) * (x0_now + weight * (x0_now - x0_previous))
    return ((step - exact).norm() / exact.norm()).item()


def _test_exact_weight(fn):
    weights = {}
    for h, r in ((1e-3, 0.7), (0.5, 1.0), (1.48, 0.3), (2.78, 0.6)):
        weight = number(fn(h, r))
        expect(is_number(weight), "return the weight as one number for numbers h and r")
        weights[h, r] = weight
    # The lesson's 1/(2r) is the first term of the answer: at small h the two must agree.
    small = weights[1e-3, 0.7]
    expect(abs(small * 2 * 0.7 - 1) < 2e-3, f"at h = 0.001, r = 0.7 your weight is {small:.6g}, and it should be close to "
                                             "the lesson's 1/(2r) there")
    for (h, r), weight in sorted(weights.items(), reverse=True):  # the largest step first: where a wrong weight shows most
        miss = _straight_line_step(weight, h, r)
        expect(miss < 1e-9, f"at h = {h}, r = {r} one step with your weight misses the exact solution for a straight-line "
                            f"x0_hat by {miss:.1e} of its size")


def _dpm2_against_ddim():
    schedule = sigmoid_schedule(100)
    oracle = s_curve_oracle(schedule)
    steps = grid_steps(schedule, 5, "t")
    x_T = torch.randn(4000, 2, generator=torch.Generator().manual_seed(4)) * 0.5
    off = {method: sharp_quality(sample_steps(oracle, schedule, 4000, steps, method, x_T=x_T), energy=False).off_curve
           for method in ("ddim", "dpm2")}
    return ("a" if off["dpm2"] < off["ddim"] else "b"), f"off-curve at 5 NFE: DDIM {off['ddim']:.1f}, DPM-Solver-2 {off['dpm2']:.1f}"


EXERCISES = {
    "15.1": Exercise("exact_weight", _test_exact_weight,
                     "put x0_hat(ell) = A + B (ell - ell_i) into the integral of section 2: beside the integral of e^u from 0 "
                     "to h you need that of u e^u (by parts); B comes from the two x0_hats a step r h apart, and the weight "
                     "is the ratio of what multiplies B h / r to the step's coefficient of x0_hat"),
    "15.2": Exercise("prediction", choice(_dpm2_against_ddim, {"a": "DPM-Solver-2 closer", "b": "DPM-Solver-2 farther"}),
                     "list the 5-point even-t grid (helpers.grid_steps(schedule, 5, 't')) and pair its intervals as "
                     "DPM-Solver-2 does: how large is h for the step that carries an eps correction, and what multiplies "
                     "that correction (sections 1 and 2)?"),
}
