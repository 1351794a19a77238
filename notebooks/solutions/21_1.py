import torch

import helpers


def best_linear_error(x, k):
    # The best rank-k linear autoencoder keeps the covariance's k largest eigenvalues' directions (Eckart & Young 1936);
    # each point's squared error is its spread along the others, so the mean error is their eigenvalues' sum.
    eigenvalues = torch.linalg.eigvalsh(torch.cov(x.T, correction=0))  # ascending
    return eigenvalues[: x.shape[1] - k].sum().item()


helpers.check_exercise("21.1", best_linear_error)
# The embedded S-curve: two directions hold its spread, and what the other 62 hold is its off-plane noise, 62 * 0.01^2.
x_tilde = helpers.embed(helpers.s_curve(10_000), helpers.embedding(), generator=torch.Generator().manual_seed(1)).double()
print(f"k = 2: {best_linear_error(x_tilde, 2):.5f} (62 * 0.01^2 = {62 * 0.01**2:.5f}); k = 1: "
      f"{best_linear_error(x_tilde, 1):.5f}")
