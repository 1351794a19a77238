import torch

import helpers


def eps_weight(snr):
    # At one x_t, eps_hat - eps_tilde = -(a_t / b_t)(x0_hat - x_tilde): the eps error is SNR times the x0 error. So the
    # same loss weighs the eps error by the x0 weight over SNR.
    return torch.clamp(snr, min=1.0) / snr


helpers.check_exercise("16.1", eps_weight)
