"""Automatic checks for the lessons' exercises: each says "Correct" or gives a hint.

Defined in lesson 01 (data); every lesson's exercises are registered here.
"""

import math
from dataclasses import dataclass
from typing import Callable

import torch
from sklearn.datasets import make_swiss_roll

from .data import s_curve
from .schedules import linear_schedule, sigmoid_schedule


@dataclass(frozen=True)
class Exercise:
    name: str
    test: Callable
    hint: str


class NotYet(Exception):
    """Raised by a test with the reason the answer is not right yet."""


def _expect(condition, reason):
    if not condition:
        raise NotYet(reason)


def _close(a, b, tol=1e-5):
    return torch.allclose(torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64), atol=tol, rtol=tol)


def _test_to_unit_std(fn):
    x = s_curve(2000, seed=3)
    y = fn(x)
    _expect(isinstance(y, torch.Tensor), "return a tensor")
    _expect(y.shape == x.shape, f"keep the shape {tuple(x.shape)}")
    _expect(_close(y.std(dim=0), [1.0, 1.0], 1e-4), "each column should end with std 1; use x.std(dim=0)")
    _expect(_close(y * x.std(dim=0), x, 1e-5), "only divide: the shape of the cloud must not change")


def _test_swiss_roll(fn):
    for n, seed in ((500, 0), (300, 7)):
        y = fn(n, seed)
        points, _ = make_swiss_roll(n, noise=0.1, random_state=seed)
        _expect(isinstance(y, torch.Tensor) and y.dtype == torch.float32, "return a float32 tensor")
        _expect(y.shape == (n, 2), f"return shape ({n}, 2): columns 0 and 2")
        _expect(_close(y, points[:, [0, 2]] / 10, 1e-6), "columns 0 and 2 of make_swiss_roll, divided by 10")


def _test_alpha_bar_last(fn):
    for sch in (sigmoid_schedule(100), linear_schedule(1000), linear_schedule(7, 0.1, 0.3)):
        value = fn(sch.beta.clone())
        _expect(isinstance(value, float), "return a Python float (use .item())")
        _expect(math.isclose(value, sch.alpha_bar[-1].item(), rel_tol=1e-4), "alpha_bar_T is the product of all (1 - beta)")


def _test_beta_max(beta_max):
    _expect(isinstance(beta_max, (int, float)) and not isinstance(beta_max, bool), "assign a number to beta_max")
    _expect(0 < beta_max <= 0.2, "beta_max must be in (0, 0.2]")
    reached = sigmoid_schedule(100, beta_max=beta_max).alpha_bar[-1].item()
    _expect(reached < 0.01, f"with beta_max = {beta_max:g}, alpha_bar_T = {reached:.3f}; go higher")


def _variance_after(var0, beta, shrink):
    var = var0
    for b in beta.tolist():
        var = (1 - b) * var + b if shrink else var + b
    return math.sqrt(var)


def _test_std_after(fn, shrink=True):
    for var0, beta in ((0.01, sigmoid_schedule(100).beta), (2.0, linear_schedule(50, 0.01, 0.2).beta)):
        value = fn(var0, beta.clone())
        _expect(isinstance(value, float), "return a Python float")
        _expect(math.isclose(value, _variance_after(var0, beta, shrink), rel_tol=1e-4), "apply the variance recurrence once per step, then take the square root")


def _test_merged_beta(fn):
    for b1, b2 in ((0.1, 0.2), (1e-3, 0.5), (0.0, 0.3)):
        value = fn(b1, b2)
        _expect(isinstance(value, (int, float)), "return a number")
        _expect(math.isclose(value, 1 - (1 - b1) * (1 - b2), rel_tol=1e-9, abs_tol=1e-12), "the kept fractions (1 - beta) multiply")


def _test_x0_from_eps(fn):
    generator = torch.Generator().manual_seed(0)
    x0 = s_curve(100, seed=1)
    eps = torch.randn(x0.shape, generator=generator)
    for alpha_bar_t in (0.999, 0.5, 0.01):
        a = torch.tensor(alpha_bar_t)
        xt = a.sqrt() * x0 + (1 - a).sqrt() * eps
        value = fn(xt, eps, a)
        _expect(isinstance(value, torch.Tensor) and value.shape == x0.shape, "return a tensor shaped like xt")
        _expect(torch.allclose(value, x0, atol=1e-4), "solve x_t = sqrt(ab) x_0 + sqrt(1 - ab) eps for x_0")



