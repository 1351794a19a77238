"""Lesson 17's data: scikit-learn's 1 797 handwritten digits of 8 x 8 pixels, as 64-dimensional points.

A pixel holds an integer v in 0 .. 16 (LEVELS = 17 values). The course maps it to the centre of its bin in [-1, 1],
x = 2 (v + 1/2) / 17 - 1, so bins have width 2/17 and the data have a scale of about 1, like the S-curve's after
lesson 08's input scaling. A density model of integers needs a density of reals: uniform dequantisation (Theis et
al. 2016, section 3.1; Ho et al. 2019, section 3.1) spreads each pixel uniformly over its bin, and then
    log P(v) >= E_u[log p(x)] + d log(2/17),
(Jensen's inequality, with P(v) the integral of p over v's bin; equality when p is constant within bins), so
-(E_u[log p(x)] + d log(2/17)) / (d ln 2) is an upper bound on the integer images' bits per dimension: exactly log2(17) =
4.09 for the uniform density. Without it, a density can pile up on the bin centres and report negative bits.
"""

import dataclasses
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits

from .._checks import check_finite, check_generator, check_int, check_points
from ..networks.mlp import ConditionalNoisePredictor, NoisePredictor, input_scale
from ..process.schedules import linear_schedule
from ..training.config import TrainConfig
from ..objectives.denoising import Denoising
from ..sampling.guidance import LabelDropout
from ..training.loop import train

LEVELS = 17
SIDE = 8
D = SIDE * SIDE
BIN = 2 / LEVELS
# The fixed split: a quarter of the images, drawn with this seed within each digit, are the test split.
SPLIT_SEED = 0
TEST_SHARE = 0.25
# Ho et al. 2020's schedule for images: T = 1000, beta linear from 1e-4 to 0.02 (alpha_bar_T = 4e-5).
T = 1000
# The recipe every digits network here is trained with (lesson 17; docs/decisions.md, "Digits"): lesson 05's MLP, 256 wide,
# with sinusoidal step features (a learned table of 1 000 rows would see each row about 640 times), Adam with warm-up and
# cosine decay, an EMA of the weights. Classifier-free guidance drops the label with probability LABEL_DROPOUT.
DIGITS = TrainConfig(steps=5000, batch_size=128, lr=2e-3, lr_schedule="cosine", warmup_steps=100, ema_decay=0.999,
                     hidden=256)
LABEL_DROPOUT = 0.1


def to_unit(v):
    """Integer pixel values 0 .. 16 as the centres of their bins in [-1, 1]: x = 2 (v + 1/2) / 17 - 1.

    Defined in lesson 17 (digits).
    """
    v = torch.as_tensor(v, dtype=torch.float32)
    if not torch.isfinite(v).all() or v.min() < 0 or v.max() > LEVELS - 1:
        raise ValueError(f"pixel values must lie in [0, {LEVELS - 1}], got values from {v.min().item():.3g} to {v.max().item():.3g}")
    return 2 * (v + 0.5) / LEVELS - 1


def to_levels(x):
    """Points in [-1, 1] back to integer pixel values: the bin each coordinate falls in, clamped to 0 .. 16.

    The inverse of to_unit on bin centres, and of dequantise on anything it draws. Defined in lesson 17 (digits).
    """
    x = _in_unit_range("x", check_points("x", x, d=None))
    return ((x + 1) / BIN).floor().clamp(0, LEVELS - 1).long()


def digits_split():
    """The fixed train/test split of the 1 797 digits: (x_train, labels_train, x_test, labels_test).

    Images are rows of 64 bin centres (to_unit), float32; labels are int64. The test split is a quarter of each digit's
    images (450 in all), drawn with seed SPLIT_SEED, so every lesson and test sees the same split. Defined in lesson 17.
    """
    data = load_digits()
    rng = np.random.RandomState(SPLIT_SEED)
    test = np.zeros(len(data.target), dtype=bool)
    for digit in range(10):
        members = np.flatnonzero(data.target == digit)
        test[rng.choice(members, round(TEST_SHARE * len(members)), replace=False)] = True
    x, labels = to_unit(data.data), torch.as_tensor(data.target, dtype=torch.long)
    train = torch.as_tensor(~test)
    return x[train], labels[train], x[~train], labels[~train]


