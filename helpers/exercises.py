"""Automatic checks for the lessons' exercises: each says "Correct" or gives a hint.

Two kinds: the learner writes a function (or picks a value) and the check tests it; or the learner first
predicts a number or a picture, and the check runs the experiment and says whether the prediction held.
Defined in lesson 01 (data); every lesson's exercises are registered here.
"""

import copy
import functools
import math
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from sklearn.datasets import make_s_curve, make_swiss_roll

from .data import curve, s_curve
from .schedules import linear_schedule, sigmoid_schedule


# The network lesson 07's prediction exercise samples: the course's committed checkpoint.
COMMITTED_CHECKPOINT = Path(__file__).resolve().parent.parent / "notebooks" / "checkpoints" / "ddpm_scurve.pt"


@dataclass(frozen=True)
class Exercise:
    """name: what the lesson's stub is called; test(answer) raises NotYet or returns an optional note. copies=False
    hands the learner's function the check's own inputs: only for an exercise about changing them in place."""

    name: str
    test: Callable
    hint: str
    copies: bool = True


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
    # Either convention is a correct answer: the sample std (divide by n - 1) or the population std (by n).
    sample_std, population_std = x.std(dim=0), x.std(dim=0, correction=0)
    by_sample, by_population = _close(y * sample_std, x, 1e-5), _close(y * population_std, x, 1e-5)
    _expect(by_sample or by_population, "each column should end with std 1, and the cloud keep its shape: only divide")


def _test_swiss_roll(fn):
    for n, seed in ((500, 0), (300, 7)):
        y = fn(n, seed)
        points, _ = make_swiss_roll(n, noise=0.1, random_state=seed)
        _expect(isinstance(y, torch.Tensor) and y.dtype == torch.float32, "return a float32 tensor")
        _expect(y.shape == (n, 2), f"return shape ({n}, 2): columns 0 and 2")
        _expect(_close(y, points[:, [0, 2]] / 10, 1e-6), "columns 0 and 2 of make_swiss_roll, divided by 10")


def _test_alpha_bar_last(fn):
    for sch in (sigmoid_schedule(100), linear_schedule(1000), linear_schedule(7, 0.1, 0.3)):
        value = _number(fn(sch.beta.clone()))
        _expect(isinstance(value, float), "return a number (a float, or a tensor holding one)")
        _expect(math.isclose(value, sch.alpha_bar[-1].item(), rel_tol=1e-4), "alpha_bar_T is the product of all (1 - beta)")


def _number(value):
    """A 0-d tensor or a NumPy scalar as the Python number it holds (a learner's natural answer); else unchanged."""
    if isinstance(value, (torch.Tensor, np.ndarray, np.generic)) and value.ndim == 0:
        value = value.item()
    return float(value) if isinstance(value, float) else value


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _prediction(measure, what, rel_tol=0.1):
    """A check for "predict a number, then run it": measure() runs the experiment and returns the number."""

    # The experiment is deterministic: run it once, however often the check is called.
    measure = functools.cache(measure)

    def test(prediction):
        prediction = _number(prediction)
        _expect(_is_number(prediction), "write your prediction as a number first, then run the cell")
        value = measure()
        _expect(
            math.isclose(prediction, value, rel_tol=rel_tol),
            f"the run measures {what} = {value:.3g}; your prediction {prediction:.3g} is not within {rel_tol:.0%} of it",
        )
        return f"The run measures {what} = {value:.3g}."

    return test


def _choice(measure, choices):
    """A check for "predict a picture or an outcome, then run it": measure() returns (right choice, evidence)."""

    measure = functools.cache(measure)

    def test(prediction):
        _expect(isinstance(prediction, str) and prediction in choices, f"write your prediction as one of {sorted(choices)} first")
        answer, evidence = measure()
        _expect(prediction == answer, f"the run shows {choices[answer]}: {evidence}")
        return f"The run shows {choices[answer]}: {evidence}."

    return test


