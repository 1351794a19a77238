import math

import helpers


def steps_to_reach(beta, alpha_bar_target):
    # After n equal steps alpha_bar = (1 - beta)**n; it falls to the target at n = log(target) / log(1 - beta),
    # rounded up to a whole step.
    return math.ceil(math.log(alpha_bar_target) / math.log(1 - beta))


helpers.check_exercise("04.1", steps_to_reach)
