"""Conditioning and guidance (lesson 11): labels from the curve parameter, exact conditional oracles and classifier,
classifier-free guidance, and exact draws from the tilted density that guidance is often said to sample.

A label c is the piece of the S a point comes from: u in [edges[c], edges[c + 1]), equal thirds of the u-range by
default, so p(c) = 1/3. Given c, u is uniform on its piece, so q_t(x | c) is lesson 09's mixture over that piece.
"""

import math

import torch
from torch import nn

from .._checks import check_float, check_generator, check_int, check_points
from .._random import noise
from ..data.s_curve import U_MAX, check_curve_parameter, curve
from ..exact.oracle import DATA_STD, s_curve_oracle
from ..measures.metrics import coverage_gap, curve_coordinates
from ..objectives.denoising import Denoising

N_LABELS = 3


def _label_edges(n_labels=N_LABELS):
    """The n_labels + 1 edges of equal pieces of u in [-3pi/2, 3pi/2]."""
    n_labels = check_int("n_labels", n_labels, 1)
    return torch.linspace(-U_MAX, U_MAX, n_labels + 1, dtype=torch.float64)


def labels_of(u, n_labels=N_LABELS):
    """The label of each curve parameter u: the piece it lies on. Defined in lesson 11 (guidance)."""
    u = check_curve_parameter(u)
    return torch.bucketize(u.double(), _label_edges(n_labels)[1:-1], right=True)


class LabelledOracle(nn.Module):
    """The exact eps*(x_t, t, c) for every label and eps*(x_t, t) for none: one S-curve oracle per piece, one for all.

    Called like lesson 11's conditional network, oracle(x_t, t, c) with c an int label or None, so the same guidance
    code drives both. Defined in lesson 11 (guidance).
    """

    predicts = "eps"

    def __init__(self, schedule=None, n_labels=N_LABELS):
        super().__init__()
        edges = _label_edges(n_labels).tolist()
        self.n_labels = n_labels
        self.conditional = nn.ModuleList([s_curve_oracle(schedule, low=a, high=b) for a, b in zip(edges[:-1], edges[1:])])
        self.unconditional = s_curve_oracle(schedule)
        self.T = self.unconditional.T

    def forward(self, x, t, c=None):
        if c is None:
            return self.unconditional(x, t)
        return self.conditional[check_int("c", c, 0, self.n_labels)](x, t)

    def classifier(self, x, t):
        """log p(c | x_t) for every label, shape (N, n_labels): log q_t(x | c) + log p(c) - log q_t(x), Bayes' rule.

        q_t(x) comes from the unconditional oracle's own quadrature, so the probabilities summing to 1 is a check.
        """
        log_joint = torch.stack([oracle.log_prob(x, t) for oracle in self.conditional], dim=1) - math.log(self.n_labels)
        return log_joint - self.unconditional.log_prob(x, t).unsqueeze(1)


class LabelDropout(Denoising):
    """Classifier-free guidance's training (Ho & Salimans 2022, Algorithm 1), an objective for helpers.train on data
    (x0, labels): helpers.Denoising's loss for a network called as model(x_t, t, c), each label c replaced by the null
    label (model.n_labels, the "none" that lesson 11 writes c=None) with probability p, so one network learns both the
    conditional and the unconditional eps. Defined in lesson 11 (guidance).
    """

    def __init__(self, schedule, config, p=0.1):
        super().__init__(schedule, config)
        self.p = check_float("p", p, 0.0, 1.0, low_open=False, high_open=False)

    def start(self, model, data):
        if not isinstance(data, tuple) or len(data) != 2:
            raise TypeError("LabelDropout trains on data (x0, labels): pass helpers.train a tuple of the points and "
                            "their integer labels")
        _check_labels(data[1], data[0], model)
        super().start(model, data[0])
        self.null = model.n_labels

    def __call__(self, model, batch, generator):
        self.null = model.n_labels
        return self.loss(model, *self.draw(batch, generator))

    def draw(self, batch, generator):
        """A batch's randomness, one row per point: (x0, c, t, eps), c the labels after dropout to the null label."""
        x0, labels = batch
        n, device = x0.shape[0], x0.device
        # Skewed steps are drawn before the labels' coins and antithetic ones after: the order every committed
        # network was trained in, so tools/make_*.py remake them exactly.
        t = self.draw_steps(n, generator, device) if self.t_power != 1 else None
        dropped = torch.rand(n, generator=generator).to(device) < self.p
        c = labels.long().masked_fill(dropped, self.null)
        if t is None:
            t = self.draw_steps(n, generator, device)
        return x0, c, t, noise(x0.shape, generator, device, x0.dtype)

    def loss(self, model, x0, c, t, eps):
        return super().loss(lambda x_t, t: model(x_t, t, c), x0, t, eps)


