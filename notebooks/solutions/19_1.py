import helpers


def stay_probability(alpha_bar_prev, alpha_bar_t, K):
    # Bayes: Q_t[x, x] Qbar_(t-1)[x, x] / Qbar_t[x, x], each diagonal entry "kept, or redrawn as itself".
    beta = 1 - alpha_bar_t / alpha_bar_prev
    step = (1 - beta) + beta / K
    before = alpha_bar_prev + (1 - alpha_bar_prev) / K
    now = alpha_bar_t + (1 - alpha_bar_t) / K
    return step * before / now


helpers.check_exercise("19.1", stay_probability)
