import helpers

# The last step's noise is N(0, beta_1 I), independent of the sample. Only its component across the curve moves a point
# off it, with variance beta_1 = 2.2e-5, i.e. 22 in units of (1e-3)^2. Mean squares add: with sigma^2 = beta~ the samples
# have off-curve 10.73 (printed above the prediction), so sqrt(10.73^2 + 22) = 11.7.
predicted_off_curve = (10.73**2 + 22) ** 0.5

helpers.check_exercise("07.1", predicted_off_curve)
