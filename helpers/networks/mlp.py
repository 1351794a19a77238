"""The noise-prediction network eps_theta(x_t, t)."""

import math

import numpy as np
import torch
from torch import nn

from .._checks import check_finite, check_float, check_int, check_points, check_steps
from ..process.schedules import check_schedule
from ..process.targets import PREDICTS, _target_name

EMBEDDINGS = ("learned", "sinusoidal")
# Settings a network's configuration leaves out when they have these values (NoisePredictor.config).
UNWRITTEN = {"d": 2, "predicts": "eps"}


def sinusoidal_embedding(t, dim):
    """Transformer-style features of the step: [sin(t w_j), cos(t w_j)], w_j = 10000^(-j / (dim/2)).

    Works for any step, so nothing in the network is sized by T. Defined in lesson 05 (model).
    """
    dim = check_int("dim", dim, 2)
    if dim % 2:
        raise ValueError(f"dim must be even, got {dim}")
    if not isinstance(t, torch.Tensor) or t.ndim != 1:
        raise TypeError("t must be a 1-d tensor of time steps")
    check_finite("t", t)
    freqs = torch.exp(-math.log(10_000) * torch.arange(dim // 2, device=t.device) / (dim // 2))
    angles = t.float().unsqueeze(1) * freqs
    return torch.cat([angles.sin(), angles.cos()], dim=1)


def input_scale(schedule, data_std):
    """c_in(t) = 1 / sqrt(alpha_bar_t data_std^2 + 1 - alpha_bar_t), the inverse std of x_t per step.

    Multiplying x_t by c_in(t) hands the network inputs of unit variance at every step
    (the input preconditioning of Karras et al. 2022). Defined in lesson 08 (training).
    """
    schedule = check_schedule(schedule)
    data_std = check_float("data_std", data_std, 0.0, float("inf"))
    return 1 / (schedule.alpha_bar * data_std**2 + 1 - schedule.alpha_bar).sqrt()


class TimeMLP(nn.Module):
    """The course's MLP body: Linear(d, h) ReLU Linear(h, h) ReLU Linear(h, h) ReLU Linear(h, d), with a time
    embedding added to the output of each of the first three linear layers, before its ReLU. d is the data's
    dimension: 2 for the S-curve, 64 for lesson 17's 8x8 digits. Subclasses say what the time is and how it is
    embedded. Defined in lesson 05 (model); shared by lesson 12's velocity network.
    """

    def __init__(self, hidden, d=2):
        super().__init__()
        self.hidden = check_int("hidden", hidden, 1)
        self.d = check_int("d", d, 1)
        self.linears = nn.ModuleList([nn.Linear(d, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, hidden)])
        self.out = nn.Linear(hidden, d)

    def _mlp(self, h, embeddings):
        for linear, e in zip(self.linears, embeddings):
            h = torch.relu(linear(h) + e)
        return self.out(h)


class NoisePredictor(TimeMLP):
    """The reference MLP: Linear(2, h) ReLU Linear(h, h) ReLU Linear(h, h) ReLU Linear(h, 2).

    A step embedding is added to the output of each of the first three linear layers, before its ReLU.
    embedding='learned' is the reference: three nn.Embedding(T, h) tables. embedding='sinusoidal'
    projects fixed sinusoidal features of t through three Linear(h, h) instead. With c_in (a tensor of
    shape (T,), see input_scale) the network sees c_in[t] * x_t instead of x_t.
    t may be one step per point or a single step for all of them (cheaper: one embedding row).
    d: the data's dimension (lesson 17's digits have 64). predicts: what its output is (lesson 14; eps unless trained
    for another target), recorded in its checkpoint and read by every sampler. Defined in lesson 05 (model).
    """

    def __init__(self, T=100, hidden=128, embedding="learned", c_in=None, d=2, predicts="eps"):
        T = check_int("T", T, 1)
        # Anything but a flow's velocity, which takes flow time, not steps.
        _target_name("predicts", predicts, PREDICTS[:-1])
        check_int("hidden", hidden, 1)
        if embedding not in EMBEDDINGS:
            raise ValueError(f"embedding must be one of {list(EMBEDDINGS)}, got {embedding!r}")
        if embedding == "sinusoidal" and hidden % 2:
            raise ValueError(f"hidden must be even for a sinusoidal embedding, got {hidden}")
        super().__init__(hidden, d)
        self.T, self.embedding, self.predicts = T, embedding, predicts
        if embedding == "learned":
            self.step_embeddings = nn.ModuleList([nn.Embedding(T, hidden) for _ in range(3)])
        else:
            self.step_embeddings = nn.ModuleList([nn.Linear(hidden, hidden) for _ in range(3)])
        if c_in is not None:
            if not isinstance(c_in, torch.Tensor) or c_in.shape != (T,):
                raise ValueError(f"c_in must be a tensor of shape ({T},), got {getattr(c_in, 'shape', c_in)!r}")
            self.register_buffer("c_in", c_in.detach().float().clone())
        else:
            self.c_in = None

    def config(self):
        """What a checkpoint must match: T, hidden, embedding, whether inputs are scaled, d unless it is 2 and what the
        network predicts unless eps (so that files saved before lessons 17 and 14 keep their checksums)."""
        config = {"T": self.T, "hidden": self.hidden, "embedding": self.embedding, "scaled_input": self.c_in is not None,
                  "d": self.d, "predicts": self.predicts}
        return {k: v for k, v in config.items() if k not in UNWRITTEN or v != UNWRITTEN[k]}

    def forward(self, xt, t):
        return self._forward(xt, t)

    def _forward(self, xt, t, extra=None):
        """The MLP; extra, if given, holds one more term per layer to add beside the step embedding."""
        xt = check_points("xt", xt, self.d)
        weight = self.out.weight
        if xt.device != weight.device:
            raise ValueError(f"xt is on {xt.device} but the network is on {weight.device}: move one of them (.to(device))")
        # A learner's float64 (or NumPy) points are computed in the network's dtype and handed back in their own.
        dtype, xt = xt.dtype, xt.to(weight.dtype)
        t = check_steps("t", t, self.T, device=xt.device)
        if t.ndim == 1 and t.shape[0] != xt.shape[0]:
            raise ValueError(f"t must have one step per point ({xt.shape[0]}), got {t.shape[0]}")
        h = xt if self.c_in is None else xt * self.c_in[t].reshape(-1, 1)
        if self.embedding == "sinusoidal":
            features = sinusoidal_embedding(t.reshape(-1), self.hidden)
        embeddings = [embed(t) if self.embedding == "learned" else embed(features) for embed in self.step_embeddings]
        if extra is not None:
            embeddings = [e + more for e, more in zip(embeddings, extra)]
        return self._mlp(h, embeddings).to(dtype)


class ConditionalNoisePredictor(NoisePredictor):
    """eps_theta(x_t, t, c): the course's MLP with a learned label embedding added beside the step embedding.

    Labels are 0 .. n_labels - 1; c=None (or the label n_labels) is "no label", the null label of classifier-free
    guidance (Ho & Salimans 2022), so one network gives both eps(x_t, t, c) and eps(x_t, t). c is an int, None or one
    label per point. Defined in lesson 11 (guidance).
    """

    def __init__(self, T=100, n_labels=3, hidden=128, c_in=None, d=2, embedding="learned", predicts="eps"):
        super().__init__(T, hidden, embedding, c_in, d, predicts)
        self.n_labels = check_int("n_labels", n_labels, 1)
        self.label_embeddings = nn.ModuleList([nn.Embedding(n_labels + 1, hidden) for _ in range(3)])

    def config(self):
        return {**super().config(), "n_labels": self.n_labels}

    def forward(self, xt, t, c=None):
        c = self.n_labels if c is None else c
        if isinstance(c, bool) or not isinstance(c, (int, torch.Tensor, np.ndarray, np.integer, list, tuple)):
            raise TypeError(f"c must be None, an int label or integer labels, got {type(c).__name__} {c!r}")
        try:
            c = torch.as_tensor(c)
        except (TypeError, ValueError, RuntimeError) as error:
            raise TypeError(f"c must be None, an int label or integer labels, got {c!r}") from error
        if c.is_floating_point() or c.is_complex() or c.dtype == torch.bool or c.ndim > 1 or c.numel() < 1 \
                or c.min() < 0 or c.max() > self.n_labels:
            raise ValueError(f"c must be None or integer labels in [0, {self.n_labels}], got {c.tolist()}")
        n = len(xt) if getattr(xt, "ndim", 0) else 1
        if c.ndim == 1 and c.shape[0] not in (1, n):
            raise ValueError(f"c must be one label or one label per point ({n}), got {c.shape[0]} labels")
        c = c.long().to(self.out.weight.device)
        return self._forward(xt, t, [embed(c) for embed in self.label_embeddings])
