import helpers


def to_unit_std(x):
    return x / x.std(dim=0)


helpers.check_exercise("01.1", to_unit_std)
