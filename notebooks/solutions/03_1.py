import math

import helpers


def std_after(var0, beta):
    # Unrolled, Var(x_T) = alpha_bar_T var0 + (1 - alpha_bar_T): the data's share shrinks by every 1 - beta_t, and the
    # added variances, each shrunk by the steps after it, telescope to 1 - alpha_bar_T.
    alpha_bar = (1 - beta).prod().item()
    return math.sqrt(alpha_bar * var0 + 1 - alpha_bar)


helpers.check_exercise("03.1", std_after)
