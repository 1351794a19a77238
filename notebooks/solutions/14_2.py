import helpers


def gaussian_eps_star(x_t, alpha_bar, data_std):
    # x_t = a x_0 + b eps with x_0 ~ N(0, sd^2 I): (eps, x_t) are jointly Gaussian with mean 0, so E[eps | x_t] is the
    # regression of eps on x_t, per coordinate Cov(eps, x_t) / Var(x_t) = b / (a^2 sd^2 + b^2). In EDM's terms this is
    # (1 - c_skip) x_t / b: the skip term alone is the exact denoiser for Gaussian data of std sigma_data, so the optimal
    # F is 0 there, and F learns only how the data differ from that Gaussian.
    b = (1 - alpha_bar) ** 0.5
    return b * x_t / (alpha_bar * data_std**2 + 1 - alpha_bar)


helpers.check_exercise("14.2", gaussian_eps_star)
