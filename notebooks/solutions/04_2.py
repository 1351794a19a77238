import helpers


def x0_from_eps(xt, eps, alpha_bar_t):
    return (xt - (1 - alpha_bar_t) ** 0.5 * eps) / alpha_bar_t**0.5


helpers.check_exercise("04.2", x0_from_eps)
