"""Lesson 21's recipes: the digits' autoencoder, its latent's scale, and a diffusion model of its latent codes
(latent diffusion, Rombach et al. 2022: the autoencoder trained first and frozen, the diffusion model trained on its
codes; benchmarks/latent.py measured them; docs/decisions.md, "Lesson 21: latent diffusion")."""

import dataclasses
import math

import torch

from .._checks import check_float, check_int, check_points
from ..data.digits import D, DIGITS, Dequantised, dequantise, digits_schedule
from ..networks.autoencoder import Autoencoder
from ..networks.mlp import NoisePredictor, input_scale
from ..objectives.autoencoding import LatentDraws, Reconstruction, draw_latent
from ..objectives.denoising import Denoising
from ..process.schedules import check_schedule
from .loop import train

# The latent's size and the KL term's weight: chosen on seed 100, which scores nothing (benchmarks/latent.py's pilot).
LATENT = 8
KL_WEIGHT = 1e-3
# The autoencoder's recipe: lesson 17's optimiser and schedule, no EMA (it is trained once, then frozen).
AUTOENCODER = dataclasses.replace(DIGITS, steps=2000, lr=2e-3, ema_decay=0.0)
# The latent model's recipe: lesson 20's MLP at the 1x budget (its learning rate and EMA share), on 8 numbers, not 64.
LATENT_DIFFUSION = dataclasses.replace(DIGITS, lr=8e-3, ema_decay=1 - 1 / 500)
# Dequantised copies of each training image the latent model learns from: its codes are of the images' bins, not of
# their centres alone.
COPIES = 8


def train_autoencoder(x0, kl=True, seed=0, latent=LATENT, kl_weight=KL_WEIGHT, config=AUTOENCODER, progress=False):
    """A new Autoencoder (64 pixels, `latent` numbers; KL-regularised with kl_weight if kl, else plain) trained on the
    images x0 (bin centres, every batch dequantised afresh) to minimise helpers.Reconstruction, seeded with seed.
    Returns helpers.train's dict; its "model" is in eval mode. Defined in lesson 21 (latent diffusion)."""
    x0 = check_points("x0", x0, D)
    config = dataclasses.replace(config, seed=seed)
    torch.manual_seed(seed)
    model = Autoencoder(D, latent, config.hidden, kl).to(x0.device)
    result = train(model, x0, Dequantised(Reconstruction(kl_weight if kl else 0.0)), config, progress=progress)
    result["model"].eval().requires_grad_(False)
    return result


def encode_latents(autoencoder, y, scale=1.0):
    """The codes of the images y, multiplied by scale: (scale * mean, log_var + 2 log scale) of q(z | y) for a
    KL-regularised autoencoder, the points scale * E(y) for a plain one. Defined in lesson 21 (latent diffusion)."""
    scale = check_float("scale", scale, 0.0, float("inf"))
    with torch.no_grad():
        mean, log_var = autoencoder.encode(y)
    if log_var is None:
        return scale * mean
    return scale * mean, log_var + 2 * math.log(scale)


def latent_scale(autoencoder, x0, generator=None):
    """1 / the standard deviation of one draw of every image's code, all coordinates pooled: the factor that gives the
    latent unit variance, as Rombach et al. 2022 (appendix G) rescale by the std of a batch's codes (Stable Diffusion's
    released configuration fixes it at 0.18215).
    Defined in lesson 21 (latent diffusion)."""
    codes = encode_latents(autoencoder, check_points("x0", x0, D))
    z = draw_latent(*codes, generator) if isinstance(codes, tuple) else codes
    return 1 / z.std().item()


def latent_network(autoencoder, codes, input_std=None, schedule=None):
    """Lesson 17's MLP (lesson 05's, sinusoidal step features, DIGITS.hidden units) for the autoencoder's latent size and
    schedule's steps (None: lesson 17's), with lesson 08's input scale for data of std input_std: None takes the codes'
    own spread (whatever their scale), 1.0 builds a network for unit-variance latents, as Stable Diffusion's U-Net is.
    Defined in lesson 21 (latent diffusion)."""
    mean, log_var = codes if isinstance(codes, tuple) else (codes, None)
    if input_std is None:
        input_std = (mean.var().item() + (0.0 if log_var is None else log_var.exp().mean().item())) ** 0.5
    input_std = check_float("input_std", input_std, 0.0, float("inf"))
    schedule = digits_schedule() if schedule is None else check_schedule(schedule)
    return NoisePredictor(schedule.T, DIGITS.hidden, "sinusoidal", input_scale(schedule, input_std),
                          autoencoder.latent).to(mean.device)


def train_latent(autoencoder, x0, scale, seed=0, config=LATENT_DIFFUSION, copies=COPIES, input_std=None, schedule=None,
                 progress=False):
    """A latent diffusion model: latent_network (with input_std) trained with lesson 06's loss on the codes
    (encode_latents, times scale) of `copies` dequantised copies of the images x0, a fresh draw of q(z | y) every step
    (helpers.LatentDraws), with schedule (None: lesson 17's) and config, seeded with seed. Returns helpers.train's dict;
    its "model" is in eval mode.
    Defined in lesson 21 (latent diffusion)."""
    x0 = check_points("x0", x0, D)
    copies = check_int("copies", copies, 1)
    config = dataclasses.replace(config, seed=seed)
    generator = torch.Generator().manual_seed(seed)
    codes = encode_latents(autoencoder, dequantise(x0.repeat(copies, 1), generator), scale)
    torch.manual_seed(seed)
    schedule = digits_schedule() if schedule is None else check_schedule(schedule)
    model = latent_network(autoencoder, codes, input_std, schedule)
    result = train(model, codes, LatentDraws(Denoising(schedule, config)), config, progress=progress)
    result["model"].eval()
    return result


def decode_latents(autoencoder, z, scale=1.0):
    """Images from latent samples z of the scaled latent: the decoder's means at z / scale. Defined in lesson 21."""
    scale = check_float("scale", scale, 0.0, float("inf"))
    with torch.no_grad():
        return autoencoder.decode(z / scale)
