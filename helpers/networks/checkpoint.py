"""Saving and loading model weights: never pickled code, never a half-written file, never a damaged one unnoticed."""

import hashlib
import json
import os
import tempfile
from pathlib import Path

import torch

from .._checks import check_weights, count_nonfinite
from ..process.flows import VelocityPredictor
from .autoencoder import Autoencoder
from .backbones import DiT, UNet
from .mlp import ConditionalNoisePredictor, NoisePredictor, UNWRITTEN
from .tokens import TokenPredictor
from .transformer import TokenTransformer

# What save_weights writes: lesson 05's noise predictors, lesson 12's velocity network, lesson 19's token networks
# (its MLP and its transformers), lesson 20's backbones and lesson 21's autoencoder.
SAVABLE = (NoisePredictor, VelocityPredictor, TokenPredictor, TokenTransformer, UNet, DiT, Autoencoder)
SAVABLE_NAMES = "a helpers.NoisePredictor, VelocityPredictor, TokenPredictor, TokenTransformer, UNet, DiT or Autoencoder"

FORMAT = "scurve-diffusion/weights-v2"
# The network lessons 06, 07, 09, 10 and the talk load: lesson 08's default recipe, made by tools/make_checkpoint.py.
COMMITTED_CHECKPOINT = Path(__file__).resolve().parents[2] / "notebooks" / "checkpoints" / "ddpm_scurve.pt"
# v1 files (before 2026-12) carried no checksum, so a damaged one could not be told from a good one.
OLD_FORMATS = ("scurve-diffusion/weights-v1",)


def checksum(config, state_dict):
    """SHA-256 of the configuration and of every tensor's name, dtype, shape and bytes, in name order."""
    digest = hashlib.sha256(json.dumps(config, sort_keys=True).encode())
    for name in sorted(state_dict):
        tensor = state_dict[name].detach().cpu().contiguous()
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def save_weights(model, path):
    """Write the model's configuration, tensors and their checksum to path (a plain dict, loadable with
    weights_only=True).

    The file is written beside path under a temporary name and then renamed over it, so a save that fails part-way
    (a full disk) leaves the previous file as it was. Weights holding NaN or infinite values are refused.
    Defined in lesson 08 (training).
    """
    if not isinstance(model, SAVABLE):
        raise TypeError(f"model must be {SAVABLE_NAMES}, got {type(model).__name__}"
                        + ("; for a Preconditioned network save its .raw network" if hasattr(model, "raw") else ""))
    check_weights(model)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    saved = {"format": FORMAT, "config": model.config(), "state_dict": state, "sha256": checksum(model.config(), state)}
    write_atomically(saved, path)


def write_atomically(saved, path):
    """torch.save(saved) to path through a temporary file beside it, renamed over path once written and flushed to
    disk: a save that fails part-way (a full disk) leaves the previous file as it was. Lessons 08 and 22."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as file:
            torch.save(saved, file)
            file.flush()
            os.fsync(file.fileno())
        # mkstemp makes the file private (0600): keep the mode of the file it replaces, or use a plain file's 0644.
        os.chmod(temporary, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(temporary, path)
        if hasattr(os, "O_DIRECTORY"):
            # The rename itself is durable only once the folder is written (POSIX).
            folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise OSError(error.errno, f"could not write {path} ({error.strerror or error}); the file that was there, "
                                       "if any, is unchanged") from error
        raise


def _read(path):
    """The verified contents of a weights file: format, checksum and finiteness checked."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise ValueError(f"{path} is not a weights file this course can load safely: it is damaged, or was not "
                         f"written by helpers.save_weights ({type(error).__name__}: {str(error)[:200]})") from error
    if isinstance(saved, dict) and saved.get("format") in OLD_FORMATS:
        raise ValueError(f"{path} was written in an older format without a checksum ({saved['format']}): save the "
                         "network again with helpers.save_weights")
    if not isinstance(saved, dict) or saved.get("format") != FORMAT or not {"config", "state_dict", "sha256"} <= saved.keys():
        raise ValueError(f"{path} is not a {FORMAT} file")
    if checksum(saved["config"], saved["state_dict"]) != saved["sha256"]:
        raise ValueError(f"{path} is damaged: its weights do not match the checksum saved with them. Save it again, or "
                         "for the course's own checkpoint run `python tools/make_checkpoint.py` (or `git checkout` it)")
    bad = count_nonfinite(saved["state_dict"].values())
    if bad:
        raise ValueError(f"{path} holds {bad} NaN or infinite weights: it was saved from a training run that diverged")
    return saved


def load_weights(model, path):
    """Load weights written by save_weights into model, after checking they were made for the same network and
    arrived intact.

    Uses torch.load(weights_only=True), which refuses files that would run code. A file made for another
    T, width, embedding or input scaling raises ValueError naming both settings; a file whose tensors do not match
    its checksum raises ValueError saying it is damaged. Defined in lesson 08 (training).
    """
    if not isinstance(model, SAVABLE):
        raise TypeError(f"model must be {SAVABLE_NAMES}, got {type(model).__name__}")
    saved = _read(path)
    if saved["config"] != model.config():
        # A setting left out of a configuration has its default (d 2, predicts eps), so name it on either side.
        file, mine = ({**UNWRITTEN, **config} for config in (saved["config"], model.config()))
        mismatched = {k: (file.get(k), mine.get(k)) for k in sorted(file.keys() | mine.keys()) if file.get(k) != mine.get(k)}
        details = ", ".join(f"{k}: file has {a!r}, model has {b!r}" for k, (a, b) in mismatched.items())
        raise ValueError(f"{path} was made for a different network ({details})")
    model.load_state_dict(saved["state_dict"])
    return model


def load_model(path=COMMITTED_CHECKPOINT):
    """The network a file written by save_weights holds, rebuilt from the configuration stored with it (T, width,
    embedding, input scaling, labels, what it predicts; or lesson 12's velocity network, lesson 19's token networks, lesson 20's U-Net and DiT, lesson 21's autoencoder) and loaded,
    in eval mode. Without a path: the course's committed network,
    lesson 08's default recipe (tools/make_checkpoint.py). Defined in lesson 06 (loss).
    """
    saved = _read(path)
    config, state = saved["config"], saved["state_dict"]
    c_in = state["c_in"] if config.get("scaled_input") else None
    if config.get("kind") == "velocity":
        model = VelocityPredictor(config["hidden"], config["data_std"])
    elif config.get("kind") == "tokens":
        model = TokenPredictor(config["d"], config["K"], config["hidden"])
    elif config.get("kind") == "transformer":
        model = TokenTransformer(**{k: v for k, v in config.items() if k != "kind"})
    elif config.get("kind") == "unet":
        model = UNet(state["c_in"], config["channels"], config["width"])
    elif config.get("kind") == "dit":
        model = DiT(state["c_in"], config["width"], config["depth"], config["heads"], config["patch"])
    elif config.get("kind") == "autoencoder":
        model = Autoencoder(config["d"], config["latent"], config["hidden"], config["kl"])
    elif "n_labels" in config:
        model = ConditionalNoisePredictor(config["T"], config["n_labels"], config["hidden"], c_in, config.get("d", 2),
                                          config["embedding"], config.get("predicts", "eps"))
    else:
        model = NoisePredictor(config["T"], config["hidden"], config["embedding"], c_in, config.get("d", 2),
                               config.get("predicts", "eps"))
    model.load_state_dict(state)
    return model.eval()
