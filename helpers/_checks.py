"""Argument checks shared by the helpers: each error names the argument, what it got and what is allowed.

They run where a learner calls in (the public helpers). Loops call unchecked cores instead, except for the input check
of a network or an oracle, which a learner also calls directly. What a learner naturally passes is accepted: a 0-d
tensor or a NumPy scalar where a number is expected, a NumPy array where points are.
"""

import math
import numbers

import numpy as np
import torch


def to_number(value):
    """A 0-d tensor or a 0-d NumPy array as the Python number it holds; anything else unchanged."""
    if isinstance(value, (torch.Tensor, np.ndarray)) and value.ndim == 0:
        return value.item()
    return value


def check_int(name, value, low, high=None):
    """Check an integer in [low, high) (high=None: no upper bound) and return it."""
    value = to_number(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < low or (high is not None and value >= high):
        allowed = f"[{low}, {high})" if high is not None else f">= {low}"
        raise ValueError(f"{name} must be in {allowed}, got {value}")
    return int(value)


def check_float(name, value, low, high, low_open=True, high_open=True):
    """Check a finite real number inside an interval and return it as float."""
    value = to_number(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if not math.isfinite(value) or too_low or too_high:
        interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise ValueError(f"{name} must be in {interval}, got {value}")
    return value


def count_nonfinite(tensors):
    """How many NaN or infinite entries the floating-point tensors hold (weights, buffers, a state dict's values)."""
    return sum(int((~torch.isfinite(t)).sum()) for t in tensors if t.is_floating_point())


def check_loss(loss, x0):
    """A finite loss, or an error saying it is not and how large the data are."""
    if not torch.isfinite(loss):
        raise FloatingPointError(f"the loss is {loss.item()}: the model's prediction overflowed or is not finite (the "
                                 f"largest |x0| is {x0.abs().max().item():.3g}; the S-curve lies within 0.2)")
    return loss


def check_finite(name, x):
    """Raise if the tensor x holds NaN or infinite entries, counting them."""
    if not torch.isfinite(x).all():
        bad = int((~torch.isfinite(x)).sum())
        raise ValueError(f"{name} must be finite, got {bad} NaN or infinite entries")
    return x


def check_points(name, x, d=2):
    """Check finite points, shape (N, d) with N >= 1: a float tensor, or a NumPy array turned into one.

    d = 2 (the S-curve) unless said otherwise; d = None takes any number of coordinates (lesson 17's 64 pixels).
    """
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(np.ascontiguousarray(x))
    shape = f"(N, {'d' if d is None else d})"
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape {shape}, got {type(x).__name__}")
    if x.ndim != 2 or (d is not None and x.shape[1] != d) or x.shape[0] < 1 or x.shape[1] < 1:
        raise ValueError(f"{name} must have shape {shape} with N >= 1, got {tuple(x.shape)}")
    return _float_values(name, x)


def _float_values(name, x):
    """x itself if it holds finite float32 or float64 numbers."""
    if x.dtype not in (torch.float32, torch.float64):
        raise TypeError(f"{name} must hold float32 or float64 numbers, got dtype {x.dtype}")
    return check_finite(name, x)


def check_eps_fn(eps_fn, x, target):
    """A sampler's function and start: eps_fn(x, k) callable, x points, target what eps_fn predicts. Returns x."""
    if not callable(eps_fn):
        raise TypeError(f"eps_fn must be a function eps_fn(x, k), got {type(eps_fn).__name__}")
    x = check_points("x", x, d=None)
    if target not in ("eps", "x0", "v"):
        raise ValueError(f"target must be one of ['eps', 'x0', 'v'], got {target!r:.80}")
    return x


def check_like(name, x, like, like_name):
    """Check that x is a finite tensor (or a NumPy array, turned into one) with the shape of like (named like_name)."""
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(np.ascontiguousarray(x))
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a tensor shaped like {like_name} {tuple(like.shape)}, got {type(x).__name__}")
    if x.shape != like.shape:
        raise ValueError(f"{name} must have the shape of {like_name} {tuple(like.shape)}, got {tuple(x.shape)}")
    return _float_values(name, x)


def check_steps(name, t, T, n=None, device=None):
    """Turn t (an int or an integer tensor) into a long tensor of time steps in [0, T).

    With n given, an int or a 0-d tensor is broadcast to n steps and a 1-d tensor must have n entries.
    """
    if isinstance(t, np.ndarray):
        t = torch.from_numpy(np.ascontiguousarray(t))
    elif isinstance(t, (list, tuple)):
        try:
            # An empty sequence would become a float tensor, and be blamed on its dtype.
            t = torch.tensor(t, dtype=torch.long if len(t) == 0 else None)
        except (TypeError, ValueError, RuntimeError) as error:
            raise TypeError(f"{name} must hold integer time steps, got {t!r:.80}") from error
    if isinstance(t, torch.Tensor):
        if t.is_floating_point() or t.is_complex() or t.dtype == torch.bool:
            raise TypeError(f"{name} must hold integer time steps, got dtype {t.dtype}")
        if t.ndim > 1:
            raise ValueError(f"{name} must be 0-d or 1-d, got shape {tuple(t.shape)}")
        steps = t.long()
    else:
        steps = torch.tensor(check_int(name, t, 0, T), dtype=torch.long)
    if steps.numel() and (steps.min() < 0 or steps.max() >= T):
        raise ValueError(
            f"{name} must be in [0, T) = [0, {T}), got values from {int(steps.min())} to {int(steps.max())}"
        )
    if device is not None:
        steps = steps.to(device)
    if n is not None:
        if steps.ndim == 0:
            steps = steps.expand(n)
        elif steps.shape[0] != n:
            raise ValueError(f"{name} must have one step per point ({n}), got {steps.shape[0]}")
    return steps


def check_full_precision(name):
    """Refuse to compute a likelihood under torch.autocast: its network calls would round their products to bfloat16
    or float16, a bias summed over every step and coordinate (+0.0006 bits/dim on lesson 17's digits, the same sign on
    ten seeds: lesson 22)."""
    for device in ("cpu", "cuda"):
        if torch.is_autocast_enabled(device):
            raise RuntimeError(f"{name} was called inside torch.autocast({device!r}): a likelihood sums a network "
                               "call's rounding over every step and coordinate. Compute it outside the autocast block")


def check_generator(generator, name="generator"):
    """None or a CPU torch.Generator: the helpers draw all their noise on the CPU, so one seed gives the same
    numbers on every device."""
    if generator is None:
        return None
    if not isinstance(generator, torch.Generator):
        raise TypeError(
            f"{name} must be None or a torch.Generator, e.g. torch.Generator().manual_seed(42); got "
            f"{type(generator).__name__} {generator!r}"
        )
    if generator.device.type != "cpu":
        raise ValueError(f"{name} must be a CPU generator (the helpers draw noise on the CPU), got one on {generator.device}")
    return generator


def check_device(device, name="device"):
    """A device name or torch.device that exists on this machine (None: the CPU), as a torch.device."""
    try:
        device = torch.device("cpu" if device is None else device)
    except (TypeError, RuntimeError) as error:
        raise ValueError(f"{name} must be a device such as 'cpu', 'cuda' or 'mps', got {device!r}") from error
    available = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available()}
    if not available.get(device.type, True):
        raise ValueError(f"{name} {str(device)!r} is not available on this machine; helpers.default_device() picks the "
                         "fastest one there is")
    return device


def check_weights(model, name="model"):
    """Refuse a network whose weights hold NaN or infinite values (a diverged training run), counting them."""
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module (a network or an oracle), got {type(model).__name__}; a plain "
                        "function can be integrated with helpers.solve")
    bad = count_nonfinite([*model.parameters(), *model.buffers()])
    if bad:
        raise ValueError(
            f"{name}'s weights hold {bad} NaN or infinite values: the training run that made them diverged. "
            "Train again with a lower learning rate, or load a saved checkpoint"
        )
    return model


