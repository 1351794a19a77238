"""Saving and loading model weights, never pickled code."""

from pathlib import Path

import torch

from .model import NoisePredictor

FORMAT = "scurve-diffusion/weights-v1"


def save_weights(model, path):
    """Write the model's configuration and tensors to path (a plain dict, loadable with weights_only=True).

    Defined in lesson 08 (training).
    """
    if not isinstance(model, NoisePredictor):
        raise TypeError(f"model must be a helpers.NoisePredictor, got {type(model).__name__}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    torch.save({"format": FORMAT, "config": model.config(), "state_dict": state}, path)


def load_weights(model, path):
    """Load weights written by save_weights into model, after checking they were made for the same network.

    Uses torch.load(weights_only=True), which refuses files that would run code. A file made for another
    T, width, embedding or input scaling raises ValueError naming both settings. Defined in lesson 06 (loss).
    """
    if not isinstance(model, NoisePredictor):
        raise TypeError(f"model must be a helpers.NoisePredictor, got {type(model).__name__}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise ValueError(f"{path} is not a weights file this course can load safely: {error}") from error
    if not isinstance(saved, dict) or saved.get("format") != FORMAT:
        raise ValueError(f"{path} is not a {FORMAT} file")
    if saved["config"] != model.config():
        mismatched = {k: (saved["config"].get(k), v) for k, v in model.config().items() if saved["config"].get(k) != v}
        details = ", ".join(f"{k}: file has {a!r}, model has {b!r}" for k, (a, b) in mismatched.items())
        raise ValueError(f"{path} was made for a different network ({details})")
    model.load_state_dict(saved["state_dict"])
    return model
