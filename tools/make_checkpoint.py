"""Train lesson 08's default recipe; write the checkpoint that lessons 06, 07, 09, 10 and the talk load.

    .venv/bin/python tools/make_checkpoint.py

tests/test_committed_checkpoint.py retrains the same way and checks the committed file is what this makes.
"""


import torch

import helpers

CHECKPOINT = helpers.COMMITTED_CHECKPOINT


def train_default():
    """The committed checkpoint's recipe: helpers.DEFAULT on the standard data set, on the CPU."""
    schedule = helpers.sigmoid_schedule(100)
    x0 = helpers.s_curve(10_000)
    torch.manual_seed(helpers.DEFAULT.seed)
    model = helpers.build_model(helpers.DEFAULT, schedule, x0)
    result = helpers.train(model, x0, helpers.Denoising(schedule, helpers.DEFAULT), helpers.DEFAULT, progress=False)
    return result["model"], schedule


def quality(model, schedule):
    """Lesson 09's sharp quality numbers of 10 000 samples (the recipe's sigma, noise seed 0)."""
    samples = helpers.sample(model, schedule, 10_000, generator=torch.Generator().manual_seed(0), sigma=helpers.DEFAULT.sigma)
    return helpers.sharp_quality(samples, energy=False)


if __name__ == "__main__":
    model, schedule = train_default()
    helpers.save_weights(model, CHECKPOINT)
    print(f"wrote {CHECKPOINT}: {quality(model, schedule)}")
