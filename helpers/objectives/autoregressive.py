"""The autoregressive objective (lesson 19): -log p(x0) = sum over positions i of -log p(x0[i] | x0[:i]), exactly, by
the chain rule of probability, for a sequence scored from its start; trained as the mean next-token cross-entropy, nats
per token."""

import torch

from .._checks import check_tokens
from ..networks.transformer import TokenTransformer


def _check_causal(model):
    if not (isinstance(model, TokenTransformer) and model.causal):
        raise TypeError(f"model must be a helpers.TokenTransformer with causal=True, got "
                        f"{type(model).__name__}{'' if not isinstance(model, TokenTransformer) else ' with causal=False'}")
    return model


class NextTokenLoss:
    """The objective for helpers.train: the mean over the batch and the positions of -log p_theta(x0[i] | x0[:i]), in
    nats per token (the exact negative log-likelihood divided by d). Defined in lesson 19."""

    def start(self, model, data):
        check_tokens("data", data, _check_causal(model).K, model.d)

    def __call__(self, model, x0, generator):
        log_p = model.next_log_probs(x0)
        return -log_p.gather(-1, x0.unsqueeze(-1)).mean()


@torch.no_grad()
def autoregressive_nll(model, x0):
    """-log p_theta(x_0) in nats per sequence (N,), exact: the sum of the next-token terms. Defined in lesson 19."""
    model = _check_causal(model)
    x0 = check_tokens("x0", x0, model.K, model.d).to(model.out.weight.device)
    log_p = model.next_log_probs(x0)
    return -log_p.gather(-1, x0.unsqueeze(-1)).squeeze(-1).double().sum(1).cpu()
