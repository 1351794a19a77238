"""Lesson 14's loss weightings, each against its paper's own form or an independent route, and training with any
target and weighting against lesson 06's loss of the same network read as an eps-predictor."""

import dataclasses

import pytest
import torch

import helpers
from conftest import SCH, seeded
from helpers.objectives.denoising import _eps_loss, _target_loss
from helpers.objectives.weighting import MIN_SNR_GAMMA, WEIGHTINGS

# The lessons whose tests these are (`python3 course.py test --lesson NN`, tests/conftest.py).
LESSONS = ("14",)

ALPHA_BAR = SCH.alpha_bar.double()
SNR = ALPHA_BAR / (1 - ALPHA_BAR)


def proportional(a, b):
    ratio = a / b
    return (ratio.std() / ratio.mean()).item() < 1e-6


def test_elbo_weight_is_the_kl_of_the_reverse_step():
    """Ho et al. 2020: L_{t-1} = |mu~(x_t, x_0) - mu_theta(x_t, t)|^2 / (2 beta~_t) for an eps-error e is w_t |e|^2.
    Measured with lesson 07's posterior and reverse mean, which never see the weight's formula."""
    x0 = helpers.s_curve(5, seed=1).double()
    eps = torch.randn(5, 2, generator=seeded(1), dtype=torch.float64)
    error = torch.randn(5, 2, generator=seeded(2), dtype=torch.float64)
    schedule64 = helpers.schedule_from_beta(SCH.beta.double())
    weights = helpers.eps_weights(SCH, "elbo")
    for t in (1, 30, 99):
        steps = torch.full((5,), t)
        x_t = helpers.q_sample(x0, steps, schedule64, eps=eps)
        mean, variance = helpers.posterior(x0, x_t, steps, schedule64)
        kl = ((mean - helpers.reverse_mean(eps + error, x_t, steps, schedule64)) ** 2).sum(1) / (2 * variance)
        torch.testing.assert_close(kl, weights[t] * (error**2).sum(1), rtol=1e-6, atol=0)


@pytest.mark.parametrize("target, paper", [
    ("x0", lambda snr: snr.clamp(max=MIN_SNR_GAMMA)),
    ("v", lambda snr: snr.clamp(max=MIN_SNR_GAMMA) / (snr + 1)),
    ("eps", lambda snr: snr.clamp(max=MIN_SNR_GAMMA) / snr),
])
def test_min_snr_in_each_targets_own_form(target, paper):
    """Hang et al. 2023 give min-SNR-gamma per target: min(SNR, gamma) on the x0 loss, divided by SNR + 1 for v and by
    SNR for eps."""
    assert proportional(helpers.loss_weights(SCH, target, "min_snr").double(), paper(SNR))


def test_edm_weight_is_lambda_on_the_x0_loss():
    """Karras et al. 2022, Table 1: lambda(sigma) = (sigma^2 + sd^2) / (sigma sd)^2 with sigma = nu."""
    nu2, sd = 1 / SNR, 0.4
    assert proportional(helpers.loss_weights(SCH, "x0", "edm", sd).double(), (nu2 + sd**2) / (nu2 * sd**2))


@pytest.mark.parametrize("target", ["eps", "x0", "v"])
def test_each_targets_own_loss_is_its_named_weighting(target):
    """Weighting 'x0' on the x0 target (or 'v' on v, 'eps' on eps) is that target's plain MSE: constant weights."""
    weights = helpers.loss_weights(SCH, target, target)
    torch.testing.assert_close(weights, torch.ones(SCH.T), rtol=1e-6, atol=0)
    assert (helpers.loss_weights(SCH, target, "own") == 1).all()


@pytest.mark.parametrize("target", ["x0", "v"])
@pytest.mark.parametrize("weighting", ["eps", "elbo", "min_snr", "edm"])
def test_target_loss_is_the_weighted_eps_loss_of_the_same_network(target, weighting):
    """A network predicting target, trained with a weighting, has the loss of the same network read as an eps-predictor
    (helpers.AsEps, through convert) under that weighting's eps weights: per step, the two agree up to the weights'
    normalisation."""
    torch.manual_seed(0)
    net = helpers.NoisePredictor(SCH.T, 16, predicts=target).double()
    view = helpers.AsEps(net, SCH)
    eps_weights = helpers.eps_weights(SCH, weighting, 0.8)
    weights = helpers.loss_weights(SCH, target, weighting, 0.8).double()
    x0 = helpers.s_curve(64, seed=5).double()
    eps = torch.randn(64, 2, generator=seeded(5), dtype=torch.float64)
    schedule64 = helpers.schedule_from_beta(SCH.beta.double())
    ratios = []
    for t in (0, 20, 60, 99):
        steps = torch.full((64,), t)
        ratios.append(_target_loss(net, x0, schedule64, steps, eps, target, weights).item()
                      / (eps_weights[t] * _eps_loss(view, x0, schedule64, steps, eps)).item())
    assert max(ratios) / min(ratios) - 1 < 1e-6  # the weights are float32


def test_default_recipe_is_unchanged_and_targets_train():
    """target 'eps' with weighting 'own' or 'eps' is lesson 08's L_simple, bit for bit; every other target trains to a
    finite, decreasing loss."""
    x0 = helpers.s_curve(2000)
    short = dataclasses.replace(helpers.DEFAULT, steps=60, warmup_steps=10, hidden=32)
    losses = {}
    for target, weighting in (("eps", "own"), ("eps", "eps"), ("x0", "own"), ("v", "min_snr"), ("edm", "own")):
        config = dataclasses.replace(short, target=target, weighting=weighting)
        torch.manual_seed(0)
        model = helpers.build_model(config, SCH, x0)
        losses[target, weighting] = helpers.train(model, x0, helpers.Denoising(SCH, config), config, progress=False)["losses"]
    assert torch.equal(losses["eps", "own"], losses["eps", "eps"])
    for key, curve in losses.items():
        assert torch.isfinite(curve).all() and curve[-10:].mean() < curve[:10].mean(), key


def test_bad_configuration():
    with pytest.raises(ValueError, match="target must be one of"):
        helpers.TrainConfig(target="score")
    with pytest.raises(ValueError, match="weighting must be one of"):
        helpers.TrainConfig(weighting="snr")
    with pytest.raises(ValueError, match="scaled_input=True"):
        helpers.TrainConfig(target="edm")
    with pytest.raises(ValueError, match="needs the data's std"):
        helpers.eps_weights(SCH, "edm")
    with pytest.raises(ValueError, match="weighting='own'"):
        helpers.loss_weights(helpers.zero_terminal_snr(SCH), "v", "elbo")
    assert set(WEIGHTINGS) == {"own", "eps", "x0", "v", "elbo", "min_snr", "edm"}


def test_a_misspelt_target_is_refused_with_its_own_weighting():
    """With weighting 'own' the weights are all 1 whatever the target, so a misspelt target used to pass unseen (issue 36)."""
    with pytest.raises(ValueError, match="target must be one of"):
        helpers.loss_weights(SCH, "bogus", "own")
