"""Lesson 20 (backbones): its exercises' checks and hints."""

import torch
from torch import nn

from ..networks.backbones import DiT
from .base import Exercise, expect, number


def _whole(value):
    """A learner's count as an int: an int, or a float with nothing after the point ((8 / patch) ** 2 is a float)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    expect(isinstance(value, int) and not isinstance(value, bool), f"return a whole number, got {value!r}")
    return value


def _test_dit_parameters(fn):
    c_in = torch.ones(10)
    for width, depth, heads, patch in ((96, 4, 4, 2), (8, 1, 1, 1), (16, 2, 2, 4), (24, 3, 3, 8), (32, 2, 8, 2)):
        value = _whole(number(fn(width, depth, heads, patch)))
        # Built and counted by PyTorch: every parameter tensor's size (the input scale c_in is a buffer, not counted).
        counted = sum(p.numel() for p in DiT(c_in, width, depth, heads, patch).parameters())
        expect(value == counted, f"with width {width}, depth {depth} and patch {patch} your count, {value:,}, is "
               f"{'more' if value > counted else 'less'} than the network's")


def _test_receptive_field(fn):
    cases = ([(3, 1)], [(3, 1)] * 2, [(5, 1), (3, 1)], [(3, 2), (3, 1)], [(3, 1), (3, 2), (3, 1)],
             [(1, 1), (3, 2), (3, 2), (3, 1)], [(7, 1)], [(3, 2)] * 3)
    for layers in cases:
        value = _whole(number(fn(list(layers))))
        measured = _measured_field(layers)
        expect(value == measured, f"for layers {layers} your side, {value}, is too {'big' if value > measured else 'small'}")


def _measured_field(layers):
    """The side of the square of input pixels that the centre output pixel depends on, by autograd through a stack of
    convolutions with positive weights (so no two paths cancel) on an image wide enough that padding plays no part."""
    side = 8 * 2 ** len(layers) + 64
    with torch.random.fork_rng():  # leave the learner's random stream as it was
        stack = nn.Sequential(*[nn.Conv2d(1, 1, k, stride=s, padding=k // 2) for k, s in layers])
        with torch.no_grad():
            for conv in stack:
                conv.weight.uniform_(0.1, 1.0)
    x = torch.zeros(1, 1, side, side, requires_grad=True)
    out = stack(x)
    centre = out.shape[-1] // 2
    out[0, 0, centre, centre].backward()
    rows, cols = (x.grad[0, 0] != 0).nonzero(as_tuple=True)
    return int(rows.max() - rows.min() + 1)


EXERCISES = {
    "20.1": Exercise("dit_parameters", _test_dit_parameters,
                     "a linear map from a numbers to b numbers holds a * b weights and b biases; go through every nn.Linear "
                     "and nn.Parameter that DiT.__init__ and DiTBlock.__init__ create (and _Backbone's step embedding); "
                     "layer norms without elementwise_affine hold none, and c_in is a buffer, not a parameter"),
    "20.2": Exercise("receptive_field", _test_receptive_field,
                     "start with one output pixel and walk down the stack: how many more pixels of its input does each "
                     "layer's filter span, and how many pixels of the image is one pixel of that layer's input?"),
}
