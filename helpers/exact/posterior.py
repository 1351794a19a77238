"""The exact posterior of a linear measurement (lesson 18): p(x_0 | o) and every noised p(x_t | o), in closed form.

The data are lesson 09's mixture q_0 = sum_j w_j N(p_j, delta^2 I) (the S-curve by quadrature, delta = 0.01; a finite
training set, delta = 0). A measurement is o = A x_0 + sigma_o z, z ~ N(0, I), A an (m, d) matrix. Given component j,
x_0 and obs are jointly Gaussian, so (Bishop 2006, eqs. 2.113-2.117, with the Woodbury identity)
    p(x_0 | obs) = sum_j w'_j N(mu_j, Sigma),    S = delta^2 A A^T + sigma_o^2 I,
    w'_j proportional to w_j N(obs; A p_j, S),   mu_j = p_j + delta^2 A^T S^-1 (obs - A p_j),
    Sigma = delta^2 I - delta^4 A^T S^-1 A,
and x_t = a x_0 + b eps (a = sqrt(alpha_bar_t), b = sqrt(1 - alpha_bar_t)) is again a mixture:
    p(x_t | obs) = sum_j w'_j N(a mu_j, C),  C = a^2 Sigma + b^2 I,
    grad log p(x_t | obs) = -C^-1 (x - a m(x)),  m(x) = sum_j r_j(x) mu_j, r_j the components' responsibilities.
Every component shares one covariance, so whitening by C^-1/2 turns each step into lesson 09's isotropic computation.
"""

import math

import torch
from torch import nn

from .._checks import check_float, check_generator, check_int, check_points, check_steps
from .._random import noise
from .oracle import MixtureOracle, in_dtype

# Points per chunk of the (points x components) matrix: about 2^20 numbers, as lesson 09's oracle chunks.
CHUNK_NUMBERS = 2**20


def check_operator(A, d=None):
    """A as a float64 (m, d) matrix with 1 <= m <= d finite entries and no zero row (d None: A's own width)."""
    if not isinstance(A, torch.Tensor) or not A.is_floating_point():
        raise TypeError(f"A must be a float tensor of shape (m, d), e.g. torch.tensor([[1.0, 0.0]]), got {A!r:.80}")
    if A.ndim != 2:
        raise ValueError(f"A must have shape (m, d): one row per measured value, e.g. torch.tensor([[1.0, 0.0]]), got "
                         f"{tuple(A.shape)}")
    d = A.shape[1] if d is None else d
    if A.shape[1] != d or not 1 <= A.shape[0] <= d:
        raise ValueError(f"A must have shape (m, {d}) with 1 <= m <= {d}, got {tuple(A.shape)}")
    if not torch.isfinite(A).all() or not (A.abs().sum(1) > 0).all():
        raise ValueError("A must be finite, with no row of zeros (a row of zeros measures nothing)")
    return A.detach().double().cpu()


def observe(x0, A, sigma_o, generator=None):
    """o = A x_0 + sigma_o z for each point of x0, z ~ N(0, I) drawn on the CPU: shape (N, m).

    Defined in lesson 18 (inverse problems).
    """
    A = check_operator(A)
    x0 = check_points("x0", x0, A.shape[1])
    sigma_o = check_float("sigma_o", sigma_o, 0.0, math.inf)
    n = noise((x0.shape[0], A.shape[0]), check_generator(generator), x0.device, torch.float64)
    return in_dtype("obs", x0.double() @ A.T.to(x0.device) + sigma_o * n, x0.dtype)


def _bayes(points, log_w, delta2, A, obs, sigma_o):
    """The posterior's normalised log weights w'_j, means mu_j and shared covariance Sigma (the module's docstring)."""
    S = delta2 * A @ A.T + sigma_o**2 * torch.eye(A.shape[0], dtype=torch.float64)
    residual = obs - points @ A.T
    gain = torch.linalg.solve(S, residual.T).T
    # log N(o; A p_j, S) up to the constant every component shares; the weights are normalised after.
    log_w = log_w - 0.5 * (residual * gain).sum(1)
    cov = delta2 * torch.eye(points.shape[1], dtype=torch.float64) - delta2**2 * A.T @ torch.linalg.solve(S, A)
    return log_w - torch.logsumexp(log_w, 0), points + delta2 * gain @ A, cov


