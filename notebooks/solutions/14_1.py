import helpers


def v_to_x0(v, x_t, alpha_bar):
    # v = a eps - b x_0 and x_t = a x_0 + b eps, so a x_t - b v = (a^2 + b^2) x_0 = x_0: no division by a.
    a, b = alpha_bar**0.5, (1 - alpha_bar) ** 0.5
    return a * x_t - b * v


helpers.check_exercise("14.1", v_to_x0)
