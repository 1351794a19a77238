"""Lesson 20's recipes: the course's MLP, the U-Net and the DiT trained on the digits for the same wall time on one
core, each at its own learning rate and with an EMA over the same share of its run, so that the three differ in their
network (benchmarks/backbones.py measured them; docs/decisions.md, "Lesson 20's backbones")."""

import dataclasses

import torch

from .._checks import check_float
from ..data.digits import DIGITS, Dequantised, digits_input_scale, digits_network, digits_schedule
from ..networks.backbones import DiT, UNet
from ..objectives.denoising import Denoising
from .loop import train

# Seconds per training step on one core of the course's 2-core machine, each the median of three 40-step runs taken in
# turns (benchmarks/results/backbones-pilot-cpu-2core.json): what "the same time" turns into steps with.
SECONDS_PER_STEP = {"mlp": 0.00437, "unet": 0.11238, "dit": 0.10346}
# Each network's learning rate: the lowest test ELBO among 1e-3 ... 1.6e-2 at the 1x budget on seed 100, a seed no
# comparison uses (benchmarks/backbones.py's pilot; docs/decisions.md, "Lesson 20: backbones", for the same choice at 4x).
LEARNING_RATES = {"mlp": 8e-3, "unet": 8e-3, "dit": 1.6e-2}
# The EMA's horizon 1 / (1 - decay) as a share of the run: lesson 17's fixed 0.999 would average a 200-step run whole.
EMA_SHARE = 0.1
# A new network of each kind for the images x0; sizes are its own size arguments (hidden; channels; width, depth, ...).
BUILDERS = {"mlp": lambda x0, **sizes: digits_network(x0, **sizes),
            "unet": lambda x0, **sizes: UNet(digits_input_scale(x0), **sizes),
            "dit": lambda x0, **sizes: DiT(digits_input_scale(x0), **sizes)}


def _check_name(name):
    if name not in BUILDERS:
        raise ValueError(f"name must be one of {list(BUILDERS)}, got {name!r}")
    return name


def backbone_recipe(name, budget=4.0, seed=0, lr=None, seconds_per_step=SECONDS_PER_STEP):
    """The TrainConfig that gives the network `name` ("mlp", "unet" or "dit") `budget` times the wall time of lesson
    17's recipe (its 5 000 MLP steps): that time over the network's seconds per step (SECONDS_PER_STEP, or a benchmark's
    own timing), a warm-up of a tenth of the steps (at most the recipe's 100), its learning rate (or lr), and an EMA decay
    1 - 1 / (EMA_SHARE steps). Everything else is lesson 17's DIGITS. Defined in lesson 20 (backbones)."""
    name = _check_name(name)
    budget = check_float("budget", budget, 0.0, float("inf"))
    steps = max(1, round(budget * DIGITS.steps * seconds_per_step["mlp"] / seconds_per_step[name]))
    return dataclasses.replace(DIGITS, steps=steps, lr=LEARNING_RATES[name] if lr is None else lr, seed=seed,
                               ema_decay=1 - 1 / max(1.0, EMA_SHARE * steps),
                               warmup_steps=min(DIGITS.warmup_steps, steps // 10))


def train_backbone(name, x0, config, progress=False, **sizes):
    """A new network of the kind `name` (lesson 17's MLP, the U-Net or the DiT, each with lesson 08's input scale of the
    dequantised images x0; sizes, its size arguments if not the lesson's: hidden, channels, or width, depth, heads,
    patch) trained on x0 with lesson 17's objective (eps, every batch dequantised afresh) and config (backbone_recipe's),
    seeded with config.seed. Returns helpers.train's dict; its "model" is in eval mode.
    Defined in lesson 20 (backbones)."""
    name = _check_name(name)
    torch.manual_seed(config.seed)
    result = train(BUILDERS[name](x0, **sizes).to(x0.device), x0, Dequantised(Denoising(digits_schedule(), config)), config,
                   progress=progress)
    result["model"].eval()
    return result
