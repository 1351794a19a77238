"""Flow matching (lesson 12): the straight path from data to noise, its velocity, the loss, the exact field, the
velocity network and the ODE samplers.

One convention throughout: x_s = (1 - s) x_0 + s eps, s in [0, 1], so s = 0 is the data and s = 1 is N(0, I)
(Esser et al. 2024's convention; Lipman et al. 2023 and Liu et al. 2023 run time from noise at 0 to data at 1). The conditional velocity is
dx_s/ds = eps - x_0, and the marginal velocity is v*(x, s) = E[eps - x_0 | x_s = x]. Sampling integrates
dx/ds = v from s = 1 down to s = 0.

The same path is lesson 10's probability-flow ODE in other coordinates: y = x_s / (1 - s) = x_0 + sigma eps with
sigma = s / (1 - s), and x_s / psi(s), psi(s)^2 = (1 - s)^2 + s^2, is DDPM's x at alpha_bar(s) = (1 - s)^2 / psi(s)^2.
"""

import torch
from torch import nn

from .._checks import (as_float64, check_float, check_generator, check_int, check_like, check_loss, check_points,
                       check_times, check_unit, check_weights)
from .._random import noise
from ..exact.oracle import MixtureOracle, in_dtype
from ..networks.mlp import TimeMLP, sinusoidal_embedding
from ..sampling.grid import ODE_METHODS, evaluating, model_device, ode_step, run_grid, start_points
from .targets import read_as

# The sinusoidal features of lesson 05 are made for steps 0..99; s in [0, 1] is stretched to 0..1000 so that the
# fastest features turn many times over the path (the scale DiT-style models use for t in [0, 1]).
TIME_SCALE = 1000.0
# Sinusoidal features of the time, projected by one Linear to the three layers' embeddings.
TIME_FEATURES = 32


def flow_path(x0, s, eps):
    """x_s = (1 - s) x_0 + s eps, s a float or one time per point. Defined in lesson 12 (flow matching)."""
    x0 = check_points("x0", x0)
    eps = check_like("eps", eps, x0, "x0")
    s = check_times(s, x0.shape[0], x0.device).to(x0.dtype)
    return (1 - s) * x0 + s * eps


def flow_loss(model, x0, s=None, eps=None, generator=None):
    """Conditional flow matching: mean ||(eps - x_0) - v_theta(x_s, s)||^2 over points and both coordinates.

    s ~ U[0, 1] and eps ~ N(0, I) by default, drawn on the CPU (generator: a CPU generator) and moved, like
    helpers.eps_loss. Defined in lesson 12 (flow matching).
    """
    x0 = check_points("x0", x0)
    generator = check_generator(generator)
    if s is None:
        s = torch.rand(x0.shape[0], generator=generator).to(x0.device)
    if eps is None:
        eps = noise(x0.shape, generator, x0.device, x0.dtype)
    return check_loss(((eps - x0 - model(flow_path(x0, s, eps), s)) ** 2).mean(), x0)


class FlowLoss:
    """flow_loss as an objective for helpers.train (lesson 12): s ~ U[0, 1] and eps ~ N(0, I) drawn afresh each step.
    On paired data (x0, x1), each path ends at its own partner x1 instead of fresh noise: lesson 16's reflow, trained
    on a teacher's pairs. Defined in lesson 12 (flow matching).
    """

    def start(self, model, data):
        if isinstance(data, tuple):
            if len(data) != 2:
                raise TypeError(f"FlowLoss trains on points x0 or on pairs (x0, x1), got a tuple of {len(data)} tensors")
            check_like("x1", data[1], data[0], "x0")

    def __call__(self, model, batch, generator):
        if isinstance(batch, tuple):
            return flow_loss(model, batch[0], eps=batch[1], generator=generator)
        return flow_loss(model, batch, generator=generator)


def alpha_bar_of(s):
    """DDPM's alpha_bar at flow time s: (1 - s)^2 / ((1 - s)^2 + s^2). Defined in lesson 12 (flow matching)."""
    s = check_unit("s", s)
    return (1 - s) ** 2 / ((1 - s) ** 2 + s**2)


def flow_time(alpha_bar):
    """alpha_bar_of's inverse: s = sqrt(1 - alpha_bar) / (sqrt(alpha_bar) + sqrt(1 - alpha_bar)). Defined in lesson 12."""
    alpha_bar = check_unit("alpha_bar", alpha_bar)
    return (1 - alpha_bar).sqrt() / (alpha_bar.sqrt() + (1 - alpha_bar).sqrt())


