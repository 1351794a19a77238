import helpers


def pd_target(x_t, x_end, ab_t, ab_end):
    # DDIM: x_end = a_end x0 + b_end (x_t - a_t x0) / b_t. Collect the x0 terms and divide.
    ratio = ((1 - ab_end) / (1 - ab_t)) ** 0.5
    return (x_end - ratio * x_t) / (ab_end**0.5 - ratio * ab_t**0.5)


helpers.check_exercise("16.1", pd_target)
