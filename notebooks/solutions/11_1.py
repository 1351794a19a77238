import math

import torch

import helpers

schedule = helpers.sigmoid_schedule(100)
oracle = helpers.LabelledOracle(schedule)


def classifier_probs(x, t):
    # Bayes' rule in logs: log q_t(x | c) + log p(c) - log q_t(x), with p(c) = 1/3 for three equal pieces.
    log_joint = torch.stack([oracle.conditional[c].log_prob(x, t) for c in range(3)], dim=1) - math.log(3)
    return (log_joint - oracle.unconditional.log_prob(x, t)[:, None]).exp()


helpers.check_exercise("11.1", classifier_probs)
