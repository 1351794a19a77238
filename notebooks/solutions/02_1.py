import torch


def alpha_bar_last(beta):
    return torch.prod(1 - beta).item()
