"""Lesson 14's conversions between targets, checked against routes that do not use them: the targets' own definitions
from (x_0, eps), the oracle's separate denoise and score code, lesson 12's FlowOracle, and Monte Carlo loss floors."""

import math

import pytest
import torch

import helpers
import helpers.process.targets as targets
from conftest import SCH, seeded

# The lessons whose tests these are (`python3 course.py test --lesson NN`, tests/conftest.py).
LESSONS = ("14",)

ORACLE = helpers.s_curve_oracle(SCH)
FLOW = helpers.FlowOracle(helpers.s_curve_oracle())
STEPS = (0, 10, 50, 99)
# Values from these definitions, never from the coefficient table: x_t = a x_0 + sigma eps.
DEFINITIONS = {
    "eps": lambda x0, eps, a, sigma: eps,
    "x0": lambda x0, eps, a, sigma: x0,
    "v": lambda x0, eps, a, sigma: a * eps - sigma * x0,
    "score": lambda x0, eps, a, sigma: -eps / sigma,
    "velocity": lambda x0, eps, a, sigma: eps - x0,
}


def snr_factors(snr):
    """Each target's loss floor over eps's, derived by hand in terms of SNR = alpha_bar / (1 - alpha_bar)."""
    return {"eps": 1.0, "x0": 1 / snr, "v": 1 + 1 / snr, "score": 1 + snr, "velocity": (1 + 1 / math.sqrt(snr)) ** 2}


def noisy_pairs(n, t, seed):
    x0 = helpers.s_curve(n, seed=seed).double()
    eps = torch.randn(n, 2, generator=seeded(seed), dtype=torch.float64)
    alpha_bar = ORACLE.alpha_bar[t].item()
    return x0, eps, math.sqrt(alpha_bar) * x0 + math.sqrt(1 - alpha_bar) * eps, alpha_bar


def definition_gaps(alpha_bar=0.3):
    """The largest relative gap of convert(source -> target) from the target's definition, over all 25 pairs."""
    x0 = helpers.s_curve(300, seed=4).double()
    eps = torch.randn(300, 2, generator=seeded(4), dtype=torch.float64)
    a, sigma = math.sqrt(alpha_bar), math.sqrt(1 - alpha_bar)
    x_t = a * x0 + sigma * eps
    gaps = {}
    for source, make_source in DEFINITIONS.items():
        for target, make_target in DEFINITIONS.items():
            expected = make_target(x0, eps, a, sigma)
            got = targets.convert(make_source(x0, eps, a, sigma), x_t, alpha_bar, source, target)
            gaps[source, target] = ((got - expected).abs().max() / expected.abs().max()).item()
    return gaps


def oracle_gaps(t):
    """Relative gaps of eps* converted to x0, score and velocity from the oracles' own code for those quantities."""
    _, _, x_t, alpha_bar = noisy_pairs(500, t, 14 + t)
    eps_star = ORACLE(x_t, t)
    s = helpers.flow_time(alpha_bar)
    k = math.sqrt((1 - s) ** 2 + s**2)
    independent = {"x0": ORACLE.denoise(x_t, t), "score": ORACLE.score(x_t, t), "velocity": FLOW(k * x_t, s)}
    return {target: ((targets.convert(eps_star, x_t, alpha_bar, "eps", target) - exact).abs().max()
                     / exact.abs().max()).item() for target, exact in independent.items()}


def floor_ratios(t):
    """Monte Carlo over q(x_0, x_t): each target's mean squared error at its optimum over eps's, the optima from the
    oracles' separate code paths (v* from the eps and denoise paths by v's definition)."""
    x0, eps, x_t, alpha_bar = noisy_pairs(20_000, t, 140 + t)
    a, sigma = math.sqrt(alpha_bar), math.sqrt(1 - alpha_bar)
    eps_star, x0_star = ORACLE(x_t, t), ORACLE.denoise(x_t, t)
    s = helpers.flow_time(alpha_bar)
    optimum = {"eps": eps_star, "x0": x0_star, "v": a * eps_star - sigma * x0_star, "score": ORACLE.score(x_t, t),
               "velocity": FLOW(math.sqrt((1 - s) ** 2 + s**2) * x_t, s)}
    floors = {name: ((DEFINITIONS[name](x0, eps, a, sigma) - optimum[name]) ** 2).sum(1).mean().item()
              for name in DEFINITIONS}
    return {name: floor / floors["eps"] for name, floor in floors.items()}, alpha_bar


