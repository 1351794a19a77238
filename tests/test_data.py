import numpy as np
import pytest
import torch
from sklearn.datasets import make_s_curve

import helpers

# The lessons whose tests these are (`python3 course.py test --lesson NN`, tests/conftest.py).
LESSONS = ("01",)


def test_s_curve_is_the_reference_recipe():
    points, _ = make_s_curve(500, noise=0.1, random_state=3)
    x0 = helpers.s_curve(500, noise=0.1, seed=3)
    assert x0.dtype == torch.float32 and x0.shape == (500, 2)
    np.testing.assert_allclose(x0.numpy(), points[:, [0, 2]] / 10, rtol=1e-6)


def test_s_curve_statistics():
    x0 = helpers.s_curve(10_000)
    np.testing.assert_allclose(x0.std(dim=0).numpy(), [0.071, 0.139], atol=0.003)


def test_s_curve_seeds_differ_and_repeat():
    assert torch.equal(helpers.s_curve(100, seed=1), helpers.s_curve(100, seed=1))
    assert not torch.equal(helpers.s_curve(100, seed=1), helpers.s_curve(100, seed=2))


def test_s_curve_follows_device_argument():
    assert helpers.s_curve(10, device="meta").device.type == "meta"


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"n": 0}, ValueError, ["n", "0"]),
        ({"n": 2.5}, TypeError, ["n", "int", "2.5"]),
        ({"noise": -0.1}, ValueError, ["noise", "-0.1"]),
        ({"noise": float("nan")}, ValueError, ["noise", "nan"]),
        ({"seed": -1}, ValueError, ["seed", "-1"]),
    ],
)
def test_s_curve_bad_input(kwargs, error, words):
    with pytest.raises(error) as info:
        helpers.s_curve(**kwargs)
    for word in words:
        assert word in str(info.value)


def test_default_device_is_usable():
    device = helpers.default_device()
    assert torch.zeros(1, device=device).device.type == device.type
    if not torch.cuda.is_available() and not torch.backends.mps.is_available():
        assert device.type == "cpu"
