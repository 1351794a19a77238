"""Sampling an autoregressive model (lesson 19): one token at a time, left to right, each drawn from
p_theta(x[i] | x[:i]); d passes of the network for d tokens, against unmasking's `steps` passes. Each pass
recomputes every position (no cache of the earlier positions' keys and values, which real decoders keep), so its time
is not what left-to-right sampling costs in practice."""

import torch

from .._checks import check_generator, check_int
from ..objectives.autoregressive import _check_causal


@torch.no_grad()
def autoregressive_sample(model, n, generator=None):
    """n sequences of model.d tokens (n, d), long, drawn left to right on the CPU with generator; the model runs in
    eval mode and gets its mode back. Positions not yet drawn hold 0: the causal mask keeps them out of sight.
    Defined in lesson 19."""
    model = _check_causal(model)
    n, generator = check_int("n", n, 1), check_generator(generator)
    was_training = model.training
    model.eval()
    try:
        x = torch.zeros((n, model.d), dtype=torch.long)
        for i in range(model.d):
            log_p = model.next_log_probs(x)[:, i].double().cpu()
            gumbel = -(-torch.rand(log_p.shape, generator=generator, dtype=torch.float64).log()).log()
            x[:, i] = (log_p + gumbel).argmax(-1)
        return x
    finally:
        model.train(was_training)
