import helpers

schedule = helpers.sigmoid_schedule(100)


def prior_term(x0):
    # KL(N(m, s2 I) || N(0, I)) in d = 2 dimensions: (d s2 + |m|^2 - d - d log s2) / 2.
    a = schedule.alpha_bar[-1].double()
    s2 = 1 - a
    return (2 * s2 + a * (x0**2).sum(1) - 2 - 2 * s2.log()) / 2


helpers.check_exercise("13.1", prior_term)
