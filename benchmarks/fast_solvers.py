"""Lesson 15's fast solvers against the 100-step DDPM: quality over five paired seeds, each beside its exact-network
floor, and the time for 10 000 points.

    .venv/bin/python benchmarks/fast_solvers.py --name fast-solvers-cpu-2core   # about 10 minutes on 2 cores

Sections, in one run:
- choose: on seeds 10 and 11 (never used below), each solver's grid (helpers.GRIDS) and the corrector's snr, by the
  mean over both seeds and 10 and 20 NFE of the larger of off-curve's and coverage gap's excess over that seed's
  100-step DDPM, each in units of its margin (two data-floor s.d.): how far the sampler is from lesson 10's rule;
- grids: every solver on every grid at 10 NFE (Heun and PC at 9), seeds 0-4, network and exact network;
- race: every solver on its chosen grid at 3 to 50 NFE, seeds 0-4, network and exact network;
- speed: for the fastest sampler that matches on every seed, the time for 10 000 points through each removal of
  overhead, quiet and beside one busy process, at one torch thread (what `course.py lab` gives a kernel on 2 cores)
  and quiet at two; and the cost of one network evaluation.
Seed k starts from helpers.gaussian_prior drawn with generator seed 2 + 100 k and draws noise from 3 + 100 k, as
benchmarks/sample_seeds.py does, so every sampler and both networks share start and noise within a seed.

Writes <out>/<name>.json.
"""

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import torch

import helpers
from load import LOADS, machine_load

HERE = Path(__file__).resolve().parent
N_SAMPLES = 10_000
SEEDS = range(5)
CHOICE_SEEDS = (10, 11)
SOLVERS = ("ddim", "heun", "dpm2", "dpm3", "dpm++2m", "pc")
BUDGETS = (3, 4, 5, 6, 8, 10, 12, 15, 20, 30, 50)
SNRS = (0.05, 0.1, 0.16, 0.3)
METRICS = ("off_curve", "stray", "coverage_gap", "nll")
RULE = ("off_curve", "coverage_gap")
TARGET_SECONDS = 0.1