def _test_count_parameters(fn):
    from .model import NoisePredictor

    for T, hidden in ((100, 128), (1000, 64), (7, 3)):
        value = fn(T, hidden)
        _expect(isinstance(value, int), "return an int")
        _expect(value == sum(p.numel() for p in NoisePredictor(T, hidden).parameters()), f"count again for T={T}, hidden={hidden}")


def _test_embed_step(fn):
    from .model import sinusoidal_embedding

    for t, dim in ((0, 8), (37, 128), (99, 6)):
        value = fn(t, dim)
        _expect(isinstance(value, torch.Tensor) and value.shape == (dim,), f"return a 1-d tensor of length {dim}")
        _expect(_close(value, sinusoidal_embedding(torch.tensor([t]), dim)[0], 1e-5), "frequencies 10000^(-k / (dim/2)), sines then cosines")


def _test_elbo_weight(fn):
    for sch in (sigmoid_schedule(100), linear_schedule(50)):
        for t in (0, 10, sch.T - 1):
            value = fn(sch, t)
            _expect(isinstance(value, float), "return a Python float")
            expected = (sch.beta[t] / (2 * sch.alpha[t] * (1 - sch.alpha_bar[t]))).item()
            _expect(math.isclose(value, expected, rel_tol=1e-4), "with sigma_t^2 = beta_t, one beta_t cancels")


def _test_kl_isotropic(fn):
    from torch.distributions import MultivariateNormal, kl_divergence

    for mu1, v1, mu2, v2 in (([0.0, 0.0], 1.0, [0.0, 0.0], 1.0), ([0.3, -0.1, 2.0], 0.5, [0.1, 0.2, 1.0], 2.0), ([1.0, 1.0], 0.1, [0.0, 0.0], 0.1)):
        a, b = torch.tensor(mu1, dtype=torch.float64), torch.tensor(mu2, dtype=torch.float64)
        value = fn(a, v1, b, v2)
        _expect(isinstance(value, (int, float)), "return a number")
        eye = torch.eye(len(mu1), dtype=torch.float64)
        expected = kl_divergence(MultivariateNormal(a, v1 * eye), MultivariateNormal(b, v2 * eye)).item()
        _expect(math.isclose(value, expected, rel_tol=1e-6, abs_tol=1e-9), "d/2 (v1/v2 - 1 + log(v2/v1)) + |mu1 - mu2|^2 / (2 v2)")


def _test_predict_x0(fn):
    generator = torch.Generator().manual_seed(2)
    x0 = s_curve(64, seed=2)
    eps = torch.randn(x0.shape, generator=generator)
    for alpha_bar_t in (0.99, 0.3):
        a = torch.tensor(alpha_bar_t)
        value = fn(a.sqrt() * x0 + (1 - a).sqrt() * eps, eps, a)
        _expect(isinstance(value, torch.Tensor) and value.shape == x0.shape, "return a tensor shaped like xt")
        _expect(torch.allclose(value, x0, atol=1e-4), "invert the closed form with the predicted noise")


def _test_posterior_variance(fn):
    from .sampling import reverse_sigma

    for sch in (sigmoid_schedule(100), linear_schedule(30)):
        value = fn(sch)
        _expect(isinstance(value, torch.Tensor) and value.shape == (sch.T,), "return a tensor of shape (T,)")
        expected = reverse_sigma(torch.arange(sch.T), sch, "beta_tilde") ** 2
        _expect(_close(value, expected, 1e-6), "(1 - alpha_bar_{t-1}) / (1 - alpha_bar_t) * beta_t, alpha_bar before the first step = 1")


def _test_lr_at(fn):
    from .training import TrainConfig, learning_rate

    config = TrainConfig(steps=1000, lr=0.01, lr_schedule="cosine", warmup_steps=100)
    for step in (0, 50, 99, 100, 550, 999):
        value = fn(step, 1000, 0.01, 100)
        _expect(isinstance(value, (int, float)), "return a number")
        _expect(math.isclose(value, learning_rate(config, step), rel_tol=1e-6, abs_tol=1e-12), f"check step {step}")


