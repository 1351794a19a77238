"""Sample quality: sharp metrics measured against the known curve, and the energy distance."""

import math
from dataclasses import dataclass
from functools import lru_cache

import torch

from .._checks import check_finite, check_float, check_int, check_points
from ..data.s_curve import U_MAX, curve, s_curve
from ..exact.oracle import DATA_STD, s_curve_oracle

EVAL_SEED = 2024
# Nearest-point search: a coarse grid of the centre line finds the arm, then a fine grid around the nearest
# coarse point: u is found to within half a fine step, 3 pi / 1023 / 128 = 7e-5 (7e-6 in arc length).
COARSE_GRID = 1024
FINE_GRID = 129
# A point this far from the curve (5 data standard deviations) is a stray: data put about 6e-5 % of points there.
STRAY_DISTANCE = 5 * DATA_STD
_EXACT = s_curve_oracle()


def _sum_distances(a, b, chunk):
    total = torch.zeros((), dtype=torch.float64, device=a.device)
    for start in range(0, a.shape[0], chunk):
        total += torch.cdist(a[start : start + chunk], b).sum(dtype=torch.float64)
    return total


def _mean_within(x, chunk):
    """Mean distance between distinct points of one cloud (the U-statistic skips each point's zero self-distance)."""
    n = x.shape[0]
    return _sum_distances(x, x, chunk) / (n * (n - 1))


def _energy(x, y, y_within, chunk):
    """2 E|X - Y| - E|X - X'| - E|Y - Y'|, with E|Y - Y'| given (it is reused for a fixed reference cloud)."""
    return 2 * _sum_distances(x, y, chunk) / (x.shape[0] * y.shape[0]) - _mean_within(x, chunk) - y_within


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
    return _finite_result("the energy distance", float(_energy(x, y, _mean_within(y, chunk), chunk)), x, y)


def _finite_result(what, value, *clouds):
    """value, or an error saying that it overflowed because of the points' size."""
    if not math.isfinite(value):
        largest = max(float(c.abs().max()) for c in clouds)
        raise ValueError(f"{what} overflowed ({value}): the points reach |x| = {largest:.3g}, too large for their "
                         f"dtype's distances; the S-curve lies within 0.2 of the origin")
    return value


@lru_cache(maxsize=4)
def _reference(n, seed):
    """The fresh data sample quality is measured against, and its mean within-sample distance (reused)."""
    reference = s_curve(n, seed=seed)
    return reference, _mean_within(reference, 2048)


def sample_quality(samples, seed=EVAL_SEED):
    """Energy distance x 10^3 between samples and a fresh S-curve of the same size (lower is better).

    Defined in lesson 07 (sampling).
    """
    samples = check_points("samples", samples)
    if samples.shape[0] < 2:
        raise ValueError(f"samples needs at least 2 points, got {samples.shape[0]}")
    reference, y_within = _reference(samples.shape[0], seed)
    reference = reference.to(samples.device, samples.dtype)
    return _finite_result("the energy distance", float(1e3 * _energy(samples, reference, y_within.to(samples.device), 2048)), samples)


def curve_coordinates(x, chunk=2048):
    """For each point, the parameter u of the nearest point of the centre line c(u), and the distance to it.

    Defined in lesson 09 (the exact S-curve).
    """
    x = check_points("x", x).detach().cpu().double()
    chunk = check_int("chunk", chunk, 1)
    coarse = torch.linspace(-U_MAX, U_MAX, COARSE_GRID, dtype=torch.float64)
    coarse_line = curve(coarse)
    step = coarse[1] - coarse[0]
    offsets = torch.linspace(-step, step, FINE_GRID, dtype=torch.float64)
    u, distance = [], []
    for start in range(0, x.shape[0], chunk):
        xc = x[start : start + chunk]
        near = coarse[torch.cdist(xc, coarse_line).argmin(1)]
        fine = (near[:, None] + offsets).clamp(-U_MAX, U_MAX)
        nearest = (curve(fine) - xc[:, None, :]).norm(dim=-1).min(1)
        u.append(fine.gather(1, nearest.indices[:, None]).squeeze(1))
        distance.append(nearest.values)
    return torch.cat(u), torch.cat(distance)


@dataclass(frozen=True)
class Quality:
    """Sharp sample-quality numbers. Closer to the data's value is better: off-curve below the data's (or NLL below its
    entropy) means samples sharper than the data. Defined in lesson 09 (the exact S-curve).

    off_curve: RMS distance to the curve, x 10^3 (precision: blur and strays; data about 10).
    stray: % of points farther than 0.05 from the curve (data: 0).
    coverage_gap: % Kolmogorov-Smirnov distance of the points' u from uniform (coverage; data about 1).
    nll: mean -log q_0(x) under the exact data density, in nats (cross-entropy; data about -3.23).
    energy: energy distance x 10^3 to a fresh data sample (secondary, distribution-free).
    """

    off_curve: float
    stray: float
    coverage_gap: float
    nll: float
    energy: float

    def __str__(self):
        return f"off-curve ×10³ {self.off_curve:.2f}, gap {self.coverage_gap:.1f}%, stray {self.stray:.2f}%"


def coverage_gap(u, low=-U_MAX, high=U_MAX):
    """Kolmogorov-Smirnov distance, in %, between the empirical law of u and U[low, high] (default U[-3pi/2, 3pi/2]).

    Defined in lesson 09 (the exact S-curve); low and high in lesson 11 (guidance).
    """
    if not isinstance(u, torch.Tensor) or u.ndim != 1 or u.numel() < 1:
        raise ValueError(f"u must be a 1-d tensor with at least one value, got {u!r:.80}")
    check_finite("u", u)
    low = check_float("low", low, -math.inf, math.inf)
    high = check_float("high", high, low, math.inf)
    cdf = ((u.double().sort().values - low) / (high - low)).clamp(0, 1)
    n = cdf.numel()
    rank = torch.arange(1, n + 1, dtype=torch.float64)
    return 100 * float(torch.maximum(rank / n - cdf, cdf - (rank - 1) / n).max())


def sharp_quality(samples, seed=EVAL_SEED, energy=True):
    """All sample-quality numbers of a cloud of points, as a Quality; energy=False skips the (slow) energy
    distance and leaves it NaN. Defined in lesson 09 (the exact S-curve)."""
    samples = check_points("samples", samples)
    u, distance = curve_coordinates(samples)
    return Quality(
        off_curve=1e3 * math.sqrt(float((distance**2).mean())),
        stray=100 * float((distance > STRAY_DISTANCE).double().mean()),
        coverage_gap=coverage_gap(u),
        nll=-float(_EXACT.log_prob(samples.detach().cpu().double(), None).mean()),
        energy=sample_quality(samples, seed=seed) if energy else math.nan,
    )