def dequantise(x0, generator=None):
    """Uniform dequantisation: each coordinate of bin centres x0 moved uniformly across its bin, x0 + (2u - 1) / 17.

    Drawn on the CPU (generator: a CPU generator) and moved to x0's device; Dequantised applies it to every batch of
    a training run. Defined in lesson 17.
    """
    x0 = _in_unit_range("x0", check_points("x0", x0, d=None))
    return _dequantise(x0, check_generator(generator))


def _dequantise(x0, generator):
    """dequantise on checked inputs: Dequantised checks the data once, then calls this every step."""
    # Drawn in float64 whatever x0's dtype, so float32 and float64 images get the same spread.
    u = torch.rand(x0.shape, generator=generator, dtype=torch.float64).to(x0.device, x0.dtype)
    return x0 + (2 * u - 1) * (BIN / 2)


class Dequantised:
    """An objective whose every batch is dequantised afresh (helpers.dequantise) before objective sees it: the
    network learns a density of reals whose bins hold the images' probabilities. The batch's points come first (data
    x0, or (x0, labels)); dequantised first, before objective's own draws. Defined in lesson 17 (digits).
    """

    def __init__(self, objective):
        if not callable(objective):
            raise TypeError(f"objective must be an objective for helpers.train, got {type(objective).__name__}")
        self.objective = objective

    def start(self, model, data):
        _in_unit_range("x0", data[0] if isinstance(data, tuple) else data)
        start = getattr(self.objective, "start", None)
        if start is not None:
            start(model, data)

    def _dequantised(self, batch, generator):
        if isinstance(batch, tuple):
            return (_dequantise(batch[0], generator), *batch[1:])
        return _dequantise(batch, generator)

    def draw(self, batch, generator):
        """The wrapped objective's draw (helpers.Denoising.draw) of the batch dequantised afresh (lesson 22)."""
        if not callable(getattr(self.objective, "draw", None)):
            raise TypeError(f"{type(self.objective).__name__} draws its randomness inside its call: it cannot be split "
                            "between micro-batches or processes (helpers.Denoising and LabelDropout can)")
        return self.objective.draw(self._dequantised(batch, generator), generator)

    def loss(self, model, *draws):
        return self.objective.loss(model, *draws)

    def __call__(self, model, batch, generator):
        return self.objective(model, self._dequantised(batch, generator), generator)


def _in_unit_range(name, x):
    """x itself, unless it looks like scikit-learn's pixels: whole numbers from 0 up to 16, or those divided by 16 or 8
    (v / 8 - 1 in [-1, 1]): the course's images are bin centres, none but 0 a multiple of 1/16, and samples overshoot
    [-1, 1] with no such pattern."""
    # Of the bin centres only v = 8's, 0, is a multiple of 1/16: an image of all 8s is the course's own.
    if bool((x * 16 == (x * 16).round()).all()) and bool((x != 0).any()):
        seen = "whole numbers" if x.max() > 1.5 and bool((x == x.round()).all()) else "multiples of 1/16"
        raise ValueError(f"{name} must hold values in [-1, 1], got {seen}: scikit-learn's pixels v = 0 .. 16 are "
                         "2 (v + 1/2) / 17 - 1 here, as helpers.digits_split gives them")
    return x


def bits_per_dim(log_p, d=D):
    """Bits per dimension of integer images from log p(x) of their dequantised points, nats per image (a tensor):
    -(mean log p + d log(2/17)) / (d ln 2). It takes log densities: from an ELBO pass -nll_bound, not the bound itself.
    Defined in lesson 17 (digits)."""
    d = check_int("d", d, 1)
    if isinstance(log_p, np.ndarray):
        log_p = torch.from_numpy(log_p)
    if not isinstance(log_p, torch.Tensor) or not log_p.is_floating_point() or log_p.numel() == 0:
        raise TypeError(f"log_p must be a float tensor of log densities, one per image (e.g. helpers.ode_log_likelihood("
                        f"...).log_p, or -helpers.elbo(...).nll_bound), got {type(log_p).__name__}")
    if log_p.ndim > 1:
        raise ValueError(f"log_p must hold one log density per image, shape (N,), got {tuple(log_p.shape)}: sum a "
                         "pixel's terms over the image first")
    check_finite("log_p", log_p)
    return -(log_p.double().mean().item() + d * math.log(BIN)) / (d * math.log(2))


