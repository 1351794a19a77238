"""Likelihood (lesson 13): the ELBO term by term, and the probability-flow ODE's log-likelihood.

The ELBO (Ho et al. 2020, eq. 5) of the reverse chain with fixed variances sigma_t^2: L_T = KL(q(x_T | x_0) || prior),
L_{t-1} = KL(q(x_{t-1} | x_t, x_0) || N(mu_theta, sigma_t^2 I)) with x_t ~ q(x_t | x_0), one draw per point and step,
and L_0 = -log N(x_0; mu_theta(x_1, 1), beta_1 I), a Gaussian decoder. All in nats per point; -log p(x_0) <= their sum.

The probability-flow ODE in y = x / sqrt(alpha_bar) and nu = sqrt((1 - alpha_bar) / alpha_bar) is dy/dnu = eps(x, nu)
(lesson 10). Along a solution the density of y changes by d log p_y / dnu = -div_y eps = -sqrt(alpha_bar) div_x eps (the
instantaneous change of variables; Chen et al. 2018, Song et al. 2021 appendix D.2), and p_x = p_y / alpha_bar^{d/2}, so
    log p_0(x_0) = log p_T(x_T) + (d/2) log alpha_bar_T + int_0^{nu_T} sqrt(alpha_bar) div_x eps dnu.
"""

import math
from dataclasses import dataclass

import torch
from torch.distributions import MultivariateNormal

from .._checks import check_full_precision, check_generator, check_points, check_weights
from ..exact.oracle import MixtureOracle
from ..process.schedules import check_model_schedule, schedule_from_beta
from ..process.targets import read_as
from ..sampling.ancestral import _check_sigma, _reverse_mean, posterior
from ..sampling.grid import evaluating, model_device, ode_step, run_grid
from ..sampling.solve import _grid

DIVERGENCES = ("exact", "hutchinson")


@dataclass(frozen=True)
class ElboTerms:
    """The ELBO's terms per point, in nats: prior (L_T, shape (N,)), steps (L_{t-1} for code steps t = 1 .. T-1, shape
    (T - 1, N)) and decoder (L_0, shape (N,)). nll_bound = their sum >= -log p_theta(x_0); d: the points' dimension.
    Defined in lesson 13 (likelihood)."""

    prior: torch.Tensor
    steps: torch.Tensor
    decoder: torch.Tensor
    d: int = 2

    @property
    def nll_bound(self):
        return self.prior + self.steps.sum(0) + self.decoder

    def continuous_bits_per_dim(self):
        """The mean bound on -log p of a continuous density, in bits per dimension: nats / (d ln 2). Not the bits per
        dimension of discrete data (`helpers.bits_per_dim`, lesson 17, which adds the bins' volume): one name each."""
        return self.nll_bound.mean().item() / (self.d * math.log(2))


@dataclass(frozen=True)
class OdeLikelihood:
    """log_p: log p_0(x_0) per point; log_prior: log p_T(x_T); x_T: where the ODE took each point. Defined in lesson 13
    (likelihood)."""

    log_p: torch.Tensor
    log_prior: torch.Tensor
    x_T: torch.Tensor


def _check_prior(prior):
    """None (N(0, I)), a torch MultivariateNormal, or a function of points returning their log density."""
    if prior is not None and not isinstance(prior, MultivariateNormal) and not callable(prior):
        raise TypeError(f"prior must be None (N(0, I)), a torch.distributions.MultivariateNormal or a function x -> log "
                        f"density, got {type(prior).__name__}")
    return prior


def _log_prior(prior, x):
    if prior is None:
        return -(x**2).sum(1) / 2 - x.shape[1] / 2 * math.log(2 * math.pi)
    if isinstance(prior, MultivariateNormal):
        value = _float64(prior, x.device).log_prob(x)
    else:
        value = prior(x)
    if not isinstance(value, torch.Tensor) or value.shape != (x.shape[0],):
        raise ValueError(f"prior must return one log density per point, shape ({x.shape[0]},), got {value!r:.80}")
    if not torch.isfinite(value).all():
        raise ValueError("prior returned a log density that is not finite at some points")
    return value.to(x.dtype)


def _float64(gaussian, device):
    return MultivariateNormal(gaussian.loc.double().to(device), gaussian.covariance_matrix.double().to(device))


def _gaussian_kl(mean_q, var_q, mean_p, var_p):
    """KL(N(mean_q, var_q I) || N(mean_p, var_p I)) in d dimensions, per point; variances are numbers or (N,)."""
    ratio = var_q / var_p
    return mean_q.shape[1] / 2 * (ratio - 1 - torch.log(torch.as_tensor(ratio))) + ((mean_q - mean_p) ** 2).sum(1) / (2 * var_p)