def _occupied_share(points, bins=10):
    """Share of a bins x bins grid over the points' bounding box that holds at least one point."""
    counts, _, _ = np.histogram2d(points[:, 0], points[:, 1], bins=bins)
    return float((counts > 0).mean())


def _measure_other_columns():
    points, _ = make_s_curve(10_000, noise=0.1, random_state=0)
    share = _occupied_share(points[:, [0, 1]] / 10)
    s_share = _occupied_share(points[:, [0, 2]] / 10)
    # A filled rectangle leaves no cell of the grid empty; a line fills about one row or column of it.
    answer = "b" if share >= 0.95 else ("c" if share <= 0.3 else "a")
    return answer, f"columns 0 and 1 fill {share:.0%} of a 10 x 10 grid over their bounding box (the S fills {s_share:.0%})"


def _measure_snr_unscaled():
    x0 = 10 * s_curve(10_000)
    alpha_bar_T = sigmoid_schedule(100).alpha_bar[-1].double()
    return (alpha_bar_T * x0.double().var(dim=0).mean() / (1 - alpha_bar_T)).item()


def _measure_std_from_origin():
    from .forward import q_step

    schedule = sigmoid_schedule(100)
    generator = torch.Generator().manual_seed(0)
    x = torch.zeros(10_000, 2)
    for t in range(schedule.T):
        x = q_step(x, t, schedule, generator=generator)
    return x.std().item()


def _measure_correlation_z():
    from .forward import q_sample

    schedule = sigmoid_schedule(100)
    x0 = s_curve(10_000).double()
    xT = q_sample(x0, schedule.T - 1, schedule.to("cpu"), generator=torch.Generator().manual_seed(0))
    return torch.corrcoef(torch.stack([x0[:, 1], xT[:, 1].double()]))[0, 1].item()


def _measure_sinusoidal_step_T():
    from .model import NoisePredictor

    net = NoisePredictor(100, embedding="sinusoidal")
    try:
        net(torch.zeros(1, 2), torch.tensor([100]))
    except ValueError as error:
        return "b", f"ValueError: {error}"
    return "a", "the network returned a prediction"


def _measure_zero_predictor_loss():
    from .loss import eps_loss

    def zero(xt, t):
        return torch.zeros_like(xt)

    return eps_loss(zero, s_curve(10_000), sigmoid_schedule(100), generator=torch.Generator().manual_seed(0)).item()


def _test_beta_max(beta_max):
    beta_max = _number(beta_max)
    _expect(_is_number(beta_max), "assign a number to beta_max")
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
        value = _number(fn(var0, beta.clone()))
        _expect(isinstance(value, float), "return a number (a float, or a tensor holding one)")
        _expect(math.isclose(value, _variance_after(var0, beta, shrink), rel_tol=1e-4), "apply the variance recurrence once per step, then take the square root")


def _test_merged_beta(fn):
    for b1, b2 in ((0.1, 0.2), (1e-3, 0.5), (0.0, 0.3)):
        value = _number(fn(b1, b2))
        _expect(_is_number(value), "return a number")
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
        value = _number(fn(T, hidden))
        _expect(isinstance(value, int) and not isinstance(value, bool), "return an int")
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
            value = _number(fn(sch, t))
            _expect(isinstance(value, float), "return a number (a float, or a tensor holding one)")
            expected = (sch.beta[t] / (2 * sch.alpha[t] * (1 - sch.alpha_bar[t]))).item()
            _expect(math.isclose(value, expected, rel_tol=1e-4), "with sigma_t^2 = beta_t, one beta_t cancels")


