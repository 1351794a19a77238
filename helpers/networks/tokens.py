"""The predictor of clean tokens, p_theta(x_0 | x_t), for masked diffusion (lesson 19)."""

import torch
from torch import nn

from .._checks import check_int, check_tokens


class TokenPredictor(nn.Module):
    """Lesson 05's MLP for d tokens of K values: three ReLU layers of width hidden, then K logits per position.

    Its input is x_t, each position a value 0 .. K - 1 or the mask K, one-hot: d (K + 1) numbers, of which d are 1. It takes
    no step: the share of masks tells it how far along x_t is, and under the masked process the clean token's
    posterior does not depend on t given x_t (Ou et al. 2025; MDLM drops the step too). log_probs
    carries visible tokens over unchanged, as the process does (MDLM's "carry-over"). Defined in lesson 19.
    """

    def __init__(self, d=64, K=17, hidden=256):
        super().__init__()
        self.d, self.K, self.hidden = check_int("d", d, 1), check_int("K", K, 2), check_int("hidden", hidden, 1)
        self.mask = K
        self.linears = nn.ModuleList([nn.Linear(d * (K + 1), hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, hidden)])
        self.out = nn.Linear(hidden, d * K)

    def config(self):
        """What a checkpoint must match (helpers.save_weights, helpers.load_model)."""
        return {"kind": "tokens", "d": self.d, "K": self.K, "hidden": self.hidden}

    def forward(self, xt):
        """Logits of the clean token at every position, shape (N, d, K)."""
        xt = check_tokens("xt", xt, self.K + 1, self.d).to(self.out.weight.device)
        h = nn.functional.one_hot(xt, self.K + 1).reshape(len(xt), -1).to(self.out.weight.dtype)
        for linear in self.linears:
            h = torch.relu(linear(h))
        return self.out(h).reshape(-1, self.d, self.K)

    def log_probs(self, xt):
        """log p_theta(x_0 | x_t), shape (N, d, K): the softmax of the logits at masked positions, and at visible ones
        the visible token with probability 1."""
        return carry_over(xt, torch.log_softmax(self(xt), -1), self.K)


def check_predictor(name, predictor):
    """predictor itself if it answers log_probs(xt) for d tokens of K values: a TokenPredictor, a TrainingSetUnmasker or
    a bidirectional TokenTransformer."""
    if not all(hasattr(predictor, attribute) for attribute in ("d", "K", "log_probs")):
        raise TypeError(f"{name} must be a helpers.TokenPredictor or helpers.TrainingSetUnmasker (or a "
                        f"helpers.TokenTransformer with causal=False), got {type(predictor).__name__}")
    return predictor


def carry_over(xt, log_p, mask):
    """log p(x_0 | x_t) with every visible position of x_t (a token other than mask) set to that token, log 1 = 0,
    and every other value to log 0 = -inf. Defined in lesson 19."""
    xt = xt.to(log_p.device)
    visible = (xt != mask).unsqueeze(-1)
    known = torch.full_like(log_p, -torch.inf).scatter(-1, xt.clamp(max=log_p.shape[-1] - 1).unsqueeze(-1), 0.0)
    return torch.where(visible, known, log_p)
