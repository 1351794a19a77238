"""Lesson 18 (inverse problems): its exercises' checks and hints."""

import torch

from ..data.s_curve import s_curve
from ..exact.oracle import MixtureOracle, s_curve_oracle
from ..exact.posterior import PosteriorOracle, observe
from ..process.schedules import sigmoid_schedule
from ..sampling.inverse import posterior_sample
from .base import Exercise, choice, close, expect

# (delta, sigma_o) pairs: the lesson's, a measurement sharper than the data, one far blunter.
PAIRS = ((0.01, 0.01), (0.01, 0.001), (0.02, 0.3))
# The lesson's step size for DPS on the noisy point (benchmarks/inverse.py chose it on its choosing seeds).
GAMMA = 0.003


def _test_posterior_cov(fn):
    A = torch.tensor([[1.0, 0.0]])
    for delta, sigma_o in PAIRS:
        got = fn(delta, sigma_o)
        expect(isinstance(got, torch.Tensor) and got.shape == (2, 2), "return a 2 x 2 tensor")
        # One component at the origin: the posterior's covariance does not depend on the points, only on delta, A, sigma_o.
        oracle = PosteriorOracle(MixtureOracle(torch.zeros(1, 2), torch.zeros(1), delta), A, [0.0], sigma_o)
        expect(close(got, oracle.cov, tol=1e-9),
               f"with delta = {delta} and sigma_o = {sigma_o} your covariance {got.tolist()} is off")
    return ("The unobserved axis keeps delta^2: the measurement says nothing about z, so only the data's own thickness "
            "limits it. On the observed axis the precisions add, 1/delta^2 + 1/sigma_o^2, so its variance is "
            "delta^2 sigma_o^2 / (delta^2 + sigma_o^2).")


def _dps_on_a_noisy_point():
    schedule = sigmoid_schedule(100)
    prior = s_curve_oracle(schedule)
    A, sigma_o = torch.eye(2), 0.05
    g = torch.Generator().manual_seed(18)
    obs = observe(s_curve(1, seed=1018), A, sigma_o, g)[0]
    posterior = PosteriorOracle(prior, A, obs, sigma_o)
    drawn = posterior_sample(prior, schedule, A, obs, sigma_o, posterior.sample(500, g, t=schedule.T - 1), "dps", g, gamma=GAMMA)
    exact = posterior.sample(500, g)
    spread = {name: (x.double() - obs.double()).norm(dim=1).mean().item() for name, x in (("dps", drawn), ("exact", exact))}
    answer = "a" if abs(spread["dps"] - spread["exact"]) < 0.15 * spread["exact"] else ("b" if spread["dps"] < spread["exact"] else "c")
    return answer, (f"mean distance to o: DPS {spread['dps']:.3f}, the exact posterior {spread['exact']:.3f} "
                    f"(sigma_o = {sigma_o})")


EXERCISES = {
    "18.1": Exercise("posterior_cov", _test_posterior_cov,
                     "Sigma = delta^2 I - delta^4 A^T S^-1 A with S = delta^2 A A^T + sigma_o^2 I; for A = (1 0), A^T A has one "
                     "non-zero entry"),
    "18.2": Exercise("prediction", choice(_dps_on_a_noisy_point, {"a": "spread like the exact posterior", "b": "pulled closer to o",
                                                                  "c": "further from o"}),
                     "DPS divides its step by |o - A x0_hat|: how long is each step once the residual is small, and "
                     "what does sigma_o change in it?"),
}