def test_every_conversion_matches_the_definitions():
    assert max(definition_gaps().values()) < 1e-13
    assert max(definition_gaps(0.999).values()) < 1e-11


@pytest.mark.parametrize("t", STEPS)
def test_eps_star_converts_to_the_oracles_denoiser_score_and_velocity(t):
    assert max(oracle_gaps(t).values()) < 1e-11


@pytest.mark.parametrize("t", [0, 50, 99])
def test_loss_floors_are_the_eps_floor_times_an_snr_factor(t):
    ratios, alpha_bar = floor_ratios(t)
    expected = snr_factors(alpha_bar / (1 - alpha_bar))
    for name, ratio in ratios.items():
        assert ratio == pytest.approx(expected[name], rel=1e-9), name
        assert targets.floor_factor(alpha_bar, name).item() == pytest.approx(expected[name], rel=1e-12), name


def test_v_round_trips_and_every_pair_inverts():
    x_t = helpers.s_curve(200, seed=5).double() * 0.9 + torch.randn(200, 2, generator=seeded(5), dtype=torch.float64)
    y = torch.randn(200, 2, generator=seeded(6), dtype=torch.float64)
    for alpha_bar in (1e-4, 0.5, 1 - 1e-6):
        for source in targets.TARGETS:
            for target in targets.TARGETS:
                back = targets.convert(targets.convert(y, x_t, alpha_bar, source, target), x_t, alpha_bar, target, source)
                torch.testing.assert_close(back, y, rtol=1e-9, atol=1e-9)


def test_flow_state_is_lesson_12s_path():
    """to_flow(x_t) at the same (x_0, eps) is lesson 12's flow_path at s = flow_time(alpha_bar)."""
    x0, eps, x_t, alpha_bar = noisy_pairs(100, 30, 7)
    xs, s = targets.to_flow(x_t, alpha_bar)
    torch.testing.assert_close(s, helpers.flow_time(alpha_bar).expand(100), rtol=1e-14, atol=0)
    torch.testing.assert_close(xs, helpers.flow_path(x0, s, eps), rtol=1e-12, atol=1e-14)


def test_per_point_alpha_bar_matches_one_at_a_time():
    x_t = torch.randn(3, 2, generator=seeded(8), dtype=torch.float64)
    y = torch.randn(3, 2, generator=seeded(9), dtype=torch.float64)
    alpha_bar = torch.tensor([0.2, 0.5, 0.9], dtype=torch.float64)
    together = targets.convert(y, x_t, alpha_bar, "x0", "velocity")
    for k in range(3):
        torch.testing.assert_close(together[k : k + 1], targets.convert(y[k : k + 1], x_t[k : k + 1], alpha_bar[k].item(),
                                                                        "x0", "velocity"), rtol=0, atol=0)
    assert targets.convert(y.float(), x_t.float(), 0.5, "eps", "v").dtype == torch.float32


def test_bad_input():
    x_t = torch.zeros(4, 2)
    with pytest.raises(ValueError, match="source must be one of"):
        targets.convert(x_t, x_t, 0.5, "epsilon", "x0")
    with pytest.raises(ValueError, match="target must be one of"):
        targets.convert(x_t, x_t, 0.5, "eps", "x_0")
    for alpha_bar in (0.0, 1.0, float("nan"), torch.tensor([0.5, 1.0])):
        with pytest.raises(ValueError, match="alpha_bar must be in"):
            targets.convert(x_t, x_t, alpha_bar, "eps", "x0")
    with pytest.raises(TypeError, match="alpha_bar must be a real number"):
        targets.convert(x_t, x_t, "0.5", "eps", "x0")
    with pytest.raises(ValueError, match="one per point"):
        targets.convert(x_t, x_t, torch.full((3,), 0.5), "eps", "x0")
    with pytest.raises(ValueError, match="shape of x_t"):
        targets.convert(torch.zeros(3, 2), x_t, 0.5, "eps", "x0")
    with pytest.raises(ValueError, match="alpha_bar must be in"):
        targets.floor_factor(1.0, "score")