class PosteriorOracle(nn.Module):
    """The exact p(x_t | o) of a MixtureOracle's data under the measurement o = A x_0 + sigma_o z.

    Called like a network, oracle(x_t, t) returns the exact eps of the posterior path, -b grad log p(x_t | obs), so any
    sampler of lessons 07-15 draws from the posterior with it; sample(n) draws x_0 directly, log_prob gives the density.
    t is 0-based (an int or one per point), None for x_0 itself. Defined in lesson 18 (inverse problems).
    """

    predicts = "eps"

    def __init__(self, prior, A, obs, sigma_o):
        super().__init__()
        if not isinstance(prior, MixtureOracle):
            raise TypeError("prior must be lesson 09's exact data, e.g. helpers.s_curve_oracle(schedule) or "
                            f"helpers.training_set_oracle(x0, schedule), got {type(prior).__name__}")
        d = prior.d
        A = check_operator(A, d)
        self.sigma_o = check_float("sigma_o", sigma_o, 0.0, math.inf)
        obs = torch.as_tensor(obs, dtype=torch.float64).reshape(-1)
        if obs.shape != (A.shape[0],) or not torch.isfinite(obs).all():
            raise ValueError(f"obs must hold one finite value per row of A ({A.shape[0]}), got {tuple(obs.shape)}")
        log_weights, means, cov = _bayes(prior.points.cpu(), prior.log_weights.cpu(), prior.std**2, A, obs, self.sigma_o)
        self.T, self.d = prior.T, d
        self.register_buffer("alpha_bar", prior.alpha_bar.cpu())
        self.register_buffer("A", A)
        self.register_buffer("obs", obs)
        self.register_buffer("log_weights", log_weights)
        self.register_buffer("means", means)
        self.register_buffer("cov", cov)

    def _level(self, t, n):
        """alpha_bar per point (N, 1), float64: 1 for t=None, else the prior's schedule at t."""
        if t is None:
            return torch.ones(n, 1, dtype=torch.float64)
        if not self.T:
            raise ValueError("the prior was made without a schedule, so this oracle knows no steps: give the prior "
                             "schedule= (or use t=None for x_0 itself)")
        return self.alpha_bar[check_steps("t", t, self.T, n=n)].unsqueeze(1)

    def _terms(self, x, alpha_bar):
        """log p(x | o) and grad log p(x | o), float64, at one noise level shared by all points (alpha_bar a number)."""
        a, b2 = alpha_bar**0.5, 1 - alpha_bar
        C = alpha_bar * self.cov + b2 * torch.eye(self.d, dtype=torch.float64)
        eigenvalues, vectors = torch.linalg.eigh(C)
        if eigenvalues.min() <= 1e-300:
            raise ValueError("p(x_0 | obs) has no density here: with sigma_o = 0 or a finite training set (delta = 0) it "
                             "lies on a lower-dimensional set; use t >= 0 (x_t has a density), or sigma_o > 0 with the "
                             "S-curve")
        whiten = vectors / eigenvalues.sqrt()
        z, centres = x @ whiten, a * self.means @ whiten
        log_p, m = [], []
        chunk = max(1, CHUNK_NUMBERS // centres.shape[0])
        for start in range(0, z.shape[0], chunk):
            logits = self.log_weights - 0.5 * torch.cdist(z[start:start + chunk], centres) ** 2
            log_p.append(torch.logsumexp(logits, 1))
            m.append(torch.softmax(logits, 1) @ self.means)
        log_p = torch.cat(log_p) - 0.5 * torch.log(eigenvalues).sum() - self.d / 2 * math.log(2 * math.pi)
        score = -((x - a * torch.cat(m)) @ whiten) @ whiten.T
        return log_p, score

    def _by_level(self, x, t):
        """_terms for points at one level each, grouped by level: log p and the score, in x's order."""
        x = check_points("x", x, self.d)
        xd = x.detach().cpu().double()
        alpha_bar = self._level(t, x.shape[0]).squeeze(1)
        log_p, score = torch.empty(x.shape[0], dtype=torch.float64), torch.empty_like(xd)
        for level in alpha_bar.unique():
            rows = alpha_bar == level
            log_p[rows], score[rows] = self._terms(xd[rows], level.item())
        return x, alpha_bar, log_p, score

    def log_prob(self, x, t=None):
        """log p(x_t | o), shape (N,). Defined in lesson 18 (inverse problems)."""
        x, _, log_p, _ = self._by_level(x, t)
        return in_dtype("log p(x_t | obs)", log_p, x.dtype).to(x.device)

    def score(self, x, t=None):
        """grad_x log p(x_t | o). Defined in lesson 18 (inverse problems)."""
        x, _, _, score = self._by_level(x, t)
        return in_dtype("the score", score, x.dtype).to(x.device)

    def forward(self, x, t):
        """The exact eps of the posterior path: -sqrt(1 - alpha_bar_t) grad log p(x_t | o)."""
        x, alpha_bar, _, score = self._by_level(x, t)
        return in_dtype("eps", -(1 - alpha_bar).sqrt().unsqueeze(1) * score, x.dtype).to(x.device)

    def sample(self, n, generator=None, t=None):
        """n exact draws of x_t given o (x_0 for t=None): a component j by its weight w'_j, then a mu_j + C^1/2 z.

        Drawn on the CPU in float64, returned as float32. Defined in lesson 18 (inverse problems).
        """
        n = check_int("n", n, 1)
        generator = check_generator(generator)
        alpha_bar = self._level(t if t is None else int(check_int("t", t, 0, self.T)), 1).item()
        C = alpha_bar * self.cov + (1 - alpha_bar) * torch.eye(self.d, dtype=torch.float64)
        eigenvalues, vectors = torch.linalg.eigh(C)
        root = vectors * eigenvalues.clamp(min=0).sqrt()
        j = torch.multinomial(self.log_weights.exp(), n, replacement=True, generator=generator)
        z = torch.randn(n, self.d, generator=generator, dtype=torch.float64)
        return (alpha_bar**0.5 * self.means[j] + z @ root.T).float()
