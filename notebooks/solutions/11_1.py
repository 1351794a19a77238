import helpers


def tilted_gaussian(m_c, v_c, m, v, w):
    # log of q(x | c)^(1 + w) q(x)^(-w) = -(1 + w)(x - m_c)^2 / (2 v_c) + w (x - m)^2 / (2 v) + const: a quadratic in x,
    # so a Gaussian whose precision is the x^2 coefficient times -2 and whose mean makes the linear term vanish.
    precision = (1 + w) / v_c - w / v
    return ((1 + w) * m_c / v_c - w * m / v) / precision, 1 / precision


# With v_c < v, the precision (1 + w) / v_c - w / v = 1 / v_c + w (1 / v_c - 1 / v) grows with w: the variance falls below v_c,
# and the more so the larger w. Here the two Gaussians overlap everywhere, so q(x | c) / q(x), which is p(c | x) / p(c),
# changes across the whole label, and the tilt p(c | x)^w reweights all of it towards where the ratio peaks.
# The S-curve's clean pieces do not overlap: p(c | x) is 1 on the upper arc except near the end that meets the middle
# stroke, so the tilt only trims that end and leaves the rest evenly covered (the lesson's gap of 3.8 % at w = 4).
# Guidance tilts each noisy marginal q_t(x | c) instead, and noise blurs the pieces into each other, so at the noisier steps
# they overlap like these Gaussians and the tilt squeezes them. Those tilts are not the noised tilt of q_0 (a power of an
# average is not the average of the powers), so guidance's samples squeeze where exact draws of the tilted density do not.
helpers.check_exercise("11.1", tilted_gaussian)
