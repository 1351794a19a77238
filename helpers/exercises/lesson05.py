"""Lesson 05 (model): its exercises' checks and hints."""

import torch

from ..data.s_curve import s_curve
from ..networks.mlp import NoisePredictor, sinusoidal_embedding
from .base import Exercise, choice, close, expect, number


def _test_count_parameters(fn):
    for hidden, d in ((128, 2), (64, 64), (6, 3)):
        value = number(fn(hidden, d))
        expect(isinstance(value, int) and not isinstance(value, bool), "return an int")
        # Built for two different T: a count that depends on T cannot match both.
        for T in (100, 1000):
            counted = sum(p.numel() for p in NoisePredictor(T, hidden, "sinusoidal", d=d).parameters())
            expect(value == counted, f"count again for hidden={hidden}, d={d}")


def _test_embed_step(fn):
    for t, dim in ((0, 8), (37, 128), (99, 6)):
        value = fn(t, dim)
        expect(isinstance(value, torch.Tensor) and value.shape == (dim,), f"return a 1-d tensor of length {dim}")
        expect(close(value, sinusoidal_embedding(torch.tensor([t]), dim)[0], 1e-5), "frequencies 10000^(-j / (dim/2)), sines then cosines")


def _same_step_two_schedules():
    x = s_curve(8, seed=5)
    t = torch.full((8,), 50)
    outputs = []
    for steps_T in (100, 1000):
        torch.manual_seed(0)
        outputs.append(NoisePredictor(steps_T, embedding="sinusoidal")(x, t))
    same = torch.equal(*outputs)
    return ("a" if same else "b"), ("the two networks return the same eps at step 50, to the last bit" if same else
                                    f"the two networks' predictions differ by up to {(outputs[0] - outputs[1]).abs().max().item():.2g}")


EXERCISES = {
    "05.1": Exercise("count_parameters", _test_count_parameters, "list the network's Linear layers, including those that replace the tables, with the sizes of their inputs and outputs"),
    "05.2": Exercise("embed_step", _test_embed_step, "the lesson's PE(t) formula with j = 0 ... dim/2 - 1; torch.sin and torch.cos of the same angles t * omega_j"),
    "05.3": Exercise("prediction", choice(_same_step_two_schedules, {"a": "the same prediction", "b": "different predictions"}),
                     "which of the sinusoidal network's weights, and which of its step features, depend on T?"),
}
