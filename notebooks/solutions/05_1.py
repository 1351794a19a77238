import helpers


def count_parameters(T, hidden):
    linears = (2 * hidden + hidden) + 2 * (hidden * hidden + hidden) + (hidden * 2 + 2)
    return linears + 3 * T * hidden


helpers.check_exercise("05.1", count_parameters)
