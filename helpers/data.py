"""The S-curve data set."""

import numpy as np
import torch
from sklearn.datasets import make_s_curve

from ._checks import check_float, check_int

SCALE = 10.0


def s_curve(n=10_000, noise=0.1, seed=0, device="cpu"):
    """n points of scikit-learn's S-curve in the x-z plane, divided by 10, as a float32 tensor (n, 2).

    The reference recipe: make_s_curve(n, noise), keep columns 0 and 2, divide by 10.
    Defined in lesson 01 (data).
    """
    n = check_int("n", n, 1)
    noise = check_float("noise", noise, 0.0, float("inf"), low_open=False)
    seed = check_int("seed", seed, 0, 2**32)
    points, _ = make_s_curve(n, noise=noise, random_state=np.random.RandomState(seed))
    x0 = points[:, [0, 2]] / SCALE
    return torch.as_tensor(x0, dtype=torch.float32, device=device)