class FlowOracle(nn.Module):
    """The exact marginal velocity v*(x, s) = E[eps - x_0 | x_s = x] for lesson 09's mixture data.

    Along the path, x_s given component J is N((1 - s) p_J, s^2 + (1 - s)^2 std^2), so with m = E[p_J | x_s] and
    s^2_tot that variance: E[x_0 | x_s] = m + (1 - s) std^2 / s^2_tot (x_s - (1 - s) m) and
    E[eps | x_s] = s (x_s - (1 - s) m) / s^2_tot; v* is their difference. Finite at both ends for std > 0.
    Called like the velocity network, oracle(x, s). mixture: a MixtureOracle (helpers.s_curve_oracle()).
    Defined in lesson 12 (flow matching).
    """

    predicts = "flow"

    def __init__(self, mixture):
        super().__init__()
        if not isinstance(mixture, MixtureOracle):
            raise TypeError(f"mixture must be a MixtureOracle (e.g. helpers.s_curve_oracle()), got {type(mixture).__name__}")
        self.mixture = mixture
        # A finite training set's v* grows like (x - p)/s as s -> 0: flow_solve's Heun then steps into s = 0 by Euler, as
        # Karras et al. 2022's Algorithm 1 does into sigma = 0.
        self.singular_at_data = mixture.std == 0

    def _terms(self, x, s):
        x = check_points("x", x, self.mixture.d).to(self.mixture.points.device, torch.float64)
        s = check_times(s, x.shape[0], x.device)
        if self.singular_at_data and bool((s == 0).any()):
            raise ValueError("s must be > 0 for a finite training set's flow (std 0): at s = 0 its velocity is infinite")
        a, s2, log_q, m = self.mixture._path_terms(x, 1 - s, (1 - s) ** 2 * self.mixture.std**2 + s**2)
        return x, s, a, s2, log_q, m

    def log_prob(self, x, s):
        """log q_s(x), the density of x_s. Defined in lesson 12 (flow matching)."""
        x = check_points("x", x, self.mixture.d)
        return in_dtype("log q_s(x)", self._terms(x, s)[4], x.dtype)

    def forward(self, x, s):
        x = check_points("x", x, self.mixture.d)
        xd, s, a, s2, _, m = self._terms(x, s)
        x0_hat = m + a * self.mixture.std**2 / s2 * (xd - a * m)
        eps_hat = s * (xd - a * m) / s2
        return in_dtype("the velocity", eps_hat - x0_hat, x.dtype)


class VelocityPredictor(TimeMLP):
    """v_theta(x_s, s): the course's MLP (lesson 05) in continuous time s in [0, 1].

    The time enters as TIME_FEATURES of lesson 05's sinusoidal features of TIME_SCALE * s, projected by one Linear
    to the three layers' embeddings; the network of lessons 05-08 has a learned table per integer step instead, which
    continuous time cannot use. With data_std the network sees x_s / sqrt((1 - s)^2 data_std^2 + s^2), inputs of unit
    variance at every s (lesson 08's c_in). Defined in lesson 12 (flow matching).
    """

    predicts = "flow"

    def __init__(self, hidden=128, data_std=None):
        hidden = check_int("hidden", hidden, 1)
        if data_std is not None:
            data_std = check_float("data_std", data_std, 0.0, float("inf"))
        super().__init__(hidden)
        self.data_std = data_std
        self.time_embedding = nn.Linear(TIME_FEATURES, 3 * hidden)

    def config(self):
        """What a checkpoint must match (helpers.save_weights; lesson 16 commits a reflowed network)."""
        return {"kind": "velocity", "hidden": self.hidden, "data_std": self.data_std}

    def forward(self, xs, s):
        xs = check_points("xs", xs)
        # A learner's float64 points are computed in the network's dtype and handed back in their own.
        dtype, xs = xs.dtype, xs.to(self.out.weight.dtype)
        # One time for all points is embedded once and broadcast.
        s = check_times(s, xs.shape[0] if torch.as_tensor(s).ndim else 1, xs.device).to(xs.dtype)
        h = xs if self.data_std is None else xs / ((1 - s) ** 2 * self.data_std**2 + s**2).sqrt()
        features = sinusoidal_embedding(TIME_SCALE * s.squeeze(1), TIME_FEATURES)
        return self._mlp(h, self.time_embedding(features).chunk(3, dim=1)).to(dtype)


def build_flow_model(config, x0):
    """The velocity network a TrainConfig trains: VelocityPredictor(hidden), inputs scaled by the data's std if the
    config scales inputs. Defined in lesson 12 (flow matching)."""
    if not hasattr(config, "scaled_input") or not hasattr(config, "hidden"):
        raise TypeError(f"config must be a helpers.TrainConfig (e.g. helpers.DEFAULT), got {type(config).__name__}")
    x0 = check_points("x0", x0)
    if config.scaled_input and x0.shape[0] < 2:
        raise ValueError(f"x0 needs at least 2 points to estimate the data's std for input scaling, got {x0.shape[0]}")
    return VelocityPredictor(config.hidden, x0.std().item() if config.scaled_input else None).to(x0.device)


