"""The one integration core every sampler goes through: where a sampler starts, on which device, in eval mode, and the
loop over a grid of times that applies one step function after another.

A sampler is a step function step(x, k) that moves x from grid point k to k + 1. DDPM, DDIM(eta) and Heun on the
probability-flow ODE (lesson 10, helpers.solve) and the flow's ODE (lesson 12, helpers.flow_solve) run through run_grid;
Euler's and Heun's methods are one rule, ode_step, over a `move` that takes a step with a given slope. Lesson 07's
helpers.sample keeps its own loop as the readable teaching version (tests/test_samplers.py checks it against this one).
"""

import contextlib

import torch

from .._checks import check_generator, check_int, check_points
from .._random import noise
from ..process.schedules import check_schedule

ODE_METHODS = ("euler", "heun")


def model_device(model):
    """The device of a network's parameters, or of an oracle's buffers (lesson 09 oracles have only buffers)."""
    tensors = [*model.parameters(), *model.buffers()]
    return tensors[0].device if tensors else torch.device("cpu")


@contextlib.contextmanager
def evaluating(model):
    """Put model in eval mode for a sampler, and give it back in the mode it had."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def model_dim(model):
    """The dimension d of the points a network or an oracle takes: its own d, else the S-curve's 2."""
    return getattr(model, "d", 2)


def start_points(n, x_T, generator, device, name="x_T", d=2):
    """A sampler's start: the given n points of dimension d moved to device, or n draws of N(0, I) made on the CPU."""
    if x_T is None:
        return noise((n, d), generator, device)
    x = check_points(name, x_T, d).to(device)
    if x.shape[0] != n:
        raise ValueError(f"{name} must have n = {n} points, got {x.shape[0]}")
    return x


def run_grid(step, x, n_steps, keep_chain=False):
    """Apply step(x, k) for k = 0, ..., n_steps - 1. Returns the last x, or with keep_chain all n_steps + 1 states."""
    chain = [x]
    for k in range(n_steps):
        x = step(x, k)
        if keep_chain:
            chain.append(x)
    return torch.stack(chain) if keep_chain else x


def ode_step(move, slope, method, euler_only=lambda k: False):
    """The step function of Euler's or Heun's method for an ODE written as two functions: slope(x, k), the right-hand
    side at grid point k, and move(x, k, d), the step from grid point k to k + 1 along slope d.

    Euler moves along the slope at the start; Heun (the trapezoid rule; Karras et al. 2022, Algorithm 1) moves along
    the average of the slopes at the start and at the end of the Euler step: one evaluation per step or two. Where
    euler_only(k) holds, Heun takes the Euler step (lesson 10's last step to x_0, where eps has no input).
    """
    if method not in ODE_METHODS:
        raise ValueError(f"method must be one of {list(ODE_METHODS)}, got {method!r}")

    def step(x, k):
        d = slope(x, k)
        if method == "euler" or euler_only(k):
            return move(x, k, d)
        return move(x, k, (d + slope(move(x, k, d), k + 1)) / 2)

    return step


def gaussian_prior(x0, schedule, n, generator=None):
    """n draws of x_T from the Gaussian with q(x_T)'s mean and covariance, estimated from data points x0.

    mean = sqrt(alpha_bar_T) E[x0], cov = alpha_bar_T Cov[x0] + (1 - alpha_bar_T) I: lesson 09's best start, which
    the deterministic samplers need when alpha_bar_T is far from 0. Points of any dimension (lesson 21's 64). Drawn on
    the CPU. Defined in lesson 10.
    """
    x0 = check_points("x0", x0, d=None).cpu()
    n = check_int("n", n, 1)
    schedule = check_schedule(schedule)
    generator = check_generator(generator)
    if x0.shape[0] < 2:
        raise ValueError(f"x0 needs at least 2 points to estimate a covariance, got {x0.shape[0]}")
    alpha_bar_T = schedule.alpha_bar[-1].cpu()
    mean = alpha_bar_T.sqrt() * x0.mean(0)
    d = x0.shape[1]
    cov = alpha_bar_T * torch.cov(x0.T).reshape(d, d) + (1 - alpha_bar_T) * torch.eye(d, dtype=x0.dtype)
    if not torch.isfinite(cov).all():
        raise ValueError(f"x0's covariance overflowed: the points reach |x| = {x0.abs().max().item():.3g}, too large "
                         f"for {x0.dtype}; the S-curve lies within 0.2 of the origin")
    return mean + noise((n, d), generator, "cpu", x0.dtype) @ torch.linalg.cholesky(cov).T
