"""Lesson 10's quality-against-cost sweep on ten seeds, with the committed network and with the exact one, and the
100-step DDPM against itself with fresh noise on twenty other seeds, which sets the margin of "matches".

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/sample_seeds.py --name sampling-seeds-cpu-2core   # about 14 minutes

Seed k draws the start (helpers.gaussian_prior) from generator seed 2 + 100 k and the samplers' noise from 3 + 100 k,
so seed 0 is lesson 10's own draw and benchmarks/sample_speed.py's. Within a seed every sampler and both networks
share the start and the noise: the comparisons are paired. The redraws (seeds 200-219, none of them evidence seeds)
run the 100-step DDPM twice from one start, with noise from 3 + 100 k and from 5 + 100 k: the spread of their
difference is the baseline's own draw-to-draw spread (helpers.redraw_margin). No timing here
(benchmarks/sample_speed.py times the samplers); quality is lesson 09's sharp metrics on 10 000 points.

Writes <out>/<name>.json: one row per seed, sampler and NFE, the redraws, and the data floor.
"""

import argparse
import json
import platform
import statistics
from pathlib import Path

import torch

import helpers
from sample_speed import BUDGETS, N_SAMPLES, SAMPLERS, steps_for

HERE = Path(__file__).resolve().parent
SEEDS = range(10)
REDRAW_SEEDS = range(200, 220)
METRICS = ("off_curve", "stray", "coverage_gap", "nll")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--name", default="sampling-seeds")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()

    schedule = helpers.sigmoid_schedule(100)
    x0 = helpers.s_curve(10_000)
    networks = {"network": helpers.load_model(helpers.COMMITTED_CHECKPOINT), "oracle": helpers.s_curve_oracle(schedule)}
    floors = [helpers.sharp_quality(helpers.s_curve(N_SAMPLES, seed=100 + k), energy=False) for k in range(10)]
    floor = {k: {"mean": round(statistics.mean(getattr(q, k) for q in floors), 4),
                 "sd": round(statistics.stdev(getattr(q, k) for q in floors), 4)} for k in METRICS}
    rows = []
    for seed in SEEDS:
        start = helpers.gaussian_prior(x0, schedule, N_SAMPLES, generator=torch.Generator().manual_seed(2 + 100 * seed))
        for name, (method, eta) in SAMPLERS.items():
            for budget in BUDGETS:
                n_steps, nfe = steps_for(method, budget)
                row = {"seed": seed, "sampler": name, "nfe": nfe}
                for who, net in networks.items():
                    row[who] = quality_of(net, schedule, start, n_steps, method, eta, 3 + 100 * seed)
                rows.append(row)
                print(f"seed {seed} {name:14s} NFE {nfe:3d}: network {row['network']}, oracle {row['oracle']}", flush=True)
    redraws = []
    for seed in REDRAW_SEEDS:
        start = helpers.gaussian_prior(x0, schedule, N_SAMPLES, generator=torch.Generator().manual_seed(2 + 100 * seed))
        row = {"seed": seed}
        for who, net in networks.items():
            row[who] = [quality_of(net, schedule, start, 100, "ddpm", 0.0, 3 + 100 * seed + shift) for shift in (0, 2)]
        redraws.append(row)
        print(f"redraw {seed}: network {row['network']}", flush=True)
    machine = f"{platform.machine()}, {torch.get_num_threads()} torch threads, torch {torch.__version__}, cpu"
    report = {"machine": machine, "n_samples": N_SAMPLES, "seeds": list(SEEDS), "data_floor": floor, "rows": rows,
              "redraw_seeds": list(REDRAW_SEEDS), "redraws": redraws}
    report["fewest_as_good"] = fewest_as_good(report)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.name}.json").write_text(json.dumps(report, indent=1) + "\n")
    print(f"wrote {args.out / (args.name + '.json')}")
    print_matches(report)


def quality_of(net, schedule, start, n_steps, method, eta, noise_seed):
    samples = helpers.sample_steps(net, schedule, N_SAMPLES, n_steps, method, eta=eta, x_T=start,
                                   generator=torch.Generator().manual_seed(noise_seed))
    quality = helpers.sharp_quality(samples.float(), energy=False)
    return {k: round(getattr(quality, k), 4) for k in METRICS}


def distance(report, metric, value):
    """Off-curve as the distance from the data's value (a curve sharper than the data is not better); the gap as is."""
    return abs(value - report["data_floor"][metric]["mean"]) if metric == "off_curve" else value


def margins(report, who):
    """Per metric, helpers.redraw_margin of the 100-step DDPM against itself with fresh noise (the redraw seeds)."""
    redraws = {r["seed"]: r[who] for r in report["redraws"]}
    return {m: helpers.redraw_margin(lambda k: distance(report, m, redraws[k][0][m]),
                                     lambda k: distance(report, m, redraws[k][1][m]), report["redraw_seeds"])
            for m in ("off_curve", "coverage_gap")}


def against_ddpm(report, name, nfe, who):
    """Off-curve distance and coverage gap of one sampler against the 100-step DDPM over the evidence seeds, with the
    redraw margins (helpers.compare)."""
    rows = {(r["sampler"], r["nfe"], r["seed"]): r for r in report["rows"]}
    return [helpers.compare(lambda k: distance(report, m, rows[name, nfe, k][who][m]),
                            lambda k: distance(report, m, rows["DDPM", 100, k][who][m]), report["seeds"],
                            names=(f"{name}, {nfe}", "DDPM, 100"), margin=margin)
            for m, margin in margins(report, who).items()]


def fewest_as_good(report, who="network"):
    """The fewest NFE (then the sampler's name) whose comparisons are both no_worse: as good as the 100-step DDPM."""
    keys = sorted({(r["nfe"], r["sampler"]) for r in report["rows"]})
    nfe, name = next(k for k in keys if all(c.no_worse for c in against_ddpm(report, k[1], k[0], who)))
    return {"sampler": name, "nfe": nfe}


def print_matches(report):
    for who in ("network", "oracle"):
        print(f"\n{who}: redraw margins {margins(report, who)}; against the 100-step DDPM (off-curve distance; gap)")
        for name, nfe in sorted({(r["sampler"], r["nfe"]) for r in report["rows"]}, key=lambda k: (k[1], k[0])):
            off, gap = against_ddpm(report, name, nfe, who)
            print(f"{name:14s} {nfe:3d}: {off.summary()}\n{'':19s} {gap.summary()}")


if __name__ == "__main__":
    main()
