"""Lesson 17 (digits): its exercises' checks and hints."""

import math

import torch
from scipy.integrate import quad
from scipy.stats import norm

from ..data.digits import D, dequantise, digits_schedule, digits_split
from ..exact.oracle import training_set_oracle
from ..measures.likelihood import elbo
from ..networks.checkpoint import COMMITTED_CHECKPOINT, load_model
from .base import Exercise, choice, close, expect, is_number, number

N_IMAGES = 150
BIN = 2 / 17  # the width of a pixel's bin in [-1, 1]
STDS = (0.001, 0.01, 0.05, 0.2)


def _cost_by_quadrature(std):
    """KL(uniform on the bin || the Gaussian's density within the bin, divided by its mass there), in bits, with the
    expectation taken by scipy's quadrature rather than in closed form."""
    half = BIN / 2
    mass = math.erf(half / (math.sqrt(2) * std))

    def integrand(x):
        # The uniform density 1/BIN times log(uniform density / (p(x) / mass)).
        return (-math.log(BIN) - norm.logpdf(x, scale=std) + math.log(mass)) / BIN

    nats, _ = quad(integrand, -half, half, points=[0.0], epsabs=1e-13, epsrel=1e-13, limit=200)
    return nats / math.log(2)


def _test_dequantisation_cost(fn):
    for std in STDS:
        got = number(fn(std))
        expect(is_number(got), "return one number: the bits the uniform spread adds for that pixel")
        want = _cost_by_quadrature(std)
        # A float32 answer is right to about 1e-6 (tests/test_exercises.py); each wrong term that
        # tests/test_planted_errors.py plants (the bin's mass left out, the spread's mean square, natural logs) is off by
        # 0.01 bits or more at one of these std's.
        expect(close(got, want, tol=1e-5),
               f"with std = {std:g} the uniform spread adds {want:.6g} bits to that pixel's -log2 P(k); yours gives {got:.6g}")
    return (f"At std = 0.001, section 1's narrow Gaussians, the spread costs {_cost_by_quadrature(0.001):.1f} bits per pixel on "
            "average over u: section 1's gap between the narrow mixture's dequantised and discrete bits, up to its one draw of u.")


def _optimum_own_images():
    x_train, _, _, _ = digits_split()
    schedule = digits_schedule()
    images = dequantise(x_train[:N_IMAGES], torch.Generator().manual_seed(3))
    bits = {}
    for name, model in (("optimum", training_set_oracle(x_train, schedule)),
                        ("network", load_model(COMMITTED_CHECKPOINT.parent / "digits_n1347.pt"))):
        terms = elbo(model, schedule, images, generator=torch.Generator().manual_seed(4))
        bits[name] = (terms.nll_bound.mean().item() / D - math.log(2 / 17)) / math.log(2)
    uniform = math.log2(17)
    answer = "a" if bits["optimum"] < bits["network"] else ("b" if bits["optimum"] <= uniform else "c")
    return answer, (f"ELBO bits per dimension on {N_IMAGES} of the training images: the finite-set optimum "
                    f"{bits['optimum']:.2f}, the network {bits['network']:.2f}; the uniform density {uniform:.2f}")


EXERCISES = {
    "17.1": Exercise("dequantisation_cost", _test_dequantisation_cost,
                     "the cost is the mean, over the uniform spread, of log(uniform density / (p(x) / P)), P the Gaussian's "
                     "mass in the bin; for a Gaussian you need the mean of (x - centre)^2 over the bin"),
    "17.2": Exercise("prediction", choice(_optimum_own_images, {"a": "below the network's", "b": "between the network's and "
                                                                 "the uniform density's", "c": "above the uniform density's"}),
                     "what does the optimum's density look like near t = 0, around each of its training images, and what "
                     "does spreading every pixel over its bin cost such a density (exercise 1)?"),
}
