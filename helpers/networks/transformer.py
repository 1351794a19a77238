"""A small transformer over a sequence of tokens (lesson 19): the masked-diffusion denoiser and, with a causal mask,
the autoregressive model it is compared with, the same network with the same parameters.

Each position's token (K values, and K itself for the mask, or for "start" in the causal model's shifted input) gets a
learned embedding; `layers` pre-norm blocks (Vaswani et al. 2017's attention and MLP, with the layer norm before each,
as GPT-2 does) mix them; a layer norm and a linear map give K logits per position. Bidirectional, position i sees every
position; causal, it sees positions 0 .. i only. Positions enter through rotary embeddings (RoPE, Su et al. 2021,
section 3.2): each query and key has its pairs of coordinates rotated by angles proportional to its position, so that
their dot product depends on the positions only through their offset. With learned position vectors added to the tokens
instead, the masked model stayed near the single characters' frequencies for 1 000 steps: its attention starts out even
over 128 positions, and nothing tells it that neighbours matter (docs/decisions.md, "Lesson 19's text").
"""

import torch
from torch import nn

from .._checks import check_int, check_tokens
from .tokens import carry_over


def rotate(x, angles):
    """x (..., length, 2 m) with coordinates 2j, 2j + 1 rotated by angles (length, m) (RoPE; module docstring)."""
    even, odd = x[..., 0::2], x[..., 1::2]
    cos, sin = angles.cos(), angles.sin()
    return torch.stack([even * cos - odd * sin, even * sin + odd * cos], -1).flatten(-2)


class Block(nn.Module):
    """x + attention(norm(x)), then x + MLP(norm(x)): multi-head self-attention over positions, a 4x wide GELU MLP."""

    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.qkv, self.proj = nn.Linear(width, 3 * width), nn.Linear(width, width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))

    def forward(self, h, angles, causal):
        rows, length, width = h.shape
        q, k, v = self.qkv(self.norm1(h)).reshape(rows, length, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        attended = nn.functional.scaled_dot_product_attention(rotate(q, angles), rotate(k, angles), v, is_causal=causal)
        h = h + self.proj(attended.transpose(1, 2).reshape(rows, length, width))
        return h + self.mlp(self.norm2(h))


class TokenTransformer(nn.Module):
    """A transformer for d tokens of K values (module docstring). causal=False: the masked-diffusion denoiser,
    log_probs(xt) = log p_theta(x_0 | x_t) with visible tokens carried over (as helpers.TokenPredictor). causal=True:
    an autoregressive model, next_log_probs(x0)[:, i] = log p_theta(x0[:, i] | x0[:, :i]). Defined in lesson 19."""

    def __init__(self, d=128, K=96, width=96, layers=3, heads=4, causal=False):
        super().__init__()
        self.d, self.K = check_int("d", d, 1), check_int("K", K, 2)
        self.width, self.layers, self.heads = check_int("width", width, 1), check_int("layers", layers, 1), check_int("heads", heads, 1)
        if width % (2 * heads):
            raise ValueError(f"width ({width}) must be a multiple of 2 heads ({2 * heads}): rotary embeddings turn pairs")
        if not isinstance(causal, bool):
            raise TypeError(f"causal must be a bool, got {type(causal).__name__}")
        self.causal = causal
        self.mask = K
        self.embed = nn.Embedding(K + 1, width)
        # RoPE's frequencies 10000^(-2j / head width), j = 0 .. head width / 2 - 1 (Su et al. 2021, section 3.2).
        frequencies = 10000.0 ** (-torch.arange(0, width // heads, 2, dtype=torch.float64) / (width // heads))
        self.register_buffer("angles", (torch.arange(d, dtype=torch.float64)[:, None] * frequencies).float(), persistent=False)
        self.blocks = nn.ModuleList([Block(width, heads) for _ in range(layers)])
        self.norm = nn.LayerNorm(width)
        self.out = nn.Linear(width, K)

    def config(self):
        """What a checkpoint must match (helpers.save_weights, helpers.load_model)."""
        return {"kind": "transformer", "d": self.d, "K": self.K, "width": self.width, "layers": self.layers,
                "heads": self.heads, "causal": self.causal}

    def forward(self, tokens):
        """Logits (N, d, K) at every position of tokens (N, d), values 0 .. K (K: mask, or start)."""
        tokens = check_tokens("tokens", tokens, self.K + 1, self.d).to(self.out.weight.device)
        h = self.embed(tokens)
        for block in self.blocks:
            h = block(h, self.angles, self.causal)
        return self.out(self.norm(h))

    def log_probs(self, xt):
        """The denoiser's log p_theta(x_0 | x_t), shape (N, d, K), visible tokens carried over."""
        if self.causal:
            raise ValueError("a causal TokenTransformer predicts the next token: use next_log_probs(x0)")
        return carry_over(xt, torch.log_softmax(self(xt), -1), self.K)

    def next_log_probs(self, x0):
        """The autoregressive model's log p_theta(x0[:, i] | x0[:, :i]) at every position i = 0 .. d - 1, shape (N, d, K):
        the input is x0 shifted one place right behind the start token K, so position i has seen x0[:, :i]."""
        if not self.causal:
            raise ValueError("a bidirectional TokenTransformer denoises: use log_probs(xt)")
        x0 = check_tokens("x0", x0, self.K, self.d)
        start = torch.full((len(x0), 1), self.K, dtype=torch.long, device=x0.device)
        return torch.log_softmax(self(torch.cat([start, x0[:, :-1]], 1)), -1)
