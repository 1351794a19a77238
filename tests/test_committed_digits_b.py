"""The unconditional digits network committed for lesson 17 (the whole training split) is what tools/make_digits.py's
recipe produces; the comparison is tests/test_committed_digits.py's. One retraining per recipe: the 50-image network is
the same recipe on a nested subset, so it is checked for being built from that subset, not retrained (docs/decisions.md,
"Test-suite time budget")."""

import torch

import helpers
from test_committed_digits import make_digits, same_network

RETRAINS = True


def test_the_unconditional_network_matches_its_recipe():
    x0, _ = make_digits.subset(1347)
    same_network("n1347", helpers.train_digits(x0)["model"])


def test_the_50_image_network_is_the_recipe_s_network_for_its_subset():
    """Its architecture and input scale are those digits_network builds from the first 50 images, which lie inside the
    full set; on the full set its input scale would differ (the planted half of the check)."""
    committed = helpers.load_model(make_digits.file_of("n50"))
    small, full = make_digits.subset(50)[0], make_digits.subset(1347)[0]
    assert (small[:, None] == full[None]).all(-1).any(1).all()
    for built, same in ((helpers.digits_network(small), True), (helpers.digits_network(full), False)):
        assert committed.config() == built.config()
        assert torch.equal(committed.c_in, built.c_in) is same
