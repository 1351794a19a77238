import math

import helpers


def bits_per_dim(log_p, d):
    # An image's probability is at least the density of its dequantised point times its bin's volume, (2/17)^d.
    log_mass = log_p.mean().item() + d * math.log(2 / 17)
    return -log_mass / (d * math.log(2))


helpers.check_exercise("17.1", bits_per_dim)
