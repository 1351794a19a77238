"""The unconditional digits networks committed for lesson 17 (50 images and the whole training split) are what
tools/make_digits.py's recipe produces; the comparison is tests/test_committed_digits.py's."""

import pytest

import helpers
from test_committed_digits import make_digits, same_network

LESSONS = ("17",)
RETRAINS = True


@pytest.mark.parametrize("n", make_digits.SIZES)
def test_the_unconditional_networks_match_their_recipe(n):
    x0, _ = make_digits.subset(n)
    same_network(f"n{n}", helpers.train_digits(x0)["model"])
