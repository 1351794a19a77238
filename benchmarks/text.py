"""Lesson 19's text: a masked-diffusion transformer against an autoregressive one of the same size, recipe and steps,
over ten training seeds, in bits per character on the test split.

    .venv/bin/python benchmarks/text.py --name text-cpu-2core   # about 35 minutes on 2 cores (two seeds at a time)

The corpus is helpers.data.text's (torch.nn.modules' source, windows of 128 characters; the test split is every file's
last tenth, 699 windows). Sections:
- "baselines": exact test bits per character of models with no network: uniform over the K = 96 characters, the
  training split's character shares (counted plus one), and a bigram model (each character given the one before,
  counted plus one; a window's first character from the shares), each window scored from its own start as the
  networks score it.
- "models": for each seed in SEEDS (not 0, which chose the recipe), helpers.train_text for both objectives; the
  autoregressive model's exact test bits per character and the masked model's bound (helpers.masked_elbo_sampled,
  DRAWS passes, its Monte Carlo s.e. recorded); training seconds; N_SAMPLES samples of each, the masked model's by
  unmasking with each number of steps in STEPS (random order) and 128 steps in the confidence order, scored in bits per
  character by a judge: the autoregressive model of the next seed (a network that never saw the samples' maker), which
  also scores the test windows (the floor real text sets).
Two seeds train at a time, each process on one thread. Writes <out>/<name>.json and prints the tables.
"""

import math
import multiprocessing
import platform
import statistics
import time

import torch

import helpers
from helpers.data.text import text_split
from helpers.training.text import train_text
from sections import finish, start

# Seed 0 chose the recipe (its position encoding, docs/decisions.md), so it never confirms anything here.
SEEDS = range(10, 20)
DRAWS = 8
N_SAMPLES = 64
STEPS = (16, 128)


def bits(nats, d):
    return nats / (d * math.log(2))


def baselines(train, test, K):
    """Exact test bits per character of the models with no network (module docstring)."""
    shares = torch.bincount(train.reshape(-1), minlength=K).double() + 1
    log_share = (shares / shares.sum()).log()
    pairs = torch.zeros(K, K, dtype=torch.float64).index_put_((train[:, :-1].reshape(-1), train[:, 1:].reshape(-1)),
                                                              torch.ones(train[:, 1:].numel(), dtype=torch.float64),
                                                              accumulate=True) + 1
    log_next = (pairs / pairs.sum(1, keepdim=True)).log()
    d = test.shape[1]
    bigram = log_share[test[:, 0]] + log_next[test[:, :-1], test[:, 1:]].sum(1)
    return {"uniform": round(math.log2(K), 4), "character shares": round(bits(-log_share[test].sum(1).mean().item(), d), 4),
            "bigram": round(bits(-bigram.mean().item(), d), 4)}


def train_pair(seed):
    """Both text models for one seed, each with its training seconds."""
    torch.set_num_threads(1)
    train, characters = text_split("train", stride=16)
    return {objective: train_text(objective, train, characters.K, seed=seed) for objective in ("masked", "autoregressive")}


def score_seed(seed, models, judge, test):
    d = test.shape[1]
    masked, autoregressive = models["masked"]["model"], models["autoregressive"]["model"]
    generator = torch.Generator().manual_seed(1000 + seed)
    bound = helpers.masked_elbo_sampled(masked, test, generator, draws=DRAWS)
    row = {"seed": seed, "seconds": {k: round(v["seconds"], 1) for k, v in models.items()},
           "autoregressive_bpc": round(bits(helpers.autoregressive_nll(autoregressive, test).mean().item(), d), 4),
           "masked_bpc": round(bits(bound.mean().item(), d), 4),
           "masked_bpc_se": round(bits(bound.std().item() / math.sqrt(len(bound)), d), 4),
           "judge_test_bpc": round(bits(helpers.autoregressive_nll(judge, test).mean().item(), d), 4), "samples": {}}
    sampled = {f"masked random {steps}": lambda g, steps=steps: helpers.unmask_sample(masked, N_SAMPLES, steps, "random", g)
               for steps in STEPS}
    sampled["masked confidence 128"] = lambda g: helpers.unmask_sample(masked, N_SAMPLES, 128, "confidence", g)
    sampled["autoregressive"] = lambda g: helpers.autoregressive_sample(autoregressive, N_SAMPLES, g)
    for name, draw in sampled.items():
        began = time.perf_counter()
        tokens = draw(torch.Generator().manual_seed(2000 + seed))
        seconds = time.perf_counter() - began
        row["samples"][name] = {"judge_bpc": round(bits(helpers.autoregressive_nll(judge, tokens).mean().item(), d), 4),
                                "seconds": round(seconds, 2)}
    return row


def mean_sd(values):
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def main():
    args, asked, report, began = start(__doc__.splitlines()[0], "text-cpu-2core", ("baselines", "models"))
    train, characters = text_split("train")
    test, _ = text_split("test")
    report.update(machine=f"{platform.machine()}, 1 thread per process, 2 processes, torch {torch.__version__}",
                  seeds=list(SEEDS), draws=DRAWS, n_samples=N_SAMPLES, test_windows=len(test), length=test.shape[1])
    if "baselines" in asked:
        report["baselines"] = baselines(train, test, characters.K)
        print(report["baselines"])
    if "models" in asked:
        with multiprocessing.get_context("spawn").Pool(2) as pool:
            trained = dict(zip(SEEDS, pool.map(train_pair, SEEDS)))
        torch.set_num_threads(2)
        seeds = list(SEEDS)
        report["models"] = [score_seed(seed, trained[seed], trained[seeds[(i + 1) % len(seeds)]]["autoregressive"]["model"], test)
                            for i, seed in enumerate(seeds)]
        rows = report["models"]
        for key in ("autoregressive_bpc", "masked_bpc", "judge_test_bpc"):
            print(f"{key:20s} {mean_sd([r[key] for r in rows])}")
        print("masked - autoregressive", mean_sd([r["masked_bpc"] - r["autoregressive_bpc"] for r in rows]))
        for objective in ("masked", "autoregressive"):
            print(f"{objective} training seconds {mean_sd([r['seconds'][objective] for r in rows])}")
        for name in rows[0]["samples"]:
            print(f"{name:24s} judge {mean_sd([r['samples'][name]['judge_bpc'] for r in rows])}  "
                  f"seconds {mean_sd([r['samples'][name]['seconds'] for r in rows])}")
    print(finish(args, report, began))


if __name__ == "__main__":
    main()
