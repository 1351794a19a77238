"""Where the course's tensors live."""

import torch


def default_device() -> torch.device:
    """The fastest device on this machine: CUDA, then Apple's MPS, then the CPU.

    Defined in lesson 01 (data).
    """
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
