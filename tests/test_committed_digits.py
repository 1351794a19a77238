"""The digits networks committed for lesson 17 are what tools/make_digits.py's recipe produces: a network is retrained and
both are compared where it matters, on the test split's likelihood."""

import math
import sys
from pathlib import Path

import pytest
import torch

import helpers

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import make_digits  # noqa: E402

# Retraining takes 25 s here; tests/conftest.py starts this file early, and tests/test_committed_digits_b.py holds the
# other files so that the two workers share them.
RETRAINS = True
# Five training seeds of the full recipe spread their test ELBO by 0.024 bits per dimension (s.d.; benchmarks/digits.py);
# the recipe cut to 300 steps of 5 000 lands far outside (test_a_short_training_fails_the_comparison).
TOLERANCE = 0.1


def elbo_bits(network, images):
    """The ELBO in bits per dimension on images (bin centres), dequantised once, with one draw of each x_t."""
    terms = helpers.elbo(network, helpers.digits_schedule(), helpers.dequantise(images, torch.Generator().manual_seed(3)),
                         generator=torch.Generator().manual_seed(4))
    return terms.bits_per_dim() - math.log(2 / 17) / math.log(2)


def same_network(name, retrained):
    """Two trainings of one recipe differ by floating-point rounding (another CPU) or not at all (this one). Their ELBOs on
    150 test images must agree within TOLERANCE bits per dimension."""
    x_test = helpers.digits_split()[2][:150]
    committed = helpers.load_model(make_digits.file_of(name))
    assert committed.config() == retrained.config()
    a, b = elbo_bits(committed, x_test), elbo_bits(retrained, x_test)
    assert abs(a - b) < TOLERANCE, (name, a, b)


def test_the_labelled_network_matches_its_recipe():
    x_train, labels, _, _ = helpers.digits_split()
    same_network("labels", helpers.train_digits(x_train, labels)["model"])


def test_a_short_training_fails_the_comparison():
    """The comparison can fail: the recipe cut to 300 steps is told apart."""
    x0, _ = make_digits.subset(1347)
    config = helpers.TrainConfig(**{**helpers.DIGITS.as_dict(), "steps": 300})
    with pytest.raises(AssertionError):
        same_network("n1347", helpers.train_digits(x0, config=config)["model"])
