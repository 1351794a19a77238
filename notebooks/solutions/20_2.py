import helpers


def receptive_field(layers):
    # Each k x k layer widens the square by k - 1 of its input's pixels; one pixel of that input spans the product of
    # the strides of every layer below it.
    side, jump = 1, 1
    for k, s in layers:
        side = side + (k - 1) * jump
        jump *= s
    return side


helpers.check_exercise("20.2", receptive_field)
# Corner to opposite corner of 8 x 8 is 7 pixels each way: a side of 2 * 7 + 1 = 15, so seven 3 x 3 layers at stride 1.
print("3 x 3 layers at stride 1 before a corner sees the opposite corner:",
      next(n for n in range(1, 20) if receptive_field([(3, 1)] * n) >= 15))
