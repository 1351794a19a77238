"""Train lesson 19's masked-diffusion network on the digits' tokens; write the checkpoint lesson 19 loads.

    .venv/bin/python tools/make_masked.py        (about 15 s on 2 cores)

notebooks/checkpoints/digits_masked.pt: helpers.train_masked (lesson 19's recipe, helpers.MASKED) on the training split's
tokens (helpers.to_levels of lesson 17's images), seed 0. tests/test_committed_masked.py retrains it and compares;
benchmarks/discrete.py trains the same recipe on ten other seeds.
"""

import time

import helpers

FILE = helpers.COMMITTED_CHECKPOINT.parent / "digits_masked.pt"
K = 17


def train():
    """The recipe on the training split's tokens, seed 0: helpers.train's dict."""
    return helpers.train_masked(helpers.to_levels(helpers.digits_split()[0]), K, seed=0)


def main():
    start = time.perf_counter()
    result = train()
    helpers.save_weights(result["model"], FILE)
    print(f"{FILE.name}: {result['seconds']:.0f} s training, {time.perf_counter() - start:.0f} s in all")


if __name__ == "__main__":
    main()