def _check_labels(labels, x0, model):
    """Refuse labels that are not one integer in [0, model.n_labels) per point of x0."""
    n_labels = getattr(model, "n_labels", None)
    if n_labels is None:
        raise TypeError(f"labels need a conditional network (helpers.ConditionalNoisePredictor), got {type(model).__name__}")
    if not isinstance(labels, torch.Tensor) or labels.shape != (x0.shape[0],) or labels.is_floating_point() \
            or labels.is_complex() or labels.dtype == torch.bool:
        raise ValueError(f"labels must be an integer tensor of shape ({x0.shape[0]},), got {labels!r:.80}")
    if labels.min() < 0 or labels.max() >= n_labels:
        raise ValueError(f"labels must be in [0, {n_labels}), got values from {int(labels.min())} to {int(labels.max())}")



class Guided(nn.Module):
    """Classifier-free guidance (Ho & Salimans 2022): eps~ = (1 + w) eps(x_t, t, c) - w eps(x_t, t).

    model is called as model(x_t, t, c) and model(x_t, t, None) (lesson 11's network or a LabelledOracle); the result
    is called like an unconditional network, so helpers.sample and helpers.sample_steps take it. label: an int, or (lesson 17)
    one label per point. Defined in lesson 11 (guidance).
    """

    def __init__(self, model, label, w):
        super().__init__()
        if not hasattr(model, "n_labels"):
            raise TypeError(f"model must be called as model(x_t, t, c), with n_labels (lesson 11's network or a "
                            f"LabelledOracle), got {type(model).__name__}")
        # What the network predicts: guidance mixes two predictions with weights that sum to 1, so any target stays itself.
        self.model, self.predicts = model, getattr(model, "predicts", None)
        # The network's step count, so that the samplers can check it against their schedule.
        self.T = getattr(model, "T", None)
        # The dimension of the points, so that the samplers draw starts of the right size (lesson 17: 64).
        self.d = getattr(model, "d", 2)
        if isinstance(label, torch.Tensor) and label.ndim == 1:
            # One label per point (lesson 17 asks for every digit in one batch).
            if label.is_floating_point() or label.dtype == torch.bool or len(label) == 0 \
                    or label.min() < 0 or label.max() >= model.n_labels:
                raise ValueError(f"label must be an int or integer labels in [0, {model.n_labels}), got {label.tolist()}")
            self.label = label.long()
        else:
            self.label = check_int("label", label, 0, model.n_labels)
        self.w = check_float("w", w, 0.0, float("inf"), low_open=False)

    def forward(self, x, t):
        return (1 + self.w) * self.model(x, t, self.label) - self.w * self.model(x, t, None)


def tilted_sample(oracle, label, w, n, generator=None):
    """n exact draws from the tilted density q_0(x | c)^(1 + w) q_0(x)^(-w), normalised.

    By Bayes' rule it is q_0(x | c) p(c | x)^w up to a constant, and p(c | x)^w <= 1, so drawing x from q_0(x | c)
    (u uniform on the piece, plus the data's noise) and keeping it with probability p(c | x)^w is exact rejection
    sampling. oracle: a LabelledOracle. Drawn on the CPU. Defined in lesson 11 (guidance).
    """
    if not isinstance(oracle, LabelledOracle):
        raise TypeError(f"oracle must be a helpers.LabelledOracle, got {type(oracle).__name__}")
    label = check_int("label", label, 0, oracle.n_labels)
    w = check_float("w", w, 0.0, float("inf"), low_open=False)
    n = check_int("n", n, 1)
    generator = check_generator(generator)
    low, high = _label_edges(oracle.n_labels)[label : label + 2].tolist()
    kept, total = [], 0
    while total < n:
        u = low + (high - low) * torch.rand(2 * n, generator=generator, dtype=torch.float64)
        x = curve(u) + DATA_STD * noise((2 * n, 2), generator, "cpu", torch.float64)
        keep = torch.rand(2 * n, generator=generator, dtype=torch.float64).log() < w * oracle.classifier(x, None)[:, label]
        kept.append(x[keep])
        total += int(keep.sum())
    return torch.cat(kept)[:n].float()


def segment_quality(samples, label, n_labels=N_LABELS):
    """How a conditional sample treats its piece: (leakage %, coverage gap % within the piece, off-curve x 10^3).

    Leakage: the share of samples whose nearest curve point lies on another piece. Coverage gap: the
    Kolmogorov-Smirnov distance of the others' u from uniform on the piece. Defined in lesson 11 (guidance).
    """
    samples = check_points("samples", samples)
    label = check_int("label", label, 0, check_int("n_labels", n_labels, 1))
    u, distance = curve_coordinates(samples)
    inside = labels_of(u, n_labels) == label
    low, high = _label_edges(n_labels)[label : label + 2].tolist()
    gap = coverage_gap(u[inside], low, high) if inside.any() else 100.0
    return 100 * (1 - inside.double().mean().item()), gap, 1e3 * distance.pow(2).mean().sqrt().item()
