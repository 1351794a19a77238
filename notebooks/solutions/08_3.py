import helpers

# At t = 1, x_t is almost exactly x_0 (alpha_bar_1 = 1 - 2e-5), and c_in(1) is almost 1 / sigma_pooled = 1 / 0.111.
# The first coordinate's std is 0.071 (lesson 01), so the scaled coordinate has std 0.071 / 0.111 = 0.64, not 1.
predicted_std = 0.64

helpers.check_exercise("08.3", predicted_std)
