"""Lesson 21's helpers, each checked by another route: torch.distributions for the KL and the Gaussian log densities,
Monte Carlo for the draws, an exact Gaussian latent model for the bound's change of scale, the closed form of the
off-plane shrinkage for the embedded S-curve's oracle."""

import dataclasses
import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.distributions import Normal, kl_divergence

import helpers
from helpers.exact.oracle import MixtureOracle
import helpers.objectives.autoencoding as autoencoding

SHORT = dataclasses.replace(helpers.AUTOENCODER, steps=30, warmup_steps=3)


def generator(seed):
    return torch.Generator().manual_seed(seed)


def test_kl_to_standard_is_torch_s_kl_of_two_gaussians():
    mean, log_var = torch.randn(5, 3, generator=generator(0)), torch.randn(5, 3, generator=generator(1))
    expected = kl_divergence(Normal(mean, (0.5 * log_var).exp()), Normal(0.0, 1.0)).sum(1)
    assert torch.allclose(autoencoding.kl_to_standard(mean, log_var), expected, atol=1e-6)


def test_draws_have_the_encoder_s_mean_and_variance():
    mean, log_var = torch.tensor([[0.5, -2.0]]).expand(200_000, 2), torch.tensor([[0.0, math.log(0.09)]]).expand(200_000, 2)
    z = helpers.draw_latent(mean, log_var, generator(2))
    assert torch.allclose(z.mean(0), torch.tensor([0.5, -2.0]), atol=0.01)
    assert torch.allclose(z.var(0), torch.tensor([1.0, 0.09]), rtol=0.02)
    assert helpers.draw_latent(mean[:3], None, generator(2)) is not None and torch.equal(helpers.draw_latent(mean[:3], None, None), mean[:3])


def test_reconstruction_is_the_negative_elbo_when_its_weight_is_twice_the_decoder_variance():
    """With a Gaussian decoder of variance s^2 per pixel and kl_weight = 2 s^2, the loss is 2 s^2 times the negative ELBO
    less a constant (its docstring's claim), the ELBO written with torch.distributions at the same draw."""
    torch.manual_seed(0)
    model = helpers.Autoencoder(latent=4, hidden=16)
    y = helpers.digits_split()[0][:32]
    s = 0.2
    loss = helpers.Reconstruction(2 * s**2)(model, y, generator(3))
    mean, log_var = model.encode(y)
    z = mean + (0.5 * log_var).exp() * torch.randn(mean.shape, generator=generator(3))
    log_lik = Normal(model.decode(z), s).log_prob(y).sum(1)
    kl = kl_divergence(Normal(mean, (0.5 * log_var).exp()), Normal(0.0, 1.0)).sum(1)
    minus_elbo = (-log_lik + kl).mean() - y.shape[1] / 2 * math.log(2 * math.pi * s**2)
    assert torch.allclose(loss / (2 * s**2), minus_elbo, rtol=1e-5)


def test_a_plain_autoencoder_has_no_kl_and_no_bound():
    plain = helpers.Autoencoder(kl=False, latent=4, hidden=16)
    assert plain.encode(torch.zeros(2, 64))[1] is None
    with pytest.raises(ValueError, match="KL-regularised"):
        helpers.Reconstruction(1e-3).start(plain, torch.zeros(2, 64))
    with pytest.raises(ValueError, match="plain autoencoder"):
        helpers.decoder_std(plain, torch.zeros(2, 64))


def test_the_latent_scale_gives_the_draws_unit_variance():
    x_train = helpers.digits_split()[0]
    autoencoder = helpers.train_autoencoder(x_train, seed=0, config=SHORT)["model"]
    scale = helpers.latent_scale(autoencoder, x_train, generator(2))
    mean, log_var = autoencoder.encode(x_train)
    z = (mean + (0.5 * log_var).exp() * torch.randn(mean.shape, generator=generator(2))).detach().numpy()
    assert abs(scale * np.std(z, ddof=1) - 1) < 1e-5
    codes = helpers.encode_latents(autoencoder, x_train, scale)
    assert torch.allclose(codes[0], scale * mean.detach()) and torch.allclose(codes[1].exp(), scale**2 * log_var.detach().exp(), rtol=1e-5)


