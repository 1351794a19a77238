import helpers

# The last step's noise is N(0, beta_1 I), independent of the sample. Only its component across the curve moves a point
# off it, with variance beta_1 = 2.2e-5, i.e. 22 in units of (1e-3)^2. Mean squares add: with sigma^2 = beta~ the samples
# have off-curve 10.9, so sqrt(10.9^2 + 22) = 11.9.
predicted_off_curve = 11.9

helpers.check_exercise("07.1", predicted_off_curve)
