"""Lesson 19's text models: one recipe and one network for both objectives, so that the masked-diffusion model and
the autoregressive one differ only in their attention mask and what they are trained to predict."""

import dataclasses

import torch

from .._checks import check_tokens
from ..networks.transformer import TokenTransformer
from ..objectives.autoregressive import NextTokenLoss
from ..objectives.masked import MaskedLoss
from .config import TrainConfig
from .loop import train

# The network and recipe both text models train with (docs/decisions.md, "Lesson 19's text"); chosen on seed 0.
TEXT_NETWORK = {"width": 96, "layers": 3, "heads": 4}
TEXT = TrainConfig(steps=1000, batch_size=32, lr=2e-3, lr_schedule="cosine", warmup_steps=100, ema_decay=0.99)
OBJECTIVES = {"masked": (MaskedLoss, False), "autoregressive": (NextTokenLoss, True)}


def train_text(objective, windows, K, seed=0, config=TEXT, progress=False):
    """A new TokenTransformer (TEXT_NETWORK, causal for "autoregressive") trained on windows (N, d), values
    0 .. K - 1, with the objective ("masked" or "autoregressive") and config, seeded with seed. Returns helpers.train's
    dict; its "model" is in eval mode. Defined in lesson 19."""
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {list(OBJECTIVES)}, got {objective!r}")
    if isinstance(windows, str):
        raise TypeError("windows must be tokens (N, d), not text: encode text with helpers.data.text.Characters, or take "
                        "helpers.data.text.text_split's windows")
    windows = check_tokens("windows", windows, K)
    loss, causal = OBJECTIVES[objective]
    config = dataclasses.replace(config, seed=seed)
    torch.manual_seed(seed)
    model = TokenTransformer(windows.shape[1], K, causal=causal, **TEXT_NETWORK).to(windows.device)
    result = train(model, windows, loss(), config, progress=progress)
    result["model"].eval()
    return result
