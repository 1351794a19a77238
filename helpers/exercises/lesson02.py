"""Lesson 02 (noise schedule): its exercises' checks and hints."""

import math



from ..data.s_curve import s_curve
from ..process.schedules import linear_schedule, sigmoid_schedule
from .base import Exercise, expect, is_number, number, prediction


def _test_alpha_bar_last(fn):
    for sch in (sigmoid_schedule(100), linear_schedule(1000), linear_schedule(7, 0.1, 0.3)):
        value = number(fn(sch.beta.clone()))
        expect(isinstance(value, float), "return a number (a float, or a tensor holding one)")
        expect(math.isclose(value, sch.alpha_bar[-1].item(), rel_tol=1e-4), "alpha_bar_T is the product of all (1 - beta)")


def _test_beta_max(beta_max):
    beta_max = number(beta_max)
    expect(is_number(beta_max), "assign a number to beta_max")
    expect(0 < beta_max <= 0.2, "beta_max must be in (0, 0.2]")
    reached = sigmoid_schedule(100, beta_max=beta_max).alpha_bar[-1].item()
    expect(reached < 0.01, f"with beta_max = {beta_max:g}, alpha_bar_T = {reached:.3f}; go higher")


def _measure_snr_unscaled():
    x0 = 10 * s_curve(10_000)
    alpha_bar_T = sigmoid_schedule(100).alpha_bar[-1].double()
    return (alpha_bar_T * x0.double().var(dim=0).mean() / (1 - alpha_bar_T)).item()


EXERCISES = {
    "02.1": Exercise("alpha_bar_last", _test_alpha_bar_last, "alpha_bar_T multiplies the kept fraction 1 - beta_t of every step; look at how the lesson builds alpha_bar"),
    "02.2": Exercise("beta_max", _test_beta_max, "sum of beta must exceed about log(100) = 4.6; the sigmoid's mean is about half of beta_max"),
    "02.3": Exercise("prediction", prediction(_measure_snr_unscaled, "the pooled SNR at t = T without the division by 10"),
                     "SNR is a ratio of variances: what happens to a variance when every point is 10 times larger?"),
}
