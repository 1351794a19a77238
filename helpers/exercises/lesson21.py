"""Lesson 21 (latent diffusion): its exercises' checks and hints."""

import math

import torch

from ..data.s_curve import curve, embedding
from ..exact.oracle import MixtureOracle, quadrature
from .base import Exercise, expect, number


def _real(value, what):
    value = number(value)
    expect(isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value),
           f"return {what} as one finite number, got {value!r}")
    return float(value)


def _projected_error(y, k):
    """The mean squared error, summed over coordinates, of projecting the centred points y onto their first k right
    singular vectors: the best rank-k linear autoencoder, measured by reconstructing."""
    centred = y - y.mean(0)
    v = torch.linalg.svd(centred, full_matrices=False).Vh[:k].T
    return (centred - centred @ v @ v.T).pow(2).sum(1).mean().item()


def _test_best_linear_error(fn):
    generator = torch.Generator().manual_seed(21)
    clouds = [torch.randn(200, 6, generator=generator, dtype=torch.float64) @ torch.randn(6, 6, generator=generator,
                                                                                         dtype=torch.float64),
              torch.randn(500, 3, generator=generator, dtype=torch.float64) * torch.tensor([3.0, 1.0, 0.2],
                                                                                             dtype=torch.float64) + 5]
    for y in clouds:
        for k in range(y.shape[1] + 1):
            value = _real(fn(y.clone(), k), "the error")
            measured = _projected_error(y, k)
            expect(abs(value - measured) <= 1e-6 * (1 + measured),
                   f"for {y.shape[1]} coordinates and k = {k} your error, {value:.6g}, is "
                   f"{'more' if value > measured else 'less'} than the best linear autoencoder's")


def _test_off_plane_shrinkage(fn):
    q = embedding(8).double()
    u, log_w = quadrature(64)
    for std in (0.01, 0.3):
        oracle = MixtureOracle(curve(u) @ q.T, log_w, std)
        for alpha_bar in (0.999, 0.5, 0.01):
            value = _real(fn(alpha_bar, std), "the factor")
            # E[y_0 | y_t] off the plane, by the 8-dimensional oracle at a point that is all off-plane noise.
            direction = torch.zeros(1, 8, dtype=torch.float64)
            direction[0, 0] = 1.0
            off = direction - (direction @ q) @ q.T
            x0_hat = _denoise_at(oracle, off, alpha_bar)
            measured = ((x0_hat - (x0_hat @ q) @ q.T) @ off.T / (off @ off.T)).item()
            expect(abs(value - measured) <= 1e-6 * abs(measured) + 1e-12,
                   f"at alpha_bar = {alpha_bar} with std = {std} your factor, {value:.6g}, is "
                   f"{'more' if value > measured else 'less'} than the exact one")


def _denoise_at(oracle, x, alpha_bar):
    """E[y_0 | y_t = x] at any alpha_bar, from the oracle's score: m + a std^2 / s^2 (x - a m) with a m = x + s^2 score."""
    a, s2 = alpha_bar**0.5, alpha_bar * oracle.std**2 + 1 - alpha_bar
    score = oracle.score(x, None, alpha_bar=alpha_bar)
    a_m = x + s2 * score
    return a_m / a + a * oracle.std**2 / s2 * (x - a_m)


EXERCISES = {
    "21.1": Exercise("best_linear_error", _test_best_linear_error,
                     "the best linear autoencoder keeps the k directions along which the points vary most; what is "
                     "left is their spread along the others. The covariance's eigenvalues (divide by N, not N - 1) are "
                     "those spreads"),
    "21.2": Exercise("off_plane_shrinkage", _test_off_plane_shrinkage,
                     "off the plane, y_0 is std times Gaussian noise, independent of where on the curve it is; y_t there "
                     "is sqrt(alpha_bar) times it plus sqrt(1 - alpha_bar) times fresh noise. What is E[a | a + b] for two "
                     "independent zero-mean Gaussians?"),
}
