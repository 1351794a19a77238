"""Train the networks of lessons 11, 12 and 14, their recipes in full; write the checkpoints their later cells and
explorers load.

    OMP_NUM_THREADS=1 .venv/bin/python tools/make_lesson_networks.py      (about a minute)

with the kernels course.py pins for tests and builds (`course.same_kernels`) set in the environment too: the files are
then the lessons' live networks bit for bit on every CPU those kernels run on.

Each lesson trains its recipe live for 300 of its 1 500 steps, as a learner does, prints its network's distance to the
exact answer beside the file's, and uses the file in its later cells and its explorer, so their numbers do not depend on
how another CPU rounds training, and the browser run needs no training. tests/test_committed_lessons.py retrains the full
recipes when something they read changes (tests/retrains.py) and checks each within RECIPE_MARGIN of its file
(benchmarks/recipe_spread.py; docs/decisions.md, "Test-suite time budget").
"""

import dataclasses

import torch

import helpers

FOLDER = helpers.COMMITTED_CHECKPOINT.parent
FILES = {"guidance": FOLDER / "guidance_net.pt", "flow": FOLDER / "flow_net.pt",
         "x0": FOLDER / "target_x0.pt", "edm": FOLDER / "target_edm.pt"}


def train_guidance(seed=0):
    """Lesson 11: the label-conditional network, labels dropped with probability 0.1, lesson 08's default recipe."""
    schedule, config = helpers.sigmoid_schedule(100), dataclasses.replace(helpers.DEFAULT, seed=seed)
    x0, u0 = helpers.s_curve(10_000, return_u=True)
    torch.manual_seed(seed)
    model = helpers.ConditionalNoisePredictor(schedule.T, n_labels=3, c_in=helpers.input_scale(schedule, x0.std().item()))
    objective = helpers.LabelDropout(schedule, config, p=0.1)
    return helpers.train(model, (x0, helpers.labels_of(u0)), objective, config, progress=False)["model"].eval()


def train_flow(seed=0):
    """Lesson 12: the velocity network, lesson 08's default recipe with flow matching's loss."""
    x0, config = helpers.s_curve(10_000), dataclasses.replace(helpers.DEFAULT, seed=seed)
    torch.manual_seed(seed)
    model = helpers.build_flow_model(config, x0)
    return helpers.train(model, x0, helpers.FlowLoss(), config, progress=False)["model"].eval()


def train_target(target, seed=0):
    """Lesson 14: lesson 08's default recipe with another target ("x0", or "edm" inside helpers.Preconditioned)."""
    schedule, x0 = helpers.sigmoid_schedule(100), helpers.s_curve(10_000)
    config = dataclasses.replace(helpers.DEFAULT, target=target, seed=seed)
    torch.manual_seed(seed)
    model = helpers.build_model(config, schedule, x0)
    return helpers.train(model, x0, helpers.Denoising(schedule, config), config, progress=False)["model"].eval()


if __name__ == "__main__":
    trained = {"guidance": train_guidance(), "flow": train_flow(), "x0": train_target("x0"), "edm": train_target("edm")}
    for name, network in trained.items():
        # A Preconditioned network's file holds its raw network; the lesson rebuilds the wrapper from the data's std.
        helpers.save_weights(network.raw if isinstance(network, helpers.Preconditioned) else network, FILES[name])
        print(f"wrote {FILES[name].relative_to(FOLDER.parent.parent)}")
