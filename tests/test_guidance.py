"""Lesson 11's helpers: labels, exact conditional oracles and classifier, the conditional network, CFG, the tilted density."""

import math

import pytest
import torch

import helpers
from conftest import SCH, seeded

# The lessons whose tests these are (`python3 course.py test --lesson NN`, tests/conftest.py).
LESSONS = ("11",)



@pytest.fixture(scope="module")
def oracle():
    return helpers.LabelledOracle(SCH)


def test_labels_are_equal_thirds_of_u():
    u = torch.tensor([-1.5 * math.pi, -0.5 * math.pi - 1e-9, -0.5 * math.pi, 0.0, 0.5 * math.pi, 1.5 * math.pi], dtype=torch.float64)
    assert helpers.labels_of(u).tolist() == [0, 0, 1, 1, 2, 2]


def test_quadrature_on_a_piece_integrates_exactly():
    for low, high in ((-1.5 * math.pi, -0.5 * math.pi), (-0.5 * math.pi, 0.5 * math.pi), (-0.3, 2.0)):
        u, log_w = helpers.quadrature(256, low, high)
        assert ((u >= low) & (u <= high)).all() and abs(log_w.exp().sum().item() - 1) < 1e-12
        mean_sin = (math.cos(low) - math.cos(high)) / (high - low)
        assert abs((log_w.exp() * u.sin()).sum().item() - mean_sin) < 1e-12


def test_quadrature_rejects_bad_ranges():
    with pytest.raises(ValueError, match="high"):
        helpers.quadrature(256, 1.0, 0.5)
    with pytest.raises(ValueError, match="low"):
        helpers.quadrature(256, -10.0, 0.0)


def test_conditional_densities_average_to_the_whole(oracle):
    for t in (0, 50, 99):
        x = helpers.q_sample(helpers.s_curve(300, seed=t), t, SCH, generator=seeded(t)).double()
        mixture = torch.stack([o.log_prob(x, t) for o in oracle.conditional], 1).exp().mean(1)
        torch.testing.assert_close(mixture, oracle.unconditional.log_prob(x, t).exp(), rtol=1e-8, atol=0)


def test_classifier_sums_to_one_and_knows_the_data(oracle):
    x0, u0 = helpers.s_curve(2000, seed=3, return_u=True)
    log_p = oracle.classifier(x0.double(), None)
    torch.testing.assert_close(log_p.exp().sum(1), torch.ones(2000, dtype=torch.float64), rtol=1e-7, atol=0)
    # At t = 0 only points within a few sigma of a border can be doubted.
    assert (log_p.argmax(1) == helpers.labels_of(u0)).double().mean() > 0.98


def test_conditional_network_null_label_and_bad_labels():
    model = helpers.ConditionalNoisePredictor(100, n_labels=3)
    x = torch.randn(7, 2)
    torch.testing.assert_close(model(x, 5), model(x, 5, 3))
    assert not torch.allclose(model(x, 5, 0), model(x, 5, 1))
    torch.testing.assert_close(model(x, 5, torch.tensor([0] * 7)), model(x, 5, 0))
    for bad in (4, -1, torch.tensor([0.5])):
        with pytest.raises(ValueError, match="labels"):
            model(x, 5, bad)


def test_label_dropout_trains_the_null_label():
    x0, u0 = helpers.s_curve(512, seed=1, return_u=True)
    labels = helpers.labels_of(u0)
    config = helpers.TrainConfig(steps=30, batch_size=128, lr=1e-2)
    null_rows = []
    for dropout in (0.0, 1.0):
        model = helpers.ConditionalNoisePredictor(100, 3)
        before = model.label_embeddings[0].weight.detach().clone()
        helpers.train(model, (x0, labels), helpers.LabelDropout(SCH, config, dropout), config, progress=False)
        changed = (model.label_embeddings[0].weight.detach() - before).abs().sum(1) > 0
        null_rows.append(changed.tolist())
    assert null_rows[0] == [True, True, True, False]  # no dropout: the null label is never seen
    assert null_rows[1] == [False, False, False, True]  # all dropped: only the null label is


def test_train_rejects_bad_labels():
    x0 = helpers.s_curve(64, seed=1)
    config = helpers.TrainConfig(steps=1)
    with pytest.raises(ValueError, match="one row per point"):
        helpers.train(helpers.ConditionalNoisePredictor(100, 3), (x0, torch.zeros(10, dtype=torch.long)),
                      helpers.LabelDropout(SCH, config), config)
    with pytest.raises(ValueError, match="p must"):
        helpers.LabelDropout(SCH, config, 1.5)


def test_guided_is_cfg_and_w_zero_is_the_conditional(oracle):
    x = helpers.q_sample(helpers.s_curve(100, seed=2), 30, SCH).double()
    assert torch.equal(helpers.Guided(oracle, 1, 0.0)(x, 30), oracle(x, 30, 1))
    torch.testing.assert_close(helpers.Guided(oracle, 1, 2.0)(x, 30), 3 * oracle(x, 30, 1) - 2 * oracle(x, 30))
    with pytest.raises(ValueError, match="w"):
        helpers.Guided(oracle, 1, -1.0)
    with pytest.raises(ValueError, match="label"):
        helpers.Guided(oracle, 3, 1.0)


def test_tilted_density_at_zero_is_the_piece_and_sharpens_with_w(oracle):
    plain = helpers.tilted_sample(oracle, 1, 0.0, 4000, generator=seeded(1))
    leak_plain, gap_plain, off_plain = helpers.segment_quality(plain, 1)
    assert 0.5 < leak_plain < 3 and gap_plain < 4 and abs(off_plain - 10) < 0.5
    leak_tilted = helpers.segment_quality(helpers.tilted_sample(oracle, 1, 4.0, 4000, generator=seeded(1)), 1)[0]
    assert leak_tilted < leak_plain / 4


def test_segment_quality_sees_a_missing_half():
    x0, u0 = helpers.s_curve(6000, seed=5, return_u=True)
    piece = x0[helpers.labels_of(u0) == 0]
    half = x0[(helpers.labels_of(u0) == 0) & (u0 < -math.pi)]
    assert helpers.segment_quality(half, 0)[1] > 40 > 5 > helpers.segment_quality(piece, 0)[1]
    assert helpers.segment_quality(piece, 1)[0] > 95


def test_coverage_gap_on_a_range():
    u = torch.linspace(0.0, 1.0, 1001, dtype=torch.float64)
    assert helpers.coverage_gap(u, 0.0, 1.0) < 0.2
    assert helpers.coverage_gap(u, 0.0, 2.0) > 49
    with pytest.raises(ValueError, match="high must be in"):
        helpers.coverage_gap(u, 1.0, 1.0)
