import helpers


def elbo_weight(schedule, t):
    # beta~_t = (1 - alpha_bar_(t-1)) / (1 - alpha_bar_t) beta_t: one beta_t and the (1 - alpha_bar_t) cancel, leaving
    # beta_t / (2 alpha_t (1 - alpha_bar_(t-1))), with alpha_bar_(t-1) = alpha_bar_t / alpha_t.
    beta, alpha, alpha_bar = schedule.beta.double()[t], schedule.alpha.double()[t], schedule.alpha_bar.double()[t]
    return (beta / (2 * alpha * (1 - alpha_bar / alpha))).item()


helpers.check_exercise("06.1", elbo_weight)
