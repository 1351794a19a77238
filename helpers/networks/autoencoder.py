"""Lesson 21's autoencoder: an encoder from an image's 64 pixels to a few latent numbers and a decoder back.

Plain (kl=False), the encoder gives one point z = E(y). KL-regularised (kl=True), it gives a Gaussian q(z | y) =
N(mean(y), diag(exp(log_var(y)))), the encoder of a variational autoencoder (Kingma & Welling 2014, section 2.4; the
"KL-reg" autoencoder of Rombach et al. 2022, section 3), so that the latent model's likelihood has an evidence lower
bound (helpers.latent_elbo). The decoder's output is the mean of the image given z.
"""

import torch
from torch import nn

from .._checks import check_int, check_points


def _mlp(d_in, hidden, d_out):
    return nn.Sequential(nn.Linear(d_in, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, d_out))


class Autoencoder(nn.Module):
    """Encoder and decoder, each an MLP with two hidden layers of `hidden` units (SiLU), between d pixels and `latent`
    numbers; kl=True makes the encoder a Gaussian's mean and log-variance. Defined in lesson 21 (latent diffusion)."""

    def __init__(self, d=64, latent=8, hidden=256, kl=True):
        super().__init__()
        self.d, self.latent = check_int("d", d, 1), check_int("latent", latent, 1)
        self.hidden, self.kl = check_int("hidden", hidden, 1), bool(kl)
        self.encoder = _mlp(d, hidden, 2 * latent if kl else latent)
        self.decoder = _mlp(latent, hidden, d)

    def encode(self, y):
        """(mean, log_var) of q(z | y) for the images y, each (N, latent); log_var is None for a plain autoencoder."""
        out = self.encoder(check_points("y", y, self.d))
        if not self.kl:
            return out, None
        mean, log_var = out.chunk(2, dim=1)
        return mean, log_var

    def decode(self, z):
        """The decoder's mean image for each latent row of z, shape (N, d)."""
        return self.decoder(check_points("z", z, self.latent))

    def config(self):
        return {"kind": "autoencoder", "d": self.d, "latent": self.latent, "hidden": self.hidden, "kl": self.kl}