def elbo(model, schedule, x0, sigma="beta_tilde", prior=None, generator=None):
    """The ELBO's terms for the points x0 (an ElboTerms), with reverse variances sigma_t^2 = beta or beta_tilde.

    model: an eps-network or an oracle, called model(x_t, t). L_T against prior (None: N(0, I), closed form; a
    MultivariateNormal: closed form; a function of points: one Monte Carlo draw). Each L_{t-1} is the closed-form KL
    at one draw of x_t ~ q(x_t | x_0) per point; L_0 uses the decoder N(mu_theta(x_1, 1), beta_1 I), as beta_tilde_1 = 0
    gives no density. Computed in float64. Defined in lesson 13 (likelihood).
    """
    check_full_precision("helpers.elbo")
    schedule = check_model_schedule(model, schedule)
    if schedule.alpha_bar[-1] == 0:
        # beta_T = 1: the reverse mean divides eps by sqrt(alpha_T) = 0, and eps says nothing about x_0 there.
        raise ValueError("the schedule ends at alpha_bar = 0 (zero terminal SNR), where the ELBO of an eps-prediction is "
                         "not defined: measure it on a schedule with alpha_bar_T > 0")
    read_as(model, None, ("eps",), "helpers.elbo")
    check_weights(model)
    sigma = _check_sigma(sigma)
    prior = _check_prior(prior)
    generator = check_generator(generator)
    device = model_device(model)
    x0 = check_points("x0", x0, getattr(model, "d", 2)).to(device, torch.float64)
    # From beta in float64: the posterior's formulas need alpha_bar_t = alpha_bar_{t-1} (1 - beta_t) exactly, and float32's
    # alpha_bar keeps only 3 digits of 1 - alpha_bar at the first step.
    s64 = schedule_from_beta(schedule.beta.double()).to(device)
    variance = s64.beta if sigma == "beta" else s64.beta_tilde
    T, (n, d) = schedule.T, x0.shape

    def draw():
        return torch.randn((n, d), generator=generator, dtype=torch.float64).to(device)

    def q_sample64(t):
        return s64.alpha_bar[t].sqrt() * x0 + s64.sqrt_one_minus_alpha_bar[t] * draw()

    def mu_theta(xt, t):
        eps = model(xt.to(_dtype_of(model)), torch.full((n,), t, device=device)).double()
        return _reverse_mean(eps, xt, t, s64)

    a_T = s64.alpha_bar[-1]
    if prior is None or isinstance(prior, MultivariateNormal):
        q_T = MultivariateNormal(a_T.sqrt() * x0, (1 - a_T) * torch.eye(d, dtype=torch.float64, device=device))
        p_T = _float64(prior or MultivariateNormal(torch.zeros(d), torch.eye(d)), device)
        prior_term = torch.distributions.kl_divergence(q_T, p_T)
    else:
        x_T = q_sample64(T - 1)
        log_q_T = -((x_T - a_T.sqrt() * x0) ** 2).sum(1) / (2 * (1 - a_T)) - d / 2 * torch.log(2 * math.pi * (1 - a_T))
        prior_term = log_q_T - _log_prior(prior, x_T)
    steps = []
    with evaluating(model), torch.no_grad():
        for t in range(1, T):
            xt = q_sample64(t)
            mean_q, var_q = posterior(x0, xt, t, s64)
            steps.append(_gaussian_kl(mean_q, var_q, mu_theta(xt, t), variance[t]))
        x1 = q_sample64(0)
        decoder = ((x0 - mu_theta(x1, 0)) ** 2).sum(1) / (2 * s64.beta[0]) + d / 2 * torch.log(2 * math.pi * s64.beta[0])
    # T = 1 has no L_{t-1}: the decoder alone follows the prior.
    terms = ElboTerms(prior_term, torch.stack(steps) if steps else x0.new_zeros(0, n), decoder, d)
    if not torch.isfinite(terms.nll_bound).all():
        raise ValueError("the ELBO is not finite: the model's predictions overflowed (the S-curve lies within 0.2)")
    return terms


def _dtype_of(model):
    """float64 for an oracle (it computes in float64 anyway), else the network's parameter dtype."""
    parameters = list(model.parameters())
    return parameters[0].dtype if parameters else torch.float64


