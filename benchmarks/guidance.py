"""Lesson 11's appendix: what guidance does to the upper arc (label 0), on the full grid of weights and samplers, over
ten seeds.

    .venv/bin/python benchmarks/guidance.py --name guidance-cpu-2core   # about 70 s on one thread

Weights w = 0, 0.5, 1, 2, 4. Samplers: classifier-free guidance with the committed guidance network
(notebooks/checkpoints/guidance_net.pt) and exact classifier guidance with the labelled oracle at gamma = 1 + w, both
with DDIM eta = 1 on all 100 steps; the exact scores with eta = 0 at w = 0, 1, 4; and exact draws of the tilted density
q(x | c)^(1+w) q(x)^(-w) (helpers.tilted_sample). Seed k starts every sampler from helpers.gaussian_prior of the
label's data with generator seed 2 + 100 k and draws the samplers' noise from 3 + 100 k (the tilted density from
4 + 100 k), 2 000 points a run, as lesson 11 does: seeds 0-4 are the lesson's own runs, which its cell compares with
this file; seeds 5-9 are new. Each run is scored by helpers.segment_quality: leakage %, coverage gap within the piece %
and off-curve RMS x 1e3; the floor is ten draws of the label's data.

Writes <out>/<name>.json: {"scores": {"<sampler>|<w>|<seed>": [leakage, gap, off-curve]}, "floor": [[...] x 10], ...}.
"""

import platform

import torch

import helpers
from sections import finish, start

LABEL, N, SEEDS = 0, 2_000, range(10)
WEIGHTS = (0.0, 0.5, 1.0, 2.0, 4.0)
SAMPLERS = {"CFG, network": (1.0, WEIGHTS), "exact guidance": (1.0, WEIGHTS), "exact, eta = 0": (0.0, (0.0, 1.0, 4.0))}


def seeded(k):
    return torch.Generator().manual_seed(k)


def key(who, w, seed):
    return f"{who}|{w:g}|{seed}"


def main():
    args, _, report, began = start(__doc__, "guidance-cpu-2core", ("scores",))
    schedule = helpers.sigmoid_schedule(100)
    x0, u0 = helpers.s_curve(10_000, return_u=True)
    piece = x0[helpers.labels_of(u0) == LABEL]
    oracle = helpers.LabelledOracle(schedule)
    net = helpers.load_model(helpers.COMMITTED_CHECKPOINT.parent / "guidance_net.pt")
    scores = {}
    for seed in SEEDS:
        start_points = helpers.gaussian_prior(piece, schedule, N, generator=seeded(2 + 100 * seed))
        for who, (eta, weights) in SAMPLERS.items():
            model_or_oracle = net if who == "CFG, network" else oracle
            x_T = start_points if model_or_oracle is net else start_points.double()
            for w in weights:
                samples = helpers.sample_steps(helpers.Guided(model_or_oracle, LABEL, w), schedule, N, schedule.T, "ddim",
                                               eta=eta, generator=seeded(3 + 100 * seed), x_T=x_T)
                scores[key(who, w, seed)] = list(helpers.segment_quality(samples.float(), LABEL))
        for w in WEIGHTS:
            tilted = helpers.tilted_sample(oracle, LABEL, w, N, generator=seeded(4 + 100 * seed))
            scores[key("tilted density", w, seed)] = list(helpers.segment_quality(tilted, LABEL))
        print(f"seed {seed} done", flush=True)
    floor = []
    for k in range(10):
        fresh, u_fresh = helpers.s_curve(3 * N, seed=60 + k, return_u=True)
        floor.append(list(helpers.segment_quality(fresh[helpers.labels_of(u_fresh) == LABEL][:N], LABEL)))
    report.update({"machine": f"{platform.machine()}, torch {torch.__version__}, 1 thread", "label": LABEL, "n": N,
                   "seeds": list(SEEDS), "weights": list(WEIGHTS), "metrics": ["leakage %", "gap in piece %", "off-curve"],
                   "scores": scores, "floor": floor})
    print(finish(args, report, began))


if __name__ == "__main__":
    main()
