"""Argument checks shared by the helpers: each error names the argument, what it got and what is allowed."""

import math
import numbers

import torch


def check_int(name, value, low, high=None):
    """Check an integer in [low, high) (high=None: no upper bound) and return it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < low or (high is not None and value >= high):
        allowed = f"[{low}, {high})" if high is not None else f">= {low}"
        raise ValueError(f"{name} must be in {allowed}, got {value}")
    return int(value)


def check_float(name, value, low, high, low_open=True, high_open=True):
    """Check a finite real number inside an interval and return it as float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if not math.isfinite(value) or too_low or too_high:
        interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise ValueError(f"{name} must be in {interval}, got {value}")
    return value


def check_points(name, x):
    """Check a finite float tensor of 2-D points, shape (N, 2) with N >= 1."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape (N, 2), got {type(x).__name__}")
    if x.ndim != 2 or x.shape[1] != 2 or x.shape[0] < 1:
        raise ValueError(f"{name} must have shape (N, 2) with N >= 1, got {tuple(x.shape)}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
    if not torch.isfinite(x).all():
        bad = int((~torch.isfinite(x)).sum())
        raise ValueError(f"{name} must be finite, got {bad} NaN or infinite entries")
    return x


def check_steps(name, t, T, n=None, device=None):
    """Turn t (an int or an integer tensor) into a long tensor of time steps in [0, T).

    With n given, an int or a 0-d tensor is broadcast to n steps and a 1-d tensor must have n entries.
    """
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
