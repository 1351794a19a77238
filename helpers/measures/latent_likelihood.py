"""Lesson 21's likelihood of a latent diffusion model: the evidence lower bound through the autoencoder.

For an image y, a KL-regularised encoder q(z | y), a Gaussian decoder p(y | z) = N(D(z), s^2 I) and the latent model's
density p(z), log p(y) >= E_q[log p(y | z)] - E_q[log q(z | y) - log p(z)] (Kingma & Welling 2014, eq. 2). The latent
model is trained on c z (c, helpers.latent_scale), so log p(z) = log p_c(c z) + k log c for k latent numbers, and
-log p_c is itself bounded by lesson 13's ELBO: the sum is a bound on -log p(y) (the bound of Vahdat et al. 2021's LSGM,
with the latent model's ELBO in place of its exact density).
"""

import math
from dataclasses import dataclass

import torch

from .._checks import check_float, check_generator, check_points
from ..objectives.autoencoding import draw_latent
from .likelihood import elbo


@dataclass(frozen=True)
class LatentElbo:
    """The bound's two parts per image, in nats: decoder (-log p(y | z) at one draw z ~ q(z | y)) and latent
    (log q(z | y) - log p(z), with -log p(z) replaced by its ELBO). nll_bound = decoder + latent >= -log p(y) in
    expectation over the draws. Defined in lesson 21 (latent diffusion)."""

    decoder: torch.Tensor
    latent: torch.Tensor

    @property
    def nll_bound(self):
        return self.decoder + self.latent


def _kl_autoencoder(autoencoder):
    if not getattr(autoencoder, "kl", False):
        raise ValueError("a plain autoencoder's encoder gives one point, whose log q is +infinity: its ELBO is -infinity "
                         "for every image. Bound the likelihood through a KL-regularised one (Autoencoder(kl=True))")
    return autoencoder


def decoder_std(autoencoder, y, generator=None):
    """The decoder's standard deviation s per pixel that makes N(D(z), s^2 I) most likely for the images y at one draw
    z ~ q(z | y) each: the root mean squared error over images and pixels (float64). Fitted on training images, then
    used on test images. Defined in lesson 21 (latent diffusion)."""
    autoencoder = _kl_autoencoder(autoencoder)
    y = check_points("y", y, autoencoder.d)
    with torch.no_grad():
        z = draw_latent(*autoencoder.encode(y), check_generator(generator))
        return (autoencoder.decode(z).double() - y.double()).pow(2).mean().sqrt().item()


def latent_elbo(autoencoder, scale, sigma, model, schedule, y, generator=None):
    """The LatentElbo of the images y (dequantised, in [-1, 1] units) under the KL autoencoder with decoder std sigma
    (decoder_std) and the latent model (an eps-network of the latent times scale): one draw z ~ q(z | y) per image, and
    lesson 13's ELBO of scale * z under model, all from generator. Defined in lesson 21 (latent diffusion)."""
    autoencoder = _kl_autoencoder(autoencoder)
    scale = check_float("scale", scale, 0.0, float("inf"))
    sigma = check_float("sigma", sigma, 0.0, float("inf"))
    y = check_points("y", y, autoencoder.d)
    generator = check_generator(generator)
    with torch.no_grad():
        mean, log_var = (v.double() for v in autoencoder.encode(y))
        z = draw_latent(mean, log_var, generator)
        y64 = y.double()
        decoded = autoencoder.decode(z.float()).double()
    d, k = y.shape[1], z.shape[1]
    decoder = ((y64 - decoded) ** 2).sum(1) / (2 * sigma**2) + d / 2 * math.log(2 * math.pi * sigma**2)
    log_q = -(((z - mean) ** 2) / log_var.exp() + log_var + math.log(2 * math.pi)).sum(1) / 2
    minus_log_p_scaled = elbo(model, schedule, scale * z, generator=generator).nll_bound
    return LatentElbo(decoder, log_q + minus_log_p_scaled - k * math.log(scale))
