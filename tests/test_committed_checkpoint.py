"""The checkpoint committed for lessons 06 and 07 is what lesson 08's default recipe produces."""

import sys
from pathlib import Path

import torch

import helpers

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import make_checkpoint  # noqa: E402

# Two trainings of one recipe differ only by floating-point rounding (another CPU) or not at all (this
# one); their 10 000-sample energy distances x1e3 then differ by at most the metric's own noise, whose
# standard deviation is about 0.04 (docs/benchmarks.md). 0.15 is almost four of those, and far below
# the gap to an untrained network (> 1).
TOLERANCE = 0.15


def test_committed_checkpoint_matches_a_retrain():
    schedule = helpers.sigmoid_schedule(100)
    committed = helpers.build_model(helpers.DEFAULT, schedule, helpers.s_curve(10_000))
    helpers.load_weights(committed, make_checkpoint.CHECKPOINT)
    retrained, _ = make_checkpoint.train_default()
    q_committed = make_checkpoint.quality(committed, schedule)
    q_retrained = make_checkpoint.quality(retrained, schedule)
    assert abs(q_committed - q_retrained) <= TOLERANCE, (q_committed, q_retrained)
    assert q_committed <= 0.2


def test_an_untrained_network_is_far_off():
    schedule = helpers.sigmoid_schedule(100)
    torch.manual_seed(0)
    untrained = helpers.build_model(helpers.DEFAULT, schedule, helpers.s_curve(10_000))
    assert make_checkpoint.quality(untrained, schedule) > 1 + TOLERANCE
