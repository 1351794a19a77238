# make_s_curve draws a curve parameter u and puts the point at x = sin(u), z = sign(u) (cos(u) - 1):
# the S lives in columns 0 and 2. Column 1 is drawn uniformly on [0, 2], independently of u, so
# columns 0 and 1 spread the points evenly along y at every x: a filled rectangle (densest at the
# left and right edges, where sin(u) turns round).
import helpers

prediction = "b"
helpers.check_exercise("01.3", prediction)
