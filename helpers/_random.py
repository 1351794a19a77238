"""Where the helpers' noise comes from."""

import torch


def noise(shape, generator, device, dtype=torch.float32):
    """Standard normal noise drawn on the CPU (generator: a CPU generator or None) and moved to device.

    Drawing on the CPU makes one seed give the same noise on a CPU, a CUDA GPU or MPS.
    """
    return torch.randn(shape, generator=generator, dtype=dtype).to(device)
