"""A training run's whole state, written atomically with a checksum and read back, so that a stopped run resumes to the
weights, optimizer state, EMA and random streams of a run that never stopped (lesson 22)."""

import hashlib
from pathlib import Path

import torch

from ..networks.checkpoint import write_atomically

FORMAT = "scurve-diffusion/training-v1"


def _digest(value, digest):
    """Feed a nested structure of dicts, lists, tensors and plain values into digest, in a fixed order."""
    if isinstance(value, dict):
        for key in sorted(value, key=str):
            digest.update(f"<{key!r}>".encode())
            _digest(value[key], digest)
    elif isinstance(value, (list, tuple)):
        digest.update(f"[{len(value)}]".encode())
        for item in value:
            _digest(item, digest)
    elif isinstance(value, torch.Tensor):
        tensor = value.detach().cpu().contiguous()
        digest.update(f"{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    else:
        digest.update(repr(value).encode())


def state_checksum(state):
    """SHA-256 of a training state (every entry but the checksum itself)."""
    digest = hashlib.sha256()
    _digest({k: v for k, v in state.items() if k != "sha256"}, digest)
    return digest.hexdigest()


def save_state(path, config, step, model, optimizer, ema, generator, index_stream, losses):
    """Write what the run needs to go on after `step` steps: the configuration, the weights, Adam's moments and step
    counts, the EMA's weights, the CPU generator's state, the epoch's order and place in it, and the losses so far.
    Written beside path and renamed over it (helpers.save_weights's way), so a crash mid-write keeps the last state.
    Defined in lesson 22 (scale)."""
    state = {"format": FORMAT, "config": config.as_dict(), "step": step,
             "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
             "optimizer": optimizer.state_dict(),
             "ema": None if ema is None else {k: v.detach().cpu() for k, v in ema.state_dict().items()},
             "generator": generator.get_state(), "batches": index_stream.state(), "losses": losses[:step].clone()}
    state["sha256"] = state_checksum(state)
    write_atomically(state, Path(path))


def load_state(path, config, model, optimizer, ema, generator, index_stream):
    """Put a state written by save_state back into a run's objects; return (steps done, losses so far). Refuses a
    damaged file and one written for another configuration. Defined in lesson 22 (scale)."""
    path = Path(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise ValueError(f"{path} is not a training state this course can load safely ({type(error).__name__}: "
                         f"{str(error)[:200]})") from error
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{path} is not a {FORMAT} file")
    if state_checksum(state) != state.get("sha256"):
        raise ValueError(f"{path} is damaged: its contents do not match the checksum saved with them; delete it to "
                         "start the run afresh")
    if state["config"] != config.as_dict():
        changed = {k: (state["config"].get(k), v) for k, v in config.as_dict().items() if state["config"].get(k) != v}
        raise ValueError(f"{path} was written by a run with another configuration ("
                         + ", ".join(f"{k}: file has {a!r}, this run {b!r}" for k, (a, b) in changed.items())
                         + "): resume with the same config, or delete the file to start afresh")
    if (state["ema"] is None) != (ema is None):
        raise ValueError(f"{path} and this run disagree on keeping an EMA of the weights")
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if ema is not None:
        ema.load_state_dict(state["ema"])
    generator.set_state(state["generator"])
    index_stream.restore(state["batches"])
    return state["step"], state["losses"]