def grid_points(solver, budget):
    """Grid steps for a budget of evaluations, and the NFE they cost: Heun and PC pay 2 n - 1 for n steps."""
    two = solver in ("heun", "pc")
    n = max(2, (budget + 1) // 2) if two else budget
    return n, 2 * n - 1 if two else n


class Setup:
    def __init__(self):
        self.schedule = helpers.sigmoid_schedule(100)
        self.x0 = helpers.s_curve(10_000)
        self.networks = {"network": helpers.load_model(helpers.COMMITTED_CHECKPOINT),
                         "oracle": helpers.s_curve_oracle(self.schedule)}
        floors = [helpers.sharp_quality(helpers.s_curve(N_SAMPLES, seed=100 + k), energy=False) for k in range(10)]
        self.floor = {m: {"mean": round(statistics.mean(getattr(q, m) for q in floors), 4),
                          "sd": round(statistics.stdev(getattr(q, m) for q in floors), 4)} for m in METRICS}
        self.starts = {}

    def start(self, seed):
        if seed not in self.starts:
            self.starts[seed] = helpers.gaussian_prior(self.x0, self.schedule, N_SAMPLES,
                                                       generator=torch.Generator().manual_seed(2 + 100 * seed))
        return self.starts[seed]

    def draw(self, who, solver, steps, seed, snr=helpers.PC_SNR):
        net = self.networks[who]
        noise = torch.Generator().manual_seed(3 + 100 * seed)
        if solver != "pc":
            return helpers.sample_steps(net, self.schedule, N_SAMPLES, steps, solver, x_T=self.start(seed), generator=noise)
        steps_t = torch.as_tensor(steps)
        alpha_bar = torch.cat([self.schedule.alpha_bar.double()[steps_t], torch.ones(1, dtype=torch.float64)])
        with torch.no_grad():
            return helpers.dpm_solve(lambda x, k: net(x, steps_t[k]), self.start(seed).clone(), alpha_bar, "pc",
                                     generator=noise, snr=snr)

    def quality(self, who, solver, steps, seed, snr=helpers.PC_SNR):
        q = helpers.sharp_quality(self.draw(who, solver, steps, seed, snr).float(), energy=False)
        return {m: round(getattr(q, m), 4) for m in METRICS}

    def steps(self, solver, budget, grid):
        n, nfe = grid_points(solver, budget)
        return helpers.grid_steps(self.schedule, n, grid), nfe


def excess(row, baseline, floor):
    """How far a row is from lesson 10's rule: the larger excess over the baseline, in margins (two floor s.d.)."""
    return max((row[m] - baseline[m]) / (2 * floor[m]["sd"]) for m in RULE)


def choose(setup):
    """Each solver's grid, and PC's snr, on the choice seeds."""
    baselines = {seed: setup.quality("network", "ddpm", 100, seed) for seed in CHOICE_SEEDS}
    scores, best = {}, {}
    for solver in SOLVERS:
        for grid in helpers.GRIDS:
            for snr in (SNRS if solver == "pc" else (None,)):
                values = []
                for seed in CHOICE_SEEDS:
                    for budget in (10, 20):
                        steps, _ = setup.steps(solver, budget, grid)
                        row = setup.quality("network", solver, steps, seed, snr or helpers.PC_SNR)
                        values.append(excess(row, baselines[seed], setup.floor))
                key = grid if snr is None else f"{grid}, snr {snr}"
                scores.setdefault(solver, {})[key] = round(statistics.mean(values), 3)
        key = min(scores[solver], key=scores[solver].get)
        best[solver] = {"grid": key.split(",")[0], "snr": float(key.split("snr ")[1]) if "snr" in key else None}
        print(f"choose {solver:8s}: {scores[solver]} -> {best[solver]}", flush=True)
    return scores, best


def rows_for(setup, solver, grid, budgets, snr):
    rows = []
    for budget in budgets:
        steps, nfe = setup.steps(solver, budget, grid)
        if any(r["nfe"] == nfe for r in rows):
            continue
        for seed in SEEDS:
            row = {"solver": solver, "grid": grid, "nfe": nfe, "seed": seed, "steps": steps.tolist()}
            for who in setup.networks:
                row[who] = setup.quality(who, solver, steps, seed, snr or helpers.PC_SNR)
            rows.append(row)
        print(f"{solver:8s} {grid:7s} NFE {nfe:2d}: network {rows[-1]['network']}, oracle {rows[-1]['oracle']}", flush=True)
    return rows


def matching_seeds(rows, baselines, floor, who="network"):
    """Per (solver, grid, nfe): the seeds on which the row meets lesson 10's rule against that seed's 100-step DDPM."""
    result = {}
    for row in rows:
        ok = all(row[who][m] - baselines[row["seed"]][who][m] <= 2 * floor[m]["sd"] for m in RULE)
        result.setdefault((row["solver"], row["grid"], row["nfe"]), []).append(ok)
    return result


def timed(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times), 4)


