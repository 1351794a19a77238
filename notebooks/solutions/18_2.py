import helpers

# DPS's step, gamma grad |o - A x0_hat|^2 / |o - A x0_hat|, has about the same length whatever the residual, and sigma_o
# appears nowhere in it: the draws keep stepping around o instead of settling where the posterior spreads them.
prediction = "c"

helpers.check_exercise("18.2", prediction)
