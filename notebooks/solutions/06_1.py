import helpers


def elbo_weight(schedule, t):
    beta, alpha, alpha_bar = schedule.beta[t], schedule.alpha[t], schedule.alpha_bar[t]
    return (beta / (2 * alpha * (1 - alpha_bar))).item()


helpers.check_exercise("06.1", elbo_weight)
