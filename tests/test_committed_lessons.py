"""Lessons 11, 12 and 14's committed networks (tools/make_lesson_networks.py) are their recipes: each is retrained, when
something it reads has changed (tests/retrains.py), and its RMS distance to the exact answer, by the lesson's own
`recipe_error`, must lie within RECIPE_MARGIN of the file's. The lessons train the same recipes live for 300 of their
1 500 steps and use the files; until 2026-12-07 they trained the full recipes live and asserted this themselves in every
test run (docs/decisions.md, "Test-suite time budget")."""

import sys
from pathlib import Path

import torch

import helpers
from retrains import retrain_unless_recorded
from test_planted_errors import lesson_functions, targets_lesson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import make_lesson_networks  # noqa: E402

# The four retrainings take about 25 s here; tests/conftest.py starts this file early.
RETRAINS = True
# 4 x sqrt(2) x the s.d. of each network's distance to the exact answer over seeds 1-5 of its recipe
# (benchmarks/recipe_spread.py, docs/benchmarks.md): a retraining that rounds differently lands inside, as another seed
# would; another recipe (tests/test_planted_errors.py) lands outside.
RECIPE_MARGIN = {"guidance": 0.037, "flow": 0.011, "x0": 0.052, "edm": 0.0089}
FILES = make_lesson_networks.FILES


def seeded(k):
    return torch.Generator().manual_seed(k)


def guidance_lesson():
    schedule = helpers.sigmoid_schedule(100)
    lesson = lesson_functions("11_guidance")
    x0, u0 = helpers.s_curve(10_000, return_u=True)
    lesson.update(T=schedule.T, schedule=schedule, x0=x0, labels=helpers.labels_of(u0),
                  oracle=helpers.LabelledOracle(schedule), seeded=seeded)
    return lesson


def flow_lesson():
    lesson = lesson_functions("12_flow_matching")
    lesson.update(oracle=helpers.FlowOracle(helpers.s_curve_oracle()), seeded=seeded)
    return lesson


def committed(name):
    network = helpers.load_model(FILES[name])
    if name == "edm":
        # The wrapper as helpers.build_model makes it, from the float32 data's std (lesson 14).
        return helpers.Preconditioned(network, helpers.sigmoid_schedule(100), helpers.s_curve(10_000).std().item()).eval()
    return network


def same_recipe(name, lesson, retrained):
    error_file, error_retrained = lesson["recipe_error"](committed(name)), lesson["recipe_error"](retrained)
    assert abs(error_retrained - error_file) < RECIPE_MARGIN[name], (name, error_file, error_retrained)
    return {"recipe_error": [error_file, error_retrained]}


def test_the_guidance_network_is_lesson_11_s_recipe():
    retrain_unless_recorded("lesson 11, guidance network", [FILES["guidance"]],
                            lambda: same_recipe("guidance", guidance_lesson(), make_lesson_networks.train_guidance()))


def test_the_velocity_network_is_lesson_12_s_recipe():
    retrain_unless_recorded("lesson 12, velocity network", [FILES["flow"]],
                            lambda: same_recipe("flow", flow_lesson(), make_lesson_networks.train_flow()))


def test_the_x0_and_edm_networks_are_lesson_14_s_recipes():
    def retrain():
        lesson = targets_lesson(helpers.sigmoid_schedule(100))
        return {target: same_recipe(target, lesson, make_lesson_networks.train_target(target)) for target in ("x0", "edm")}

    retrain_unless_recorded("lesson 14, x0 and EDM networks", [FILES["x0"], FILES["edm"]], retrain)
