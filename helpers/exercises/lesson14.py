"""Lesson 14 (what the network predicts): its exercises' checks and hints."""

import torch

from ..data import s_curve
from ..oracle import s_curve_oracle
from ..schedules import sigmoid_schedule, zero_terminal_snr
from .base import Exercise, choice, close, expect


def _test_v_to_x0(fn):
    for schedule in (sigmoid_schedule(100), zero_terminal_snr(sigmoid_schedule(100))):
        oracle = s_curve_oracle(schedule)
        for t in (10, 99):
            ab = schedule.alpha_bar[t].double()
            x0 = s_curve(300, seed=t).double()
            eps = torch.randn(300, 2, generator=torch.Generator().manual_seed(t), dtype=torch.float64)
            x_t = ab.sqrt() * x0 + (1 - ab).sqrt() * eps
            got = fn(ab.sqrt() * eps - (1 - ab).sqrt() * x0, x_t, ab.item())
            expect(isinstance(got, torch.Tensor) and got.shape == x_t.shape, "return one point per row, shape (N, 2)")
            expect(close(got, x0, tol=1e-9), "from v and x_t, with a = sqrt(alpha_bar) and b = sqrt(1 - alpha_bar): "
                   "x_0 = a x_t - b v (no division, so it holds at alpha_bar = 0)")
            # Through the optimum too: v* = a eps* - s E[x_0 | x_t] must give back the oracle's denoiser.
            v_star = ab.sqrt() * oracle(x_t, t) - (1 - ab).sqrt() * oracle.denoise(x_t, t)
            expect(close(fn(v_star, x_t, ab.item()), oracle.denoise(x_t, t), tol=1e-9),
                   "the same map sends the best v to the best x_0")


def _floors_at_first_step():
    schedule = sigmoid_schedule(100)
    oracle = s_curve_oracle(schedule)
    ab = schedule.alpha_bar[0].double()
    x0 = s_curve(4000, seed=1).double()
    eps = torch.randn(4000, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    x_t = ab.sqrt() * x0 + (1 - ab).sqrt() * eps
    x0_floor = ((x0 - oracle.denoise(x_t, 0)) ** 2).mean().item()
    score_floor = ((-eps / (1 - ab).sqrt() - oracle.score(x_t, 0)) ** 2).mean().item()
    return ("a" if x0_floor > score_floor else "b"), f"floors at t = 0: x0 {x0_floor:.3g}, score {score_floor:.3g} per coordinate"


EXERCISES = {
    "14.1": Exercise("v_to_x0", _test_v_to_x0,
                     "v = a eps - b x_0 and x_t = a x_0 + b eps; eliminate eps (a^2 + b^2 = 1)"),
    "14.2": Exercise("prediction", choice(_floors_at_first_step, {"a": "x0's floor larger", "b": "the score's larger"}),
                     "each floor is the eps-floor times A^2: 1/SNR for x0, 1 + SNR for the score; SNR is about 4.5e4 at t = 0"),
}
