import math

import helpers


def exact_weight(h, r):
    # With x0_hat = A + B (ell - ell_i), the step's integral is e^ell_i (A (e^h - 1) + B (h e^h - e^h + 1)); DPM-Solver++
    # multiplies its x0_hat by e^ell_i (e^h - 1), and x0_hat_i - x0_hat_{i-1} = B r h. The ratio, divided by r h:
    return (h / -math.expm1(-h) - 1) / (r * h)


helpers.check_exercise("15.1", exact_weight)
