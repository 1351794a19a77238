# With eps_theta = 0 the loss is the mean of eps^2 over points and coordinates, and eps ~ N(0, I):
# E[eps^2] = 1. A trained network must do better than 1 to have learned anything.
import helpers

prediction = 1.0
helpers.check_exercise("06.3", prediction)
