import helpers


def tilted_gaussian(m_c, v_c, m, v, w):
    # log of q(x | c)^(1 + w) q(x)^(-w) = -(1 + w)(x - m_c)^2 / (2 v_c) + w (x - m)^2 / (2 v) + const: a quadratic in x,
    # so a Gaussian whose precision is the x^2 coefficient times -2 and whose mean makes the linear term vanish.
    precision = (1 + w) / v_c - w / v
    return ((1 + w) * m_c / v_c - w * m / v) / precision, 1 / precision


# With v_c < v, the precision (1 + w) / v_c - w / v = 1 / v_c + w (1 / v_c - 1 / v) grows with w: the variance falls below v_c,
# and the more so the larger w. Guidance squeezes a label's samples because the label is narrower than the whole data.
helpers.check_exercise("11.1", tilted_gaussian)