# Zero terminal SNR and sampling any target (helpers.zero_terminal_snr, helpers.sample_steps(..., target=)) ------------

ZERO = helpers.zero_terminal_snr(SCH)


class Denoiser(torch.nn.Module):
    """The oracle's E[x_0 | x_t] as an x0-predicting network (defined at alpha_bar = 0, where eps* is x_t itself)."""

    def __init__(self, oracle):
        super().__init__()
        self.oracle, self.T = oracle, oracle.T

    def forward(self, x, t):
        return self.oracle.denoise(x, t)


def test_zero_terminal_snr_is_lin_et_al_rescaling():
    """Lin et al. 2024, Algorithm 1: sqrt(alpha_bar) moved by one affine map, ending at 0 and keeping its first value;
    beta is consistent with alpha_bar (cumprod(1 - beta) gives it back)."""
    old, new = SCH.alpha_bar.double().sqrt(), ZERO.alpha_bar.double().sqrt()
    assert ZERO.alpha_bar[-1].item() == 0 and ZERO.beta[-1].item() == 1
    assert abs(new[0] - old[0]).item() < 1e-7
    slope = (new[1:-1] - new[-1]) / (old[1:-1] - old[-1])
    assert (slope.std() / slope.mean()).item() < 1e-6
    torch.testing.assert_close(torch.cumprod(1 - ZERO.beta.double(), 0), ZERO.alpha_bar.double(), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("target, method", [("v", "ddim"), ("x0", "ddpm"), ("v", "heun")])
def test_sampling_a_target_equals_sampling_its_eps_view(target, method):
    """sample_steps(target=...) (x0_and_eps, x0_hat straight into DDIM's update) draws the same samples as the same
    network read as an eps-predictor through convert (helpers.AsEps), noise for noise."""
    torch.manual_seed(0)
    net = helpers.NoisePredictor(SCH.T, 32, predicts=target)
    kwargs = dict(n=500, steps=20, method=method, eta=0.5 if method == "ddim" else 0.0)
    direct = helpers.sample_steps(net, SCH, generator=seeded(1), target=target, **kwargs)
    through_eps = helpers.sample_steps(helpers.AsEps(net, SCH), SCH, generator=seeded(1), **kwargs)
    torch.testing.assert_close(direct, through_eps, rtol=0, atol=1e-4)


def test_exact_network_samples_the_curve_from_pure_noise():
    """On the rescaled schedule the exact x0-predictor, sampled from alpha_bar_T = 0 with sigma^2 = beta~, lands on the
    curve: no strays and a coverage gap within the data's noise (4 000 points)."""
    samples = helpers.sample_steps(Denoiser(helpers.s_curve_oracle(ZERO)), ZERO, 4000, ZERO.T, method="ddim", eta=1.0,
                                   generator=seeded(2), target="x0")
    quality = helpers.sharp_quality(samples, energy=False)
    assert quality.stray == 0 and quality.coverage_gap < 3 and quality.off_curve < 10


def test_eps_cannot_start_from_pure_noise():
    """At alpha_bar = 0 an eps prediction does not determine x_0: the sampler and the conversion say so."""
    oracle = helpers.s_curve_oracle(ZERO)
    with pytest.raises(ValueError, match="eps says nothing about x_0"):
        helpers.sample_steps(oracle, ZERO, 10, 5, generator=seeded(0))
    with pytest.raises(ValueError, match="says nothing about x0"):
        helpers.x0_and_eps(torch.zeros(3, 2), torch.zeros(3, 2), 0.0, "eps")
    x_t = torch.randn(50, 2, generator=seeded(3), dtype=torch.float64)
    x0_hat, eps_hat = helpers.x0_and_eps(-oracle.denoise(x_t, ZERO.T - 1), x_t, 0.0, "v")
    torch.testing.assert_close(eps_hat, x_t, rtol=0, atol=0)
    torch.testing.assert_close(x0_hat, oracle.denoise(x_t, ZERO.T - 1), rtol=0, atol=1e-15)
