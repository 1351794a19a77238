"""Lesson 13 (likelihood): its exercises' checks and hints."""

import dataclasses

import torch
from torch.distributions import Normal, kl_divergence

from ..data import s_curve
from ..likelihood import elbo, ode_log_likelihood
from ..schedules import sigmoid_schedule
from ..training import DEFAULT, build_model, train
from .base import Exercise, choice, close, expect


def _test_prior_term(fn):
    schedule = sigmoid_schedule(100)
    for seed in (0, 1):
        x0 = s_curve(500, seed=seed).double()
        got = fn(x0)
        expect(isinstance(got, torch.Tensor) and got.shape == (500,), "return one number per point, shape (N,)")
        a = schedule.alpha_bar[-1].double()
        want = kl_divergence(Normal(a.sqrt() * x0, (1 - a).sqrt()), Normal(0.0, 1.0)).sum(1)
        expect(close(got, want, tol=1e-6),
               "the KL of two Gaussians in d = 2 dimensions, per point: variance ratio, mean gap and a log term")


def _measure_brief_network():
    schedule = sigmoid_schedule(100)
    x0 = s_curve(10_000)
    config = dataclasses.replace(DEFAULT, steps=300)
    model = train(build_model(config, schedule, x0), x0, schedule, config, progress=False)["model"]
    points = s_curve(1_000, seed=300).double()
    bound = -elbo(model, schedule, points, generator=torch.Generator().manual_seed(0)).nll_bound.mean().item()
    ode = ode_log_likelihood(model, schedule, points).log_p.mean().item()
    return ("a" if bound > ode else "b"), f"mean log-likelihood {bound:.3f} nats by the ELBO, {ode:.3f} by the ODE"


EXERCISES = {
    "13.1": Exercise("prior_term", _test_prior_term,
                     "the KL of N(m, s^2 I) from N(0, I) in d dimensions is (d s^2 + |m|^2 - d - d log s^2) / 2; m and s^2 "
                     "are the mean and the variance of q(x_T | x_0) at the schedule's last step"),
    "13.2": Exercise("prediction", choice(_measure_brief_network, {"a": "the ELBO larger", "b": "the ODE larger"}),
                     "the ELBO bounds the stochastic chain's likelihood, not the ODE's; predict, then read the numbers"),
}
