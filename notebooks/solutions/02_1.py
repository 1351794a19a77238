import torch

import helpers


def alpha_bar_last(beta):
    return torch.prod(1 - beta).item()


helpers.check_exercise("02.1", alpha_bar_last)
