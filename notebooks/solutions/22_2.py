import math

import torch

import helpers


def bf16_spacing(x):
    # Between 2^e and 2^(e+1) bfloat16 has 2^7 evenly spaced numbers (7 fraction bits): the gap is 2^(e - 7).
    return 2.0 ** (math.floor(math.log2(x)) - 7)


helpers.check_exercise("22.2", bf16_spacing)
# A weight of 0.5 stored in bfloat16 moves up in steps of 2^-8 = 0.0039, so 0.5 + 0.001 rounds back to 0.5: the update
# is lost whole. Below 0.5 the spacing halves (2^-9), so 0.5 - 0.001 rounds to 0.498046875, a step about twice the one
# asked for. Adam's steps are about the learning rate (2e-3 for the digits) and smaller as training settles, so autocast
# keeps the weights, Adam's moments and the EMA in float32 and rounds only what the forward and backward passes compute.
weight = torch.tensor(0.5, dtype=torch.bfloat16)
print(f"spacing at 0.5: {bf16_spacing(0.5)}; in bfloat16 0.5 + 0.001 = {(weight + 0.001).item()}, "
      f"0.5 - 0.001 = {(weight - 0.001).item()}")
