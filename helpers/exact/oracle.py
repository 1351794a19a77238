"""Exact answers: the optimal noise predictor, score and denoiser of a Gaussian-mixture data distribution.

Both oracles of lesson 09 are one model. The data are a mixture q_0 = sum_j w_j N(p_j, std^2 I):
- the S-curve: p_j = c(u_j) at quadrature nodes u_j of the curve parameter, w_j the quadrature weights,
  std = 0.01 (scikit-learn's noise 0.1, divided by 10);
- the finite training set: p_j = the training points, w_j = 1/n, std = 0.
After t steps, x_t = a x_0 + sqrt(1 - alpha_bar) eps with a = sqrt(alpha_bar), so
q_t = sum_j w_j N(a p_j, s^2 I) with s^2 = a^2 std^2 + 1 - alpha_bar, and, with m = E[p_J | x_t]:
    score = -(x_t - a m) / s^2,   eps* = -sqrt(1 - alpha_bar) score,   E[x_0 | x_t] = m + a std^2 / s^2 (x_t - a m).
"""

import math

import numpy as np
import torch
from torch import nn

from .._checks import check_float, check_int, check_points, check_steps
from ..data.s_curve import SCALE, U_MAX, check_embedding, curve
from ..process.schedules import check_schedule

DATA_STD = 0.1 / SCALE
# Chosen by the convergence check of lesson 09: at the first step, where the mixture is sharpest, log q_t is within
# 1e-8 nats of a 4096-node value.
NODES = 256
GAUSS_POINTS = 8
# Points per chunk of the (points x components) matrix in path_terms: about 2^17 numbers (1 MiB), so that its passes run
# in cache. 2 048 points a chunk took 3x as long for the 10 000-point training set (lesson 09's memorisation check).
CHUNK_NUMBERS = 2**17


def quadrature(nodes=NODES, low=-U_MAX, high=U_MAX):
    """Nodes u_j and log weights of composite Gauss-Legendre quadrature for E_u[f(u)], u ~ U[low, high].

    Panels of 8 nodes; a range that contains u = 0 is split there, with panels shared in proportion to each side's
    length: c(u) is smooth on each side, but its second derivative jumps at u = 0. The full range gives each half
    nodes / 2 nodes. Defined in lesson 09 (the exact S-curve); the range in lesson 11 (guidance).
    """
    nodes = check_int("nodes", nodes, 2 * GAUSS_POINTS)
    if nodes % (2 * GAUSS_POINTS):
        raise ValueError(f"nodes must be a multiple of {2 * GAUSS_POINTS}, got {nodes}")
    low = check_float("low", low, -U_MAX, U_MAX, low_open=False)
    high = check_float("high", high, low, U_MAX, high_open=False)
    x, w = np.polynomial.legendre.leggauss(GAUSS_POINTS)
    panels = nodes // GAUSS_POINTS
    if low < 0 < high:
        left = min(panels - 1, max(1, round(panels * -low / (high - low))))
        edges = np.concatenate([np.linspace(low, 0, left + 1), np.linspace(0, high, panels - left + 1)[1:]])
    else:
        edges = np.linspace(low, high, panels + 1)
    start, width = edges[:-1, None], np.diff(edges)[:, None]
    u = (start + width * (x + 1) / 2).ravel()
    weights = (width * w / 2).ravel() / (high - low)
    return torch.as_tensor(u), torch.as_tensor(np.log(weights))


def in_dtype(what, value, dtype):
    """value (computed in float64) in the caller's dtype, or an error when it does not fit there."""
    result = value.to(dtype)
    if torch.isfinite(value).all() and not torch.isfinite(result).all():
        raise ValueError(f"{what} reaches {value.abs().max().item():.3g}, beyond {dtype}'s range: pass float64 points "
                         f"(x.double()); the S-curve lies within 0.2 of the origin")
    return result


def _per_point(name, value, x):
    """A finite number or one per point of x as a float64 tensor of shape (N, 1) on x's device."""
    value = torch.as_tensor(value, dtype=torch.float64, device=x.device)
    if value.numel() not in (1, x.shape[0]) or not torch.isfinite(value).all():
        raise ValueError(f"{name} must be a finite number or one per point ({x.shape[0]}), got shape {tuple(value.shape)}")
    return value.reshape(-1, 1).expand(x.shape[0], 1)


