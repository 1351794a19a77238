import pytest
import torch

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else []) + (["mps"] if torch.backends.mps.is_available() else [])


@pytest.fixture(params=DEVICES)
def device(request):
    """Every device this machine has: the CPU here and in CI, CUDA as well on a GPU machine."""
    return torch.device(request.param)
