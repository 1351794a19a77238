"""Sample quality: the energy distance between two point clouds."""

import torch

from ._checks import check_int, check_points
from .data import s_curve

EVAL_SEED = 2024


def _sum_distances(a, b, chunk):
    total = torch.zeros((), dtype=torch.float64, device=a.device)
    for start in range(0, a.shape[0], chunk):
        total += torch.cdist(a[start : start + chunk], b).sum(dtype=torch.float64)
    return total


def energy_distance(x, y, chunk=2048):
    """Unbiased (U-statistic) energy distance 2 E|X - Y| - E|X - X'| - E|Y - Y'| of two (N, 2) clouds.

    Within-cloud means skip each point's distance to itself, so two samples of one distribution
    score about 0 (and can dip slightly below). Defined in lesson 07 (sampling).
    """
    x, y = check_points("x", x), check_points("y", y)
    if x.shape[0] < 2 or y.shape[0] < 2:
        raise ValueError(f"x and y need at least 2 points each, got {x.shape[0]} and {y.shape[0]}")
    chunk = check_int("chunk", chunk, 1)
    y = y.to(x.device, x.dtype)
    n, m = x.shape[0], y.shape[0]
    xy = _sum_distances(x, y, chunk) / (n * m)
    xx = _sum_distances(x, x, chunk) / (n * (n - 1))
    yy = _sum_distances(y, y, chunk) / (m * (m - 1))
    return float(2 * xy - xx - yy)


def sample_quality(samples, seed=EVAL_SEED):
    """Energy distance x 10^3 between samples and a fresh S-curve of the same size (lower is better).

    Defined in lesson 07 (sampling).
    """
    samples = check_points("samples", samples)
    reference = s_curve(samples.shape[0], seed=seed, device=samples.device)
    return 1e3 * energy_distance(samples, reference)
