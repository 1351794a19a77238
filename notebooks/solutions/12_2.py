import helpers

# With one data point p, the exact velocity at x_s is (x_s - p) / s, constant along the straight line from x_1 to p:
# one Euler step from s = 1 covers the whole path.
prediction = "a"

helpers.check_exercise("12.2", prediction)
