"""Lesson 17 (digits): its exercises' checks and hints."""

import math

import torch

from ..checkpoint import COMMITTED_CHECKPOINT, load_model
from ..digits import D, dequantise, digits_schedule, digits_split
from ..likelihood import elbo
from .base import Exercise, choice, close, expect

N_IMAGES = 150


def _test_bits_per_dim(fn):
    generator = torch.Generator().manual_seed(17)
    for d in (1, 2, 64):
        log_p = torch.randn(40, generator=generator, dtype=torch.float64) * 5 - 3 * d
        got = fn(log_p.clone(), d)
        try:
            got = float(got)
        except (TypeError, ValueError):
            expect(False, "return one number: the mean over the images, in bits per dimension")
        # Checked through what it must mean: the probability mass of the 17 ** d integer images, each bin of width 2/17
        # in every coordinate, so one image's mass is p * (2/17) ** d.
        mass = log_p + d * math.log(2 / 17)
        # A float32 answer is right to about 1e-7; a wrong formula is off by 0.4 bits or more.
        expect(close(got, -(mass.mean() / (d * math.log(2))).item()),
               f"with d = {d}, a mean log p of {log_p.mean().item():.3f} nats must give "
               f"{-(mass.mean() / (d * math.log(2))).item():.4f} bits per dimension")
    expect(close(fn(torch.full((3,), -64 * math.log(2.0)), 64), math.log2(17)),
           "the uniform density on [-1, 1]^64 (log p = -64 ln 2) must give log2(17) = 4.087 bits")


def _own_against_test():
    x_train, _, x_test, _ = digits_split()
    network, schedule = load_model(COMMITTED_CHECKPOINT.parent / "digits_n1347.pt"), digits_schedule()
    bits = {}
    for name, x in (("own", x_train[:N_IMAGES]), ("test", x_test[:N_IMAGES])):
        terms = elbo(network, schedule, dequantise(x, torch.Generator().manual_seed(3)), generator=torch.Generator().manual_seed(4))
        bits[name] = (terms.nll_bound.mean().item() / D - math.log(2 / 17)) / math.log(2)
    answer = "a" if bits["test"] - bits["own"] > 0.1 else "b"
    return answer, (f"bits per dimension (ELBO): {N_IMAGES} of its own training images {bits['own']:.3f}, "
                    f"{N_IMAGES} test images {bits['test']:.3f}")


EXERCISES = {
    "17.1": Exercise("bits_per_dim", _test_bits_per_dim,
                     "an image's probability is at least its density times the volume of its bin, (2/17)^d; take -log2 of "
                     "that and divide by d"),
    "17.2": Exercise("prediction", choice(_own_against_test, {"a": "lower on its own images", "b": "about the same"}),
                     "each of its images was seen about 475 times"),
}
