import torch

import helpers


def karras_steps(schedule, n, rho):
    # Karras et al. (2022), eq. 5, in the schedule's noise-to-signal ratio; then the nearest step for each level.
    nu = schedule.noise_to_signal
    i = torch.arange(n, dtype=torch.float64) / (n - 1)
    levels = (nu[-1] ** (1 / rho) + i * (nu[0] ** (1 / rho) - nu[-1] ** (1 / rho))) ** rho
    nearest = (nu[None, :] - levels[:, None]).abs().argmin(1)
    return torch.unique_consecutive(nearest)


helpers.check_exercise("10.1", karras_steps)