def _test_kl_isotropic(fn):
    from torch.distributions import MultivariateNormal, kl_divergence

    for mu1, v1, mu2, v2 in (([0.0, 0.0], 1.0, [0.0, 0.0], 1.0), ([0.3, -0.1, 2.0], 0.5, [0.1, 0.2, 1.0], 2.0), ([1.0, 1.0], 0.1, [0.0, 0.0], 0.1)):
        a, b = torch.tensor(mu1, dtype=torch.float64), torch.tensor(mu2, dtype=torch.float64)
        value = _number(fn(a, v1, b, v2))
        _expect(_is_number(value), "return a number")
        eye = torch.eye(len(mu1), dtype=torch.float64)
        expected = kl_divergence(MultivariateNormal(a, v1 * eye), MultivariateNormal(b, v2 * eye)).item()
        _expect(math.isclose(value, expected, rel_tol=1e-6, abs_tol=1e-9), "d/2 (v1/v2 - 1 + log(v2/v1)) + |mu1 - mu2|^2 / (2 v2)")


def _off_curve_with_last_step_noise():
    from .checkpoint import load_weights
    from .metrics import sharp_quality
    from .model import NoisePredictor, input_scale
    from .sampling import sample

    schedule = sigmoid_schedule(100)
    model = NoisePredictor(100, c_in=input_scale(schedule, s_curve(10_000).std().item()))
    load_weights(model, COMMITTED_CHECKPOINT)
    x = sample(model, schedule, 10_000, generator=torch.Generator().manual_seed(0), sigma="beta_tilde")
    x = x + schedule.beta[0].sqrt() * torch.randn(x.shape, generator=torch.Generator().manual_seed(3))
    return sharp_quality(x, energy=False).off_curve


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
        value = _number(fn(step, 1000, 0.01, 100))
        _expect(_is_number(value), "return a number")
        _expect(math.isclose(value, learning_rate(config, step), rel_tol=1e-6, abs_tol=1e-12), f"check step {step}")


def _test_ema_update(fn):
    ema = [torch.ones(3), torch.zeros(2, 2)]
    weights = [torch.full((3,), 3.0), torch.ones(2, 2)]
    out = fn(ema, weights, 0.9)
    _expect(isinstance(out, list) and len(out) == 2, "return the list of EMA tensors")
    _expect(out[0] is ema[0] and out[1] is ema[1], "update the tensors in place (e.g. mul_ and add_, or lerp_)")
    _expect(_close(out[0], [1.2] * 3, 1e-6) and _close(out[1], torch.full((2, 2), 0.1), 1e-6), "decay * ema + (1 - decay) * weights")


def _test_eps_star_finite(fn):
    from .oracle import training_set_oracle

    x0 = s_curve(300, seed=5).double()
    schedule = sigmoid_schedule(100)
    for t in (0, 40, 99):
        alpha_bar_t = schedule.alpha_bar[t].item()
        xt = (alpha_bar_t**0.5 * s_curve(50, seed=6).double() + (1 - alpha_bar_t) ** 0.5 * torch.randn(50, 2, generator=torch.Generator().manual_seed(t), dtype=torch.float64))
        out = fn(xt, x0, alpha_bar_t)
        _expect(isinstance(out, torch.Tensor) and out.shape == xt.shape, f"return a tensor shaped like xt {tuple(xt.shape)}")
        want = training_set_oracle(x0, schedule)(xt, t)
        _expect(_close(out, want, 1e-4), f"compare with helpers.training_set_oracle at alpha_bar_t = {alpha_bar_t:.4f}")


def _sharp_data_first_step_floor():
    from .oracle import MixtureOracle, quadrature

    schedule = sigmoid_schedule(100)
    u, log_w = quadrature(1024)
    # make_s_curve's noise 0.01, divided by 10: a curve 0.001 thick, thinner than the first step's noise.
    oracle = MixtureOracle(curve(u), log_w, 0.001, schedule)
    x0 = s_curve(20_000, noise=0.01, seed=9)
    eps = torch.randn(x0.shape, generator=torch.Generator().manual_seed(0))
    xt = schedule.alpha_bar[0].sqrt() * x0 + (1 - schedule.alpha_bar[0]).sqrt() * eps
    return float(((eps - oracle(xt, 0)) ** 2).mean())


