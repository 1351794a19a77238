import helpers

# On the 5-point even-t grid (99, 74, 50, 25, 0) DPM-Solver-2's second step runs from step 50 to step 0 through the stage
# at step 25: h = 3.6 in lambda/2, and its correction is multiplied by (e^h - 1) / (2 r) = 51. DDIM takes that stretch in
# two first-order steps and has no correction to blow up.
prediction = "b"

helpers.check_exercise("15.2", prediction)
