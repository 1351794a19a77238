"""Lesson 14's benchmark: what the network predicts, how the loss is weighted, a schedule that ends in noise, and the
best recipe the course knows against lesson 08's default, with the moonshot's criteria.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/targets.py --section grid
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/targets.py --section zero
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/targets.py --section best

Every run: lesson 08's default recipe (helpers.DEFAULT: 1 500 steps of 1 024 points, steps drawn mostly near the data)
with one thing changed, seeds 0-4, trained on helpers.s_curve(10 000). Measured on 10 000 samples of DDPM with
sigma^2 = beta~ over all 100 steps from N(0, I) (noise seed 1000 + seed, the same for every recipe: paired), by lesson
09's sharp metrics, and by the cross-entropy E_q[-log p_theta] of lesson 13's ODE on 2 000 held-out data points (prior
the Gaussian with q(x_T)'s moments, as in benchmarks/likelihood.py; Heun on 100 steps; not for the zero-terminal-SNR schedule, whose ODE starts at infinite noise).
- grid: targets eps, x0, v and edm (EDM's preconditioning) x weightings own, eps (L_simple), elbo, min_snr, edm, and
  lesson 09's exact network through the same sampler (the floor every target shares: the optima are one function).
- zero: the reference schedule against it rescaled to zero terminal SNR (Lin et al. 2024), v and x0 targets, with the
  exact network's numbers on each schedule; samples only.
- search, search_beta: candidates for the best recipe on seeds 0 and 1 only (SEARCH, SEARCH_BETA below, the second
  sampled with sigma^2 = beta), used to choose BEST, never as a claim.
- best: lesson 08's default against the best recipe (BEST below), one run, with the moonshot criteria, on BEST_SEEDS
  (2-11: ten seeds, none of them the search's). The default's networks are sampled twice, with its own sigma^2 = beta~
  and with BEST's sigma^2 = beta ("default, beta"), so that the recipes are also compared at the same sampler.
Each section is stored under its name in <out>/<name>.json (the file is read first, so sections accumulate).
"""

import argparse
import dataclasses
import json
import platform
import time
from pathlib import Path

import torch
from torch import nn

import helpers
from helpers.process.schedules import zero_terminal_snr
from helpers.process.targets import AsEps
from likelihood import moments_prior, seeded, train

HERE = Path(__file__).resolve().parent
SEEDS = (0, 1, 2, 3, 4)
BEST_SEEDS = tuple(range(2, 12))
TARGETS = ("eps", "x0", "v", "edm")
WEIGHTINGS = ("own", "eps", "elbo", "min_snr", "edm")
# Within the moonshot's 30 s of training: 1 500 default steps take 6-8 s on one thread here.
SEARCH_BETA = {
    "edm/own 4500, beta": dataclasses.replace(helpers.DEFAULT, target="edm", steps=4500, sigma="beta"),
    "edm/eps 4500, beta": dataclasses.replace(helpers.DEFAULT, target="edm", weighting="eps", steps=4500, sigma="beta"),
    "edm/own 3000, beta": dataclasses.replace(helpers.DEFAULT, target="edm", steps=3000, sigma="beta"),
    "eps/own 4500, beta": dataclasses.replace(helpers.DEFAULT, steps=4500, sigma="beta"),
}
SEARCH = {
    "edm/own 4500": dataclasses.replace(helpers.DEFAULT, target="edm", steps=4500),
    "edm/eps 4500": dataclasses.replace(helpers.DEFAULT, target="edm", weighting="eps", steps=4500),
    "edm/eps 4500, EMA 0.999": dataclasses.replace(helpers.DEFAULT, target="edm", weighting="eps", steps=4500, ema_decay=0.999),
    "edm/eps 4500, t_power 2": dataclasses.replace(helpers.DEFAULT, target="edm", weighting="eps", steps=4500, t_power=2.0),
    "edm/eps 4500, batch 2048": dataclasses.replace(helpers.DEFAULT, target="edm", weighting="eps", steps=4500, batch_size=2048),
}
BEST = SEARCH_BETA["edm/eps 4500, beta"]


class Denoiser(nn.Module):
    """An oracle's exact E[x_0 | x_t]: lesson 09's optimum read as an x0-prediction (defined at alpha_bar = 0 too)."""

    def __init__(self, oracle, T):
        super().__init__()
        self.oracle, self.T = oracle, T

    def forward(self, x, t):
        return self.oracle.denoise(x, t)


