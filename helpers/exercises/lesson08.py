"""Lesson 08 (training): its exercises' checks and hints."""

import math

import torch

from ..data.s_curve import s_curve
from ..networks.mlp import input_scale
from ..process.schedules import sigmoid_schedule
from ..training.loop import TrainConfig, learning_rate
from .base import Exercise, close, expect, is_number, number, prediction


def _test_lr_at(fn):
    config = TrainConfig(steps=1000, lr=0.01, lr_schedule="cosine", warmup_steps=100)
    for step in (0, 50, 99, 100, 550, 999):
        value = number(fn(step, 1000, 0.01, 100))
        expect(is_number(value), "return a number")
        expect(math.isclose(value, learning_rate(config, step), rel_tol=1e-6, abs_tol=1e-12), f"check step {step}")


def _test_ema_update(fn):
    # Five updates from random initial weights; the bias-corrected average forgets them entirely: after n updates it is
    # the average of the n weight sets seen, with weights proportional to decay**(n - k) (computed here as one sum).
    generator = torch.Generator().manual_seed(8)
    ema = [torch.randn(3, generator=generator), torch.randn(2, 2, generator=generator)]
    seen = [[torch.randn(3, generator=generator), torch.randn(2, 2, generator=generator)] for _ in range(5)]
    decay = 0.9
    for n, weights in enumerate(seen, 1):
        out = fn(ema, weights, decay, n)
        expect(isinstance(out, list) and len(out) == 2, "return the list of EMA tensors")
        expect(out[0] is ema[0] and out[1] is ema[1], "update the tensors in place (e.g. mul_ and add_, or lerp_)")
        if n == 1:
            expect(close(out[0], weights[0], 1e-6), "after the first update nothing of the initial weights is left: "
                                                    "the first weight set alone")
        share = torch.tensor([decay ** (n - k) for k in range(1, n + 1)])
        share = share / share.sum()
        for i in range(2):
            want = sum(c * w[i] for c, w in zip(share, seen[:n]))
            expect(close(out[i], want, 1e-5), f"after update {n}: the average of the {n} weight sets, "
                                               f"weights proportional to decay**(n - k)")


def _scaled_input_std_first_step():
    schedule = sigmoid_schedule(100)
    x0 = s_curve(10_000)
    xt = schedule.alpha_bar[0].sqrt() * x0 + (1 - schedule.alpha_bar[0]).sqrt() * torch.randn(x0.shape, generator=torch.Generator().manual_seed(0))
    return float((input_scale(schedule, x0.std().item())[0] * xt[:, 0]).std())


EXERCISES = {
    "08.1": Exercise("lr_at", _test_lr_at, "two pieces: a straight line up to the peak over the warm-up steps (step 0 already above 0), then half a cosine period from the peak down to 0 at the last step"),
    "08.2": Exercise("ema_update", _test_ema_update, "write the corrected average after n updates as S_n / Z_n, S_n = decay * S_(n-1) + theta_n and Z_n = "
                     "decay * Z_(n-1) + 1; the update e_n = e_(n-1) + w (theta_n - e_(n-1)) that gives it has w = 1 / Z_n. "
                     "In-place tensor methods end in an underscore",
                     copies=False),
    "08.3": Exercise("predicted_std", prediction(_scaled_input_std_first_step, "the std of the scaled first coordinate at t = 1", rel_tol=0.05), "c_in divides by one pooled std for both coordinates; how does the first coordinate's own std compare with the pooled one?"),
}
