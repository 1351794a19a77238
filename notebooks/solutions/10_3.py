import helpers


def pf_ode_gaussian(y, nu_from, nu_to, sigma_data):
    # y = x_0 + nu eps is Gaussian with variance sigma_data^2 + nu^2, so d/dy log p(y; nu) = -y / (sigma_data^2 + nu^2) and
    # dy/dnu = nu y / (sigma_data^2 + nu^2). Separating, d(log y) = d(log(sigma_data^2 + nu^2)) / 2: every point is scaled by
    # the ratio of the two stds. The map is linear, so a start twice too wide ends twice too wide.
    return y * ((sigma_data**2 + nu_to**2) / (sigma_data**2 + nu_from**2)) ** 0.5


helpers.check_exercise("10.3", pf_ode_gaussian)
