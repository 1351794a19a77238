"""The denoising objective (lesson 06's L_simple), as a function and as the objective helpers.train minimises with
lesson 08's draws of steps and lesson 14's targets and weightings."""

import torch

from .._checks import (check_device, check_float, check_generator, check_int, check_like, check_loss, check_points,
                       check_steps)
from .._random import noise
from ..process.forward import _q_sample
from ..process.schedules import check_model_schedule, check_schedule
from ..process.targets import _target_of
from ..training.config import TrainConfig
from .weighting import loss_weights


def antithetic_steps(n, T, generator=None, device="cpu"):
    """n time steps in [0, T): ceil(n/2) uniform draws t, then their mirrors T-1-t, cut to n.

    Unlike the reference recipe's cat([t, T-1-t]) of n//2 draws, this returns n steps for odd n too.
    Drawn on the CPU (generator: a CPU generator) and moved to device. Defined in lesson 06 (loss).
    """
    n = check_int("n", n, 1)
    T = check_int("T", T, 1)
    generator = check_generator(generator)
    device = check_device(device)
    t = torch.randint(0, T, ((n + 1) // 2,), generator=generator).to(device)
    return torch.cat([t, T - 1 - t])[:n]


def skewed_steps(n, T, power, generator=None, device="cpu"):
    """n time steps t = floor(T u^power), u ~ U[0, 1): power > 1 favours the steps nearest the data.

    P(t = k) = ((k + 1)^(1/power) - k^(1/power)) / T^(1/power); power = 3 puts 22 % of the steps at t = 0 and 43 %
    among the first 8 of 100. Drawn on the CPU (generator: a CPU generator) and moved to device.
    Defined in lesson 08 (training).
    """
    n = check_int("n", n, 1)
    T = check_int("T", T, 1)
    power = check_float("power", power, 0.0, float("inf"))
    generator = check_generator(generator)
    device = check_device(device)
    u = torch.rand(n, generator=generator, dtype=torch.float64)
    return (T * u**power).long().clamp(max=T - 1).to(device)


def eps_loss(model, x0, schedule, t=None, eps=None, generator=None):
    """L_simple = mean ||eps - eps_theta(sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) eps, t)||^2 / 2 coords.

    As in the reference, the mean runs over points and both coordinates. t defaults to antithetic steps;
    t and eps are drawn on the CPU (generator: a CPU generator) and moved. Defined in lesson 06 (loss).
    """
    # The network's own d, when it has one: a mismatch is then the points' fault, named as such.
    x0 = check_points("x0", x0, getattr(model, "d", None))
    schedule = check_model_schedule(model, schedule).to(x0.device)
    generator = check_generator(generator)
    if t is None:
        t = antithetic_steps(x0.shape[0], schedule.T, generator=generator, device=x0.device)
    t = check_steps("t", t, schedule.T, n=x0.shape[0], device=x0.device)
    eps = noise(x0.shape, generator, x0.device, x0.dtype) if eps is None else check_like("eps", eps, x0, "x0")
    return check_loss(_eps_loss(model, x0, schedule, t, eps), x0)


def _eps_loss(model, x0, schedule, t, eps):
    """eps_loss on inputs already checked: the training loop's inner step (helpers.train checks once, up front)."""
    xt = _q_sample(x0, t, schedule, eps)
    return ((eps - model(xt, t)) ** 2).mean()


def _target_loss(model, x0, schedule, t, eps, target, weights):
    """mean over points of weights[t] |y - model(x_t, t)|^2 / 2 coordinates, y the target (lesson 14)."""
    xt = _q_sample(x0, t, schedule, eps)
    y = _target_of(x0, eps, schedule.alpha_bar[t].unsqueeze(1), target)
    return (weights[t] * ((y - model(xt, t)) ** 2).mean(1)).mean()


class Denoising:
    """Lesson 06's loss as an objective for helpers.train, drawn and weighted as config says: each step draws t per
    point (antithetic pairs, lesson 06, for config.t_power = 1; lesson 08's t = floor(T u^p) for t_power = p > 1),
    then eps ~ N(0, I), and returns mean over points of w_t |y - f_theta(x_t, t)|^2 / d, with x_t =
    sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) eps. For target "eps" with weighting "own" or "eps" that is L_simple
    (y = eps, w_t = 1); otherwise y is config.target's quantity (helpers.target_of) and w_t lesson 14's weight per
    step (helpers.loss_weights). Defined in lesson 08 (training).
    """

    def __init__(self, schedule, config):
        self.schedule = check_schedule(schedule)
        if not isinstance(config, TrainConfig):
            raise TypeError(f"config must be a helpers.TrainConfig (e.g. helpers.DEFAULT), got {type(config).__name__}")
        self.t_power, self.target, self.weighting = config.t_power, config.predicts, config.loss_weighting
        self.simple = self.target == "eps" and self.weighting in ("own", "eps")
        self.weights = None

    def start(self, model, data):
        """Check the network against the schedule and the target once; compute the weights per step on data's
        device (their data std is the network's own, for EDM's preconditioning, else the data's)."""
        x0 = data[0] if isinstance(data, tuple) else data
        check_model_schedule(model, self.schedule)
        # Trained for one target, a network that records another would be read wrongly by every sampler afterwards.
        recorded = getattr(model, "predicts", self.target)
        if recorded != self.target:
            raise ValueError(f"model records that it predicts {recorded!r} and the objective trains {self.target!r}: "
                             "build it with helpers.build_model(config, schedule, x0) from the same config")
        self.schedule = self.schedule.to(x0.device)
        if not self.simple:
            data_std = getattr(model, "data_std", None) or x0.std().item()
            self.weights = loss_weights(self.schedule, self.target, self.weighting, data_std).to(x0.device)

    def draw_steps(self, n, generator, device):
        """n steps, antithetic for t_power = 1, else floor(T u^t_power)."""
        if self.t_power == 1:
            return antithetic_steps(n, self.schedule.T, generator, device)
        return skewed_steps(n, self.schedule.T, self.t_power, generator, device)

    def loss(self, model, x0, t, eps):
        """The loss at given steps t and noise eps; model(x_t, t) is the prediction."""
        if self.simple:
            return _eps_loss(model, x0, self.schedule, t, eps)
        return _target_loss(model, x0, self.schedule, t, eps, self.target, self.weights)

    def draw(self, x0, generator):
        """A batch's randomness, one row per point: (x0, t, eps). helpers.train draws it for the whole batch and may
        split the rows between micro-batches or processes (lesson 22), so each row gets the same t and eps however
        the batch is split."""
        t = self.draw_steps(x0.shape[0], generator, x0.device)
        return x0, t, noise(x0.shape, generator, x0.device, x0.dtype)

    def __call__(self, model, x0, generator):
        return self.loss(model, *self.draw(x0, generator))
