"""The exact reverse process of masked diffusion when the data are a finite training set (lesson 19).

Under the masked process, x_t shows some of x_0's tokens and masks the rest, whatever x_0's other tokens are, so Bayes'
rule with the empirical distribution puts equal weight on every training image that agrees with x_t's visible tokens
and none on the others: p(x_0 | x_t) is uniform over them, and a masked position's clean token is distributed as that
position's values among them. This is lesson 09's finite-set optimum, with agreement in place of Gaussian weights; like
it, its samples can only be training images.
"""

import torch

from .._checks import check_tokens
from ..networks.tokens import carry_over


class TrainingSetUnmasker:
    """p(x_0 | x_t) under the empirical distribution of x0_train (N, d), tokens 0 .. K - 1, mask K.

    log_probs(xt) answers as helpers.TokenPredictor.log_probs does. An x_t that no training image agrees with (a sampler
    that revealed two tokens no image holds together) has probability 0 under the data; there the posterior is taken
    over the images that disagree with the fewest visible tokens, the limit of the data corrupted with a vanishing
    probability per token, and off_support counts the rows, over all its calls, that needed it. Defined in lesson 19 (discrete diffusion).
    """

    def __init__(self, x0_train, K):
        self.K = int(K)
        self.x0_train = check_tokens("x0_train", x0_train, self.K)
        self.d = self.x0_train.shape[1]
        # One-hot rows (N, d K): the agreeing images' sum is their count of each value at each position.
        self._one_hot = torch.nn.functional.one_hot(self.x0_train, self.K).reshape(len(self.x0_train), -1).double()
        self.off_support = 0

    def weights(self, xt):
        """Each row's weights over the training images (B, N), summing to 1: uniform over those that agree with xt's
        visible tokens, or, if none does, over those that disagree with the fewest."""
        xt = check_tokens("xt", xt, self.K + 1, self.d)
        visible = (xt != self.K).unsqueeze(1)
        mismatches = ((self.x0_train.unsqueeze(0) != xt.unsqueeze(1)) & visible).sum(-1)
        fewest = mismatches.min(1, keepdim=True).values
        self.off_support += int((fewest > 0).sum())
        chosen = (mismatches == fewest).double()
        return chosen / chosen.sum(1, keepdim=True)

    def log_probs(self, xt):
        """log p(x_0 | x_t), shape (B, d, K), float64: at masked positions the values' shares among the agreeing
        images; at visible positions the visible token."""
        probs = (self.weights(xt) @ self._one_hot).reshape(-1, self.d, self.K)
        return carry_over(xt, probs.log(), self.K)
