"""Lesson 12 (flow matching): its exercises' checks and hints."""

import math

import torch

from ..data.s_curve import s_curve
from ..exact.oracle import MixtureOracle, s_curve_oracle
from ..process.flows import FlowOracle, alpha_bar_of, flow_grid, flow_solve
from .base import Exercise, choice, close, expect


def _test_velocity_from_eps(fn):
    mixture = s_curve_oracle()
    flow = FlowOracle(mixture)
    x = 0.7 * s_curve(300, seed=5).double() + 0.3 * torch.randn(300, 2, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    for s in (0.1, 0.5, 0.9):
        # The exact E[eps | x_s]: lesson 09's eps* at the DDPM state x_s / psi(s) and alpha_bar(s).
        eps = mixture(x / math.sqrt((1 - s) ** 2 + s**2), None, alpha_bar=alpha_bar_of(s).item())
        v = fn(eps, x, s)
        expect(isinstance(v, torch.Tensor) and v.shape == x.shape, "return a tensor shaped like x")
        expect(close(v, flow(x, s), 1e-8), f"at s = {s}, your velocity from the exact eps differs from the exact velocity")


def _one_point_euler():
    point = torch.tensor([[0.05, -0.1]], dtype=torch.float64)
    flow = FlowOracle(MixtureOracle(point, torch.zeros(1, dtype=torch.float64), 0.0))
    x1 = torch.randn(1000, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    errors = {n: (flow_solve(flow, x1, flow_grid(n)) - point).abs().max().item() for n in (1, 10)}
    answer = "a" if errors[1] < 1e-12 else ("b" if errors[10] < 1e-12 else "c")
    return answer, f"after one Euler step the largest distance to the point is {errors[1]:.0e}"


EXERCISES = {
    "12.1": Exercise("velocity_from_eps", _test_velocity_from_eps, "solve x_s = (1 - s) x_0 + s eps for x_0; the velocity of the path is eps - x_0"),
    "12.2": Exercise("prediction", choice(_one_point_euler, {"a": "one step lands exactly", "b": "about 10 steps are needed", "c": "about 100 steps are needed"}),
                     "with one data point, E[x_0 | x_s] is that point for every x_s: what does the exact velocity do along a path?"),
}
