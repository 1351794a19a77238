"""Functions the tests run in each process of a group (helpers.launch): new processes import them by name, so a
function defined in a test, or a plant made in the test's own process, would not reach them."""

import torch

import helpers
import helpers.training.loop as loop
from helpers.data.digits import Dequantised


def train_with_ema_on_rank_0(x0, config):
    """helpers.train_digits_member with the EMA updated by the first process only: the distributed EMA bug."""
    update_ema = loop.update_ema

    def on_rank_0_only(ema, model, weight):
        if loop.process_group()[0] == 0:
            update_ema(ema, model, weight)

    loop.update_ema = on_rank_0_only
    return helpers.train_digits_member(x0, config)


def stop_where_rank_1_asks(x0, config, stop_at, agree=True):
    """helpers.train on the digits with on_checkpoint asking to stop at stop_at in the second process only: returns the
    number of steps each process ran. agree=False plants the error: each process follows its own answer."""
    if not agree:
        loop.agreed = lambda stop, device: stop
    torch.manual_seed(config.seed)
    model = helpers.digits_network(x0)
    objective = Dequantised(helpers.Denoising(helpers.digits_schedule(), config))
    rank = loop.process_group()[0]
    result = helpers.train(model, x0, objective, config, every=1, progress=False,
                           on_checkpoint=lambda step, sampler: rank == 1 and step == stop_at)
    return len(result["losses"])