def flow_solve(velocity, x, s, method="euler", keep_chain=False):
    """Integrate dx/ds = velocity(x, s) over the grid s (a 1-d float64 tensor, either direction) by Euler's method
    or Heun's (the trapezoid of the slopes at both ends of an Euler step), one or two evaluations per step. Returns the
    last x, or with keep_chain all len(s) states. Defined in lesson 12 (flow matching)."""
    if method not in ODE_METHODS:
        raise ValueError(f"method must be one of {list(ODE_METHODS)}, got {method!r}")
    if not callable(velocity):
        raise TypeError(f"velocity must be a function velocity(x, s), got {type(velocity).__name__}")
    x = check_points("x", x, d=None)
    s = check_unit("s", s)
    if s.ndim != 1 or s.shape[0] < 2:
        raise ValueError(f"s must be a 1-d grid of at least 2 times, got shape {tuple(s.shape)}")
    times = s.tolist()

    def move(x, k, v):
        return x + (times[k + 1] - times[k]) * v

    singular = getattr(velocity, "singular_at_data", False)  # FlowOracle of a finite set: no evaluation at s = 0
    step = ode_step(move, lambda x, k: velocity(x, times[k]), method, euler_only=lambda k: singular and times[k + 1] == 0)
    return run_grid(step, x, len(times) - 1, keep_chain)


def flow_grid(n_steps, shift=1.0):
    """n_steps + 1 times from s = 1 down to 0: u evenly spaced, s = shift u / (1 + (shift - 1) u). shift = 1 gives
    equal steps; shift < 1 puts more of them near the data (Esser et al. 2024, §5.3.2, shift their time the same way).
    Defined in lesson 12 (flow matching)."""
    n_steps = check_int("n_steps", n_steps, 1)
    return shift_times(torch.linspace(1, 0, n_steps + 1, dtype=torch.float64), shift)


def shift_times(u, shift):
    """s = shift u / (1 + (shift - 1) u) for times u in [0, 1]: the map of flow_grid, also used to draw training
    times near the data (benchmarks/flow_race.py)."""
    shift = check_float("shift", shift, 0.0, float("inf"))
    # u = 1 is the noise, s = 1 exactly; the formula rounds there when shift is far from 1 (1 + (1e-6 - 1) != 1e-6).
    return torch.where(u == 1, 1.0, shift * u / (1 + (shift - 1) * u))


@torch.no_grad()
def flow_sample(model, n, n_steps, method="euler", shift=1.0, generator=None, x1=None, keep_chain=False):
    """Draw n points by integrating the flow from s = 1 (x1, by default N(0, I) drawn on the CPU) to s = 0 over
    flow_grid(n_steps, shift). Returns x_0 (n, 2), or with keep_chain all n_steps + 1 states. Defined in lesson 12."""
    n = check_int("n", n, 1)
    read_as(model, None, ("flow",), "helpers.flow_sample", default="flow")
    generator = check_generator(generator)
    check_weights(model)
    x = start_points(n, x1, generator, model_device(model), name="x1")
    with evaluating(model):
        return flow_solve(model, x, flow_grid(n_steps, shift), method, keep_chain)


def straightness(chain, times):
    """(chord / arc length, relative velocity deviation) of paths chain (len(times) states of n points each) over times.

    The shape measure is 1 for straight paths; the deviation, (1/|Delta|) E int ||v - chord/Delta||^2 dtime relative to
    E ||chord/Delta||^2 with Delta = times[-1] - times[0] (Liu et al. 2023's straightness, normalised), is 0 exactly when
    one Euler step over the whole path lands on its end. Defined in lesson 12 (flow matching).
    """
    chain, times = torch.as_tensor(chain).to(torch.float64), as_float64("times", times)
    if chain.ndim != 3 or chain.shape[-1] != 2 or chain.shape[0] != times.shape[0] or times.shape[0] < 2:
        raise ValueError(f"chain must have shape (len(times), n, 2) with at least 2 times, got {tuple(chain.shape)} for "
                         f"{times.shape[0]} times")
    moves, chord = chain[1:] - chain[:-1], chain[-1] - chain[0]
    velocity = moves / (times[1:] - times[:-1])[:, None, None]
    chord_velocity = chord / (times[-1] - times[0])
    arc = moves.norm(dim=-1).sum(0)
    if not (arc > 0).all():
        raise ValueError(f"chain does not move {int((arc == 0).sum())} of its points: a path of length 0 has no shape (0/0)")
    shape = (chord.norm(dim=-1) / arc).mean().item()
    # The mean over the grid's intervals, weighted by their lengths: the time average of the integral.
    weights = ((times[1:] - times[:-1]) / (times[-1] - times[0]))[:, None]
    deviation = ((weights * ((velocity - chord_velocity) ** 2).sum(-1)).sum(0).mean() / (chord_velocity**2).sum(-1).mean()).item()
    return shape, deviation
