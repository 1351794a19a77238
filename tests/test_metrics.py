import math

import numpy as np
import pytest
import torch
from scipy.stats import energy_distance as scipy_energy_distance

import helpers

# The lessons whose tests these are (`python3 course.py test --lesson NN`, tests/conftest.py).
LESSONS = ("07", "09")


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


def data_floor(k=6):
    return [helpers.sharp_quality(helpers.s_curve(10_000, seed=300 + s), energy=False) for s in range(k)]


def test_curve_coordinates_recover_u_and_normal_offsets():
    u = torch.linspace(-4.5, 4.5, 301, dtype=torch.float64)
    on_curve = helpers.curve(u)
    found_u, distance = helpers.curve_coordinates(on_curve)
    assert (found_u - u).abs().max() < 1e-4 and distance.max() < 1e-5
    # Move each point 0.02 along the curve's normal (the curve's radius of curvature is 0.1, so it stays nearest).
    tangent = torch.stack([u.cos(), -u.sign() * u.sin()], 1)
    normal = torch.stack([-tangent[:, 1], tangent[:, 0]], 1)
    inner = (u.abs() > 0.05) & (u.abs() < 4.4)
    _, distance = helpers.curve_coordinates((on_curve + 0.02 * normal)[inner])
    assert (distance - 0.02).abs().max() < 1e-6


def test_coverage_gap_is_the_ks_distance():
    from scipy.stats import kstest

    u = torch.rand(500, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 2 - 1
    u = u * 1.2 * math.pi
    expected = kstest(u.numpy(), "uniform", args=(-1.5 * math.pi, 3 * math.pi)).statistic
    assert abs(helpers.coverage_gap(u) - 100 * expected) < 1e-9


def test_data_scores_within_the_floor():
    floor = data_floor()
    assert all(9.8 < q.off_curve < 10.2 for q in floor)
    assert all(q.stray < 0.02 and q.coverage_gap < 2.0 for q in floor)
    assert all(abs(q.nll - floor[0].nll) < 0.05 for q in floor)


def test_final_step_blur_is_clearly_detected():
    schedule = helpers.sigmoid_schedule(100)
    floor = data_floor()
    off = torch.tensor([q.off_curve for q in floor])
    x0 = helpers.s_curve(10_000, seed=5)
    blurred = x0 + schedule.beta[0].sqrt() * torch.randn(x0.shape, generator=torch.Generator().manual_seed(5))
    q = helpers.sharp_quality(blurred)
    assert q.off_curve > off.mean() + 8 * off.std()
    # The energy distance cannot see it: the reason the sharp metrics exist.
    assert abs(q.energy) < 0.1


def test_missing_end_is_clearly_detected():
    floor = data_floor()
    gaps = torch.tensor([q.coverage_gap for q in floor])
    x, u = helpers.s_curve(12_000, seed=6, return_u=True)
    q = helpers.sharp_quality(x[u < 0.8 * 1.5 * math.pi][:10_000], energy=False)
    assert q.coverage_gap > gaps.mean() + 8 * gaps.std() and q.coverage_gap > 5


def test_committed_model_is_placed_off_the_data():
    schedule = helpers.sigmoid_schedule(100)
    model = helpers.load_model(helpers.COMMITTED_CHECKPOINT)
    samples = helpers.sample(model, schedule, 10_000, generator=torch.Generator().manual_seed(1), sigma="beta")
    q = helpers.sharp_quality(samples, energy=False)
    off = torch.tensor([f.off_curve for f in data_floor()])
    assert q.off_curve > off.mean() + 5 * off.std() and q.stray > 0.05


def test_quality_text_and_bad_input():
    q = helpers.sharp_quality(helpers.s_curve(2000, seed=1), energy=False)
    assert math.isnan(q.energy) and str(q).startswith("off-curve ")
    with pytest.raises(ValueError, match="1-d tensor"):
        helpers.coverage_gap(torch.zeros(2, 2))
    with pytest.raises(ValueError, match="samples must be finite"):
        helpers.sharp_quality(torch.full((3, 2), float("nan")))
