"""What tests/test_planted_errors.py runs in each process of a group to plant an error there: new processes import
this module by name (helpers.launch), so a plant made in the test's own process would not reach them."""

import helpers
import helpers.training.loop as loop


def train_with_ema_on_rank_0(x0, config):
    """helpers.train_digits_member with the EMA updated by the first process only: the distributed EMA bug."""
    update_ema = loop.update_ema

    def on_rank_0_only(ema, model, weight):
        if loop.process_group()[0] == 0:
            update_ema(ema, model, weight)

    loop.update_ema = on_rank_0_only
    return helpers.train_digits_member(x0, config)
