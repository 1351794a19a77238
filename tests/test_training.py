import copy
import math
from dataclasses import replace

import numpy as np
import pytest
import torch

import helpers
from conftest import SCH

# The lessons whose tests these are (`python3 course.py test --lesson NN`, tests/conftest.py).
LESSONS = ("08",)

SMALL = helpers.TrainConfig(steps=60, batch_size=64, lr=1e-2, hidden=32, seed=3)


def small_model(config=SMALL, x0=None):
    torch.manual_seed(0)
    return helpers.build_model(config, SCH, x0 if x0 is not None else helpers.s_curve(500))


def test_training_is_reproducible_and_lowers_the_loss():
    x0 = helpers.s_curve(500)
    config = replace(SMALL, steps=300)
    a = helpers.train(small_model(config), x0, helpers.Denoising(SCH, config), config, progress=False)
    b = helpers.train(small_model(config), x0, helpers.Denoising(SCH, config), config, progress=False)
    torch.testing.assert_close(a["losses"], b["losses"], rtol=0, atol=0)
    assert a["losses"][-50:].mean() < 0.8 * a["losses"][:50].mean()


def test_checkpoints_and_early_stop():
    seen = []

    def on_checkpoint(step, model):
        seen.append(step)
        return step >= 40

    result = helpers.train(small_model(), helpers.s_curve(500), helpers.Denoising(SCH, SMALL), SMALL, on_checkpoint=on_checkpoint, every=20, progress=False)
    assert seen == [20, 40] and len(result["losses"]) == 40


def test_last_step_is_always_a_checkpoint():
    seen = []
    helpers.train(small_model(), helpers.s_curve(500), helpers.Denoising(SCH, SMALL), SMALL, on_checkpoint=lambda s, m: seen.append(s), every=25, progress=False)
    assert seen == [25, 50, 60]


def ema_against_the_weights_it_saw(steps=40, decay=0.9):
    """Train with an EMA, recording the raw weights after every step; return the largest gap between the EMA and the
    average of the recorded weights with weights proportional to decay**(n - k), computed as numpy's weighted average
    (not by the update the helper runs), and the gap to the initial weights."""
    config = replace(SMALL, steps=steps, ema_decay=decay)
    model = small_model(config)
    initial = [p.detach().clone() for p in model.parameters()]
    seen = []
    result = helpers.train(model, helpers.s_curve(500), helpers.Denoising(SCH, config), config, every=1, progress=False,
                           on_checkpoint=lambda step, ema: seen.append([p.detach().clone() for p in model.parameters()]))
    assert result["model"] is not model and len(seen) == steps
    shares = decay ** np.arange(steps - 1, -1, -1.0)
    gap = 0.0
    for i, ema in enumerate(result["model"].parameters()):
        history = np.stack([weights[i].double().numpy() for weights in seen])
        want = np.average(history, axis=0, weights=shares)
        gap = max(gap, float(np.abs(ema.double().numpy() - want).max()))
    moved = max(float((ema - start).abs().max()) for ema, start in zip(result["model"].parameters(), initial))
    return gap, moved


def test_ema_is_a_bias_corrected_average_of_the_trained_weights_alone():
    gap, moved = ema_against_the_weights_it_saw()
    # 40 steps at decay 0.9: a plain EMA from the initial weights would still hold 0.9**40 = 1.5 % of them.
    assert gap < 1e-6 and moved > 1e-2
    assert helpers.ema_weight(0.9, 1) == 1.0 and helpers.ema_weight(0.995, 10_000) == pytest.approx(0.005)


def test_learning_rate_schedule():
    config = helpers.TrainConfig(steps=1000, lr=0.1, lr_schedule="cosine", warmup_steps=100)
    assert math.isclose(helpers.learning_rate(config, 0), 0.001)
    assert math.isclose(helpers.learning_rate(config, 99), 0.1)
    assert math.isclose(helpers.learning_rate(config, 550), 0.05)
    assert helpers.learning_rate(config, 999) < 1e-5
    assert helpers.learning_rate(replace(config, lr_schedule="constant"), 999) == 0.1


def test_recipes():
    assert helpers.REFERENCE.steps == 4000 * math.ceil(10_000 / 128) and helpers.REFERENCE.batch_size == 128
    assert helpers.DEFAULT.hidden == helpers.REFERENCE.hidden == 128
    model = helpers.build_model(helpers.DEFAULT, SCH, helpers.s_curve(100))
    assert model.config() == {"T": 100, "hidden": 128, "embedding": "learned", "scaled_input": True}