class MixtureOracle(nn.Module):
    """The exact eps*(x_t, t), score, log density and E[x_0 | x_t] for data sum_j w_j N(p_j, std^2 I).

    Called like the network, oracle(x_t, t) returns eps*, so it drops in wherever the network goes
    (helpers.sample, helpers.eps_loss). Computes in float64 and returns x_t's dtype; t is 0-based, an int or
    one step per point, or None for the data themselves (alpha_bar = 1). Use s_curve_oracle or training_set_oracle
    to build one. Defined in lesson 09.
    """

    predicts = "eps"

    def __init__(self, points, log_weights, std, schedule=None):
        super().__init__()
        points = check_points("points", points, d=None)
        if not isinstance(log_weights, torch.Tensor):
            raise TypeError(f"log_weights must be a tensor of shape ({points.shape[0]},), got {type(log_weights).__name__}")
        if log_weights.shape != (points.shape[0],):
            raise ValueError(f"log_weights must have shape ({points.shape[0]},), got {tuple(log_weights.shape)}")
        # log_prob would be off by this constant: a mixture's weights sum to 1 (1e-5 leaves room for float32 log weights).
        total = torch.logsumexp(log_weights.double(), 0).item()
        if not abs(total) < 1e-5:
            raise ValueError(f"log_weights must be normalised (the weights sum to 1), got log(sum of weights) = {total:.3g}; "
                             "subtract torch.logsumexp(log_weights, 0)")
        self.std = check_float("std", std, 0.0, math.inf, low_open=False)
        if schedule is not None:
            check_schedule(schedule)
        # Without a schedule only the data's own density (t=None) is available.
        self.T = schedule.T if schedule is not None else 0
        self.register_buffer("points", points.double())
        self.register_buffer("log_weights", log_weights.double())
        # [p, |p|^2] per component, transposed: the fixed half of the matrix product in _terms.
        self.register_buffer("columns", torch.cat([self.points, (self.points**2).sum(1, keepdim=True)], dim=1).T)
        # [p, 1] per component, transposed: one product gives both sum_j w_j p_j and sum_j w_j in path_terms.
        self.register_buffer("points_and_one", torch.cat([self.points, torch.ones_like(self.points[:, :1])], dim=1).T.contiguous())
        # The alpha_bar the helpers' forward process uses (float32), in float64 from there on.
        alpha_bar = schedule.alpha_bar if schedule is not None else torch.empty(0)
        self.register_buffer("alpha_bar", alpha_bar.double())

    @property
    def d(self):
        """The dimension of the data points."""
        return self.points.shape[1]

    def _terms(self, x, t, alpha_bar=None):
        """For each point of x: a = sqrt(alpha_bar_t), s^2, log q_t(x) and m = E[p_J | x_t = x]."""
        x = check_points("x", x, self.d).to(self.points.device, torch.float64)
        if alpha_bar is not None:
            # A finite set (std 0) has no density at alpha_bar = 1.
            alpha_bar = check_float("alpha_bar", alpha_bar, 0.0, 1.0, high_open=self.std == 0)
            alpha_bar = x.new_full((x.shape[0], 1), alpha_bar)
        elif t is None:
            if self.std == 0:
                raise ValueError("t=None (the data themselves) needs std > 0: a finite set has no density")
            alpha_bar = x.new_ones(x.shape[0], 1)
        else:
            if not self.T:
                raise ValueError("this oracle was made without a schedule, so it knows no steps: pass schedule= when "
                                 "you make it, or give alpha_bar= (or t=None for the data themselves)")
            t = check_steps("t", t, self.T, n=x.shape[0], device=x.device)
            alpha_bar = self.alpha_bar[t].unsqueeze(1)
        return x, *self._path_terms(x, alpha_bar.sqrt(), alpha_bar * self.std**2 + 1 - alpha_bar)

    def path_terms(self, x, a, s2):
        """For x = a x_0 + independent Gaussian noise, where x given component J is N(a p_J, s2 I): a, s2, log q(x)
        and m = E[p_J | x], in float64. a, s2: numbers or one per point, s2 > 0. Any Gaussian path uses it:
        lesson 09's a = sqrt(alpha_bar), s2 = alpha_bar std^2 + 1 - alpha_bar; lesson 12's a = 1 - s,
        s2 = (1 - s)^2 std^2 + s^2.
        """
        x = check_points("x", x, self.d).to(self.points.device, torch.float64)
        a, s2 = (_per_point(name, v, x) for name, v in (("a", a), ("s2", s2)))
        if not (s2 > 0).all():
            raise ValueError(f"s2 must be > 0 (a variance), got values from {s2.min().item():.3g}: at s2 = 0 the "
                             "density is a sum of point masses")
        return self._path_terms(x, a, s2)

    def _path_terms(self, x, a, s2):
        """path_terms on checked inputs: x float64 (N, d) on the oracle's device, a and s2 of shape (N, 1)."""
        # -|x - a p|^2 / 2s^2 = [x a/s^2, -a^2/2s^2] . [p, |p|^2] - |x|^2/2s^2: one (N, 3) x (3, M) product per
        # chunk, whatever the step of each point. The last term is the same for every p; only log q needs it.
        rows = torch.cat([x * a / s2, -(a**2) / (2 * s2)], dim=1)
        far = (x**2).sum(1) / (2 * s2.squeeze(1))
        # Beyond 1e8, top - |x|^2 / 2s^2 cancels digits of log q (1e-3 nats for points at 1e6): there the top component's
        # term is computed directly, from |x - a p_J|^2, which needs its index.
        exact = bool(far.max() > 1e8)
        log_q, m = [], []
        chunk = max(1, CHUNK_NUMBERS // self.points.shape[0])
        for start in range(0, x.shape[0], chunk):
            part = slice(start, start + chunk)
            logits = torch.addmm(self.log_weights, rows[part], self.columns)
            # amax, not max, which also finds the indices (a fifth of this loop's time); detached, because log q and m do not
            # depend on the shift (its two terms' gradients cancel) and amax's backward would need logits unchanged.
            top, nearest = logits.detach().max(1, keepdim=True) if exact else (logits.detach().amax(1, keepdim=True), None)
            # exp is ten times slower where it underflows (below -708): the sharp mixtures of the first steps clamp at -700
            # first, which moves each such weight by under e^-700 = 1e-304, below what any sum holding the top weight 1 shows.
            w = logits.sub_(top).clamp_(min=-700.0).exp_()
            # ([p, 1]^T w^T)^T: BLAS took 2.5x longer for w [p, 1], with few output columns.
            sums = (self.points_and_one @ w.T).T
            total = sums[:, -1:]
            if exact:
                j = nearest.squeeze(1)
                top = self.log_weights[j, None] - ((x[part] - a[part] * self.points[j]) ** 2).sum(1, keepdim=True) / (2 * s2[part])
            log_q.append((top + total.log()).squeeze(1))
            m.append(sums[:, :-1] / total)
        log_q = torch.cat(log_q) - (0 if exact else far) - self.d / 2 * torch.log(2 * math.pi * s2.squeeze(1))
        return a, s2, log_q, torch.cat(m)

    def log_prob(self, x, t):
        """log q_t(x), shape (N,). Defined in lesson 09 (the exact S-curve)."""
        x = check_points("x", x, self.d)
        return in_dtype("log q_t(x)", self._terms(x, t)[3], x.dtype)

    def _score(self, x, t, alpha_bar):
        """The score in float64, and a = sqrt(alpha_bar_t)."""
        xd, a, s2, _, m = self._terms(x, t, alpha_bar)
        return -(xd - a * m) / s2, a

    def score(self, x, t, alpha_bar=None):
        """The score grad_x log q_t(x) = -(x - a E[p_J | x]) / s^2. Defined in lesson 09 (the exact S-curve).

        alpha_bar, a float in (0, 1], replaces the step's: the marginal at any noise level (lesson 10's ODE).
        """
        x = check_points("x", x, self.d)
        return in_dtype("the score", self._score(x, t, alpha_bar)[0], x.dtype)

    def forward(self, x, t, alpha_bar=None):
        """eps*(x_t, t) = E[eps | x_t] = -sqrt(1 - alpha_bar_t) score; alpha_bar as in score."""
        x = check_points("x", x, self.d)
        score, a = self._score(x, t, alpha_bar)
        return in_dtype("eps*", -(1 - a**2).sqrt() * score, x.dtype)

    def denoise(self, x, t):
        """E[x_0 | x_t] = m + a std^2 / s^2 (x_t - a m). Defined in lesson 09 (the exact S-curve)."""
        x = check_points("x", x, self.d)
        xd, a, s2, _, m = self._terms(x, t)
        return in_dtype("E[x_0 | x_t]", m + a * self.std**2 / s2 * (xd - a * m), x.dtype)


def s_curve_oracle(schedule=None, nodes=NODES, low=-U_MAX, high=U_MAX):
    """The exact S-curve as a MixtureOracle: x_0 = c(u) + 0.01 z, u ~ U[-3pi/2, 3pi/2], by quadrature over u.

    low and high restrict u to a piece of the curve: the exact q_t(x | c) of lesson 11's labels.
    Defined in lesson 09 (the exact S-curve).
    """
    u, log_w = quadrature(nodes, low, high)
    return MixtureOracle(curve(u), log_w, DATA_STD, schedule)


def training_set_oracle(x0, schedule):
    """The optimum for a finite training set: q_0 = the n points x0 with weight 1/n each (std 0).

    Its denoiser is a softmax-weighted average of the training points, so its samples land on them. Any dimension:
    lesson 17 makes one of the 8x8 digits. Defined in lesson 09 (the exact S-curve).
    """
    x0 = check_points("x0", x0, d=None)
    return MixtureOracle(x0, torch.full((x0.shape[0],), -math.log(x0.shape[0])), 0.0, schedule)


def embedded_oracle(q, schedule=None, nodes=NODES):
    """The S-curve turned into d dimensions by q (helpers.embedding; its points helpers.embed's) as a MixtureOracle: the
    mixture's centres c(u_j) become Q c(u_j) and its std stays 0.01, now in all d directions. Defined in lesson 21."""
    u, log_w = quadrature(nodes)
    return MixtureOracle(curve(u) @ check_embedding(q).double().T, log_w, DATA_STD, schedule)
