"""The integration core every sampler goes through (helpers/sampling/grid.py), against exact solutions and by counting."""

import math

import pytest
import torch

from helpers.sampling.grid import ode_step, run_grid

# The lessons whose tests these are (`python3 course.py test --lesson NN`, tests/conftest.py).
LESSONS = ("10", "12")


def euler_and_heun_errors(method, n):
    """dx/dt = -x from t = 0 to 1 on n equal steps; the exact answer is x(0) e^-1."""
    times = torch.linspace(0, 1, n + 1, dtype=torch.float64).tolist()

    def move(x, k, d):
        return x + (times[k + 1] - times[k]) * d

    step = ode_step(move, lambda x, k: -x, method)
    x = run_grid(step, torch.ones(1, 1, dtype=torch.float64), n)
    return abs(x.item() - math.exp(-1))


@pytest.mark.parametrize("method, order", [("euler", 1), ("heun", 2)])
def test_ode_step_converges_at_its_order(method, order):
    ratio = euler_and_heun_errors(method, 100) / euler_and_heun_errors(method, 200)
    assert abs(math.log2(ratio) - order) < 0.05


def test_run_grid_keeps_every_state_and_counts_steps():
    calls = []

    def step(x, k):
        calls.append(k)
        return x + 1

    chain = run_grid(step, torch.zeros(3, 2), 4, keep_chain=True)
    assert calls == [0, 1, 2, 3] and chain.shape == (5, 3, 2) and torch.equal(chain[:, 0, 0], torch.arange(5.0))


def test_heun_evaluates_twice_except_where_euler_only():
    evaluations = []

    def slope(x, k):
        evaluations.append(k)
        return torch.zeros_like(x)

    run_grid(ode_step(lambda x, k, d: x + d, slope, "heun", euler_only=lambda k: k == 2), torch.zeros(1, 2), 3)
    assert evaluations == [0, 1, 1, 2, 2]


def test_an_unknown_method_is_named():
    with pytest.raises(ValueError, match=r"method must be one of \['euler', 'heun'\], got 'rk4'"):
        ode_step(lambda x, k, d: x, lambda x, k: x, "rk4")
