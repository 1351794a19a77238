"""What the network predicts (lesson 14): one quantity under five names, and the maps between them.

Given x_t = a x_0 + b eps with a = sqrt(alpha_bar) and b = sqrt(1 - alpha_bar), each target is
    y = A eps + B x_t,
with (A, B) depending only on alpha_bar:
    eps                                  A = 1,                B = 0
    x0        = (x_t - b eps) / a        A = -b / a,           B = 1 / a
    v         = a eps - b x_0            A = 1 / a,            B = -b / a          (Salimans & Ho 2022, §4)
    score     = -eps / b                 A = -1 / b,           B = 0               (Vincent 2011; Song et al. 2021)
    velocity  = eps - x_0                A = (a + b) / a,      B = -1 / a          (lesson 12's flow, Esser et al. 2024)
The velocity lives on the flow's state x_s = (1 - s) x_0 + s eps at s = flow_time(alpha_bar) = b / (a + b): x_s = x_t / (a + b)
is the same point rescaled (helpers/process/flows.py).

Because the maps are affine in eps with the same x_t, conditional expectations commute with them: the optimum of each
target is the same map of eps* = E[eps | x_t], and its error is A (eps - eps*). So the irreducible loss of target y at
step t is A^2 times eps's: the factors of floor_factor, functions of the SNR a^2 / b^2 alone.
"""

import torch
from torch import nn

from .._checks import check_float, check_like, check_points
from .schedules import check_model_schedule

TARGETS = ("eps", "x0", "v", "score", "velocity")
# What a network records it predicts (its .predicts, saved in its checkpoint): a target, "edm" for the raw network inside
# helpers.Preconditioned (neither eps nor x0), or "flow" for lesson 12's velocity in flow time (another input).
PREDICTS = TARGETS + ("edm", "flow")
WAYS = {"edm": "it is the raw network inside EDM's preconditioning: wrap it, helpers.Preconditioned(model, schedule, "
               "data_std) (lesson 14)",
        "flow": "it is a velocity network in flow time: sample it with helpers.flow_sample (lesson 12)"}


def _target_name(name, value, allowed=TARGETS):
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {list(allowed)}, got {value!r:.80}")
    return value


def read_as(model, target, readable, reader, default="eps"):
    """What `reader` reads model's output as: what model records (its .predicts, kept in its checkpoint), else target,
    else default (a function records nothing). A target that contradicts the record, and a record that `reader`
    cannot read (readable), are refused with the way to read it. Defined in lesson 14."""
    recorded = getattr(model, "predicts", None)
    if target is not None:
        target = _target_name("target", target, PREDICTS)
        if recorded is not None and target != recorded:
            raise ValueError(f"target={target!r}, but the model predicts {recorded!r} (it records so, and so does its "
                             "checkpoint): leave target out")
    chosen = target or recorded or default
    if chosen not in readable:
        way = WAYS.get(chosen, "read it as eps with helpers.AsEps(model, schedule) (lesson 14)")
        raise ValueError(f"{reader} reads a network that predicts {' or '.join(readable)}, and this one predicts "
                         f"{chosen!r}: {way}")
    return chosen


def _alpha_bar(alpha_bar, n, device, closed=False):
    """alpha_bar (a number, a 0-d tensor or one per point) as float64 of shape (n, 1), every entry in (0, 1) ([0, 1]
    with closed)."""
    if isinstance(alpha_bar, (str, bool)) or (isinstance(alpha_bar, torch.Tensor) and alpha_bar.dtype == torch.bool):
        raise TypeError(f"alpha_bar must be a real number or a tensor of them, got {alpha_bar!r:.80}")
    try:
        alpha_bar = torch.as_tensor(alpha_bar, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError) as error:
        raise TypeError(f"alpha_bar must be a real number or a tensor of them, got {alpha_bar!r:.80}") from error
    # The ends are excluded: at alpha_bar = 1 the score's scale 1 / b is infinite, at 0 x0's 1 / a.
    inside = (alpha_bar.min() >= 0 and alpha_bar.max() <= 1) if closed else (alpha_bar.min() > 0 and alpha_bar.max() < 1)
    if not torch.isfinite(alpha_bar).all() or alpha_bar.numel() == 0 or not inside:
        raise ValueError(f"alpha_bar must be in {'[0, 1]' if closed else '(0, 1)'}, got {alpha_bar.flatten()[:4].tolist()}")
    if alpha_bar.ndim == 2 and alpha_bar.shape[1] == 1:
        alpha_bar = alpha_bar.squeeze(1)
    if alpha_bar.ndim > 1 or (alpha_bar.ndim == 1 and alpha_bar.shape[0] not in (1, n)):
        raise ValueError(f"alpha_bar must be a number or one per point ({n}), got shape {tuple(alpha_bar.shape)}")
    return alpha_bar.reshape(-1, 1).expand(n, 1).to(device)


