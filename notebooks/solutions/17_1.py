import math

import helpers


def dequantisation_cost(std):
    width = 2 / 17  # the bin's width
    # KL(uniform || p / P) = E_u[log(1 / width) - log p(x) + log P], with p = N(centre, std^2) and P its mass in the bin.
    mean_square = width**2 / 12  # E_u[(x - centre)^2] over the bin
    expected_log_p = -0.5 * math.log(2 * math.pi * std**2) - mean_square / (2 * std**2)
    log_mass = math.log(math.erf(width / (2 * math.sqrt(2) * std)))
    return (-math.log(width) - expected_log_p + log_mass) / math.log(2)


helpers.check_exercise("17.1", dequantisation_cost)
