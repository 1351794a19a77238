"""S-Curve Diffusion: the code each lesson teaches, kept once so later lessons can reuse it."""

from .checkpoint import COMMITTED_CHECKPOINT, load_model, load_weights, save_weights
from .data import curve, s_curve
from .device import default_device
from .forward import q_sample, q_step
from .loss import antithetic_steps, eps_loss, skewed_steps
from .metrics import coverage_gap, curve_coordinates, energy_distance, sample_quality, sharp_quality
from .model import ConditionalNoisePredictor, NoisePredictor, input_scale, sinusoidal_embedding
from .sampling import posterior, reverse_mean, reverse_sigma, sample
from .integrate import gaussian_prior
from .samplers import ddim_step, invert, ode_reference, sample_steps, solve, timesteps
from .schedules import (
    Schedule,
    cosine_schedule,
    linear_schedule,
    make_schedule,
    schedule_from_beta,
    sigmoid_schedule,
    zero_terminal_snr,
)
from .config import DEFAULT, REFERENCE, TrainConfig
from .training import build_model, ema_weight, learning_rate, train
from .evidence import compare, redraw_margin
from .exercises import check_exercise
from .oracle import quadrature, s_curve_oracle, training_set_oracle
from .flows import (
    FlowOracle,
    VelocityPredictor,
    alpha_bar_of,
    build_flow_model,
    flow_grid,
    flow_loss,
    flow_path,
    flow_sample,
    flow_solve,
    flow_time,
    straightness,
)
from .likelihood import elbo, ode_log_likelihood
from .targets import AsEps, convert, floor_factor, target_of, to_flow, x0_and_eps
from .preconditioning import Preconditioned, edm_coefficients
from .weighting import eps_weights, loss_weights
from .guidance import Guided, LabelledOracle, labels_of, segment_quality, tilted_sample
from .plotting import animate_states, plot_field, plot_points, plot_strip
from .solvers import GRIDS, PC_KAPPA, SOLVERS, dpm_solve, grid_alpha_bar, grid_steps, half_log_snr, langevin
from .fast import FastEps
from .distill import DISTILL, ConsistencyObjective, progressive_objective, student_steps
from .digits import (DIGITS, bits_per_dim, dequantise, digits_network, digits_schedule, digits_split, plot_digits,
                     to_levels, train_digits)
from .digit_scores import DigitJudge, frechet_distance, kernel_distance, nearest

__all__ = [
    "AsEps",
    "COMMITTED_CHECKPOINT",
    "ConditionalNoisePredictor",
    "ConsistencyObjective",
    "DEFAULT",
    "DIGITS",
    "DISTILL",
    "DigitJudge",
    "FastEps",
    "FlowOracle",
    "GRIDS",
    "Guided",
    "LabelledOracle",
    "NoisePredictor",
    "PC_KAPPA",
    "Preconditioned",
    "REFERENCE",
    "SOLVERS",
    "Schedule",
    "TrainConfig",
    "VelocityPredictor",
    "alpha_bar_of",
    "animate_states",
    "antithetic_steps",
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
    "default_device",
    "dequantise",
    "digits_network",
    "digits_schedule",
    "digits_split",
    "dpm_solve",
    "edm_coefficients",
    "elbo",
    "ema_weight",
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
    "gaussian_prior",
    "grid_alpha_bar",
    "grid_steps",
    "half_log_snr",
    "input_scale",
    "invert",
    "kernel_distance",
    "labels_of",
    "langevin",
    "learning_rate",
    "linear_schedule",
    "load_model",
    "load_weights",
    "loss_weights",
    "make_schedule",
    "nearest",
    "ode_log_likelihood",
    "ode_reference",
    "plot_digits",
    "plot_field",
    "plot_points",
    "plot_strip",
    "posterior",
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
    "tilted_sample",
    "timesteps",
    "to_flow",
    "to_levels",
    "train",
    "train_digits",
    "training_set_oracle",
    "x0_and_eps",
    "zero_terminal_snr",
]
