def count_parameters(T, hidden):
    linears = (2 * hidden + hidden) + 2 * (hidden * hidden + hidden) + (hidden * 2 + 2)
    return linears + 3 * T * hidden
