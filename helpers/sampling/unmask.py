"""Sampling masked diffusion by unmasking (lesson 19).

The reverse of the masked process's step t (alpha_bar_t = 1 - t / T), given a predictor of x_0: every visible token
stays; every masked one is revealed with probability (alpha_bar_{t-1} - alpha_bar_t) / (1 - alpha_bar_t) = 1 / t, its
value drawn from the predictor's p(x_0 | x_t) at that position (helpers.TokenProcess.reverse_probs gives the same
probabilities from the matrices). Tokens revealed in one step are drawn independently of each other: that is exact for
one token per step and an approximation otherwise, which fewer steps make coarser. At t = 1 everything left is revealed.

order="random" is this ancestral sampler. order="confidence" reveals as many tokens per step as the ancestral draw
would, but at the masked positions where the predictor is most sure (its largest probability), as MaskGIT (Chang et al.
2022) orders its reveals; it is no longer the reverse process, and so no longer exact with an exact predictor.
"""

import torch

from .._checks import check_generator, check_int
from ..networks.tokens import check_predictor

ORDERS = ("random", "confidence")


@torch.no_grad()
def unmask_sample(predictor, n, steps, order="random", generator=None, keep_chain=False):
    """n sequences of predictor.d tokens drawn by unmasking from all masks in `steps` steps (module docstring).

    predictor: a helpers.TokenPredictor, a bidirectional helpers.TokenTransformer or helpers.TrainingSetUnmasker (anything
    with d, K and log_probs(xt)). Drawn on the CPU with generator. Returns tokens (n, d), long, or with keep_chain all
    states (steps + 1, n, d) from all masks to the sample. A network runs in eval mode and gets its mode back. In the confidence order, equally sure positions
    are taken in order of position. Defined in lesson 19 (discrete diffusion).
    """
    predictor = check_predictor("predictor", predictor)
    n, steps, generator = check_int("n", n, 1), check_int("steps", steps, 1), check_generator(generator)
    if order not in ORDERS:
        raise ValueError(f"order must be one of {list(ORDERS)}, got {order!r}")
    was_training = isinstance(predictor, torch.nn.Module) and predictor.training
    if was_training:
        predictor.eval()
    try:
        return _unmask(predictor, n, steps, order, generator, keep_chain)
    finally:
        if was_training:
            predictor.train()


def _unmask(predictor, n, steps, order, generator, keep_chain):
    """unmask_sample on checked inputs."""
    mask = predictor.K
    x = torch.full((n, predictor.d), mask, dtype=torch.long)
    chain = [x]
    for t in range(steps, 0, -1):
        masked = x == mask
        reveal = masked & (torch.rand(x.shape, generator=generator, dtype=torch.float64) < 1 / t)
        # The value each position would take, drawn before the positions are chosen so that both orders use the
        # generator alike.
        gumbel = -(-torch.rand((*x.shape, predictor.K), generator=generator, dtype=torch.float64).log()).log()
        if not reveal.any():
            chain.append(x)
            continue
        log_p = predictor.log_probs(x).double().cpu()
        if order == "confidence":
            confidence = torch.where(masked, log_p.max(-1).values, -torch.inf)
            count = reveal.sum(1, keepdim=True)
            ranks = confidence.argsort(dim=1, descending=True, stable=True).argsort(1)
            reveal = ranks < count
        values = (log_p + gumbel).argmax(-1)
        x = torch.where(reveal, values, x)
        chain.append(x)
    return torch.stack(chain) if keep_chain else x