def exact_divergence(eps_fn, x):
    """div_x eps_fn(x) per point, exactly, by one autograd pass per coordinate (d passes): (eps, div)."""
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        eps = eps_fn(x)
        d = x.shape[1]
        div = sum(torch.autograd.grad(eps[:, i].sum(), x, retain_graph=i < d - 1)[0][:, i] for i in range(d))
    return eps.detach(), div.detach()


def hutchinson_divergence(eps_fn, x, v):
    """Hutchinson's estimate v^T (d eps / dx) v of div_x eps per point, one autograd pass: (eps, estimate)."""
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        eps = eps_fn(x)
        vjp = torch.autograd.grad((eps * v).sum(), x)[0]
    return eps.detach(), (vjp * v).sum(1).detach()


def ode_log_likelihood(model, schedule, x0, steps=None, divergence="exact", method="heun", prior=None, generator=None):
    """log p_0(x_0) of the probability-flow ODE by the instantaneous change of variables (an OdeLikelihood).

    The ODE dy/dnu = eps runs from x_0 (nu = 0) up through the schedule's steps (an int number of evenly spaced steps,
    a decreasing sequence as in sample_steps, or None: all T), by Euler's or Heun's method through
    helpers/sampling/grid.py, carrying the integral of sqrt(alpha_bar) div_x eps beside y. divergence: "exact" (one autograd
    pass per coordinate, two for the S-curve) or "hutchinson" (one pass with a Rademacher probe per point, fixed along the path, drawn from generator). At
    nu = 0 a MixtureOracle is evaluated exactly; a network, which has no input there, gives its smallest step's
    prediction (as helpers.invert does). prior: as in elbo; the exact q_T is lambda x: oracle.log_prob(x, T - 1).
    Float64 throughout. Defined in lesson 13 (likelihood).
    """
    check_full_precision("helpers.ode_log_likelihood")
    schedule = check_model_schedule(model, schedule)
    read_as(model, None, ("eps",), "helpers.ode_log_likelihood")
    check_weights(model)
    if divergence not in DIVERGENCES:
        raise ValueError(f"divergence must be one of {list(DIVERGENCES)}, got {divergence!r}")
    prior = _check_prior(prior)
    generator = check_generator(generator)
    device = model_device(model)
    x0 = check_points("x0", x0, getattr(model, "d", 2)).to(device, torch.float64)
    d = x0.shape[1]
    down, alpha_bar = _grid(schedule, schedule.T if steps is None else steps)
    if alpha_bar.min() == 0:
        raise ValueError("steps must stop before alpha_bar = 0, where this schedule ends (zero terminal SNR): the ODE's "
                         "time sqrt((1 - alpha_bar) / alpha_bar) is infinite there; pass steps without the last one")
    # Grid point 0 is x_0 itself (alpha_bar = 1), then the steps from the smallest up.
    up, alpha_bar = down.flip(0).to(device), alpha_bar.flip(0)
    if method not in ("euler", "heun"):
        raise ValueError(f"method must be one of ['euler', 'heun'], got {method!r}")
    nu = ((1 - alpha_bar) / alpha_bar).sqrt().tolist()
    root_ab = alpha_bar.sqrt().tolist()
    exact_at_zero = isinstance(model, MixtureOracle)
    dtype = _dtype_of(model)
    v = None
    if divergence == "hutchinson":
        v = (torch.randint(0, 2, x0.shape, generator=generator, dtype=torch.float64) * 2 - 1).to(device)

    def eps_at(k):
        if k == 0 and exact_at_zero:
            return lambda x: model(x, None, alpha_bar=1.0)
        t = up[max(k - 1, 0)]
        return lambda x: model(x.to(dtype), t).double()

    def slope(state, k):
        x = state[:, :d] * root_ab[k]
        eps, div = exact_divergence(eps_at(k), x) if v is None else hutchinson_divergence(eps_at(k), x, v)
        return torch.cat([eps, (root_ab[k] * div).unsqueeze(1)], dim=1)

    def move(state, k, d):
        return state + (nu[k + 1] - nu[k]) * d

    state = torch.cat([x0, x0.new_zeros(x0.shape[0], 1)], dim=1)
    with evaluating(model):
        state = run_grid(ode_step(move, slope, method), state, len(nu) - 1)
    x_T = state[:, :d] * root_ab[-1]
    log_prior = _log_prior(prior, x_T)
    log_p = log_prior + d / 2 * math.log(alpha_bar[-1].item()) + state[:, d]
    if not torch.isfinite(log_p).all():
        raise ValueError("the ODE's log-likelihood is not finite: the model's predictions overflowed along the path")
    return OdeLikelihood(log_p, log_prior, x_T)

