"""Lesson 20's committed backbones are what tools/make_backbones.py's recipe produces, judged on the test split's
likelihood. One retraining for the recipe (helpers.train_backbone): the U-Net is trained again and both are compared.
The MLP and the DiT are the same recipe with another network: each is checked against the benchmark's own training of
seed 0 (benchmarks/backbones.py trained it in another process and scored the same 150 test images with the same draws),
not retrained (docs/decisions.md, "Test-suite time budget")."""

import json
import sys
from pathlib import Path

import pytest
import torch

import helpers
from retrains import retrain_unless_recorded

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import make_backbones  # noqa: E402

# Retraining takes about 2 minutes here; tests/conftest.py starts this file early.
RETRAINS = True
# Ten training seeds of the U-Net at this budget spread their test ELBO by 0.011 bits per dimension (s.d.), the MLP's by
# 0.013, the DiT's eight that converged by 0.04 (benchmarks/backbones.py); the U-Net at a quarter of the budget lands
# 0.45 away (the planted test below).
TOLERANCE = 0.1
BENCHMARK_FILE = ROOT / "benchmarks" / "results" / "backbones-cpu-2core.json"
BENCHMARK = json.loads(BENCHMARK_FILE.read_text())


def elbo_bits(network):
    """The ELBO in bits per dimension on the benchmark's 150 test images, dequantised once, one draw of each x_t."""
    images = helpers.dequantise(helpers.digits_split()[2][:BENCHMARK["n_likelihood"]], torch.Generator().manual_seed(3))
    terms = helpers.elbo(network, helpers.digits_schedule(), images, generator=torch.Generator().manual_seed(4))
    return helpers.bits_per_dim(-terms.nll_bound)


def benchmark_seed(name):
    """The benchmark's run of the committed recipe: this network, its budget, learning rate and seed."""
    config = helpers.backbone_recipe(name, make_backbones.BUDGET, make_backbones.SEED)
    rows = [r for r in BENCHMARK["rows"] if (r["network"], r["budget"], r["seed"], r["lr"], r["steps"])
            == (name, make_backbones.BUDGET, make_backbones.SEED, config.lr, config.steps)]
    assert len(rows) == 1, (name, len(rows))
    return rows[0]["elbo_bpd"]


def same_network(name, retrained):
    """Two trainings of one recipe differ by floating-point rounding (another CPU) or not at all (this one): their ELBOs
    on 150 test images must agree within TOLERANCE bits per dimension."""
    committed = helpers.load_model(make_backbones.file_of(name))
    assert committed.config() == retrained.config()
    a, b = elbo_bits(committed), elbo_bits(retrained)
    assert abs(a - b) < TOLERANCE, (name, a, b)
    return {"elbo_bpd": [a, b]}


def scores_as_the_benchmark(name, network):
    bits, expected = elbo_bits(network), benchmark_seed(name)
    assert abs(bits - expected) < TOLERANCE, (name, bits, expected)
    return {"elbo_bpd": [bits, expected]}


def test_the_unet_matches_its_recipe():
    """Retrained when something the recipe reads has changed (tests/retrains.py)."""
    retrain_unless_recorded("backbones, U-Net", [make_backbones.file_of("unet")],
                            lambda: same_network("unet", make_backbones.train("unet")["model"]))


@pytest.mark.parametrize("name", ["mlp", "dit"])
def test_the_mlp_and_the_dit_are_the_benchmark_s_seed_0(name):
    """Architecture from the recipe's builder, and the test likelihood of the benchmark's own seed-0 run. Scored again
    when something it reads has changed, as a retraining is."""
    committed = helpers.load_model(make_backbones.file_of(name))
    built = helpers.training.backbones.BUILDERS[name](helpers.digits_split()[0])
    assert committed.config() == built.config() and torch.equal(committed.c_in, built.c_in)
    retrain_unless_recorded(f"backbones, {name} scored", [make_backbones.file_of(name), BENCHMARK_FILE],
                            lambda: scores_as_the_benchmark(name, committed))


def test_a_shorter_training_fails_both_comparisons():
    """The comparisons can fail: the U-Net trained for a quarter of the budget (1x the recipe's time, 194 steps) is told
    apart from the committed network and from the benchmark's seed 0. Run again when anything it reads has changed."""
    def train_and_fail():
        short = make_backbones.train("unet", budget=1.0)["model"]
        with pytest.raises(AssertionError):
            same_network("unet", short)
        with pytest.raises(AssertionError):
            scores_as_the_benchmark("unet", short)
        return {"failed": ["same network", "scores as the benchmark"]}

    retrain_unless_recorded("backbones, planted: 1x budget", [make_backbones.file_of("unet"), BENCHMARK_FILE],
                            train_and_fail)
