"""Train lesson 17's digits networks; write the checkpoints lesson 17 loads.

    .venv/bin/python tools/make_digits.py        (about a minute on one core)

Files in notebooks/checkpoints/: digits_n50.pt and digits_n1347.pt, unconditional networks trained on the first n images
of the training split in a fixed seeded order (1347: all of it), and digits_labels.pt, trained with the digit labels for
classifier-free guidance. Every one is helpers.data.digits.train_digits with seed 0. tests/test_committed_digits.py retrains
the labelled network and checks the other two against the recipe's benchmark seeds; benchmarks/digits.py trains the same
recipes on five seeds.
"""

import time

import torch

import helpers
from helpers.data.digits import digits_split, train_digits

FOLDER = helpers.COMMITTED_CHECKPOINT.parent
SIZES = (50, 1347)
ORDER_SEED = 0


def subset(n, seed=ORDER_SEED):
    """The first n images of the training split in the order this seed draws: nested, so a smaller set lies inside a
    larger one."""
    x_train, labels, _, _ = digits_split()
    order = torch.randperm(len(x_train), generator=torch.Generator().manual_seed(seed))[:n]
    return x_train[order], labels[order]


def file_of(name):
    return FOLDER / f"digits_{name}.pt"


def main():
    torch.set_num_threads(1)
    x_train, labels, _, _ = digits_split()
    for name, (x0, c) in {**{f"n{n}": (subset(n)[0], None) for n in SIZES}, "labels": (x_train, labels)}.items():
        start = time.perf_counter()
        result = train_digits(x0, c)
        helpers.save_weights(result["model"], file_of(name))
        print(f"{file_of(name).name}: {result['seconds']:.0f} s training, {time.perf_counter() - start:.0f} s in all")


if __name__ == "__main__":
    main()
