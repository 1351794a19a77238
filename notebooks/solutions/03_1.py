import math


def std_after(var0, beta):
    var = var0
    for b in beta.tolist():
        var = (1 - b) * var + b
    return math.sqrt(var)
