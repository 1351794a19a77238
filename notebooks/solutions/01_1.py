def to_unit_std(x):
    return x / x.std(dim=0)