def coefficients(alpha_bar, target):
    """(A, B) with target = A eps + B x_t at alpha_bar, as float64 tensors shaped like alpha_bar.

    Salimans & Ho (2022, §4) for v; Vincent (2011) and Song et al. (2021) for the score; lesson 12 for the velocity.
    Defined in lesson 14 (what the network predicts).
    """
    target = _target_name("target", target)
    alpha_bar = torch.as_tensor(alpha_bar, dtype=torch.float64)
    a, b = alpha_bar.sqrt(), (1 - alpha_bar).sqrt()
    table = {
        "eps": (torch.ones_like(a), torch.zeros_like(a)),
        "x0": (-b / a, 1 / a),
        "v": (1 / a, -b / a),
        "score": (-1 / b, torch.zeros_like(a)),
        "velocity": ((a + b) / a, -1 / a),
    }
    return table[target]


def convert(prediction, x_t, alpha_bar, source, target):
    """The prediction of source (one of TARGETS) at x_t, rewritten as target: solve y_s = A_s eps + B_s x_t for eps,
    then form A_t eps + B_t x_t. Exact for the optima (E[. | x_t] is linear), and the network's own reading for a
    trained one. alpha_bar: a number in (0, 1) or one per point. Computes in float64, returns prediction's dtype.

    v follows Salimans & Ho (2022, §4): v = sqrt(alpha_bar) eps - sqrt(1 - alpha_bar) x_0; the score is
    -eps / sqrt(1 - alpha_bar); the velocity is lesson 12's eps - x_0, evaluated on the flow state of to_flow.
    Defined in lesson 14 (what the network predicts).
    """
    x_t = check_points("x_t", x_t, d=None)
    prediction = check_points("prediction", prediction, d=None)
    if prediction.shape != x_t.shape:
        raise ValueError(f"prediction must have the shape of x_t {tuple(x_t.shape)}, got {tuple(prediction.shape)}")
    source, target = _target_name("source", source), _target_name("target", target)
    alpha_bar = _alpha_bar(alpha_bar, x_t.shape[0], x_t.device)
    xd, yd = x_t.double(), prediction.double()
    a_s, b_s = coefficients(alpha_bar, source)
    a_t, b_t = coefficients(alpha_bar, target)
    eps = (yd - b_s * xd) / a_s
    return (a_t * eps + b_t * xd).to(prediction.dtype)


def floor_factor(alpha_bar, target):
    """The irreducible loss of target at alpha_bar over eps's: A^2, a function of SNR = alpha_bar / (1 - alpha_bar):
    eps 1, x0 1 / SNR, v 1 + 1 / SNR = 1 / alpha_bar, score 1 + SNR = 1 / (1 - alpha_bar), velocity
    (1 + 1 / sqrt(SNR))^2. Dividing a target's loss by its factor gives the eps loss: the same objective under another
    per-step weighting (cf. Kingma et al. 2021, Variational Diffusion Models). Defined in lesson 14 (what the network predicts).
    """
    target = _target_name("target", target)
    alpha_bar = torch.as_tensor(alpha_bar, dtype=torch.float64)
    if not torch.isfinite(alpha_bar).all() or alpha_bar.numel() == 0 or alpha_bar.min() <= 0 or alpha_bar.max() >= 1:
        raise ValueError(f"alpha_bar must be in (0, 1), got {alpha_bar.flatten()[:4].tolist()}")
    return coefficients(alpha_bar, target)[0] ** 2


def to_flow(x_t, alpha_bar):
    """(x_s, s): the flow state of lesson 12 holding the same point as x_t, x_s = x_t / (sqrt(alpha_bar) +
    sqrt(1 - alpha_bar)) at s = flow_time(alpha_bar) = sqrt(1 - alpha_bar) / (sqrt(alpha_bar) + sqrt(1 - alpha_bar)).
    s has shape (N,), float64. Defined in lesson 14 (what the network predicts).
    """
    x_t = check_points("x_t", x_t, d=None)
    alpha_bar = _alpha_bar(alpha_bar, x_t.shape[0], x_t.device)
    a, b = alpha_bar.sqrt(), (1 - alpha_bar).sqrt()
    return (x_t.double() / (a + b)).to(x_t.dtype), (b / (a + b)).squeeze(1)


