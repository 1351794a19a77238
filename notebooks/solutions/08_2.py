import helpers


def ema_update(ema, weights, decay):
    for e, w in zip(ema, weights):
        e.mul_(decay).add_(w, alpha=1 - decay)
    return ema


helpers.check_exercise("08.2", ema_update)
