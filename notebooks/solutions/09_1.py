import torch

import helpers


def gaussian_floor(alpha_bar_t, cov):
    # x_t = sqrt(a) x_0 + sqrt(1 - a) eps is Gaussian, with covariance C = a cov + (1 - a) I, and Cov(eps, x_t) = sqrt(1 - a) I.
    # So the best predictor of eps is linear, E[eps | x_t] = sqrt(1 - a) C^-1 (x_t - E[x_t]), and it leaves eps the
    # covariance I - (1 - a) C^-1; L_simple averages its diagonal over the d coordinates.
    d = cov.shape[0]
    C = alpha_bar_t * cov + (1 - alpha_bar_t) * torch.eye(d, dtype=cov.dtype)
    return (1 - (1 - alpha_bar_t) * torch.linalg.inv(C).trace() / d).item()


# The S-curve's floors lie below these. A linear predictor reaches this value on any data with the same covariance (its
# error depends on second moments only), and the best predictor of all can only do better. At t = 1 much better: x_1
# tells which curve point it came from, which the covariance alone does not.
schedule = helpers.sigmoid_schedule(100)
cov = torch.cov(helpers.s_curve(10_000).double().T)
for t in (0, 99):
    print(f"t = {t + 1}: Gaussian floor {gaussian_floor(schedule.alpha_bar[t].item(), cov):.3f}")

helpers.check_exercise("09.1", gaussian_floor)