def digits_schedule():
    """Ho et al. 2020's linear schedule, T = 1000, beta from 1e-4 to 0.02: lesson 17's. Defined in lesson 17."""
    return linear_schedule(T)


def digits_network(x0, n_labels=None, hidden=DIGITS.hidden):
    """Lesson 05's MLP for 64 pixels with sinusoidal step features and lesson 08's input scaling, its data std that of
    the dequantised images x0 (bin centres' variance plus the bin's 4/(12 * 17^2)); with n_labels, lesson 11's
    conditional network. Defined in lesson 17 (digits)."""
    c_in = digits_input_scale(x0)
    if n_labels is None:
        return NoisePredictor(T, hidden, "sinusoidal", c_in, D)
    return ConditionalNoisePredictor(T, n_labels, hidden, c_in, D, "sinusoidal")


def digits_input_scale(x0):
    """Lesson 08's c_in for the digits: the data std that of the dequantised images x0 (bin centres' variance plus the
    bin's 4/(12 * 17^2)). Shared by every digits network (lesson 20's backbones too). Defined in lesson 17 (digits)."""
    x0 = check_points("x0", x0, D)
    return input_scale(digits_schedule(), (x0.var().item() + BIN**2 / 12) ** 0.5)


def train_digits(x0, labels=None, seed=0, config=DIGITS, progress=False, state=None, every=None):
    """Lesson 17's recipe: a new digits_network trained on the images x0 (bin centres) with DIGITS, every batch
    dequantised afresh; with labels (0 .. 9), for classifier-free guidance. Returns helpers.train's dict (the model to
    sample from is its "model", in eval mode), trained on x0's device. state and every: helpers.train's resumable
    run (lesson 22). Defined in lesson 17 (digits)."""
    config = dataclasses.replace(config, seed=seed)
    torch.manual_seed(seed)
    model = digits_network(x0, None if labels is None else 10, config.hidden).to(x0.device)
    if labels is None:
        result = train(model, x0, Dequantised(Denoising(digits_schedule(), config)), config, progress=progress,
                       state=state, every=every)
    else:
        objective = Dequantised(LabelDropout(digits_schedule(), config, LABEL_DROPOUT))
        result = train(model, (x0, labels), objective, config, progress=progress, state=state, every=every)
    result["model"].eval()
    return result


def plot_digits(x, titles=None, columns=10, ax_size=0.85, suptitle=None):
    """Images (rows of 64 values in [-1, 1]) in a grid of 8 x 8 pictures, ink dark on white as scikit-learn draws them.

    titles: one short string per image, or None. Returns the figure. Defined in lesson 17 (digits).
    """
    x = _in_unit_range("x", check_points("x", x, D).detach().cpu().float())
    columns = check_int("columns", columns, 1)
    if titles is not None and len(titles) != len(x):
        raise ValueError(f"titles must have one entry per image ({len(x)}), got {len(titles)}")
    columns = min(columns, len(x))
    rows = -(-len(x) // columns)
    extra = 0.3 if titles is not None else 0.0
    # One colour bar for every panel, in its own strip on the right: the same scale, 0 (blank) to 16 (ink).
    width = columns * ax_size
    size = (width + 0.9, rows * (ax_size + extra) + (0.4 if suptitle else 0))
    fig, axes = plt.subplots(rows, columns, figsize=size, squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < len(x):
            image = ax.imshow(x[k].reshape(SIDE, SIDE).clamp(-1, 1).numpy(), cmap="gray_r", vmin=-1, vmax=1)
            if titles is not None:
                ax.set_title(titles[k], fontsize=10)
    if suptitle:
        fig.suptitle(suptitle, fontsize=12)
    fig.tight_layout(rect=(0, 0, width / size[0], 1))
    bar = fig.colorbar(image, cax=fig.add_axes((width / size[0] + 0.1 / size[0], 0.15, 0.12 / size[0], 0.7)))
    bar.set_ticks([to_unit(0).item(), to_unit(LEVELS - 1).item()], labels=["0", "16"])
    bar.ax.tick_params(labelsize=10)
    return fig