def test_the_bound_does_not_depend_on_the_scale_for_an_exact_latent_model():
    """An exact latent model of N(0, v I) codes (a one-point MixtureOracle of std sqrt(v)) is as good at any scale c once
    its std is c sqrt(v): the bound's k log c undoes the scale (leaving it out moves the bound by k log 4 = 4.2 nats at
    c = 4), and the latent part is then log q - log N(z; 0, v I) in closed form plus lesson 13's ELBO gap, which is >= 0
    and for this exact model about 0.5 nats per latent number (measured: 1.5 nats for 3 at c = 1/4, 1 and 4)."""
    torch.manual_seed(0)
    autoencoder = helpers.Autoencoder(latent=3, hidden=16)
    y = helpers.dequantise(helpers.digits_split()[2][:400], generator(5))
    schedule = helpers.digits_schedule()
    v = 0.3
    with torch.no_grad():
        mean, log_var = (t.double() for t in autoencoder.encode(y))
    z = mean + (0.5 * log_var).exp() * torch.randn(mean.shape, generator=generator(6), dtype=torch.float64)
    closed = Normal(mean, (0.5 * log_var).exp()).log_prob(z).sum(1) - Normal(0.0, v**0.5).log_prob(z).sum(1)
    gaps = {}
    for c in (0.25, 1.0, 4.0):
        oracle = MixtureOracle(torch.zeros(1, 3), torch.zeros(1), c * v**0.5, schedule)
        bound = helpers.latent_elbo(autoencoder, c, 0.5, oracle, schedule, y, generator(6))
        gaps[c] = (bound.latent - closed).mean().item()
        standard_error = (bound.latent - closed).std().item() / len(y) ** 0.5
        assert -3 * standard_error < gaps[c] < 3 * 0.6, (c, gaps[c])
    assert max(gaps.values()) - min(gaps.values()) < 0.5, gaps
    decoded = autoencoder.decode(z.float()).double()
    assert torch.allclose(bound.decoder, -Normal(decoded, 0.5).log_prob(y.double()).sum(1).detach(), rtol=1e-5)


def test_the_embedding_keeps_the_plane_and_adds_its_noise_off_it():
    q = helpers.embedding()
    assert q.shape == (64, 2) and np.allclose(q.numpy().T @ q.numpy(), np.eye(2), atol=1e-6)
    x0 = helpers.s_curve(20_000)
    y = helpers.embed(x0, q, generator=generator(1))
    assert torch.allclose(y @ q, x0, atol=1e-6)
    # The off-plane part: 62 directions of variance 0.01^2 each.
    off = y - (y @ q) @ q.T
    assert abs(off.pow(2).sum(1).mean().item() / (62 * 0.01**2) - 1) < 0.01


def test_the_embedded_oracle_is_the_plane_s_oracle_and_a_shrinkage_off_it():
    """E[y_0 | y_t] in 64 dimensions: the 2-D oracle's answer in the plane, and off it y_t shrunk by a std^2 / s^2 (the
    off-plane noise alone, with s^2 = a^2 std^2 + 1 - alpha_bar); log q_t the 2-D one plus the off-plane Gaussian's."""
    schedule = helpers.sigmoid_schedule(100)
    q = helpers.embedding().double()
    oracle_64, oracle_2 = helpers.embedded_oracle(q, schedule), helpers.s_curve_oracle(schedule)
    y = helpers.embed(helpers.s_curve(500), q.float(), generator=generator(1)).double()
    for t in (0, 40, 99):
        y_t = helpers.q_sample(y, t, schedule, generator=generator(t))
        a2 = schedule.alpha_bar[t].double()
        s2 = a2 * 0.01**2 + 1 - a2
        off = y_t - (y_t @ q) @ q.T
        expected = oracle_2.denoise(y_t @ q, t) @ q.T + a2.sqrt() * 0.01**2 / s2 * off
        assert (oracle_64.denoise(y_t, t) - expected).abs().max() < 1e-9
        gaussian = -off.pow(2).sum(1) / (2 * s2) - 62 / 2 * torch.log(2 * math.pi * s2)
        assert (oracle_64.log_prob(y_t, t) - oracle_2.log_prob(y_t @ q, t) - gaussian).abs().max() < 1e-6  # of about 200


def test_latent_training_is_seeded_and_learns_from_draws_of_every_copy():
    x_train = helpers.digits_split()[0]
    autoencoder = helpers.train_autoencoder(x_train, seed=0, config=SHORT)["model"]
    config = dataclasses.replace(helpers.LATENT_DIFFUSION, steps=20, warmup_steps=2)
    runs = [helpers.train_latent(autoencoder, x_train[:100], 0.5, seed=1, config=config, copies=3) for _ in range(2)]
    assert torch.equal(runs[0]["losses"], runs[1]["losses"])
    assert runs[0]["model"].d == 8
    images = helpers.decode_latents(autoencoder, torch.zeros(2, 8), 0.5)
    assert images.shape == (2, 64)


def test_autoencoder_weights_round_trip(tmp_path=None):
    path = Path(tmp_path or tempfile.mkdtemp()) / "ae.pt"
    torch.manual_seed(0)
    model = helpers.Autoencoder(latent=4, hidden=16, kl=False)
    helpers.save_weights(model, path)
    loaded = helpers.load_model(path)
    assert isinstance(loaded, helpers.Autoencoder) and loaded.config() == model.config()
    y = torch.randn(3, 64, generator=generator(0))
    assert torch.equal(loaded.decode(loaded.encode(y)[0]), model.decode(model.encode(y)[0]))
    with pytest.raises(ValueError, match="different network"):
        helpers.load_weights(helpers.Autoencoder(latent=4, hidden=16, kl=True), path)
