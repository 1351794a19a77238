"""S-Curve Diffusion: the code each lesson teaches, kept once so later lessons can reuse it, grouped by layer
(docs/contributing.md, "The helpers, layer by layer", maps each module to its lesson)."""

# The data (lessons 01, 17)
from .data.s_curve import curve, embed, embedding, s_curve
from .data.digits import (DIGITS, bits_per_dim, dequantise, digits_network, digits_schedule, digits_split, plot_digits,
                          to_levels, train_digits)
from .data.text import text_split

# The process: schedules, noising, what a network predicts, flow matching (lessons 02-04, 12, 14)
from .process.schedules import (Schedule, cosine_schedule, linear_schedule, make_schedule, schedule_from_beta,
                                sigmoid_schedule, zero_terminal_snr)
from .process.forward import q_sample, q_step
from .process.targets import AsEps, convert, floor_factor, target_of, to_flow, x0_and_eps
from .process.tokens import TokenProcess
from .process.flows import (FlowLoss, FlowOracle, VelocityPredictor, alpha_bar_of, build_flow_model, flow_grid,
                            flow_loss, flow_path, flow_sample, flow_solve, flow_time, straightness)

# The networks and their weights (lessons 05, 08, 14, 15, 19, 20)
from .networks.mlp import ConditionalNoisePredictor, NoisePredictor, input_scale, sinusoidal_embedding
from .networks.preconditioning import Preconditioned, edm_coefficients
from .networks.fast import FastEps
from .networks.checkpoint import COMMITTED_CHECKPOINT, load_model, load_weights, save_weights
from .networks.tokens import TokenPredictor
from .networks.transformer import TokenTransformer
from .networks.backbones import DiT, DiTBlock, UNet, from_patches, to_patches
from .networks.autoencoder import Autoencoder

# The objectives: what training minimises (lessons 06, 08, 14, 16)
from .objectives.denoising import Denoising, antithetic_steps, eps_loss, skewed_steps
from .objectives.weighting import eps_weights, loss_weights
from .objectives.distill import ConsistencyObjective, DISTILL, progressive_objective, student_steps
from .objectives.masked import MASKED, MaskedLoss, masked_elbo, masked_elbo_sampled, train_masked
from .objectives.autoregressive import NextTokenLoss, autoregressive_nll
from .objectives.autoencoding import Reconstruction, draw_latent

# The training loop and its configs (lesson 08)
from .training.config import DEFAULT, REFERENCE, TrainConfig
from .training.loop import build_model, ema_weight, learning_rate, train
from .training.backbones import backbone_recipe, train_backbone
from .training.latent import (AUTOENCODER, LATENT_DIFFUSION, decode_latents, encode_latents, latent_scale, train_autoencoder,
                              train_latent)
from .training.text import TEXT, train_text
from .training.launch import launch, train_digits_member

# Sampling (lessons 07, 10, 11, 15, 18)
from .sampling.ancestral import posterior, reverse_mean, reverse_sigma, sample
from .sampling.grid import gaussian_prior
from .sampling.ddim import ddim_step, timesteps
from .sampling.solve import invert, ode_reference, sample_steps, solve
from .sampling.solvers import GRIDS, PC_KAPPA, SOLVERS, dpm_solve, grid_alpha_bar, grid_steps, half_log_snr, langevin
from .sampling.guidance import Guided, LabelDropout, LabelledOracle, labels_of, segment_quality, tilted_sample
from .sampling.inverse import posterior_sample
from .sampling.unmask import unmask_sample
from .sampling.autoregressive import autoregressive_sample

# Exact answers (lessons 09, 18)
from .exact.oracle import embedded_oracle, quadrature, s_curve_oracle, training_set_oracle
from .exact.posterior import PosteriorOracle, observe
from .exact.unmasking import TrainingSetUnmasker

# Measures (lessons 07, 09, 13, 17)
from .measures.metrics import coverage_gap, curve_coordinates, energy_distance, sample_quality, sharp_quality
from .measures.evidence import compare, redraw_margin
from .measures.likelihood import elbo, ode_log_likelihood
from .measures.digit_scores import DigitJudge, frechet_distance, kernel_distance, nearest
from .measures.latent_likelihood import decoder_std, latent_elbo