def _scaled_input_std_first_step():
    from .model import input_scale

    schedule = sigmoid_schedule(100)
    x0 = s_curve(10_000)
    xt = schedule.alpha_bar[0].sqrt() * x0 + (1 - schedule.alpha_bar[0]).sqrt() * torch.randn(x0.shape, generator=torch.Generator().manual_seed(0))
    return float((input_scale(schedule, x0.std().item())[0] * xt[:, 0]).std())


def _sigma_levels(schedule):
    alpha_bar = schedule.alpha_bar.double()
    return ((1 - alpha_bar) / alpha_bar).sqrt()


def _test_karras_steps(fn):
    for T, n, rho in ((100, 10, 7.0), (100, 5, 3.0), (1000, 25, 7.0)):
        schedule = sigmoid_schedule(T)
        steps = fn(schedule, n, rho)
        _expect(isinstance(steps, torch.Tensor) and steps.dtype == torch.long, "return a long tensor of steps")
        sigma = _sigma_levels(schedule)
        i = torch.arange(n, dtype=torch.float64) / (n - 1)
        target = (sigma[-1] ** (1 / rho) + i * (sigma[0] ** (1 / rho) - sigma[-1] ** (1 / rho))) ** rho
        want = torch.unique_consecutive((sigma[None, :] - target[:, None]).abs().argmin(1))
        _expect(steps.ndim == 1 and steps[0] == T - 1 and steps[-1] == 0, "start at the last step T - 1 and end at step 0")
        _expect(bool((steps[1:] < steps[:-1]).all()), "make the steps strictly decreasing: drop repeated neighbours")
        _expect(torch.equal(steps, want), f"for T = {T}, n = {n}, rho = {rho}: pick the step whose sigma is nearest to each sigma_i")


def _heun_ratio_33_99():
    from scipy.integrate import solve_ivp

    from .forward import q_sample
    from .oracle import s_curve_oracle
    from .samplers import solve, timesteps

    schedule = sigmoid_schedule(100)
    oracle = s_curve_oracle(schedule)
    alpha_bar, sigma = schedule.alpha_bar.double(), _sigma_levels(schedule)
    starts = q_sample(s_curve(200, seed=41), 99, schedule, generator=torch.Generator().manual_seed(41)).double()

    def rhs(level, y):
        ab = 1 / (1 + level**2)
        return oracle(torch.from_numpy(y).reshape(-1, 2) * ab**0.5, None, alpha_bar=ab).numpy().ravel()

    exact = solve_ivp(rhs, (sigma[-1].item(), sigma[0].item()), (starts / alpha_bar[-1].sqrt()).numpy().ravel(),
                      method="DOP853", rtol=1e-11, atol=1e-13)
    x_ref = torch.from_numpy(exact.y[:, -1]).reshape(-1, 2) * alpha_bar[0].sqrt()

    def error(n_intervals):
        steps = timesteps(n_intervals + 1, 100)
        x = solve(lambda x, k: oracle(x, steps[k]), starts, alpha_bar[steps], "heun")
        return (x - x_ref).norm(dim=1).pow(2).mean().sqrt().item()

    return error(33) / error(99)


def _test_classifier_probs(fn):
    from .guidance import LabelledOracle

    schedule = sigmoid_schedule(100)
    oracle = LabelledOracle(schedule)
    x = s_curve(300, seed=12).double()
    for t in (0, 30, 99):
        out = fn(x, t)
        _expect(isinstance(out, torch.Tensor) and out.shape == (300, 3), "return a tensor of shape (N, 3): one column per label")
        _expect(_close(out.sum(1), torch.ones(300), 1e-6), "each row must sum to 1: divide q_t(x | c) p(c) by q_t(x)")
        _expect(_close(out, oracle.classifier(x, t).exp(), 1e-6), f"at t = {t + 1}, p(c | x_t) = q_t(x | c) * (1/3) / q_t(x)")