def target_of(x0, eps, alpha_bar, target):
    """The regression target that training on target needs, from the clean point x0 and the noise eps of
    x_t = sqrt(alpha_bar) x0 + sqrt(1 - alpha_bar) eps: eps, x0, or v = sqrt(alpha_bar) eps - sqrt(1 - alpha_bar) x0
    (Salimans & Ho 2022, §4). Written in (x0, eps), not (eps, x_t), so that it holds at alpha_bar = 0, where x_t = eps
    and v = -x0 (Lin et al. 2024). alpha_bar: a number in [0, 1] or one per point. Defined in lesson 14."""
    x0 = check_points("x0", x0, d=None)
    eps = check_like("eps", eps, x0, "x0")
    if target not in ("eps", "x0", "v"):
        raise ValueError(f"target must be one of ['eps', 'x0', 'v'], got {target!r:.80}")
    alpha_bar = _alpha_bar(alpha_bar, x0.shape[0], x0.device, closed=True).to(x0.dtype)
    return _target_of(x0, eps, alpha_bar, target)


def _target_of(x0, eps, alpha_bar, target):
    """target_of on checked inputs, alpha_bar of shape (N, 1): the training loop's every step."""
    if target == "eps":
        return eps
    if target == "x0":
        return x0
    return alpha_bar.sqrt() * eps - (1 - alpha_bar).sqrt() * x0


def x0_and_eps(prediction, x_t, alpha_bar, target):
    """(x0_hat, eps_hat): the clean point and the noise a prediction of target (eps, x0 or v) implies at x_t, as
    float64. From v: x0 = sqrt(alpha_bar) x_t - sqrt(1 - alpha_bar) v and eps = sqrt(1 - alpha_bar) x_t +
    sqrt(alpha_bar) v, which hold at alpha_bar = 0 too: there eps is x_t itself and only x0 comes from the network,
    so an eps-network has nothing to say (Lin et al. 2024, §3.2). alpha_bar: a number in [0, 1]. Defined in lesson 14."""
    x_t = check_points("x_t", x_t, d=None)
    prediction = check_like("prediction", prediction, x_t, "x_t")
    alpha_bar = check_float("alpha_bar", alpha_bar, 0.0, 1.0, low_open=False, high_open=False)
    x, y = x_t.double(), prediction.double()
    a, b = alpha_bar**0.5, (1 - alpha_bar) ** 0.5
    if target == "v":
        return a * x - b * y, b * x + a * y
    if target == "x0":
        if b == 0:
            raise ValueError("at alpha_bar = 1 an x0 prediction does not determine eps")
        return y, (x - a * y) / b
    if target == "eps":
        if a == 0:
            raise ValueError("at alpha_bar = 0 an eps prediction says nothing about x0: x_t is eps itself. Train on v or "
                             "x0 to sample from a schedule that ends in pure noise (Lin et al. 2024)")
        return (x - b * y) / a, y
    raise ValueError(f"target must be one of ['eps', 'x0', 'v'], got {target!r:.80}")


class AsEps(nn.Module):
    """A network that predicts target (x0, v, score or velocity; by default what it records) read as an eps-predictor,
    eps(x_t, t), through convert: so every sampler and likelihood of lessons 07-13 runs it unchanged.
    Defined in lesson 14 (what the network predicts)."""

    predicts = "eps"

    def __init__(self, model, schedule, target=None):
        super().__init__()
        schedule = check_model_schedule(model, schedule)
        if target == "edm":
            raise ValueError("a network trained with target='edm' predicts x0 (EDM's denoiser): pass target='x0' "
                             "(TrainConfig.predicts says so)")
        self.model, self.target, self.T = model, read_as(model, target, TARGETS, "helpers.AsEps"), schedule.T
        self.d = getattr(model, "d", None)
        self.register_buffer("alpha_bar", schedule.alpha_bar.double().clone())

    def forward(self, x_t, t):
        x_t = check_points("x_t", x_t, self.d)
        t = torch.as_tensor(t, device=self.alpha_bar.device)
        prediction = self.model(x_t, t)
        alpha_bar = self.alpha_bar[t].expand(x_t.shape[0])
        # At alpha_bar = 0 (zero terminal SNR) x_t is the noise itself, whatever the network says about x_0.
        noise = alpha_bar == 0
        if not noise.any():
            return convert(prediction, x_t, alpha_bar, self.target, "eps")
        eps = x_t.clone()
        if not noise.all():
            eps[~noise] = convert(prediction[~noise], x_t[~noise], alpha_bar[~noise], self.target, "eps")
        return eps
