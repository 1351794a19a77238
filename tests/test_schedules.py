import math

import pytest
import torch

import helpers

# The lessons whose tests these are (`python3 course.py test --lesson NN`, tests/conftest.py).
LESSONS = ("02",)


def test_reference_schedule_facts():
    sch = helpers.sigmoid_schedule(100)
    assert sch.T == 100
    assert math.isclose(sch.beta.sum().item(), 0.2505, abs_tol=5e-4)
    assert math.isclose(sch.alpha_bar[-1].item(), 0.778, abs_tol=1e-3)
    assert math.isclose(sch.beta[0].item(), 2.2e-5, rel_tol=0.05)
    assert (sch.beta.diff() > 0).all()


def test_linear_schedule_reaches_noise():
    sch = helpers.linear_schedule(1000)
    assert math.isclose(sch.alpha_bar[-1].item(), 4.04e-5, rel_tol=0.02)


def test_cosine_schedule_matches_definition():
    T, s = 50, 0.008
    sch = helpers.cosine_schedule(T)
    f = lambda t: math.cos((t / T + s) / (1 + s) * math.pi / 2) ** 2
    for t in range(T - 1):
        assert math.isclose(sch.alpha_bar[t].item(), f(t + 1) / f(0), rel_tol=1e-4, abs_tol=1e-7)
    assert sch.beta.max().item() <= 0.999 + 1e-6


def test_derived_quantities():
    sch = helpers.make_schedule("linear", 200)
    torch.testing.assert_close(sch.alpha, 1 - sch.beta)
    torch.testing.assert_close(sch.alpha_bar, torch.cumprod(1 - sch.beta, 0))
    torch.testing.assert_close(sch.log_snr, torch.log(sch.alpha_bar / (1 - sch.alpha_bar)), rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(sch.sqrt_alpha_bar**2 + sch.sqrt_one_minus_alpha_bar**2, torch.ones(200))


def test_owned_quantities_by_other_routes():
    sch = helpers.schedule_from_beta(helpers.sigmoid_schedule(100).beta.double())
    # alpha_bar_{t-1} by a running product; beta~ as the precision-weighted (Bayes) posterior variance of lesson 07;
    # the noise-to-signal ratio from the log-SNR.
    running, prev = 1.0, []
    for a in sch.alpha.tolist():
        prev.append(running)
        running *= a
    torch.testing.assert_close(sch.alpha_bar_prev, torch.tensor(prev, dtype=torch.float64), rtol=1e-12, atol=0)
    precision = sch.alpha[1:] / sch.beta[1:] + 1 / (1 - sch.alpha_bar_prev[1:])
    torch.testing.assert_close(sch.beta_tilde[1:], 1 / precision, rtol=1e-9, atol=0)
    assert sch.beta_tilde[0] == 0
    torch.testing.assert_close(sch.noise_to_signal, (-sch.log_snr / 2).exp(), rtol=1e-12, atol=0)
    assert helpers.sigmoid_schedule(100).noise_to_signal.dtype == torch.float64


def test_schedule_moves_to_device():
    sch = helpers.sigmoid_schedule(10).to("meta")
    assert sch.beta.device.type == sch.alpha_bar.device.type == "meta"


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.1, 1.5, float("nan")])
def test_beta_outside_open_unit_interval(bad):
    beta = torch.full((5,), 0.1)
    beta[2] = bad
    with pytest.raises(ValueError, match=r"beta must lie in \(0, 1\)"):
        helpers.schedule_from_beta(beta)


def test_beta_wrong_type_and_shape():
    with pytest.raises(TypeError, match="beta must be a torch.Tensor"):
        helpers.schedule_from_beta([0.1, 0.2])
    with pytest.raises(ValueError, match=r"beta must be 1-d .* got shape \(2, 2\)"):
        helpers.schedule_from_beta(torch.full((2, 2), 0.1))
    with pytest.raises(TypeError, match="floating point"):
        helpers.schedule_from_beta(torch.ones(3, dtype=torch.long))


@pytest.mark.parametrize("name", ["sigmoid", "linear", "cosine"])
def test_T_must_be_positive(name):
    with pytest.raises(ValueError, match=r"T must be in >= 1, got 0"):
        helpers.make_schedule(name, 0)
    with pytest.raises(TypeError, match=r"T must be an int, got float 10.0"):
        helpers.make_schedule(name, 10.0)


def test_unknown_schedule_name():
    with pytest.raises(ValueError, match=r"name must be one of \['cosine', 'linear', 'sigmoid'\], got 'quadratic'"):
        helpers.make_schedule("quadratic", 10)


def test_schedule_parameters_checked():
    with pytest.raises(ValueError, match=r"beta_max must be in \(0.0, 1.0\), got 1.5"):
        helpers.sigmoid_schedule(10, beta_max=1.5)
    with pytest.raises(ValueError, match="beta_end"):
        helpers.linear_schedule(10, beta_end=0.0)
