import math

import helpers


def lr_at(step, steps, peak, warmup):
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / (steps - warmup)
    return peak * 0.5 * (1 + math.cos(math.pi * progress))


helpers.check_exercise("08.1", lr_at)
