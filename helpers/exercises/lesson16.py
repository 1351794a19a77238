"""Lesson 16 (one step): its exercises' checks and hints."""

import torch

from ..checkpoint import COMMITTED_CHECKPOINT, load_model
from ..data import s_curve
from ..distill import student_steps
from ..integrate import gaussian_prior
from ..oracle import s_curve_oracle
from ..preconditioning import Preconditioned
from ..samplers import ddim_step, ode_reference, sample_steps
from ..schedules import sigmoid_schedule
from .base import Exercise, choice, close, expect


def _test_pd_target(fn):
    generator = torch.Generator().manual_seed(6)
    x_t, x_end = torch.randn(2, 300, 2, dtype=torch.float64, generator=generator)
    for ab_t, ab_end in ((0.778, 0.95), (0.5, 0.999), (0.9, 1.0)):
        got = fn(x_t.clone(), x_end.clone(), ab_t, ab_end)
        expect(isinstance(got, torch.Tensor) and got.shape == x_t.shape, "return one point per row, shape (N, 2)")
        # Checked by what it must do: lesson 10's DDIM step with got as x0_hat lands on x_end.
        eps = (x_t - ab_t**0.5 * got) / (1 - ab_t) ** 0.5
        expect(close(ddim_step(x_t, eps, ab_t, ab_end), x_end, tol=1e-9),
               f"a DDIM step from alpha_bar {ab_t} to {ab_end} with your x0 must land on x_end")


def _two_steps_against_one():
    schedule = sigmoid_schedule(100)
    x0 = s_curve(10_000)
    student = Preconditioned(load_model(COMMITTED_CHECKPOINT.parent / "student_cd.pt"), schedule, x0.std().item()).eval()
    x_T = gaussian_prior(x0, schedule, 2000, torch.Generator().manual_seed(11))
    exact = ode_reference(s_curve_oracle(schedule), x_T, schedule.alpha_bar[-1].item(), 1 - 1e-12, rtol=1e-9, atol=1e-11)
    error = {k: (sample_steps(student, schedule, 2000, student_steps(schedule, k), "ddim", x_T=x_T, target="x0").double()
                 - exact).norm(dim=1).pow(2).mean().sqrt().item() for k in (1, 2)}
    return ("a" if error[2] < error[1] else "b"), f"RMS error to the exact map x 1e3: 1 step {1e3 * error[1]:.1f}, 2 steps {1e3 * error[2]:.1f}"


EXERCISES = {
    "16.1": Exercise("pd_target", _test_pd_target,
                     "DDIM's step is x_end = a_end x0 + b_end (x_t - a_t x0) / b_t; solve it for x0"),
    "16.2": Exercise("prediction", choice(_two_steps_against_one, {"a": "closer with 2 steps", "b": "farther with 2 steps"}),
                     "the first jump already aims at the end of x_T's own path; DDIM's re-noised point lies on another path, "
                     "whose end the student then jumps to"),
}
