"""Lesson 14 (what the network predicts): its exercises' checks and hints."""

import torch

from ..networks.preconditioning import edm_coefficients
from .base import Exercise, close, expect


def _raw_variance(c_skip, nu, data_std):
    """V(c) = (1 - c)^2 sd^2 + c^2 nu^2, the variance of x_0 - c y per coordinate: c_out^2 times the raw target's."""
    return (1 - c_skip) ** 2 * data_std**2 + c_skip**2 * nu**2


def _test_edm_c_skip(fn):
    nu = torch.logspace(-3, 1, 41, dtype=torch.float64)
    for data_std in (0.1106, 0.5, 1.0):
        got = fn(nu, data_std)
        expect(isinstance(got, torch.Tensor) and got.shape == nu.shape,
               "return one c_skip per noise level: a tensor shaped like nu")
        got = got.double()
        expect(bool(torch.isfinite(got).all()), "your c_skip is not finite at every nu from 1e-3 to 10")
        # EDM's c_skip, from the helper, as alpha_bar = 1 / (1 + nu^2).
        best = edm_coefficients(1 / (1 + nu**2), data_std)[0]
        k = (got - best).abs().argmax()
        c = got[k].clone().requires_grad_(True)
        slope = torch.autograd.grad(_raw_variance(c, nu[k], data_std), c)[0].item()
        expect(close(got, best, tol=1e-9),
               f"at nu = {nu[k]:.3g}, sigma_data = {data_std}: your c_skip {got[k]:.4g} gives V = "
               f"{_raw_variance(got[k], nu[k], data_std):.4g}, and the smallest V is {_raw_variance(best[k], nu[k], data_std):.4g} "
               f"(V's slope at your c_skip is {slope:+.3g}, not 0)")


def _test_gaussian_eps_star(fn):
    generator = torch.Generator().manual_seed(14)
    for alpha_bar in (0.999, 0.78, 0.3, 0.01):
        for data_std in (0.1106, 1.0, 3.0):
            a, b = alpha_bar**0.5, (1 - alpha_bar) ** 0.5
            x0 = data_std * torch.randn(2000, 2, generator=generator, dtype=torch.float64)
            eps = torch.randn(2000, 2, generator=generator, dtype=torch.float64)
            x_t = a * x0 + b * eps
            got = fn(x_t, alpha_bar, data_std)
            expect(isinstance(got, torch.Tensor) and got.shape == x_t.shape, "return one eps* per point, shape (N, 2)")
            # E[eps | x_t] for jointly Gaussian (eps, x_t): Cov(eps, x_t) / Var(x_t) per coordinate.
            best = b / (a**2 * data_std**2 + b**2) * x_t
            miss = ((got.double() - best).norm() / best.norm()).item()
            expect(close(got, best, tol=1e-9),
                   f"at alpha_bar = {alpha_bar}, sigma_data = {data_std}: your eps* is {miss:.3g} away from the exact one "
                   "(RMS, relative to its size)")


EXERCISES = {
    "14.1": Exercise("edm_c_skip", _test_edm_c_skip,
                     "V is a parabola in c: set its derivative to 0 and solve for c"),
    "14.2": Exercise("gaussian_eps_star", _test_gaussian_eps_star,
                     "(eps, x_t) are jointly Gaussian with mean 0, so E[eps | x_t] is linear in x_t: per coordinate "
                     "Cov(eps, x_t) / Var(x_t), and Var(x_t) has a part from the data and a part from the noise"),
}
