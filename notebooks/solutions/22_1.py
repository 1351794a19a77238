import helpers


def share_weights(sizes):
    # The whole batch's mean loss is sum_r (n_r / n) L_r; DDP averages the R processes' gradients, dividing their sum
    # by R, so process r multiplies its share's mean by R n_r / n.
    n, world = sum(sizes), len(sizes)
    return [world * size / n for size in sizes]


helpers.check_exercise("22.1", share_weights)
# An epoch's last batch of the digits, 67 images over two processes: 34 and 33 rows, factors 1.015 and 0.985. Equal
# shares of 64 get 1 each, which is why the mistake of weighting every process alike is invisible on full batches.
print(share_weights([34, 33]))
