import math

import helpers


def dpm_pp_2m_combination(x0_now, x0_previous, ab_previous, ab_now, ab_next):
    # DPM-Solver's time is half the log-SNR; r compares the step just taken with the one about to be taken.
    ell_previous, ell_now, ell_next = (0.5 * math.log(ab / (1 - ab)) for ab in (ab_previous, ab_now, ab_next))
    r = (ell_now - ell_previous) / (ell_next - ell_now)
    return (1 + 1 / (2 * r)) * x0_now - x0_previous / (2 * r)


helpers.check_exercise("15.1", dpm_pp_2m_combination)
