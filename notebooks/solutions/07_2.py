import torch

import helpers


def two_step_variance(schedule):
    # x_t is x_(t-2) moved by one merged step of variance 1 - alpha_bar_t / alpha_bar_(t-2) (lesson 04), so the
    # posterior variance is beta~'s formula with that step: (1 - alpha_bar_(t-2)) / (1 - alpha_bar_t) * merged.
    alpha_bar = torch.cat([torch.ones(1), schedule.alpha_bar])  # the paper's alpha_bar_0 .. alpha_bar_T
    before, now = alpha_bar[:-2], alpha_bar[2:]
    return (1 - before) / (1 - now) * (1 - now / before)


helpers.check_exercise("07.2", two_step_variance)
