import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else []) + (["mps"] if torch.backends.mps.is_available() else [])


@pytest.fixture(params=DEVICES)
def device(request):
    """Every device this machine has: the CPU here and in CI, CUDA as well on a GPU machine."""
    return torch.device(request.param)


@pytest.fixture
def course():
    """The repository's course.py, imported as a module."""
    sys.path.insert(0, str(ROOT))
    try:
        import course as module
    finally:
        sys.path.remove(str(ROOT))
    return module