def speed(setup, solver, grid, nfe, repeats):
    """Seconds for 10 000 points, each variant removing one more overhead, at one thread quiet and busy, two quiet."""
    model = setup.networks["network"]
    n, _ = grid_points(solver, nfe)
    steps = helpers.grid_steps(setup.schedule, n, grid)
    alpha_bar = torch.cat([setup.schedule.alpha_bar.double()[steps], torch.ones(1, dtype=torch.float64)])
    step_list, x_T = steps.tolist(), setup.start(0)
    fast = helpers.FastEps(model)

    def plain():
        return helpers.sample_steps(model, setup.schedule, N_SAMPLES, steps, solver, x_T=x_T)

    def inference():
        with torch.inference_mode():
            return plain()

    def unchecked():
        with torch.inference_mode():
            return helpers.solve(lambda x, k: model(x, steps[k]), x_T, alpha_bar, solver)

    def fused():
        with torch.inference_mode():
            return helpers.solve(lambda x, k: fast.raw(x, step_list[k]), x_T, alpha_bar, solver)

    variants = {"sample_steps": plain, "+ inference_mode": inference, "+ one grid check, no per-step checks": unchecked,
                "+ FastEps (fused layers)": fused}
    gap = (fused() - plain()).abs().max().item()
    result = {"solver": solver, "grid": grid, "nfe": nfe, "max_gap_fused_vs_plain": gap, "seconds": {}}
    with torch.inference_mode():
        one_eval = lambda: fast.raw(x_T, step_list[len(step_list) // 2])  # noqa: E731
        result["one_evaluation"] = {}
        for threads, loads in ((1, LOADS), (2, ("quiet",))):
            torch.set_num_threads(threads)
            for load in loads:
                with machine_load(load):
                    key = f"{threads} thread{'s' * (threads > 1)}, {load}"
                    result["seconds"][key] = {name: timed(fn, repeats) for name, fn in variants.items()}
                    result["one_evaluation"][key] = timed(one_eval, repeats * 3)
                print(f"speed {key}: {result['seconds'][key]}, one evaluation {result['one_evaluation'][key]}", flush=True)
    torch.set_num_threads(1)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--name", default="fast-solvers")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--speed-only", action="store_true",
                        help="time the fewest-NFE sampler of an existing <name>.json again, keeping its quality rows")
    parser.add_argument("--no-speed", action="store_true", help="leave the timing out (a busy machine)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    began = time.perf_counter()
    setup = Setup()
    path = args.out / f"{args.name}.json"
    if args.speed_only:
        report = json.loads(path.read_text())
        nfe, solver = report["fewest_matching_every_seed"]
        report["speed"] = speed(setup, solver, report["best"][solver]["grid"], nfe, args.repeats)
        path.write_text(json.dumps(report, indent=1) + "\n")
        return
    scores, best = choose(setup)
    baselines = {seed: {who: setup.quality(who, "ddpm", 100, seed) for who in setup.networks} for seed in SEEDS}
    grid_rows = [row for solver in SOLVERS for grid in helpers.GRIDS
                 for row in rows_for(setup, solver, grid, (10,), best[solver]["snr"])]
    race = [row for solver in SOLVERS for row in rows_for(setup, solver, best[solver]["grid"], BUDGETS, best[solver]["snr"])]
    matches = matching_seeds(race, baselines, setup.floor)
    every_seed = sorted((nfe, solver) for (solver, grid, nfe), ok in matches.items() if all(ok))
    fastest = None
    if every_seed and not args.no_speed:
        nfe, solver = every_seed[0]
        fastest = speed(setup, solver, best[solver]["grid"], nfe, args.repeats)
    machine = f"{platform.machine()}, torch {torch.__version__}, cpu, {torch.get_num_threads()} thread for quality"
    report = {"machine": machine, "n_samples": N_SAMPLES, "seeds": list(SEEDS), "choice_seeds": list(CHOICE_SEEDS),
              "data_floor": setup.floor, "choice_scores": scores, "best": best, "ddpm_100": baselines,
              "grids": grid_rows, "race": race,
              "matching": {f"{s}|{g}|{n}": ok for (s, g, n), ok in matches.items()},
              "fewest_matching_every_seed": every_seed[0] if every_seed else None,
              "speed": fastest, "target_seconds": TARGET_SECONDS,
              "total_seconds": round(time.perf_counter() - began)}
    args.out.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1) + "\n")
    print(f"fewest NFE matching on every seed: {report['fewest_matching_every_seed']}; {report['total_seconds']} s; "
          f"wrote {path}")


if __name__ == "__main__":
    main()
