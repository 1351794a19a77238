def predict_x0(xt, eps_pred, alpha_bar_t):
    return (xt - (1 - alpha_bar_t) ** 0.5 * eps_pred) / alpha_bar_t**0.5
