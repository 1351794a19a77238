"""Fast evaluation (lesson 15): the trained noise predictor with nothing but its arithmetic, for a sampler's loop.

A sampler evaluates one network on all points at one step, many times. helpers.NoisePredictor checks its inputs on every
call and adds each step embedding in a separate pass; here each layer's bias and step embedding are added once, into
one table per layer, and every layer is one fused matrix multiply-add (torch.addmm) and an in-place ReLU, under
torch.inference_mode. benchmarks/fast_solvers.py measures what each change saves.
"""

import torch

from .._checks import check_int, check_points
from .mlp import NoisePredictor


class FastEps:
    """eps_theta(x_t, t) of a NoisePredictor (learned step embedding, no label), as a plain function of points and one
    whole step: fast(x, t) with t an int in [0, T), computed in float32 on the network's device. Weights are copied when
    made, so a network trained further afterwards needs a new FastEps. Defined in lesson 15 (fast solvers).
    """

    def __init__(self, model):
        if type(model) is not NoisePredictor or model.embedding != "learned":
            raise TypeError("FastEps takes a helpers.NoisePredictor with the learned step embedding (lesson 05's "
                            f"reference network), got {type(model).__name__}")
        with torch.no_grad():
            # The network's output, whatever it predicts (lesson 16 runs a student's raw network): the record goes along.
            self.T, self.predicts = model.T, model.predicts
            self.weights = [linear.weight.detach().t().contiguous() for linear in model.linears]
            # Layer l at step t adds bias_l + embedding_l[t]: one row of one table.
            self.tables = [(linear.bias + embed.weight).detach().clone()
                           for linear, embed in zip(model.linears, model.step_embeddings)]
            self.c_in = None if model.c_in is None else model.c_in.detach().clone()
            self.out_weight = model.out.weight.detach().t().contiguous()
            self.out_bias = model.out.bias.detach().clone()

    def __call__(self, x, t):
        x = check_points("x", x)
        t = check_int("t", t, 0, self.T)
        # Like the network: float64 points are computed in float32 and handed back in float64.
        return self.raw(x.to(self.out_bias.device, torch.float32), t).to(x.dtype)

    @torch.inference_mode()
    def raw(self, x, t):
        """The evaluation without checks: x a float32 (N, 2) tensor, t an int step."""
        return self.layers(x, *self.rows(t))

    def rows(self, t):
        """What step t adds: the input scale (or None) and each layer's row of bias plus step embedding."""
        return (None if self.c_in is None else self.c_in[t], *(table[t] for table in self.tables))

    def layers(self, x, c_in, *rows):
        """The MLP given a step's rows, so that one compiled graph (torch.compile) serves every step."""
        h = x if c_in is None else x * c_in
        for weight, row in zip(self.weights, rows):
            h = torch.addmm(row, h, weight).relu_()
        return torch.addmm(self.out_bias, h, self.out_weight)
