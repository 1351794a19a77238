"""Lesson 21's objectives: an autoencoder's reconstruction loss (with the KL term of a variational one), and the
latent draws a latent diffusion model trains on."""

import torch

from .._checks import check_float, check_generator, check_like
from .._random import noise
from ..networks.autoencoder import Autoencoder


def kl_to_standard(mean, log_var):
    """KL(N(mean, diag(exp(log_var))) || N(0, I)) per row, in nats: (|mean|^2 + sum(exp(log_var) - 1 - log_var)) / 2
    (Kingma & Welling 2014, appendix B). Defined in lesson 21 (latent diffusion)."""
    return 0.5 * (mean**2 + log_var.exp() - 1 - log_var).sum(1)


def draw_latent(mean, log_var, generator=None):
    """One draw z = mean + exp(log_var / 2) eps from q(z | y), eps ~ N(0, I) from generator (the reparameterisation of
    Kingma & Welling 2014, section 2.4); the mean itself for a plain autoencoder (log_var None). Defined in lesson 21
    (latent diffusion)."""
    if log_var is None:
        return mean
    log_var = check_like("log_var", log_var, mean, "mean")
    return mean + (0.5 * log_var).exp() * noise(mean.shape, check_generator(generator), mean.device, mean.dtype)


class Reconstruction:
    """An autoencoder's loss for helpers.train: the squared error of the decoded draw, summed over pixels, plus
    kl_weight times KL(q(z | y) || N(0, I)), means over the batch. With a Gaussian decoder of variance s^2 per pixel this
    is 2 s^2 times the negative ELBO when kl_weight = 2 s^2; a small weight (Rombach et al. 2022's released configurations
    use 1e-6, beside a perceptual loss) leaves the latent's scale free. Defined in lesson 21 (latent diffusion)."""

    def __init__(self, kl_weight=0.0):
        self.kl_weight = check_float("kl_weight", kl_weight, 0.0, float("inf"), low_open=False)

    def start(self, model, data):
        if not isinstance(model, Autoencoder):
            raise TypeError(f"Reconstruction trains a helpers.Autoencoder, got {type(model).__name__}")
        if self.kl_weight > 0 and not model.kl:
            raise ValueError("kl_weight > 0 needs a KL-regularised autoencoder (Autoencoder(kl=True)): a plain one's "
                             "encoder gives a point, which has no KL to N(0, I)")

    def __call__(self, model, batch, generator):
        mean, log_var = model.encode(batch)
        z = draw_latent(mean, log_var, generator)
        loss = ((model.decode(z) - batch) ** 2).sum(1).mean()
        if log_var is not None and self.kl_weight > 0:
            loss = loss + self.kl_weight * kl_to_standard(mean, log_var).mean()
        return loss


class LatentDraws:
    """An objective on the latent codes of images: each batch holds rows of q(z | y)'s (mean, log_var), already scaled,
    and every step draws z afresh (draw_latent) for objective (lesson 08's Denoising); a plain autoencoder's codes (a
    tensor of points) pass through as they are. Training on the encoder's draws, not its means, is what the model's ELBO
    (helpers.latent_elbo) scores it on. Defined in lesson 21 (latent diffusion)."""

    def __init__(self, objective):
        if not callable(objective):
            raise TypeError(f"objective must be an objective for helpers.train, got {type(objective).__name__}")
        self.objective = objective

    def start(self, model, data):
        if isinstance(data, tuple) and len(data) != 2:
            raise TypeError("LatentDraws trains on the encoder's (mean, log_var), or a plain encoder's points, as "
                            "helpers.encode_latents gives them")
        start = getattr(self.objective, "start", None)
        if start is not None:
            start(model, data[0] if isinstance(data, tuple) else data)

    def __call__(self, model, batch, generator):
        if isinstance(batch, tuple):
            batch = draw_latent(*batch, generator)
        return self.objective(model, batch, generator)
