import numpy as np
import pytest
import torch
from scipy.stats import energy_distance as scipy_energy_distance

import helpers


def brute_force(x, y):
    x, y = x.double().numpy(), y.double().numpy()
    d = lambda a, b: np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))
    n, m = len(x), len(y)
    return 2 * d(x, y).mean() - d(x, x).sum() / (n * (n - 1)) - d(y, y).sum() / (m * (m - 1))


def test_matches_brute_force_on_small_sets():
    x, y = helpers.s_curve(60, seed=1), helpers.s_curve(45, seed=2) + 0.02
    exact = brute_force(x, y)
    assert abs(helpers.energy_distance(x.double(), y.double(), chunk=7) - exact) < 1e-12
    # float32 distances carry ~1e-7 relative error each; the sums are accumulated in float64.
    assert abs(helpers.energy_distance(x, y, chunk=7) - exact) < 1e-3 * exact


def test_matches_scipy_in_one_dimension():
    # scipy returns sqrt(2 E|X-Y| - E|X-X'| - E|Y-Y'|) with V-statistic within-sample means, which keep the
    # zero diagonal: sum/n^2 instead of our sum/(n(n-1)). So scipy^2 = ours + S_xx/(n^2(n-1)) + S_yy/(m^2(m-1)).
    # A zero second coordinate makes our 2-D distances the 1-D ones.
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, 80), rng.normal(0.3, 1.2, 70)
    n, m = len(a), len(b)
    x = torch.tensor(np.stack([a, np.zeros(n)], 1))
    y = torch.tensor(np.stack([b, np.zeros(m)], 1))
    s_xx, s_yy = np.abs(a[:, None] - a[None, :]).sum(), np.abs(b[:, None] - b[None, :]).sum()
    ours = helpers.energy_distance(x, y)
    assert abs(np.sqrt(ours + s_xx / (n**2 * (n - 1)) + s_yy / (m**2 * (m - 1))) - scipy_energy_distance(a, b)) < 1e-9


def test_same_distribution_scores_about_zero():
    values = [helpers.sample_quality(helpers.s_curve(3000, seed=s)) for s in range(5)]
    assert max(abs(v) for v in values) < 0.15


def test_shifted_and_collapsed_clouds_score_clearly_positive():
    data = helpers.s_curve(3000, seed=1)
    assert helpers.sample_quality(data + torch.tensor([0.02, 0.0])) > 1.0
    collapsed = data.mean(0, keepdim=True).repeat(3000, 1) + 1e-4 * torch.randn(3000, 2)
    assert helpers.sample_quality(collapsed) > 20


def test_symmetric_and_scale_covariant():
    x, y = helpers.s_curve(200, seed=1), helpers.s_curve(200, seed=2) * 1.1
    assert abs(helpers.energy_distance(x, y) - helpers.energy_distance(y, x)) < 1e-9
    assert abs(helpers.energy_distance(2 * x, 2 * y) - 2 * helpers.energy_distance(x, y)) < 1e-9


def test_bad_metric_input():
    with pytest.raises(ValueError, match="at least 2 points"):
        helpers.energy_distance(torch.zeros(1, 2), torch.zeros(5, 2))
    with pytest.raises(ValueError, match=r"y must have shape \(N, 2\)"):
        helpers.energy_distance(torch.zeros(3, 2), torch.zeros(5, 3))
    bad = torch.zeros(3, 2)
    bad[0, 0] = float("inf")
    with pytest.raises(ValueError, match="samples must be finite"):
        helpers.sample_quality(bad)
