import helpers


def v_to_x0(v, x_t, alpha_bar):
    # v = a eps - s x_0 and x_t = a x_0 + s eps, so a x_t - s v = (a^2 + s^2) x_0 = x_0: no division by a.
    a, s = alpha_bar**0.5, (1 - alpha_bar) ** 0.5
    return a * x_t - s * v


helpers.check_exercise("14.1", v_to_x0)