def test_skewed_training_draws_its_steps_from_skewed_steps():
    """With t_power > 1, train's loss at each step is L_simple on helpers.skewed_steps's steps, from the one generator."""
    x0 = helpers.s_curve(64)
    config = replace(SMALL, steps=1, batch_size=64, t_power=3.0, clip_norm=1e9)
    torch.manual_seed(0)
    model = small_model(x0=x0)
    expected_model = copy.deepcopy(model)
    result = helpers.train(model, x0, helpers.Denoising(SCH, config), config, progress=False)
    generator = torch.Generator().manual_seed(config.seed)
    index = next(helpers.training.loop.Batches(64, 64, generator, "cpu"))
    t = helpers.skewed_steps(64, SCH.T, 3.0, generator)
    expected = helpers.eps_loss(expected_model, x0[index], SCH, t=t, generator=generator)
    torch.testing.assert_close(result["losses"][0], expected.detach())


def test_batches_cover_every_point_once_per_epoch():
    stream = helpers.training.loop.Batches(10, 4, torch.Generator().manual_seed(0), "cpu")
    epoch = [next(stream) for _ in range(3)]
    assert [len(b) for b in epoch] == [4, 4, 2]
    assert sorted(torch.cat(epoch).tolist()) == list(range(10))


def test_train_on_device(device):
    x0, config = helpers.s_curve(200, device=device), replace(SMALL, steps=5)
    result = helpers.train(small_model(x0=x0), x0, helpers.Denoising(SCH, config), config, progress=False)
    assert next(result["model"].parameters()).device.type == device.type


@pytest.mark.parametrize(
    "changes, error, message",
    [
        (dict(steps=0), ValueError, r"steps must be in >= 1, got 0"),
        (dict(lr=0.0), ValueError, r"lr must be in \(0.0, inf\), got 0.0"),
        (dict(lr_schedule="step"), ValueError, r"lr_schedule must be one of \['constant', 'cosine'\], got 'step'"),
        (dict(warmup_steps=61), ValueError, r"warmup_steps must be in \[0, 61\), got 61"),
        (dict(ema_decay=1.0), ValueError, r"ema_decay must be in \[0.0, 1.0\), got 1.0"),
        (dict(batch_size=2.0), TypeError, r"batch_size must be an int, got float 2.0"),
        (dict(scaled_input="yes"), TypeError, r"scaled_input must be a bool, got str"),
        (dict(t_power=0.5), ValueError, r"t_power must be in \[1.0, inf\), got 0.5"),
        (dict(sigma="zero"), ValueError, r"sigma must be one of \['beta', 'beta_tilde'\], got 'zero'"),
    ],
)
def test_bad_config(changes, error, message):
    with pytest.raises(error, match=message):
        replace(SMALL, **changes)


def test_bad_train_input():
    with pytest.raises(ValueError, match=r"every must be in >= 1, got 0"):
        helpers.train(small_model(), helpers.s_curve(50), helpers.Denoising(SCH, SMALL), SMALL, every=0, progress=False)
    with pytest.raises(ValueError, match=r"data must have shape \(N, 2\)"):
        helpers.train(small_model(), torch.zeros(5, 3), helpers.Denoising(SCH, SMALL), SMALL, progress=False)


class WeightedCentre:
    """An objective no lesson has: the weighted squared distance of each point to one learned centre, the points'
    weights the second tensor of the data. Its minimiser is the weighted mean, sum w x / sum w."""

    def __init__(self):
        self.started = []

    def start(self, model, data):
        self.started.append(tuple(rows.shape for rows in data))

    def __call__(self, model, batch, generator):
        x0, w = batch
        return (w * ((x0 - model.centre) ** 2).sum(1)).sum() / w.sum()


def test_train_runs_an_objective_defined_here_alone():
    """train knows nothing of this objective, yet finds its minimiser: so each step's batch takes the same rows of
    every tensor in data (weights shuffled apart from their points would find another centre)."""
    x0, u0 = helpers.s_curve(4_000, seed=2, return_u=True)
    w = torch.where(u0 > 0, 9.0, 1.0)
    weighted, plain = (w[:, None] * x0).sum(0) / w.sum(), x0.mean(0)
    model = torch.nn.Module()
    model.centre = torch.nn.Parameter(torch.zeros(2))
    objective = WeightedCentre()
    config = helpers.TrainConfig(steps=600, batch_size=256, lr=0.05, lr_schedule="cosine", seed=1)
    result = helpers.train(model, (x0, w), objective, config, progress=False)
    assert objective.started == [((4_000, 2), (4_000,))]
    assert result["losses"].shape == (600,) and result["model"] is model
    gap = (model.centre.detach() - weighted).norm().item()
    assert gap < 0.05 * (weighted - plain).norm().item(), (model.centre, weighted, plain)