def _guided_middle_stroke():
    from .guidance import Guided, LabelledOracle, labels_of
    from .metrics import curve_coordinates
    from .samplers import gaussian_prior, sample_steps

    schedule = sigmoid_schedule(100)
    oracle = LabelledOracle(schedule)
    x0, u0 = s_curve(10_000, return_u=True)
    piece = x0[labels_of(u0) == 1]
    start = gaussian_prior(piece, schedule, 2_000, generator=torch.Generator().manual_seed(2)).double()
    samples = sample_steps(Guided(oracle, 1, 2.0), schedule, 2_000, 50, "ddim", eta=1.0,
                           generator=torch.Generator().manual_seed(3), x_T=start)
    u, _ = curve_coordinates(samples)
    # The middle stroke is u in [-pi/2, pi/2]; its middle half is |u| < pi/4, where the data put 50 % of the stroke's points.
    share = 100 * float(((u.abs() < math.pi / 4) & (labels_of(u) == 1)).double().sum() / (labels_of(u) == 1).sum())
    answer = "b" if share > 60 else "c" if share < 40 else "a"
    return answer, f"{share:.0f} % of the guided samples on the stroke lie in its middle half (data: 50 %)"



def _test_velocity_from_eps(fn):
    from .flows import FlowOracle, alpha_bar_of
    from .oracle import s_curve_oracle

    mixture = s_curve_oracle()
    flow = FlowOracle(mixture)
    x = 0.7 * s_curve(300, seed=5).double() + 0.3 * torch.randn(300, 2, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    for s in (0.1, 0.5, 0.9):
        # The exact E[eps | x_s]: lesson 09's eps* at the DDPM state x_s / k(s) and alpha_bar(s).
        eps = mixture(x / math.sqrt((1 - s) ** 2 + s**2), None, alpha_bar=alpha_bar_of(s).item())
        v = fn(eps, x, s)
        _expect(isinstance(v, torch.Tensor) and v.shape == x.shape, "return a tensor shaped like x")
        _expect(_close(v, flow(x, s), 1e-8), f"at s = {s}, your velocity from the exact eps differs from the exact velocity")


def _one_point_euler():
    from .flows import FlowOracle, flow_grid, flow_solve
    from .oracle import MixtureOracle

    point = torch.tensor([[0.05, -0.1]], dtype=torch.float64)
    flow = FlowOracle(MixtureOracle(point, torch.zeros(1, dtype=torch.float64), 0.0))
    x1 = torch.randn(1000, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    errors = {n: (flow_solve(flow, x1, flow_grid(n)) - point).abs().max().item() for n in (1, 10)}
    answer = "a" if errors[1] < 1e-12 else ("b" if errors[10] < 1e-12 else "c")
    return answer, f"after one Euler step the largest distance to the point is {errors[1]:.0e}"

EXERCISES = {
    "01.1": Exercise("to_unit_std", _test_to_unit_std, "one standard deviation per column (dim=0); broadcasting divides every row by it"),
    "01.2": Exercise("swiss_roll", _test_swiss_roll, "copy the S-curve recipe with make_swiss_roll"),
    "01.3": Exercise("prediction", _choice(_measure_other_columns, {"a": "an S", "b": "a filled rectangle", "c": "a thin line"}),
                     "make_s_curve's docstring says how each of the three columns is drawn"),
    "02.1": Exercise("alpha_bar_last", _test_alpha_bar_last, "alpha_bar_T multiplies the kept fraction 1 - beta_t of every step; look at how the lesson builds alpha_bar"),
    "02.2": Exercise("beta_max", _test_beta_max, "sum of beta must exceed about log(100) = 4.6; the sigmoid's mean is about half of beta_max"),
    "02.3": Exercise("prediction", _prediction(_measure_snr_unscaled, "the pooled SNR at t = T without the division by 10"),
                     "SNR is a ratio of variances: what happens to a variance when every point is 10 times larger?"),
    "03.1": Exercise("std_after", _test_std_after, "the lesson's variance recursion, one update per entry of beta, starting from var0"),
    "03.2": Exercise("std_without_shrink", lambda fn: _test_std_after(fn, shrink=False), "which factor of the variance recursion comes from the shrink? Leave it out"),
    "03.3": Exercise("prediction", _prediction(_measure_std_from_origin, "the std of x_T for a chain started at the origin", rel_tol=0.05),
                     "start the variance recursion from 0, or use lesson 02's form of x_T with x_0 = 0"),
    "04.1": Exercise("merged_beta", _test_merged_beta, "1 - beta is the fraction kept; what is kept after both steps?"),
    "04.2": Exercise("x0_from_eps", _test_x0_from_eps, "subtract the noise term, then undo the scaling of x_0"),
    "04.3": Exercise("prediction", _prediction(_measure_correlation_z, "the correlation of z in x_0 and in x_T"),
                     "corr = Cov(x_0, x_T) / (std x_0 * std x_T), with Cov(x_0, a x_0 + b eps) = a Var(x_0); lesson 02 printed the stds"),
    "05.1": Exercise("count_parameters", _test_count_parameters, "four Linear layers (a*b + b each) and three T x hidden tables"),
    "05.2": Exercise("embed_step", _test_embed_step, "the lesson's PE(t) formula with k = 0 ... dim/2 - 1; torch.sin and torch.cos of the same angles t * omega_k"),
    "05.3": Exercise("prediction", _choice(_measure_sinusoidal_step_T, {"a": "a prediction", "b": "an error"}),
                     "the embedding is defined for any t; what does NoisePredictor check before it embeds?"),
    "06.1": Exercise("elbo_weight", _test_elbo_weight, "start from lambda_t in section 4 and substitute sigma_t^2 = beta_t"),
    "06.2": Exercise("kl_isotropic", _test_kl_isotropic, "the general Gaussian KL with both covariances a multiple of I"),
    "06.3": Exercise("prediction", _prediction(_measure_zero_predictor_loss, "L_simple of the predictor that always says 0"),
                     "with eps_theta = 0 the loss is the mean of eps^2 over points and coordinates"),
    "07.1": Exercise("predicted_off_curve", _prediction(_off_curve_with_last_step_noise, "the off-curve RMS x 10^3", rel_tol=0.03), "independent errors add in quadrature, and only the part of the noise across the curve moves a point off it"),
    "07.2": Exercise("posterior_variance", _test_posterior_variance, "beta~_t needs alpha_bar of the step before; the first step has none, so use the value before any noise was added"),
    "08.1": Exercise("lr_at", _test_lr_at, "two pieces: a straight line up to the peak over the warm-up steps (step 0 already above 0), then half a cosine period from the peak down to 0 at the last step"),
    "08.2": Exercise("ema_update", _test_ema_update, "keep decay of each old value and add (1 - decay) of the new one; in-place tensor methods end in an underscore",
                     copies=False),
    "08.3": Exercise("predicted_std", _prediction(_scaled_input_std_first_step, "the std of the scaled first coordinate at t = 1", rel_tol=0.05), "c_in divides by one pooled std for both coordinates; how does the first coordinate's own std compare with the pooled one?"),
    "09.1": Exercise("eps_star_finite", _test_eps_star_finite, "E[x0 | xt] weighs each training point by how well it explains xt (a Gaussian likelihood, lesson 04); then solve the definition of x_t for eps"),
    "09.2": Exercise("predicted_floor", _prediction(_sharp_data_first_step_floor, "the loss floor at t = 1", rel_tol=0.1), "the first step's noise is now wider than the curve: which directions of eps can x_1 reveal, and which can it not?"),
    "10.1": Exercise("karras_steps", _test_karras_steps, "sigma = sqrt((1 - alpha_bar) / alpha_bar) per step; for each target sigma_i take argmin |sigma - sigma_i| over the steps, then torch.unique_consecutive"),
    "10.2": Exercise("predicted_ratio", _prediction(_heun_ratio_33_99, "Heun's error ratio, 33 vs 99 intervals", rel_tol=0.2), "an order-p method's error scales like N^-p; the step count grows by a factor 3"),
    "11.1": Exercise("classifier_probs", _test_classifier_probs, "stack the three conditional log densities, add log(1/3), subtract the unconditional log density, exponentiate"),
    "11.2": Exercise("prediction", _choice(_guided_middle_stroke, {"a": "samples spread evenly along the stroke", "b": "samples crowded towards the middle of the stroke", "c": "samples pushed towards the stroke's ends"}),
                     "guidance multiplies by p(c | x_t)^w at every step: where on the stroke is the label most certain?"),
    "12.1": Exercise("velocity_from_eps", _test_velocity_from_eps, "solve x_s = (1 - s) x_0 + s eps for x_0; the velocity of the path is eps - x_0"),
    "12.2": Exercise("prediction", _choice(_one_point_euler, {"a": "one step lands exactly", "b": "about 10 steps are needed", "c": "about 100 steps are needed"}),
                     "with one data point, E[x_0 | x_s] is that point for every x_s: what does the exact velocity do along a path?"),
}


class LearnerError(Exception):
    """An error raised inside the learner's own answer."""


class _Guarded:
    """The learner's function, called on copies of its inputs, so an answer that changes them in place cannot change
    what the check compares it with. Errors it raises are marked as the learner's; returned counts the calls that returned."""

    def __init__(self, answer, copies):
        self.answer, self.copies, self.returned = answer, copies, 0

    def __call__(self, *args):
        if self.copies:
            args = copy.deepcopy(args)
        try:
            value = self.answer(*args)
        except Exception as error:
            raise LearnerError(error) from error
        self.returned += 1
        return value


def _where(error):
    """' (line N of your code: `source`)' for the innermost frame of error's traceback outside the course and the
    libraries, or '' if there is none."""
    library = (str(Path(__file__).resolve().parent), sys.prefix, sys.base_prefix, "<frozen")
    frames = [f for f in traceback.extract_tb(error.__traceback__) if not f.filename.startswith(library)]
    if not frames:
        return ""
    frame = frames[-1]
    source = f": `{frame.line.strip()}`" if frame.line and frame.line.strip() else ""
    return f" (line {frame.lineno} of your code{source})"


def _describe(error):
    text = str(error)
    return f"{type(error).__name__}: {text[:300]}" if text else type(error).__name__


COURSE_FAILURE = ("This is a failure of the course's own files, not of your answer: restore them (`git checkout -- "
                  "helpers notebooks`, or a fresh clone), restart the kernel and run the check again.")


def verdict(exercise_id, answer):
    """(True, "correct" message), (False, what is missing plus a hint) for a learner's answer, or (None, what went
    wrong) when the check itself fails and so cannot judge the answer."""
    if exercise_id not in EXERCISES:
        raise ValueError(f"exercise_id must be one of {sorted(EXERCISES)}, got {exercise_id!r}")
    exercise = EXERCISES[exercise_id]
    guarded = _Guarded(answer, exercise.copies) if callable(answer) else None
    not_yet = f"Exercise {exercise_id}: not yet: "
    try:
        note = exercise.test(guarded or answer)
    except NotYet as reason:
        return False, f"{not_yet}{reason}. Hint: {exercise.hint}"
    except LearnerError as wrapped:
        error = wrapped.__cause__
        return False, f"{not_yet}your answer raised {_describe(error)}{_where(error)}. Hint: {exercise.hint}"
    except Exception as error:
        if guarded is not None and guarded.returned:
            return False, (f"{not_yet}the check could not use what your function returned ({_describe(error)}). "
                           f"Hint: {exercise.hint}")
        return None, f"Exercise {exercise_id}: the check itself failed with {_describe(error)}. {COURSE_FAILURE}"
    # A prediction's check also reports what the run measured.
    return True, f"Exercise {exercise_id}: correct!" + (f" {note}" if note else "")


def check_exercise(exercise_id, answer):
    """Run an exercise's check on the learner's answer and print "correct" or what is missing and a hint.

    Defined in lesson 01 (data).
    """
    print(verdict(exercise_id, answer)[1])
