"""Train lesson 20's three backbones; write the checkpoints lesson 20 loads.

    .venv/bin/python tools/make_backbones.py        (about 5 minutes on one core)

notebooks/checkpoints/backbones_mlp.pt, backbones_unet.pt and backbones_dit.pt: helpers.train_backbone with
helpers.backbone_recipe at 4 times lesson 17's recipe time (about 87 s of training each on one core of the course's
machine), on the whole training split, seed 0, one thread. tests/test_committed_backbones.py retrains the U-Net and
compares, and checks the other two against the recipe's ten benchmark seeds (benchmarks/backbones.py, seeds 0-9).
"""

import time

import torch

import helpers

NAMES = ("mlp", "unet", "dit")
BUDGET = 4.0
SEED = 0


def file_of(name):
    return helpers.COMMITTED_CHECKPOINT.parent / f"backbones_{name}.pt"


def train(name, budget=BUDGET):
    """The recipe on the training split, seed 0, one thread: helpers.train's dict."""
    torch.set_num_threads(1)
    x_train = helpers.digits_split()[0]
    return helpers.train_backbone(name, x_train, helpers.backbone_recipe(name, budget, SEED))


def main():
    for name in NAMES:
        start = time.perf_counter()
        result = train(name)
        helpers.save_weights(result["model"], file_of(name))
        print(f"{file_of(name).name}: {result['seconds']:.0f} s training, {time.perf_counter() - start:.0f} s in all")


if __name__ == "__main__":
    main()
