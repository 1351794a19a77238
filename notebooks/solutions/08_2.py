import math

import helpers


def recent_half(decay, n):
    # The last m updates carry (1 - decay**m) / (1 - decay**n) of the weight; that reaches 1/2 at
    # decay**m = 1 - (1 - decay**n) / 2.
    return math.ceil(math.log(1 - (1 - decay**n) / 2) / math.log(decay))


helpers.check_exercise("08.2", recent_half)
