"""The S-curve data set and the curve it is drawn around."""

import math

import numpy as np
import torch
from sklearn.datasets import make_s_curve

from .._checks import check_device, check_finite, check_float, check_int, check_points

SCALE = 10.0
# make_s_curve draws the curve parameter u uniformly on [-3 pi/2, 3 pi/2].
U_MAX = 1.5 * math.pi


def s_curve(n=10_000, noise=0.1, seed=0, device="cpu", return_u=False):
    """n points of scikit-learn's S-curve in the x-z plane, divided by 10, as a float32 tensor (n, 2).

    The reference recipe: make_s_curve(n, noise), keep columns 0 and 2, divide by 10. With return_u, also
    the curve parameter u of each point (float64, shape (n,)): the point is curve(u) + noise / 10 * z.
    Defined in lesson 01 (data); return_u in lesson 09 (the exact S-curve).
    """
    n = check_int("n", n, 1)
    noise = check_float("noise", noise, 0.0, float("inf"), low_open=False)
    seed = check_int("seed", seed, 0, 2**32)
    device = check_device(device)
    points, u = make_s_curve(n, noise=noise, random_state=np.random.RandomState(seed))
    x0 = torch.as_tensor(points[:, [0, 2]] / SCALE, dtype=torch.float32, device=device)
    if return_u:
        return x0, torch.as_tensor(u, dtype=torch.float64, device=device)
    return x0


def check_curve_parameter(u, name="u"):
    """u: a finite floating-point tensor (or NumPy array) of curve parameters in [-3pi/2, 3pi/2]."""
    if isinstance(u, np.ndarray):
        u = torch.from_numpy(np.ascontiguousarray(u))
    if not isinstance(u, torch.Tensor) or not u.is_floating_point():
        got = u.dtype if isinstance(u, torch.Tensor) else type(u).__name__
        raise TypeError(f"{name} must be a floating-point tensor, got {got}")
    check_finite(name, u)
    # A few ulps of slack: nodes computed in float64 may land a rounding error outside the range.
    if u.numel() and u.abs().max() > U_MAX * (1 + 1e-12):
        raise ValueError(f"{name} must be in [-3pi/2, 3pi/2], got values from {u.min().item():.4g} to {u.max().item():.4g}")
    return u


def curve(u):
    """The S-curve's centre line c(u) = (sin u, sign(u) (cos u - 1)) / 10, shape (..., 2), for u in [-3pi/2, 3pi/2].

    Defined in lesson 09 (the exact S-curve).
    """
    u = check_curve_parameter(u)
    return torch.stack([u.sin(), u.sign() * (u.cos() - 1)], dim=-1) / SCALE


def embedding(d=64, seed=0):
    """A fixed d x 2 matrix Q with orthonormal columns (the QR factor of a seeded Gaussian matrix): Q x puts the
    S-curve's plane in d dimensions. Defined in lesson 21 (latent diffusion)."""
    d = check_int("d", d, 2)
    generator = torch.Generator().manual_seed(check_int("seed", seed, 0))
    gaussian = torch.randn(d, 2, generator=generator, dtype=torch.float64)
    return torch.linalg.qr(gaussian).Q.float()


def check_embedding(q):
    """q: a float tensor of shape (d, 2), d >= 2, with orthonormal columns (helpers.embedding's)."""
    if not isinstance(q, torch.Tensor) or not q.is_floating_point() or q.ndim != 2 or q.shape[1] != 2 or q.shape[0] < 2:
        got = tuple(q.shape) if isinstance(q, torch.Tensor) else type(q).__name__
        transposed = isinstance(q, torch.Tensor) and q.shape[:1] == (2,)
        raise ValueError(f"q must be a float tensor of shape (d, 2) with orthonormal columns, as helpers.embedding() "
                         f"gives it, got {got}" + (": transpose it" if transposed else ""))
    if not torch.allclose(q.T.double() @ q.double(), torch.eye(2, dtype=torch.float64), atol=1e-5):
        raise ValueError("q's columns must be orthonormal (q.T @ q = I), as helpers.embedding() gives them")
    return q


def embed(x0, q, noise=0.1, generator=None):
    """The S-curve points x0 (n, 2) in q's d dimensions: Q x0 plus noise / 10 of Gaussian noise in the d - 2 directions
    off the plane, so that, as x0 has noise / 10 in the plane, the points are c(u) + noise / 10 z in all d directions: the
    S-curve of lesson 09's oracle, turned into d dimensions (helpers.embedded_oracle). Defined in lesson 21."""
    x0, q = check_points("x0", x0), check_embedding(q)
    noise = check_float("noise", noise, 0.0, float("inf"), low_open=False)
    z = torch.randn(x0.shape[0], q.shape[0], generator=generator, dtype=torch.float64).to(x0.device, x0.dtype)
    off_plane = z - (z @ q) @ q.T
    return x0 @ q.T + noise / SCALE * off_plane
