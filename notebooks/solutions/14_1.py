import helpers


def edm_c_skip(nu, data_std):
    # V(c) = (1 - c)^2 sd^2 + c^2 nu^2 is a parabola in c, and V'(c) = -2 (1 - c) sd^2 + 2 c nu^2 is 0 at
    # c = sd^2 / (sd^2 + nu^2). Then c_out^2 = V(c_skip) = nu^2 sd^2 / (nu^2 + sd^2), and F's target is
    # -sqrt(c_skip) eps + sqrt(1 - c_skip) x_0 / sd: minus the v-target of the data rescaled to unit variance.
    return data_std**2 / (data_std**2 + nu**2)


helpers.check_exercise("14.1", edm_c_skip)
