"""Lesson 19 (discrete diffusion): its exercises' checks and hints."""

import itertools
import math

import torch

from ..process.tokens import TokenProcess
from .base import Exercise, expect, is_number, number


def _test_stay_probability(fn):
    for K, T, t in ((17, 8, 3), (2, 100, 1), (5, 10, 10), (17, 1000, 400)):
        process = TokenProcess("uniform", K, T)
        value = number(fn(process.alpha_bar[t - 1].item(), process.alpha_bar[t].item(), K))
        expect(is_number(value), "return a number")
        # Bayes' rule on the matrices, for a token whose x_t and x_0 are both 0.
        expected = process.posterior(torch.zeros(1, 1, dtype=torch.long), torch.zeros(1, 1, dtype=torch.long), t)[0, 0, 0]
        expect(math.isclose(value, expected.item(), rel_tol=1e-9, abs_tol=1e-12),
               f"with K = {K}, T = {T}, t = {t} your probability, {value:.6g}, is too "
               f"{'high' if value > expected else 'low'}")


def _test_shared_step_probability(fn):
    for d, T in ((2, 5), (3, 7), (4, 6), (5, 4), (1, 3)):
        value = number(fn(d, T))
        expect(is_number(value) and 0 <= value <= 1, "return a probability, a number between 0 and 1")
        # Every assignment of a reveal step to each of the d positions, T**d of them, equally likely (each position's
        # step is uniform, tests/test_discrete.py measures it on the sampler): count those with a step shared.
        shared = sum(len(set(steps)) < d for steps in itertools.product(range(T), repeat=d)) / T**d
        expect(math.isclose(value, shared, rel_tol=1e-9, abs_tol=1e-12), f"with d = {d} positions and T = {T} steps "
               f"your probability, {value:.4g}, is too {'high' if value > shared else 'low'}")


EXERCISES = {
    "19.1": Exercise("stay_probability", _test_stay_probability,
                     "q(x_(t-1) | x_t, x_0) is proportional to q(x_t | x_(t-1)) q(x_(t-1) | x_0): take the diagonal entry of each "
                     "matrix, then divide by q(x_t | x_0), the diagonal entry of Qbar_t; section 1 gives beta_t from the two alpha_bar"),
    "19.2": Exercise("shared_step_probability", _test_shared_step_probability,
                     "first find the probability that a given position is revealed at step t (still masked after the steps "
                     "above it, then revealed): it is the same for every t; then count the ways d positions can all fall "
                     "on different steps"),
}
