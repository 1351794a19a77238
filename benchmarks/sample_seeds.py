"""Lesson 10's quality-against-cost sweep on five seeds, with the committed network and with the exact one.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/sample_seeds.py --name sampling-seeds-cpu-2core   # about 6 minutes

Seed k draws the start (helpers.gaussian_prior) from generator seed 2 + 100 k and the samplers' noise from 3 + 100 k,
so seed 0 is lesson 10's own draw and benchmarks/sample_speed.py's. Within a seed every sampler and both networks
share the start and the noise: the comparisons are paired. No timing here (benchmarks/sample_speed.py times the
samplers); quality is lesson 09's sharp metrics on 10 000 points.

Writes <out>/<name>.json: one row per seed, sampler and NFE, and the data floor.
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
SEEDS = range(5)
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
                    samples = helpers.sample_steps(net, schedule, N_SAMPLES, n_steps, method, eta=eta, x_T=start,
                                                   generator=torch.Generator().manual_seed(3 + 100 * seed))
                    quality = helpers.sharp_quality(samples.float(), energy=False)
                    row[who] = {k: round(getattr(quality, k), 4) for k in METRICS}
                rows.append(row)
                print(f"seed {seed} {name:14s} NFE {nfe:3d}: network {row['network']}, oracle {row['oracle']}", flush=True)
    machine = f"{platform.machine()}, {torch.get_num_threads()} torch threads, torch {torch.__version__}, cpu"
    report = {"machine": machine, "n_samples": N_SAMPLES, "seeds": list(SEEDS), "data_floor": floor, "rows": rows}
    print_matches(report)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.name}.json").write_text(json.dumps(report, indent=1) + "\n")
    print(f"wrote {args.out / (args.name + '.json')}")


def print_matches(report):
    """Lesson 10's rule, seed by seed: each metric no worse than the 100-step DDPM's by more than two floor s.d."""
    rows = {(r["sampler"], r["nfe"], r["seed"]): r for r in report["rows"]}
    seeds = report["seeds"]
    for who in ("network", "oracle"):
        print(f"\n{who}: seeds on which each sampler matches the 100-step DDPM; coverage-gap differences")
        for name, nfe in sorted({(r["sampler"], r["nfe"]) for r in report["rows"]}, key=lambda k: (k[1], k[0])):
            results = [helpers.compare(lambda k: rows[name, nfe, k][who][m], lambda k: rows["DDPM", 100, k][who][m], seeds,
                                       names=(f"{name}, {nfe}", "DDPM, 100"), margin=2 * report["data_floor"][m]["sd"])
                       for m in ("off_curve", "coverage_gap")]
            matching = sum(all(r.differences[i] <= r.margin for r in results) for i in range(len(seeds)))
            print(f"{name:14s} {nfe:3d}: {matching}/{len(seeds)}   {results[1].summary()}")


if __name__ == "__main__":
    main()
