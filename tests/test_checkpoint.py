import pickle

import pytest
import torch

import helpers
from conftest import SCH

# The lessons whose tests these are (`python3 course.py test --lesson NN`, tests/conftest.py).
LESSONS = ("06", "08")



def test_round_trip(tmp_path):
    model = helpers.NoisePredictor(100, 16, c_in=helpers.input_scale(SCH, 0.1))
    helpers.save_weights(model, tmp_path / "w.pt")
    other = helpers.NoisePredictor(100, 16, c_in=torch.ones(100))
    helpers.load_weights(other, tmp_path / "w.pt")
    for (k, a), b in zip(model.state_dict().items(), other.state_dict().values()):
        assert torch.equal(a, b), k


@pytest.mark.parametrize(
    "other, words",
    [
        (dict(T=50, hidden=16), ["T: file has 100, model has 50"]),
        (dict(T=100, hidden=32), ["hidden: file has 16, model has 32"]),
        (dict(T=100, hidden=16, embedding="sinusoidal"), ["embedding: file has 'learned', model has 'sinusoidal'"]),
        (dict(T=100, hidden=16, c_in=torch.ones(100)), ["scaled_input: file has False, model has True"]),
    ],
)
def test_wrong_network_is_refused_clearly(tmp_path, other, words):
    helpers.save_weights(helpers.NoisePredictor(100, 16), tmp_path / "w.pt")
    with pytest.raises(ValueError, match="was made for a different network") as info:
        helpers.load_weights(helpers.NoisePredictor(**other), tmp_path / "w.pt")
    for word in words:
        assert word in str(info.value)


class Payload:
    def __reduce__(self):
        return (print, ("this ran code",))


def test_pickled_code_is_refused(tmp_path, capsys):
    path = tmp_path / "evil.pt"
    with open(path, "wb") as f:
        pickle.dump({"format": helpers.networks.checkpoint.FORMAT, "payload": Payload()}, f, protocol=2)
    with pytest.raises(ValueError, match="not a weights file this course can load safely"):
        helpers.load_weights(helpers.NoisePredictor(100, 16), path)
    assert "this ran code" not in capsys.readouterr().out


def test_wrong_files(tmp_path):
    model = helpers.NoisePredictor(100, 16)
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        helpers.load_weights(model, tmp_path / "missing.pt")
    torch.save({"weights": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="is not a scurve-diffusion/weights-v2 file"):
        helpers.load_weights(model, tmp_path / "other.pt")
    with pytest.raises(TypeError, match="model must be a helpers.NoisePredictor, VelocityPredictor, TokenPredictor, TokenTransformer, UNet, DiT or Autoencoder, got Linear"):
        helpers.save_weights(torch.nn.Linear(2, 2), tmp_path / "x.pt")


@pytest.mark.parametrize("make", [
    lambda: helpers.NoisePredictor(100, 16, c_in=helpers.input_scale(SCH, 0.1)),
    lambda: helpers.NoisePredictor(50, 8, embedding="sinusoidal"),
    lambda: helpers.ConditionalNoisePredictor(100, 3, 16, c_in=helpers.input_scale(SCH, 0.2)),
])
def test_load_model_rebuilds_the_network_from_its_file(tmp_path, make):
    torch.manual_seed(3)
    model = make()
    helpers.save_weights(model, tmp_path / "w.pt")
    loaded = helpers.load_model(tmp_path / "w.pt")
    assert type(loaded) is type(model) and loaded.config() == model.config() and not loaded.training
    x, t = helpers.s_curve(7), torch.arange(7)
    torch.testing.assert_close(loaded(x, t), model(x, t), rtol=0, atol=0)


def test_the_committed_network_is_lesson_08s_default():
    committed = helpers.load_model()
    assert committed.config() == helpers.build_model(helpers.DEFAULT, SCH, helpers.s_curve(10_000)).config()
    torch.testing.assert_close(committed.c_in, helpers.input_scale(SCH, helpers.s_curve(10_000).std().item()))
