"""A network knows what it predicts (issue 36): the record (.predicts, kept in its checkpoint) is what every sampler,
likelihood, view and objective reads, and a reader that cannot use it refuses with the way to read it. Each test failed
on the helpers before the record existed, where the same calls read every network as an eps-predictor in silence."""

import dataclasses

import pytest
import torch

import helpers
from conftest import SCH, seeded

X0 = helpers.s_curve(200, seed=1)


def trained_for(target):
    """An untrained network as build_model makes it for target: what it predicts is set by the recipe, not by training."""
    torch.manual_seed(0)
    return helpers.build_model(dataclasses.replace(helpers.DEFAULT, target=target, hidden=16), SCH, X0)


@pytest.mark.parametrize("target, predicts", [("x0", "x0"), ("v", "v"), ("edm", "x0")])
def test_samplers_read_what_the_network_records(target, predicts):
    """sample_steps without target samples the network as what it predicts: the same samples as naming it, not as
    reading its output as eps (samples 40-60x further off the curve in issue 36's probe)."""
    net = trained_for(target)
    assert net.predicts == predicts
    kwargs = dict(n=300, steps=10, method="ddim", eta=0.5)
    recorded = helpers.sample_steps(net, SCH, generator=seeded(1), **kwargs)
    named = helpers.sample_steps(net, SCH, generator=seeded(1), target=predicts, **kwargs)
    assert torch.equal(recorded, named)
    with pytest.raises(ValueError, match=f"target='eps', but the model predicts '{predicts}'"):
        helpers.sample_steps(net, SCH, generator=seeded(1), target="eps", **kwargs)
    # AsEps reads the record too, and the eps view samples as the network does (lesson 14's check, by another route).
    view = helpers.AsEps(net, SCH)
    torch.testing.assert_close(helpers.sample_steps(view, SCH, generator=seeded(1), **kwargs), named, rtol=0, atol=1e-4)


@pytest.mark.parametrize("reader", ["sample", "elbo", "ode_log_likelihood", "invert"])
def test_eps_readers_refuse_another_target_and_say_how_to_read_it(reader):
    net = trained_for("x0")
    calls = {"sample": lambda: helpers.sample(net, SCH, 10, generator=seeded(0)),
             "elbo": lambda: helpers.elbo(net, SCH, X0[:10], generator=seeded(0)),
             "ode_log_likelihood": lambda: helpers.ode_log_likelihood(net, SCH, X0[:10], steps=5),
             "invert": lambda: helpers.invert(net, SCH, X0[:10], 5)}
    with pytest.raises(ValueError, match="predicts 'x0'.*AsEps"):
        calls[reader]()
    # Read through the eps view, the same call runs.
    net = helpers.AsEps(net, SCH)
    calls[reader]()


def test_fast_evaluation_keeps_the_record():
    """FastEps computes the network's output, whatever it predicts (lesson 16 runs a student's raw network with it)."""
    assert helpers.FastEps(helpers.NoisePredictor(SCH.T, 16, predicts="x0")).predicts == "x0"


def test_a_checkpoint_keeps_what_the_network_predicts(tmp_path):
    """Saved and loaded, an x0-network is still one; a file from before the record (no key) is an eps-network, and the
    committed files' checksums are unchanged by the record (it is written only when it is not eps)."""
    net = trained_for("x0")
    helpers.save_weights(net, tmp_path / "x0.pt")
    loaded = helpers.load_model(tmp_path / "x0.pt")
    assert loaded.predicts == "x0" and loaded.config()["predicts"] == "x0"
    assert helpers.load_model().predicts == "eps" and "predicts" not in helpers.load_model().config()
    with pytest.raises(ValueError, match="predicts: file has 'x0', model has 'eps'"):
        helpers.load_weights(helpers.NoisePredictor(SCH.T, 16, c_in=net.c_in), tmp_path / "x0.pt")


def test_a_student_file_is_not_a_teacher_until_it_is_wrapped():
    """A committed student's file holds EDM's raw network: loaded alone it is neither eps nor x0, and the samplers and
    progressive distillation refuse it (issue 36: it was accepted as an eps-teacher); wrapped, it is an x0-teacher."""
    raw = helpers.load_model(helpers.COMMITTED_CHECKPOINT.parent / "student_pd_2.pt")
    assert raw.predicts == "edm"
    for call in (lambda: helpers.progressive_objective(raw, SCH, 1),
                 lambda: helpers.sample_steps(raw, SCH, 10, 2, generator=seeded(0)),
                 lambda: helpers.ConsistencyObjective(SCH, raw)):
        with pytest.raises(ValueError, match="Preconditioned"):
            call()
    wrapped = helpers.Preconditioned(raw, SCH, helpers.s_curve(10_000).std().item())
    assert wrapped.predicts == "x0"
    helpers.progressive_objective(wrapped, SCH, 1)


def test_flows_and_diffusion_networks_are_not_mixed_up():
    """A velocity network runs on flow time s, a noise predictor on steps t: each sampler refuses the other's."""
    with pytest.raises(ValueError, match="flow_sample"):
        helpers.sample_steps(helpers.VelocityPredictor(16), SCH, 10, 2, generator=seeded(0))
    with pytest.raises(ValueError, match="predicts 'eps'"):
        helpers.flow_sample(helpers.NoisePredictor(SCH.T, 16), 10, 2, generator=seeded(0))
    # The exact velocity field records what lesson 12's network does.
    assert helpers.flow_sample(helpers.FlowOracle(helpers.s_curve_oracle()), 10, 2, generator=seeded(0)).isfinite().all()


def test_guidance_keeps_the_record_of_the_network_it_guides():
    """Guidance mixes two predictions with weights that sum to 1, so an x0-network guided still predicts x0."""
    torch.manual_seed(0)
    net = helpers.ConditionalNoisePredictor(SCH.T, 3, 16, predicts="x0")
    assert helpers.Guided(net, 0, 2.0).predicts == "x0"
    with pytest.raises(ValueError, match="predicts 'x0'"):
        helpers.sample(helpers.Guided(net, 0, 2.0), SCH, 10, generator=seeded(0))


def test_training_refuses_a_network_that_records_another_target():
    """Trained on x0 with a network that says eps, every sampler would read the result wrongly afterwards."""
    config = dataclasses.replace(helpers.DEFAULT, target="x0", steps=2, warmup_steps=1, hidden=16)
    with pytest.raises(ValueError, match="build_model"):
        helpers.train(helpers.NoisePredictor(SCH.T, 16), X0, helpers.Denoising(SCH, config), config, progress=False)
    assert helpers.train(trained_for("x0"), X0, helpers.Denoising(SCH, config), config, progress=False)["model"].predicts == "x0"
