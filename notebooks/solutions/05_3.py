# The embedding itself is defined for any t, but NoisePredictor still checks that every step lies in
# [0, T) before embedding it: the network was built for the integer steps of one schedule.
import helpers

prediction = "b"
helpers.check_exercise("05.3", prediction)
