"""Lesson 16 (one step): its exercises' checks and hints."""

import torch

from ..data.s_curve import s_curve
from ..exact.oracle import s_curve_oracle
from ..networks.checkpoint import COMMITTED_CHECKPOINT, load_model
from ..networks.preconditioning import Preconditioned
from ..process.schedules import sigmoid_schedule
from ..sampling.grid import gaussian_prior
from ..sampling.solve import ode_reference
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


NEAR_DATA = 5  # a step of the students' grid near the data


def near_data_distances(student=None, n=2000):
    """RMS distances to the exact map's end Phi(x_T), over n starts: from the exact path's point at step NEAR_DATA, from
    the student's answer there, and from the student's one jump from x_T. student(x, t) returns an x0; by default the
    committed consistency-distilled student."""
    schedule = sigmoid_schedule(100)
    alpha_bar = schedule.alpha_bar.double()
    x0 = s_curve(10_000)
    if student is None:
        student = Preconditioned(load_model(COMMITTED_CHECKPOINT.parent / "student_cd.pt"), schedule, x0.std().item()).eval()
    oracle = s_curve_oracle(schedule)
    x_T = gaussian_prior(x0, schedule, n, torch.Generator().manual_seed(11)).double()
    exact = ode_reference(oracle, x_T, alpha_bar[-1].item(), 1 - 1e-12, rtol=1e-9, atol=1e-11)
    midway = ode_reference(oracle, x_T, alpha_bar[-1].item(), alpha_bar[NEAR_DATA].item(), rtol=1e-9, atol=1e-11)
    with torch.no_grad():
        answers = [student(x.float(), torch.full((n,), step)).double() for x, step in ((midway, NEAR_DATA), (x_T, 99))]

    def rms(x):
        return (x - exact).norm(dim=1).pow(2).mean().sqrt().item()

    return rms(midway), rms(answers[0]), rms(answers[1])


def _near_data():
    point, answer, jump = near_data_distances()
    return ("a" if answer < point / 2 else "b"), (
        f"RMS distance to Φ(x_T), ×10³: from the point at step {NEAR_DATA}, {1e3 * point:.1f}; from the student's answer "
        f"there, {1e3 * answer:.1f} ({answer / point:.2f} times as far); from its one jump from x_T, {1e3 * jump:.1f}")


EXERCISES = {
    "16.1": Exercise("eps_weight", _test_eps_weight,
                     "at one x_t, the eps that an x0 implies is (x_t - a_t x0) / b_t: write the difference of two such eps's "
                     "through the difference of the x0's, square it, and compare with the x0 loss's weight"),
    "16.2": Exercise("prediction", choice(_near_data, {"a": "the student closes most of the way",
                                                       "b": "the student leaves more than half of the way"}),
                     "CD's loss only compares the student's answers at neighbouring steps of its grid. Near the data, "
                     "neighbouring points of a path are very close: what would the loss charge a student that returns its "
                     "input unchanged there?"),
}
