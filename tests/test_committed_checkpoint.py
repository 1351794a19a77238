"""The checkpoint committed for lessons 06, 07, 09 and 10 and the talk is what lesson 08's default recipe produces,
retrained when something the recipe reads has changed (tests/retrains.py)."""

import sys
from pathlib import Path

import torch

import helpers
from retrains import retrain_unless_recorded

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import make_checkpoint  # noqa: E402

# Retraining takes about 25 s: tests/conftest.py starts this file early.
RETRAINS = True

# Two trainings of one recipe differ only by floating-point rounding (another CPU) or not at all (this one).
# Their off-curve RMS x 1e3 (10 000 samples) then differ by about the metric's own noise, whose standard deviation
# between data samples is about 0.09 (docs/benchmarks.md); 0.3 is more than three of those, and far below the gap
# between the committed network and an untrained one.
TOLERANCE = 0.3


def test_committed_checkpoint_matches_a_retrain():
    def retrain_and_compare():
        schedule = helpers.sigmoid_schedule(100)
        committed = helpers.build_model(helpers.DEFAULT, schedule, helpers.s_curve(10_000))
        helpers.load_weights(committed, make_checkpoint.CHECKPOINT)
        retrained, _ = make_checkpoint.train_default()
        q_committed = make_checkpoint.quality(committed, schedule)
        q_retrained = make_checkpoint.quality(retrained, schedule)
        assert abs(q_committed.off_curve - q_retrained.off_curve) <= TOLERANCE, (q_committed, q_retrained)
        assert abs(q_committed.coverage_gap - q_retrained.coverage_gap) <= 1.0, (q_committed, q_retrained)
        return {"off_curve": [q_committed.off_curve, q_retrained.off_curve],
                "coverage_gap": [q_committed.coverage_gap, q_retrained.coverage_gap]}

    retrain_unless_recorded("lesson 08's default recipe", [make_checkpoint.CHECKPOINT], retrain_and_compare)


def test_an_untrained_network_is_far_off():
    schedule = helpers.sigmoid_schedule(100)
    torch.manual_seed(0)
    untrained = helpers.build_model(helpers.DEFAULT, schedule, helpers.s_curve(10_000))
    committed = helpers.load_weights(helpers.build_model(helpers.DEFAULT, schedule, helpers.s_curve(10_000)), make_checkpoint.CHECKPOINT)
    assert make_checkpoint.quality(untrained, schedule).off_curve > make_checkpoint.quality(committed, schedule).off_curve + 10 * TOLERANCE
