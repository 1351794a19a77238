import helpers

# Second order: error ~ N^-2, and 99 / 33 = 3 times the intervals, so the error shrinks about 3^2 = 9 times.
predicted_ratio = 9

helpers.check_exercise("10.2", predicted_ratio)
