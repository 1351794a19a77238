"""Masked diffusion's ELBO as a weighted cross-entropy (lesson 19; MDLM, Sahoo et al. 2024; MD4, Shi et al. 2024).

Under the masked process with alpha_bar_t = 1 - t / T, lesson 06's bound -log p(x_0) <= sum_t L_{t-1} has, at every
masked position of x_t, the term w_t (-log p_theta(x_0 | x_t)) with w_t = (alpha_bar_{t-1} - alpha_bar_t) /
(1 - alpha_bar_t) = 1 / t, and 0 at visible ones (helpers.TokenProcess.kl_terms computes the same terms from the
matrices). As T grows the sum becomes an integral over continuous time s in (0, 1], each position masked with
probability s, with weight 1 / s (MDLM's and MD4's continuous-time bound for alpha_s = 1 - s). Given that n of the d
positions are masked, the masks are a uniform subset of size n, and the integral of the weight against the binomial's
n-th term is C(d, n) B(n, d - n + 1) = 1 / n, so

    -log p(x_0) <= sum over n = 1 .. d of E[mean over the n masked positions of -log p_theta(x_0 | x_t) | n masks],

the bound of an autoregressive model in a random order (Ou et al. 2025; Hoogeboom et al. 2022's order-agnostic
models). That form has no weight that can be large, so it is the one trained and measured here.
"""

import dataclasses

import torch

from .._checks import check_generator, check_int, check_tokens
from ..networks.tokens import TokenPredictor, check_predictor
from ..networks.transformer import TokenTransformer
from ..training.config import TrainConfig
from ..training.loop import train

# Lesson 17's digits recipe at 2 000 steps: on the 1 347 training images, longer runs fit them better and the test
# images worse (docs/decisions.md, "Discrete diffusion").
MASKED = TrainConfig(steps=2000, batch_size=128, lr=2e-3, lr_schedule="cosine", warmup_steps=100, ema_decay=0.999,
                     hidden=256)


def random_masks(rows, d, n_masked, generator):
    """A boolean (rows, d): in row i a uniform random subset of n_masked[i] positions is True (masked)."""
    scores = torch.rand((rows, d), generator=generator)
    ranks = scores.argsort(1).argsort(1)
    return ranks < n_masked.unsqueeze(1)


def masked_cross_entropy(predictor, x0, masks):
    """Each row's sum over its masked positions of -log p(x_0 | x_t), x_t being x0 with masks applied."""
    xt = torch.where(masks, predictor.K, x0)
    log_p = predictor.log_probs(xt)
    nll = -log_p.gather(-1, x0.to(log_p.device).unsqueeze(-1)).squeeze(-1)
    # Visible positions carry log 1 = 0 already; where() rather than a product keeps any -inf there out of the sum.
    return torch.where(masks.to(log_p.device), nll, 0.0).sum(1)


class MaskedLoss:
    """The objective for helpers.train: per image, draw the number of masks n uniformly from 1 .. d and a uniform
    subset of that size, and return the mean over the batch of the mean cross-entropy on the masked positions: the
    masked ELBO in nats per token, unbiased (module docstring). Defined in lesson 19."""

    def start(self, model, data):
        if not (isinstance(model, TokenPredictor) or (isinstance(model, TokenTransformer) and not model.causal)):
            raise TypeError(f"model must be a helpers.TokenPredictor or a helpers.TokenTransformer with causal=False, "
                            f"got {type(model).__name__}{' with causal=True' if getattr(model, 'causal', False) else ''}")
        check_tokens("data", data, model.K, model.d)

    def __call__(self, model, x0, generator):
        rows, d = x0.shape
        n_masked = torch.randint(1, d + 1, (rows,), generator=generator)
        masks = random_masks(rows, d, n_masked, generator).to(x0.device)
        return (masked_cross_entropy(model, x0, masks) / n_masked.to(x0.device)).mean()


@torch.no_grad()
def masked_elbo(model, x0, generator=None, draws=1):
    """The masked ELBO, an upper bound on -log p_theta(x_0) in nats per image (N,): the sum over n = 1 .. d of the mean
    cross-entropy on n random masks, each n drawn `draws` times and averaged (module docstring). model: a
    helpers.TokenPredictor or bidirectional helpers.TokenTransformer, or the exact helpers.TrainingSetUnmasker (anything
    with d, K and log_probs).
    Defined in lesson 19 (discrete diffusion)."""
    model = check_predictor("model", model)
    x0 = check_tokens("x0", x0, model.K, model.d)
    generator, draws = check_generator(generator), check_int("draws", draws, 1)
    rows, d = x0.shape
    total = torch.zeros(rows, dtype=torch.float64)
    for n_masked in range(1, d + 1):
        for _ in range(draws):
            masks = random_masks(rows, d, torch.full((rows,), n_masked), generator)
            total += masked_cross_entropy(model, x0, masks).double().cpu() / n_masked
    return total / draws


@torch.no_grad()
def masked_elbo_sampled(model, x0, generator=None, draws=1):
    """An unbiased estimate of masked_elbo in nats per sequence (N,) from `draws` passes instead of d: each pass
    draws for every row one number of masks n uniformly from 1 .. d, and d (cross-entropy on n random masks) / n
    averages to the sum over n. Defined in lesson 19 (discrete diffusion)."""
    model = check_predictor("model", model)
    x0 = check_tokens("x0", x0, model.K, model.d)
    generator, draws = check_generator(generator), check_int("draws", draws, 1)
    rows, d = x0.shape
    total = torch.zeros(rows, dtype=torch.float64)
    for _ in range(draws):
        n_masked = torch.randint(1, d + 1, (rows,), generator=generator)
        masks = random_masks(rows, d, n_masked, generator)
        total += d * masked_cross_entropy(model, x0, masks).double().cpu() / n_masked
    return total / draws


def train_masked(tokens, K, seed=0, config=MASKED, progress=False):
    """A new TokenPredictor for tokens (N, d), values 0 .. K - 1, trained with MaskedLoss and config (seeded with seed).
    Returns helpers.train's dict; its "model" (the EMA's weights) is in eval mode. Defined in lesson 19."""
    tokens = check_tokens("tokens", tokens, K)
    config = dataclasses.replace(config, seed=seed)
    torch.manual_seed(seed)
    model = TokenPredictor(tokens.shape[1], K, config.hidden).to(tokens.device)
    result = train(model, tokens, MaskedLoss(), config, progress=progress)
    result["model"].eval()
    return result
