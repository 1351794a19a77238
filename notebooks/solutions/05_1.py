import helpers


def count_parameters(hidden, d):
    # Linear(d, h), two Linear(h, h), Linear(h, d), and three Linear(h, h) on the step's fixed features: no layer is
    # sized by T.
    linear = lambda a, b: a * b + b
    return linear(d, hidden) + 2 * linear(hidden, hidden) + linear(hidden, d) + 3 * linear(hidden, hidden)


helpers.check_exercise("05.1", count_parameters)
