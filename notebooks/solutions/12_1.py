import helpers


def velocity_from_eps(eps, x, s):
    # x_s = (1 - s) x_0 + s eps gives x_0 = (x - s eps) / (1 - s); the velocity is eps - x_0.
    return (eps - x) / (1 - s)


helpers.check_exercise("12.1", velocity_from_eps)
