import torch

import helpers


def posterior_variance(schedule):
    alpha_bar_prev = torch.cat([torch.ones(1), schedule.alpha_bar[:-1]])
    return (1 - alpha_bar_prev) / (1 - schedule.alpha_bar) * schedule.beta


helpers.check_exercise("07.2", posterior_variance)
