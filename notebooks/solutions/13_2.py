import helpers


def elbo_weight(snr_before, snr_now):
    # Lesson 06: w_t = beta_t^2 / (2 sigma_t^2 alpha_t (1 - alpha_bar_t)). With sigma_t^2 = beta~_t it is
    # beta_t / (2 alpha_t (1 - alpha_bar_(t-1))), and SNR_(t-1) / SNR_t - 1 = (1 - alpha_bar_t) / (alpha_t (1 - alpha_bar_(t-1))) - 1
    # = beta_t / (alpha_t (1 - alpha_bar_(t-1))), since alpha_bar_t = alpha_t alpha_bar_(t-1) and 1 - alpha_t = beta_t.
    return (snr_before / snr_now - 1) / 2


helpers.check_exercise("13.2", elbo_weight)
