import pytest
import torch

import helpers
from conftest import SCH

# The lessons whose tests these are (`python3 course.py test --lesson NN`, tests/conftest.py).
LESSONS = ("06",)



@pytest.mark.parametrize("n", [1, 2, 3, 127, 128])
def test_antithetic_steps_any_batch_size(n):
    t = helpers.antithetic_steps(n, 100, generator=torch.Generator().manual_seed(n))
    assert t.shape == (n,) and t.dtype == torch.long
    assert t.min() >= 0 and t.max() < 100
    half = (n + 1) // 2
    torch.testing.assert_close(t[half:], 99 - t[: n - half])


def test_antithetic_pairs_average_to_the_middle():
    t = helpers.antithetic_steps(1000, 100)
    assert t.double().mean().item() == 49.5


@pytest.mark.parametrize("n", [1, 2, 127])
def test_loss_odd_and_single_batches(n):
    model = helpers.NoisePredictor(100, 16)
    loss = helpers.eps_loss(model, helpers.s_curve(n), SCH)
    assert loss.ndim == 0 and torch.isfinite(loss)
    loss.backward()
    assert all(p.grad is not None for p in model.linears.parameters())


def test_loss_formula():
    model = helpers.NoisePredictor(100, 16)
    x0 = helpers.s_curve(10)
    t = torch.arange(10) * 9
    eps = torch.randn_like(x0)
    xt = SCH.sqrt_alpha_bar[t, None] * x0 + SCH.sqrt_one_minus_alpha_bar[t, None] * eps
    torch.testing.assert_close(helpers.eps_loss(model, x0, SCH, t=t, eps=eps), ((eps - model(xt, t)) ** 2).mean())


@pytest.mark.parametrize("power", [1.0, 3.0])
def test_skewed_steps_follow_their_law(power):
    """P(t = k) = ((k + 1)^(1/p) - k^(1/p)) / T^(1/p) for t = floor(T u^p), checked on 200 000 draws (chi-square)."""
    T, n = 100, 200_000
    t = helpers.skewed_steps(n, T, power, torch.Generator().manual_seed(0))
    assert t.dtype == torch.long and t.min() >= 0 and t.max() <= T - 1
    k = torch.arange(T, dtype=torch.float64)
    expected = n * (((k + 1) / T) ** (1 / power) - (k / T) ** (1 / power))
    counts = torch.bincount(t, minlength=T).double()
    chi2 = ((counts - expected) ** 2 / expected).sum().item()
    assert chi2 < 150, chi2  # 99 degrees of freedom: the 0.1 % tail starts near 149
    if power == 3.0:
        assert abs(expected[0].item() / n - 0.2154) < 1e-3 and abs(expected[:8].sum().item() / n - 0.4309) < 1e-3


def test_perfect_predictor_has_zero_loss():
    class Oracle(torch.nn.Module):
        def forward(self, xt, t):
            return (xt - SCH.sqrt_alpha_bar[t, None] * x0) / SCH.sqrt_one_minus_alpha_bar[t, None]

    x0 = helpers.s_curve(50)
    assert helpers.eps_loss(Oracle(), x0, SCH).item() < 1e-8


def test_loss_follows_device(device):
    model = helpers.NoisePredictor(100, 16).to(device)
    assert helpers.eps_loss(model, helpers.s_curve(5, device=device), SCH).device.type == device.type


def test_bad_loss_input():
    model = helpers.NoisePredictor(100, 16)
    x0 = helpers.s_curve(4)
    with pytest.raises(ValueError, match=r"t must have one step per point \(4\), got 3"):
        helpers.eps_loss(model, x0, SCH, t=torch.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match=r"n must be in >= 1, got 0"):
        helpers.antithetic_steps(0, 100)
    with pytest.raises(ValueError, match=r"x0 must have shape"):
        helpers.eps_loss(model, torch.zeros(4), SCH)
