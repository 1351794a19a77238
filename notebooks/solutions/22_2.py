import math

import torch

import helpers


def bf16_spacing(x):
    # Between 2^e and 2^(e+1) bfloat16 has 2^7 evenly spaced numbers (7 fraction bits): the gap is 2^(e - 7).
    return 2.0 ** (math.floor(math.log2(abs(x))) - 7)


helpers.check_exercise("22.2", bf16_spacing)
# A weight of 0.5 stored in bfloat16 moves in steps of 2^-8 = 0.0039: an update smaller than half of that is rounded
# away whole. Adam's steps are about the learning rate (2e-3 for the digits) and smaller as training settles, so
# autocast keeps the weights, the gradients and Adam's moments in float32 and rounds only what a forward pass computes.
weight = torch.tensor(0.5, dtype=torch.bfloat16)
print(f"spacing at 0.5: {bf16_spacing(0.5)}; in bfloat16 0.5 + 0.001 = {(weight + 0.001).item()}, "
      f"0.5 + 0.002 = {(weight + 0.002).item()}")
