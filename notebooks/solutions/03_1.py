import helpers


def second_moment_after(mean0, var0, beta):
    # The mean shrinks by sqrt(1 - beta_t) a step, so by sqrt(alpha_bar_T) in all; the variance unrolls to
    # alpha_bar_T var0 + (1 - alpha_bar_T) (the added variances telescope); E[x^2] = mean^2 + variance.
    alpha_bar = (1 - beta).prod().item()
    return alpha_bar * mean0**2 + alpha_bar * var0 + 1 - alpha_bar


helpers.check_exercise("03.1", second_moment_after)
