def ema_update(ema, weights, decay):
    for e, w in zip(ema, weights):
        e.mul_(decay).add_(w, alpha=1 - decay)
    return ema