def check_times(s, n, device=None):
    """Flow time s (a float or a 1-d tensor of n floats) in [0, 1], as a float64 tensor of shape (n, 1) (lesson 12)."""
    s = check_unit("s", s)
    if s.ndim > 1 or (s.ndim == 1 and s.shape[0] != n):
        raise ValueError(f"s must be a float or one time per point ({n}), got shape {tuple(s.shape)}")
    return s.expand(n).reshape(n, 1).to(device)


def as_float64(name, value):
    """A number, a sequence or a tensor of real numbers as a float64 tensor."""
    if isinstance(value, (str, bool)) or (isinstance(value, torch.Tensor) and (value.is_complex() or value.dtype == torch.bool)):
        raise TypeError(f"{name} must be a real number or a tensor of them, got {value!r:.80}")
    try:
        return torch.as_tensor(value, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError) as error:
        raise TypeError(f"{name} must be a real number or a tensor of them, got {value!r:.80}") from error


def check_unit(name, value):
    """value (a number or a tensor) as float64, every entry in [0, 1]."""
    value = as_float64(name, value)
    if not torch.isfinite(value).all() or value.min() < 0 or value.max() > 1:
        raise ValueError(f"{name} must be in [0, 1], got values from {value.min().item()} to {value.max().item()}")
    return value


def check_tokens(name, x, n_states, d=None):
    """Integer tokens 0 .. n_states - 1, shape (N, d) with N >= 1 (d=None: any length), as a long tensor (lesson 19)."""
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(np.ascontiguousarray(x))
    shape = f"(N, {'d' if d is None else d})"
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of integer tokens, shape {shape}, got {type(x).__name__}")
    if x.is_floating_point() or x.is_complex() or x.dtype == torch.bool:
        raise TypeError(f"{name} must hold integer tokens, got dtype {x.dtype}: the digits' pixels as tokens are "
                        "helpers.to_levels(x), 0 .. 16")
    if x.ndim != 2 or (d is not None and x.shape[1] != d) or x.shape[0] < 1 or x.shape[1] < 1:
        raise ValueError(f"{name} must have shape {shape} with N >= 1, got {tuple(x.shape)}")
    if x.min() < 0 or x.max() >= n_states:
        raise ValueError(f"{name} must hold tokens 0 .. {n_states - 1}, got values from {int(x.min())} to {int(x.max())}")
    return x.long()
