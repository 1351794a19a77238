"""Lesson 16 (one step): its exercises' checks and hints."""

import torch

from ..checkpoint import COMMITTED_CHECKPOINT, load_model
from ..data import s_curve
from ..distill import student_steps
from ..integrate import gaussian_prior
from ..oracle import s_curve_oracle
from ..preconditioning import Preconditioned
from ..samplers import ode_reference, sample_steps
from ..schedules import sigmoid_schedule
from .base import Exercise, choice, close, expect


def _test_eps_weight(fn):
    generator = torch.Generator().manual_seed(6)
    snr = torch.logspace(-3, 3, 25, dtype=torch.float64)
    got = fn(snr.clone())
    expect(isinstance(got, torch.Tensor) and got.shape == snr.shape, "return one weight per SNR, a tensor of the same shape")
    # Checked by what it must mean, on points: at each SNR, x_t and two x0's; the eps's they imply (lesson 14) weighted by
    # the answer must give progressive distillation's loss on the x0's.
    alpha_bar = snr / (1 + snr)
    a, b = alpha_bar.sqrt()[:, None], (1 - alpha_bar).sqrt()[:, None]
    x_t, x0_hat, x_tilde = torch.randn(3, len(snr), 2, dtype=torch.float64, generator=generator)
    eps_loss = (((x_t - a * x0_hat) / b - (x_t - a * x_tilde) / b) ** 2).sum(1)
    x0_loss = snr.clamp(min=1) * ((x0_hat - x_tilde) ** 2).sum(1)
    for k in (0, 12, 24):
        expect(close(got[k] * eps_loss[k], x0_loss[k], tol=1e-9),
               f"at SNR = {snr[k].item():g}, your weight times the eps error gives {(got[k] * eps_loss[k]).item():.6g}; "
               f"progressive distillation's loss on the x0's is {x0_loss[k].item():.6g}")
    expect(close(got * eps_loss, x0_loss, tol=1e-9), "right at SNR = 0.001, 1 and 1000, but not at every SNR in between")
    ab = sigmoid_schedule(100).alpha_bar.double()
    lowest = (ab / (1 - ab)).min().item()
    return (f"On lesson 16's schedule the SNR is at least {lowest:.2f} (step T - 1), so the truncation never acts: there "
            "progressive distillation's loss is the plain eps-loss, weight 1 at every step.")


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
    "16.1": Exercise("eps_weight", _test_eps_weight,
                     "at one x_t, the eps that an x0 implies is (x_t - a_t x0) / b_t: write the difference of two such eps's "
                     "through the difference of the x0's, square it, and compare with the x0 loss's weight"),
    "16.2": Exercise("prediction", choice(_two_steps_against_one, {"a": "closer with 2 steps", "b": "farther with 2 steps"}),
                     "the first jump already aims at the end of x_T's own path; DDIM's re-noised point lies on another path, "
                     "whose end the student then jumps to"),
}
