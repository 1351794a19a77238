"""Lesson 13 (likelihood): its exercises' checks and hints."""

import torch
from torch.distributions import Normal, kl_divergence

from ..data import s_curve
from ..schedules import cosine_schedule, linear_schedule, schedule_from_beta, sigmoid_schedule
from .base import Exercise, close, expect


def _test_prior_term(fn):
    schedule = sigmoid_schedule(100)
    for seed in (0, 1):
        x0 = s_curve(500, seed=seed).double()
        got = fn(x0)
        expect(isinstance(got, torch.Tensor) and got.shape == (500,), "return one number per point, shape (N,)")
        a = schedule.alpha_bar[-1].double()
        want = kl_divergence(Normal(a.sqrt() * x0, (1 - a).sqrt()), Normal(0.0, 1.0)).sum(1)
        expect(close(got, want, tol=1e-6),
               "the KL of two Gaussians in d = 2 dimensions, per point: a variance ratio, a mean gap and a log term")


def _test_elbo_weight(fn):
    for made in (sigmoid_schedule(100), linear_schedule(50), cosine_schedule(200)):
        schedule = schedule_from_beta(made.beta.double())
        snr = schedule.alpha_bar / (1 - schedule.alpha_bar)
        got = fn(snr[:-1], snr[1:])
        expect(isinstance(got, torch.Tensor) and got.shape == snr[1:].shape,
               "return a tensor shaped like the SNRs, one weight per step")
        # Lesson 06's weight beta_t^2 / (2 sigma_t^2 alpha_t (1 - alpha_bar_t)) with sigma_t^2 = beta~_t, code steps t >= 1.
        want = (schedule.beta**2 / (2 * schedule.beta_tilde * schedule.alpha * (1 - schedule.alpha_bar)))[1:]
        expect(not close(got, (snr[:-1] / snr[1:]).log() / 2, tol=1e-6),
               "that is half the log-SNR step: the continuous-time limit's step, right only to first order in it")
        expect(close(got, want, tol=1e-6),
               f"on a {len(snr)}-step schedule your weight is off by up to {((got / want) - 1).abs().max().item():.1%} "
               "from lesson 06's")


EXERCISES = {
    "13.1": Exercise("prior_term", _test_prior_term,
                     "lesson 06's exercise 2 wrote the KL between two Gaussians whose covariances are multiples of I: here the "
                     "second is N(0, I), the first has the mean and the variance of q(x_T | x_0) at the schedule's last step"),
    "13.2": Exercise("elbo_weight", _test_elbo_weight,
                     "put sigma_t^2 = beta~_t = beta_t (1 - alpha_bar_(t-1)) / (1 - alpha_bar_t) into lesson 06's w_t; then write "
                     "SNR_(t-1) / SNR_t with alpha_bar_t = alpha_t alpha_bar_(t-1) and compare"),
}
