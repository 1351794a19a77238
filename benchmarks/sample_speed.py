"""Time and score lesson 10's samplers with the committed network: quality against network evaluations (NFE).

    .venv/bin/python benchmarks/sample_speed.py --name sampling-cpu-2core   # about 6 minutes on 2 cores

Every sampler (DDPM on a step subsequence, DDIM with eta = 0 and 1, Heun) draws 10 000 points from the same start,
helpers.gaussian_prior (seed 2), with the same noise seed, at 5, 10, 20, 50 and 100 NFE (Heun: 5, 9, 19, 49, 99).
Quality is lesson 09's sharp metrics plus the energy distance; the same samplers run with the exact network (the
oracle) show how much of the error is discretisation. Time is the median of `--repeats` runs, first on a quiet
machine, then with one busy process beside it (a pure-Python loop on one core, as a browser or another program
would be), in the same run. Today's cost is lesson 07's sampler: helpers.sample, 100 steps, from N(0, I).

"Matches the 100-step DDPM" uses the lesson's rule: off-curve and coverage gap each no worse than the 100-step DDPM
row's by more than two standard deviations of the data-vs-data floor.

Writes <out>/<name>.json and prints a table. With --keep-times the quality is measured afresh (after the committed
network changed) and every time is kept from the existing file, so that a run beside other work leaves the timings as
they were measured.
"""

import argparse
import json
import math
import platform
import statistics
import time
from dataclasses import asdict
from pathlib import Path

import torch

import helpers
from load import LOADS, machine_load

HERE = Path(__file__).resolve().parent
N_SAMPLES = 10_000
BUDGETS = (5, 10, 20, 50, 100)
SAMPLERS = {"DDPM": ("ddpm", 0.0), "DDIM, eta = 0": ("ddim", 0.0), "DDIM, eta = 1": ("ddim", 1.0), "Heun": ("heun", 0.0)}
TARGET_SECONDS = 0.1


def steps_for(method, budget):
    """Steps and the NFE they cost: Heun pays 2N - 1 evaluations for N steps."""
    n_steps = (budget + 1) // 2 if method == "heun" else budget
    return n_steps, 2 * n_steps - 1 if method == "heun" else n_steps


def timed(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times), 4)


def rounded(quality):
    return {k: round(v, 4) for k, v in asdict(quality).items() if not math.isnan(v)}


