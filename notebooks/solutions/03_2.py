import math


def std_without_shrink(var0, beta):
    return math.sqrt(var0 + sum(beta.tolist()))
