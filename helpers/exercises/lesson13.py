"""Lesson 13 (likelihood): its exercises' checks and hints."""

import math

import torch
from torch.distributions import Normal, kl_divergence

from ..data.s_curve import s_curve
from ..process.schedules import cosine_schedule, linear_schedule, schedule_from_beta, sigmoid_schedule
from .base import Exercise, close, expect


def _gaussian_kl(mean, var, mean_to, var_to):
    """KL(N(mean, var I) || N(mean_to, var_to I)) per point, summed over the coordinates (torch.distributions')."""
    return kl_divergence(Normal(mean, var**0.5), Normal(mean_to, var_to**0.5)).sum(-1)


def _prior_term_slips(x0, schedule):
    """The usual wrong L_T's, each with what was likely done: (values, message). None of them spells out the formula."""
    alpha_bar = schedule.alpha_bar.double()
    a = alpha_bar[-1]
    per_coordinate = kl_divergence(Normal(a.sqrt() * x0, (1 - a).sqrt()), Normal(0.0, 1.0))
    want = per_coordinate.sum(-1)
    slips = [
        (2 * want, "your values are exactly twice L_T: a factor 2 too many (look at the number in front of the KL)"),
        (want / 2, "your values are exactly half of L_T: the mean over the 2 coordinates instead of their sum, or a "
                   "factor 1/2 too many"),
        (per_coordinate[:, 0], "that is the KL of the first coordinate alone: L_T is one number per point, over both "
                               "coordinates"),
        (per_coordinate[:, 1], "that is the KL of the second coordinate alone: L_T is one number per point, over both "
                               "coordinates"),
        (_gaussian_kl(0.0, 1.0, a.sqrt() * x0, 1 - a), "that is the KL the other way round, from N(0, I) to "
                                                       "q(x_T | x_0): the KL is not symmetric, and in L_T the prior "
                                                       "comes second"),
        (want / math.log(2), "that is L_T in bits (a base-2 logarithm somewhere): the ELBO here is in nats, natural "
                             "logarithms throughout"),
        (want - 0.5 * (-a - (1 - a).log()), "the mean gap is summed over both coordinates but the variance terms are "
                                            "counted for one: in d = 2 dimensions each coordinate has its own"),
        (_gaussian_kl(a * x0, 1 - a, 0.0, 1.0), "the mean of q(x_T | x_0) is off: look again at the factor on x_0 "
                                                "in lesson 04's closed form"),
        (_gaussian_kl(x0, 1 - a, 0.0, 1.0), "the mean of q(x_T | x_0) is off: x_0 is scaled down on its way to x_T "
                                            "(lesson 04's closed form)"),
        (_gaussian_kl(a.sqrt() * x0, (1 - a) ** 2, 0.0, 1.0), "the variance of q(x_T | x_0) is squared once too often: "
                                                              "its variance and its standard deviation are mixed up"),
        (_gaussian_kl(a.sqrt() * x0, (1 - a).sqrt(), 0.0, 1.0), "the variance of q(x_T | x_0) has a square root too many: "
                                                                "its variance and its standard deviation are mixed up"),
    ]
    # Another step's KL (the paper's 1-based step T is code step T - 1, the schedule's last).
    for t in range(len(alpha_bar) - 1):
        slips.append((_gaussian_kl(alpha_bar[t].sqrt() * x0, 1 - alpha_bar[t], 0.0, 1.0),
                      f"that is the KL at code step {t}: L_T is at the schedule's last step, code step "
                      f"{len(alpha_bar) - 1} (the paper's T)"))
    return want, slips


def _test_prior_term(fn):
    schedule = sigmoid_schedule(100)
    for seed in (0, 1):
        x0 = s_curve(500, seed=seed).double()
        got = fn(x0)
        want, slips = _prior_term_slips(x0, schedule)
        expect(not (isinstance(got, torch.Tensor) and got.numel() == 1 and close(got.reshape(()), want.mean(), tol=1e-6)),
               "that is the mean over the points: return one number per point, shape (N,)")
        expect(isinstance(got, torch.Tensor) and got.shape == (500,), "return one number per point, shape (N,)")
        if close(got, want, tol=1e-6):
            continue
        for values, likely in slips:
            expect(not close(got, values, tol=1e-6), likely)
        miss = ((got.double() - want).abs() / want).max().item()
        expect(False, f"your L_T is off by up to {miss:.1%} of it, and not by one of the usual slips; it is the KL of "
                      "two Gaussians in d = 2 dimensions, per point: a variance ratio, a mean gap and a log term")


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