def matches(row, baseline, floor):
    return (row["off_curve"] <= baseline["off_curve"] + 2 * floor["off_curve"]["sd"]
            and row["coverage_gap"] <= baseline["coverage_gap"] + 2 * floor["coverage_gap"]["sd"])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--name", default="sampling")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--keep-times", action="store_true", help="re-measure quality only; keep the file's times")
    args = parser.parse_args()
    kept = json.loads((args.out / f"{args.name}.json").read_text()) if args.keep_times else None

    schedule = helpers.sigmoid_schedule(100)
    x0 = helpers.s_curve(10_000)
    model = helpers.load_model(helpers.COMMITTED_CHECKPOINT)
    oracle = helpers.s_curve_oracle(schedule)
    start = helpers.gaussian_prior(x0, schedule, N_SAMPLES, generator=torch.Generator().manual_seed(2))
    machine = f"{platform.machine()}, {torch.get_num_threads()} torch threads, torch {torch.__version__}, cpu"

    floors = [helpers.sharp_quality(helpers.s_curve(N_SAMPLES, seed=100 + k)) for k in range(10)]
    floor = {k: {"mean": round(statistics.mean(getattr(q, k) for q in floors), 4),
                 "sd": round(statistics.stdev(getattr(q, k) for q in floors), 4)} for k in asdict(floors[0])}
    print(f"machine: {machine}\ndata floor: {floor}", flush=True)

    def draw(net, method, eta, n_steps):
        return helpers.sample_steps(net, schedule, N_SAMPLES, n_steps, method, eta=eta,
                                    generator=torch.Generator().manual_seed(3), x_T=start)

    def lesson_07():
        return helpers.sample(model, schedule, N_SAMPLES, generator=torch.Generator().manual_seed(3))

    rows = []
    for name, (method, eta) in SAMPLERS.items():
        for budget in BUDGETS:
            n_steps, nfe = steps_for(method, budget)
            rows.append({"sampler": name, "steps": n_steps, "nfe": nfe,
                         "network": rounded(helpers.sharp_quality(draw(model, method, eta, n_steps))),
                         "oracle": rounded(helpers.sharp_quality(draw(oracle, method, eta, n_steps), energy=False))})
            print(f"{name:14s} NFE {nfe:3d}: network {rows[-1]['network']}, oracle {rows[-1]['oracle']}", flush=True)
    lesson_07_quality = rounded(helpers.sharp_quality(lesson_07()))

    lesson_07_seconds = {}
    if kept:
        machine = kept["machine"]
        for row, old in zip(rows, kept["rows"]):
            assert (row["sampler"], row["nfe"]) == (old["sampler"], old["nfe"])
            row.update({f"seconds_{load}": old[f"seconds_{load}"] for load in LOADS})
        lesson_07_seconds = {load: kept["lesson_07_sampler"][f"seconds_{load}"] for load in LOADS}
    for load in () if kept else LOADS:
        with machine_load(load):
            for row in rows:
                method, eta = SAMPLERS[row["sampler"]]
                row[f"seconds_{load}"] = timed(lambda: draw(model, method, eta, row["steps"]), args.repeats)
            lesson_07_seconds[load] = timed(lesson_07, args.repeats)
        print(f"{load}: lesson 07's sampler {lesson_07_seconds[load]} s", flush=True)

    baseline = next(r for r in rows if r["sampler"] == "DDPM" and r["nfe"] == 100)
    matching = sorted((r for r in rows if matches(r["network"], baseline["network"], floor)), key=lambda r: (r["nfe"], r["seconds_quiet"]))
    fewest = matching[0]
    report = {
        "machine": machine,
        "n_samples": N_SAMPLES,
        "data_floor": floor,
        "lesson_07_sampler": {"quality": lesson_07_quality, "seconds_quiet": lesson_07_seconds["quiet"],
                              "seconds_busy": lesson_07_seconds["busy"]},
        "rows": rows,
        "fewest_matching": {"sampler": fewest["sampler"], "nfe": fewest["nfe"], "seconds_quiet": fewest["seconds_quiet"],
                            "seconds_busy": fewest["seconds_busy"],
                            "speed_up_quiet": round(lesson_07_seconds["quiet"] / fewest["seconds_quiet"], 2),
                            "speed_up_busy": round(lesson_07_seconds["busy"] / fewest["seconds_busy"], 2)},
        "target_seconds": TARGET_SECONDS,
        "best_within_target": best_within(rows, TARGET_SECONDS),
    }
    print_table(report)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.name}.json").write_text(json.dumps(report, indent=1) + "\n")
    print(f"wrote {args.out / (args.name + '.json')}")


def best_within(rows, seconds):
    """The most precise network row (lowest off-curve) whose quiet time is within the target, and the oracle's at that NFE."""
    fast = [r for r in rows if r["seconds_quiet"] <= seconds]
    if not fast:
        return None
    best = min(fast, key=lambda r: r["network"]["off_curve"])
    return {"sampler": best["sampler"], "nfe": best["nfe"], "seconds_quiet": best["seconds_quiet"],
            "network": best["network"], "oracle": best["oracle"]}


def print_table(report):
    print(f"\n{'sampler':14s} {'NFE':>4s} {'quiet s':>8s} {'busy s':>7s} | network: {'off':>6s} {'stray':>6s} {'gap':>5s} "
          f"{'energy':>6s} | oracle: {'off':>6s} {'gap':>5s}")
    for r in report["rows"]:
        n, o = r["network"], r["oracle"]
        print(f"{r['sampler']:14s} {r['nfe']:4d} {r['seconds_quiet']:8.3f} {r['seconds_busy']:7.3f} | {'':9s}{n['off_curve']:6.2f} "
              f"{n['stray']:6.2f} {n['coverage_gap']:5.2f} {n['energy']:6.3f} | {'':8s}{o['off_curve']:6.2f} {o['coverage_gap']:5.2f}")
    lesson_07 = report["lesson_07_sampler"]
    print(f"lesson 07's sampler (N(0, I), 100 steps): {lesson_07['seconds_quiet']} s quiet, {lesson_07['seconds_busy']} s busy, "
          f"{lesson_07['quality']}")
    print(f"fewest NFE matching the 100-step DDPM: {report['fewest_matching']}")
    print(f"best within {report['target_seconds']} s: {report['best_within_target']}")


if __name__ == "__main__":
    main()
