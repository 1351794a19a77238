"""Lesson 01 (data): its exercises' checks and hints."""

import numpy as np
import torch
from sklearn.datasets import make_s_curve, make_swiss_roll

from ..data.s_curve import s_curve
from .base import Exercise, choice, close, expect


def _test_to_unit_std(fn):
    x = s_curve(2000, seed=3)
    y = fn(x)
    expect(isinstance(y, torch.Tensor), "return a tensor")
    expect(y.shape == x.shape, f"keep the shape {tuple(x.shape)}")
    # Either convention is a correct answer: the sample std (divide by n - 1) or the population std (by n).
    sample_std, population_std = x.std(dim=0), x.std(dim=0, correction=0)
    by_sample, by_population = close(y * sample_std, x, 1e-5), close(y * population_std, x, 1e-5)
    expect(by_sample or by_population, "each column should end with std 1, and the cloud keep its shape: only divide")


def _test_swiss_roll(fn):
    for n, seed in ((500, 0), (300, 7)):
        y = fn(n, seed)
        points, _ = make_swiss_roll(n, noise=0.1, random_state=seed)
        expect(isinstance(y, torch.Tensor) and y.dtype == torch.float32, "return a float32 tensor")
        expect(y.shape == (n, 2), f"return shape ({n}, 2): columns 0 and 2")
        expect(close(y, points[:, [0, 2]] / 10, 1e-6), "columns 0 and 2 of make_swiss_roll, divided by 10")


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


EXERCISES = {
    "01.1": Exercise("to_unit_std", _test_to_unit_std, "one standard deviation per column (dim=0); broadcasting divides every row by it"),
    "01.2": Exercise("swiss_roll", _test_swiss_roll, "copy the S-curve recipe with make_swiss_roll"),
    "01.3": Exercise("prediction", choice(_measure_other_columns, {"a": "an S", "b": "a filled rectangle", "c": "a thin line"}),
                     "make_s_curve's source (import inspect; print(inspect.getsource(make_s_curve))) shows how each of the three columns is drawn"),
}