def measure(predictor, schedule, predicts, seed, held_out, likelihood=True, sigma="beta_tilde"):
    """Sample with sigma^2 = beta~ (DDIM with eta = 1) or beta (DDPM) on all steps: helpers.sample's two variances."""
    prior = moments_prior(schedule, helpers.s_curve(10_000)) if likelihood else None
    method, eta = ("ddim", 1.0) if sigma == "beta_tilde" else ("ddpm", 0.0)
    samples = helpers.sample_steps(predictor, schedule, 10_000, schedule.T, method=method, eta=eta,
                                   generator=seeded(1000 + seed), target=predicts)
    quality = helpers.sharp_quality(samples, energy=False)
    row = {"off_curve": quality.off_curve, "coverage_gap": quality.coverage_gap, "stray": quality.stray,
           "sample_nll": quality.nll}
    if likelihood:
        eps_view = predictor if predicts == "eps" else AsEps(predictor, schedule, predicts)
        row["cross_entropy"] = -helpers.ode_log_likelihood(eps_view, schedule, held_out, prior=prior).log_p.mean().item()
    return row


def run(name, config, schedule, x0, held_out, likelihood=True, seeds=SEEDS, also=None):
    """Train config on each seed and measure it with its own sigma; also: {name: sigma}, the same network measured again
    with other samplers."""
    rows = []
    for seed in seeds:
        model, seconds = train(dataclasses.replace(config, seed=seed), schedule, x0)
        for recipe, sigma in {name: config.sigma, **(also or {})}.items():
            row = {"recipe": recipe, "seed": seed, "train_seconds": seconds,
                   **measure(model, schedule, config.predicts, seed, held_out, likelihood, sigma)}
            rows.append(row)
            print(f"{recipe:24s} seed {seed}: " + ", ".join(f"{k} {v:.3f}" for k, v in row.items() if isinstance(v, float)),
                  flush=True)
    return rows


def exact(schedule, held_out, likelihood=True, sigma="beta_tilde", name="exact network", seeds=SEEDS):
    oracle = helpers.s_curve_oracle(schedule)
    return [{"recipe": name, "seed": seed,
             **measure(Denoiser(oracle, schedule.T), schedule, "x0", seed, held_out, likelihood, sigma)} for seed in seeds]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--section", choices=("grid", "zero", "search", "search_beta", "best"), required=True)
    parser.add_argument("--name", default="targets-cpu-2core")
    parser.add_argument("--out", default=str(HERE / "results"))
    args = parser.parse_args()
    start = time.perf_counter()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)")
    schedule = helpers.sigmoid_schedule(100)
    x0 = helpers.s_curve(10_000)
    held_out = helpers.s_curve(2_000, seed=500).double()
    path = Path(args.out) / f"{args.name}.json"
    rows, out = [], {}
    if args.section == "grid":
        rows += exact(schedule, held_out)
        for target in TARGETS:
            for weighting in WEIGHTINGS:
                if (target, weighting) in (("eps", "eps"), ("edm", "edm")):
                    continue  # the same objective as "own"
                config = dataclasses.replace(helpers.DEFAULT, target=target, weighting=weighting)
                rows += run(f"{target}/{weighting}", config, schedule, x0, held_out)
    elif args.section == "zero":
        zero = zero_terminal_snr(schedule)
        rows += [{**row, "schedule": "reference"} for row in exact(schedule, held_out, False)]
        rows += [{**row, "schedule": "zero SNR"} for row in exact(zero, held_out, False)]
        for target in ("v", "x0"):
            config = dataclasses.replace(helpers.DEFAULT, target=target)
            rows += [{**row, "schedule": "reference"} for row in run(target, config, schedule, x0, held_out, False)]
            rows += [{**row, "schedule": "zero SNR"} for row in run(target, config, zero, x0, held_out, False)]
    elif args.section in ("search", "search_beta"):
        rows += exact(schedule, held_out, sigma="beta", name="exact network, beta")[:2]
        for name, config in (SEARCH if args.section == "search" else SEARCH_BETA).items():
            rows += run(name, config, schedule, x0, held_out, seeds=SEEDS[:2])
    else:
        out["best_config"], out["best_seeds"] = BEST.as_dict(), list(BEST_SEEDS)
        rows += exact(schedule, held_out, name="exact network, beta~", seeds=BEST_SEEDS)
        rows += exact(schedule, held_out, sigma="beta", name="exact network, beta", seeds=BEST_SEEDS)
        rows += run("default", helpers.DEFAULT, schedule, x0, held_out, seeds=BEST_SEEDS, also={"default, beta": "beta"})
        rows += run("best", BEST, schedule, x0, held_out, seeds=BEST_SEEDS)
    # Read just before writing, so that sections run one after another all stay.
    out = {**(json.loads(path.read_text()) if path.exists() else {}), **out}
    out.update(name=args.name, machine=platform.machine(), torch=torch.__version__, seeds=list(SEEDS),
               held_out_entropy=-helpers.s_curve_oracle(schedule).log_prob(held_out, None).mean().item())
    out[args.section] = {"threads": torch.get_num_threads(), "seconds": time.perf_counter() - start, "runs": rows}
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path} after {out[args.section]['seconds']:.0f} s")


if __name__ == "__main__":
    main()