# Around the lessons: the device, figures, exercises
from .device import default_device
from .plotting import animate_states, plot_field, plot_points, plot_strip
from .exercises import check_exercise

__all__ = [
    "AUTOENCODER",
    "AsEps",
    "Autoencoder",
    "COMMITTED_CHECKPOINT",
    "ConditionalNoisePredictor",
    "ConsistencyObjective",
    "DEFAULT",
    "DIGITS",
    "DISTILL",
    "Denoising",
    "DiT",
    "DiTBlock",
    "DigitJudge",
    "FastEps",
    "FlowLoss",
    "FlowOracle",
    "GRIDS",
    "Guided",
    "LATENT_DIFFUSION",
    "LabelDropout",
    "LabelledOracle",
    "MASKED",
    "MaskedLoss",
    "NextTokenLoss",
    "NoisePredictor",
    "PC_KAPPA",
    "PosteriorOracle",
    "Preconditioned",
    "REFERENCE",
    "Reconstruction",
    "SOLVERS",
    "Schedule",
    "TEXT",
    "TokenPredictor",
    "TokenProcess",
    "TokenTransformer",
    "TrainConfig",
    "TrainingSetUnmasker",
    "UNet",
    "VelocityPredictor",
    "alpha_bar_of",
    "animate_states",
    "antithetic_steps",
    "autoregressive_nll",
    "autoregressive_sample",
    "backbone_recipe",
    "bits_per_dim",
    "build_flow_model",
    "build_model",
    "check_exercise",
    "compare",
    "convert",
    "cosine_schedule",
    "coverage_gap",
    "curve",
    "curve_coordinates",
    "ddim_step",
    "decode_latents",
    "decoder_std",
    "default_device",
    "dequantise",
    "digits_network",
    "digits_schedule",
    "digits_split",
    "dpm_solve",
    "draw_latent",
    "edm_coefficients",
    "elbo",
    "ema_weight",
    "embed",
    "embedded_oracle",
    "embedding",
    "encode_latents",
    "energy_distance",
    "eps_loss",
    "eps_weights",
    "floor_factor",
    "flow_grid",
    "flow_loss",
    "flow_path",
    "flow_sample",
    "flow_solve",
    "flow_time",
    "frechet_distance",
    "from_patches",
    "gaussian_prior",
    "grid_alpha_bar",
    "grid_steps",
    "half_log_snr",
    "input_scale",
    "invert",
    "kernel_distance",
    "labels_of",
    "langevin",
    "latent_elbo",
    "latent_scale",
    "learning_rate",
    "linear_schedule",
    "load_model",
    "load_weights",
    "loss_weights",
    "make_schedule",
    "masked_elbo",
    "masked_elbo_sampled",
    "nearest",
    "observe",
    "ode_log_likelihood",
    "ode_reference",
    "plot_digits",
    "plot_field",
    "plot_points",
    "plot_strip",
    "posterior",
    "posterior_sample",
    "progressive_objective",
    "q_sample",
    "q_step",
    "quadrature",
    "redraw_margin",
    "reverse_mean",
    "reverse_sigma",
    "s_curve",
    "s_curve_oracle",
    "sample",
    "sample_quality",
    "sample_steps",
    "save_weights",
    "schedule_from_beta",
    "segment_quality",
    "sharp_quality",
    "sigmoid_schedule",
    "sinusoidal_embedding",
    "skewed_steps",
    "solve",
    "straightness",
    "student_steps",
    "target_of",
    "text_split",
    "tilted_sample",
    "timesteps",
    "to_flow",
    "to_levels",
    "to_patches",
    "train",
    "train_autoencoder",
    "train_backbone",
    "train_digits",
    "train_latent",
    "train_masked",
    "train_text",
    "launch",
    "train_digits_member",
    "training_set_oracle",
    "unmask_sample",
    "x0_and_eps",
    "zero_terminal_snr",
]
