import pytest
import torch

import helpers
from conftest import SCH

# The lessons whose tests these are (`python3 course.py test --lesson NN`, tests/conftest.py).
LESSONS = ("03", "04")



def test_q_step_formula():
    x = helpers.s_curve(50)
    eps = torch.randn_like(x)
    out = helpers.q_step(x, 7, SCH, eps=eps)
    torch.testing.assert_close(out, (1 - SCH.beta[7]).sqrt() * x + SCH.beta[7].sqrt() * eps)


def test_q_sample_per_point_steps():
    x = helpers.s_curve(50)
    eps = torch.randn_like(x)
    t = torch.arange(50) % 100
    out = helpers.q_sample(x, t, SCH, eps=eps)
    expected = SCH.sqrt_alpha_bar[t, None] * x + SCH.sqrt_one_minus_alpha_bar[t, None] * eps
    torch.testing.assert_close(out, expected)


def test_closed_form_equals_iterated_steps_in_distribution():
    generator = torch.Generator().manual_seed(0)
    x0 = helpers.s_curve(20_000)
    x = x0
    for t in range(SCH.T):
        x = helpers.q_step(x, t, SCH, generator=generator)
    closed = helpers.q_sample(x0, SCH.T - 1, SCH, generator=generator)
    n = x0.shape[0]
    se_mean = closed.std(0) * (2 / n) ** 0.5
    assert ((x.mean(0) - closed.mean(0)).abs() < 5 * se_mean).all()
    se_std = closed.std(0) / n**0.5
    assert ((x.std(0) - closed.std(0)).abs() < 5 * se_std).all()
    assert helpers.energy_distance(x[:3000], closed[:3000]) < 2e-3


def test_closed_form_differs_from_a_wrong_schedule():
    x0 = helpers.s_curve(20_000)
    right = helpers.q_sample(x0, 99, SCH)
    wrong = helpers.q_sample(x0, 99, helpers.linear_schedule(100))
    assert (right.std(0) - wrong.std(0)).abs().min() > 0.1


def test_forward_follows_input_device(device):
    x = helpers.s_curve(4, device=device)
    t = torch.tensor([0, 1, 2, 3], device=device)
    assert helpers.q_sample(x, t, SCH).device == x.device
    assert helpers.q_step(x, 3, SCH).device == x.device


@pytest.mark.parametrize("fn", [helpers.q_step, helpers.q_sample])
def test_bad_time_steps(fn):
    x = helpers.s_curve(4)
    with pytest.raises(ValueError, match=r"t must be in \[0, 100\), got 100"):
        fn(x, 100, SCH)
    with pytest.raises(ValueError, match=r"t must be in \[0, 100\), got -1"):
        fn(x, -1, SCH)
    with pytest.raises(ValueError, match=r"t must be in \[0, T\) = \[0, 100\), got values from 0 to 150"):
        fn(x, torch.tensor([0, 1, 2, 150]), SCH)
    with pytest.raises(TypeError, match="t must hold integer time steps, got dtype torch.float32"):
        fn(x, torch.tensor([0.5] * 4), SCH)
    with pytest.raises(ValueError, match=r"t must have one step per point \(4\), got 3"):
        fn(x, torch.tensor([0, 1, 2]), SCH)


@pytest.mark.parametrize("fn", [helpers.q_step, helpers.q_sample])
def test_bad_points(fn):
    with pytest.raises(ValueError, match=r"must have shape \(N, d\) with N >= 1, got \(4,\)"):
        fn(torch.zeros(4), 0, SCH)
    assert fn(torch.zeros(4, 3), 0, SCH, generator=torch.Generator().manual_seed(0)).shape == (4, 3)
    with pytest.raises(TypeError, match="must be a torch.Tensor of shape"):
        fn([[0.0, 0.0]], 0, SCH)
    x = torch.zeros(4, 2)
    x[1, 0] = float("nan")
    with pytest.raises(ValueError, match="must be finite, got 1 NaN or infinite entries"):
        fn(x, 0, SCH)
    with pytest.raises(TypeError, match="must hold float32 or float64 numbers, got dtype torch.int64"):
        fn(torch.zeros(4, 2, dtype=torch.long), 0, SCH)


def test_bad_eps_and_schedule():
    x = helpers.s_curve(4)
    with pytest.raises(ValueError, match=r"eps must have the shape of x0 \(4, 2\), got \(3, 2\)"):
        helpers.q_sample(x, 0, SCH, eps=torch.zeros(3, 2))
    with pytest.raises(TypeError, match=r"schedule must be a helpers.Schedule \(e.g. helpers.sigmoid_schedule\(100\)\), got dict"):
        helpers.q_sample(x, 0, {"beta": SCH.beta})
