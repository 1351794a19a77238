"""Train lesson 19's two text models; write the checkpoints lesson 19 loads.

    .venv/bin/python tools/make_text.py        (about 3 minutes on 2 cores: the two models train side by side)

notebooks/checkpoints/text_masked.pt and text_autoregressive.pt: helpers.train_text (lesson 19's recipe, helpers.TEXT,
the same TokenTransformer for both) on the training split's windows (helpers.data.text, stride 16), seed 0, each on
one thread. tests/test_committed_text.py retrains them and compares; benchmarks/text.py trains the same recipe on ten
other seeds.
"""

import multiprocessing
import time

import torch

import helpers
from helpers.data.text import text_split

OBJECTIVES = ("masked", "autoregressive")
FILES = {objective: helpers.COMMITTED_CHECKPOINT.parent / f"text_{objective}.pt" for objective in OBJECTIVES}


def train(objective):
    """The recipe on the training windows, seed 0, one thread: helpers.train's dict."""
    torch.set_num_threads(1)
    windows, characters = text_split("train", stride=16)
    return helpers.train_text(objective, windows, characters.K, seed=0)


def main():
    start = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        results = dict(zip(OBJECTIVES, pool.map(train, OBJECTIVES)))
    for objective, result in results.items():
        helpers.save_weights(result["model"], FILES[objective])
        print(f"{FILES[objective].name}: {result['seconds']:.0f} s training")
    print(f"{time.perf_counter() - start:.0f} s in all")


if __name__ == "__main__":
    main()
