import helpers

# With a curve 0.001 thick and first-step noise of std 0.005, x_1 pins down the component of eps across the curve
# (the curve's position is known to 0.001), but not the component along it: sliding along the curve explains that
# one as well as noise does. One of two coordinates' worth of eps stays unexplained, so the floor is about 1/2.
predicted_floor = 0.5

helpers.check_exercise("09.2", predicted_floor)
