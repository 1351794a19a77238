import pytest
import torch

import helpers
from conftest import SCH

# The lessons whose tests these are (`python3 course.py test --lesson NN`, tests/conftest.py).
LESSONS = ("05",)



@pytest.mark.parametrize("embedding", ["learned", "sinusoidal"])
def test_output_shape_per_point_and_shared_step(embedding):
    model = helpers.NoisePredictor(100, 32, embedding=embedding)
    x = helpers.s_curve(7)
    assert model(x, torch.arange(7)).shape == (7, 2)
    shared = model(x, torch.tensor(5))
    torch.testing.assert_close(shared, model(x, torch.full((7,), 5)))


def test_parameter_count_of_the_reference():
    assert sum(p.numel() for p in helpers.NoisePredictor(100, 128).parameters()) == 72_066


def test_sinusoidal_parameter_count_does_not_depend_on_T():
    count = lambda T: sum(p.numel() for p in helpers.NoisePredictor(T, 16, embedding="sinusoidal").parameters())
    assert count(10) == count(1000)


def test_model_uses_the_step():
    model = helpers.NoisePredictor(100, 32)
    x = helpers.s_curve(5)
    assert not torch.allclose(model(x, 0), model(x, 99))


def test_input_scaling_applies_c_in():
    c_in = helpers.input_scale(SCH, 0.1)
    scaled = helpers.NoisePredictor(100, 32, c_in=c_in)
    plain = helpers.NoisePredictor(100, 32)
    plain.load_state_dict({k: v for k, v in scaled.state_dict().items() if k != "c_in"})
    x = helpers.s_curve(5)
    torch.testing.assert_close(scaled(x, 40), plain(x * c_in[40], 40))
    torch.testing.assert_close(c_in, 1 / (SCH.alpha_bar * 0.01 + 1 - SCH.alpha_bar).sqrt())


def test_model_moves_to_device(device):
    model = helpers.NoisePredictor(100, 16, c_in=helpers.input_scale(SCH, 0.1)).to(device)
    x = helpers.s_curve(3, device=device)
    out = model(x, torch.tensor([1, 2, 3], device=device))
    assert out.device == x.device and out.shape == (3, 2)


def test_sinusoidal_embedding_values():
    e = helpers.sinusoidal_embedding(torch.tensor([0, 3]), 4)
    torch.testing.assert_close(e[0], torch.tensor([0.0, 0.0, 1.0, 1.0]))
    torch.testing.assert_close(e[1], torch.tensor([torch.sin(torch.tensor(3.0)), torch.sin(torch.tensor(0.03)), torch.cos(torch.tensor(3.0)), torch.cos(torch.tensor(0.03))]))


def test_bad_model_input():
    model = helpers.NoisePredictor(100, 16)
    x = helpers.s_curve(3)
    with pytest.raises(ValueError, match=r"t must be in \[0, 100\), got 100"):
        model(x, 100)
    with pytest.raises(ValueError, match=r"t must have one step per point \(3\), got 2"):
        model(x, torch.tensor([1, 2]))
    with pytest.raises(ValueError, match=r"xt must have shape \(N, 2\)"):
        model(torch.zeros(3, 3), 1)
    with pytest.raises(ValueError, match="embedding must be one of"):
        helpers.NoisePredictor(100, 16, embedding="rotary")
    with pytest.raises(ValueError, match="hidden must be even"):
        helpers.NoisePredictor(100, 15, embedding="sinusoidal")
    with pytest.raises(ValueError, match=r"T must be in >= 1, got 0"):
        helpers.NoisePredictor(0)
    with pytest.raises(ValueError, match=r"c_in must be a tensor of shape \(100,\)"):
        helpers.NoisePredictor(100, c_in=torch.ones(10))
    with pytest.raises(ValueError, match=r"data_std must be in \(0.0, inf\), got -1"):
        helpers.input_scale(SCH, -1)
    with pytest.raises(ValueError, match="dim must be even, got 5"):
        helpers.sinusoidal_embedding(torch.tensor([1]), 5)