def _test_ema_update(fn):
    ema = [torch.ones(3), torch.zeros(2, 2)]
    weights = [torch.full((3,), 3.0), torch.ones(2, 2)]
    out = fn(ema, weights, 0.9)
    _expect(isinstance(out, list) and len(out) == 2, "return the list of EMA tensors")
    _expect(out[0] is ema[0] and out[1] is ema[1], "update the tensors in place (e.g. mul_ and add_, or lerp_)")
    _expect(_close(out[0], [1.2] * 3, 1e-6) and _close(out[1], torch.full((2, 2), 0.1), 1e-6), "decay * ema + (1 - decay) * weights")


EXERCISES = {
    "01.1": Exercise("to_unit_std", _test_to_unit_std, "divide by x.std(dim=0)"),
    "01.2": Exercise("swiss_roll", _test_swiss_roll, "copy the S-curve recipe with make_swiss_roll"),
    "02.1": Exercise("alpha_bar_last", _test_alpha_bar_last, "torch.prod(1 - beta).item()"),
    "02.2": Exercise("beta_max", _test_beta_max, "sum of beta must exceed about log(100) = 4.6; the sigmoid's mean is about half of beta_max"),
    "03.1": Exercise("std_after", _test_std_after, "var = (1 - b) * var + b for each b in beta.tolist()"),
    "03.2": Exercise("std_without_shrink", lambda fn: _test_std_after(fn, shrink=False), "without the shrink, var = var + b"),
    "04.1": Exercise("merged_beta", _test_merged_beta, "1 - beta is the fraction kept; what is kept after both steps?"),
    "04.2": Exercise("x0_from_eps", _test_x0_from_eps, "subtract the noise term, then undo the scaling of x_0"),
    "05.1": Exercise("count_parameters", _test_count_parameters, "four Linear layers (a*b + b each) and three T x hidden tables"),
    "05.2": Exercise("embed_step", _test_embed_step, "freqs = 10000 ** (-torch.arange(dim // 2) / (dim // 2))"),
    "06.1": Exercise("elbo_weight", _test_elbo_weight, "lambda_t = beta_t^2 / (2 sigma_t^2 alpha_t (1 - alpha_bar_t))"),
    "06.2": Exercise("kl_isotropic", _test_kl_isotropic, "the general Gaussian KL with both covariances a multiple of I"),
    "07.1": Exercise("predict_x0", _test_predict_x0, "lesson 04's exercise 2 with eps_pred in place of eps"),
    "07.2": Exercise("posterior_variance", _test_posterior_variance, "prepend a 1 to alpha_bar[:-1] for alpha_bar_{t-1}"),
    "08.1": Exercise("lr_at", _test_lr_at, "warm-up: peak * (step + 1) / warmup; then peak * (1 + cos(pi * progress)) / 2"),
    "08.2": Exercise("ema_update", _test_ema_update, "for e, w in zip(ema, weights): e.mul_(decay).add_(w, alpha=1 - decay)"),
}


def verdict(exercise_id, answer):
    """(True, "correct" message) or (False, what is missing plus a hint) for a learner's answer."""
    if exercise_id not in EXERCISES:
        raise ValueError(f"exercise_id must be one of {sorted(EXERCISES)}, got {exercise_id!r}")
    exercise = EXERCISES[exercise_id]
    try:
        exercise.test(answer)
    except NotYet as reason:
        return False, f"Exercise {exercise_id}: not yet: {reason}. Hint: {exercise.hint}"
    except Exception as error:  # a learner's half-written answer may fail in any way
        return False, f"Exercise {exercise_id}: not yet: the answer raised {type(error).__name__}. Hint: {exercise.hint}"
    return True, f"Exercise {exercise_id}: correct!"


def check_exercise(exercise_id, answer):
    """Run an exercise's check on the learner's answer and print "correct" or what is missing and a hint.

    Defined in lesson 01 (data).
    """
    print(verdict(exercise_id, answer)[1])
