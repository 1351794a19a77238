"""Lesson 15's fast solvers against the 100-step DDPM: quality over paired seeds, each beside its exact-network floor,
and the time for 10 000 points.

    .venv/bin/python benchmarks/fast_solvers.py --name fast-solvers-cpu-2core   # about 22 minutes on 2 cores

Sections, in one run:
- choose: on seeds 10 and 11 (never used below), each solver's grid (helpers.GRIDS) and the corrector's kappa, by the
  mean over both seeds and 10 and 20 NFE of the larger of off-curve's and coverage gap's excess over that seed's
  100-step DDPM, each in units of its margin (two data-floor s.d.): how far the sampler is from lesson 10's rule;
- grids: every solver on every grid at 10 NFE (Heun and PC at 9), seeds 0-4, network and exact network;
- race: every solver on its chosen grid at 3 to 50 NFE, seeds 0-9, network and exact network, judged by lesson 10's
  rule (docs/decisions.md, "Evidence: the calibrated rule"): off-curve as the distance from the data's and the coverage
  gap, each compared with the 100-step DDPM's by helpers.compare, with the margins that benchmarks/sample_seeds.py
  measured on its redraws of the same 100-step DDPM (same network, seeds scheme and size); a row is as good as the DDPM
  when both are no_worse;
- noise: DDIM with eta = 0, 0.5 and 1 and DDPM on DDIM's chosen grid at 10 and 20 NFE, seeds 0-4: the knob between the
  ODE and the reverse SDE;
- start: N(0, I) at step T - 1 corrected by 0 to 100 Langevin steps (helpers.langevin, kappa 0.16) with the exact and the
  network's eps, seeds 0-4: its energy distance to exact draws of q_T, and the exact network's samples from it by
  DPM-Solver++(2M) at 20 NFE on its chosen grid; helpers.gaussian_prior's start beside it;
- speed: for the fewest-NFE sampler as good as the 100-step DDPM, the time for 10 000 points through each removal of
  overhead, quiet and beside one busy process, at one torch thread (what `course.py lab` gives a kernel on 2 cores)
  and quiet at two, beside the 100-step DDPM it matches (the same network through helpers.sample_steps); and the cost
  of the evaluations alone (FastEps at the sampler's steps, no solver arithmetic): the floor of NFE x cost per evaluation.
Seed k starts from helpers.gaussian_prior drawn with generator seed 2 + 100 k and draws noise from 3 + 100 k, as
benchmarks/sample_seeds.py does, so every sampler and both networks share start and noise within a seed.

Writes <out>/<name>.json; --sections runs some sections again and keeps the others' results from that file.
"""

import json
import os
import platform
import statistics
import time
from pathlib import Path

import torch

import helpers
import sample_seeds
from load import timed_settings
from sections import data_floor, finish, start

# Inductor compiles in a pool of worker processes that outlive the compile; one in-process thread keeps the timings quiet.
os.environ.setdefault("TORCHINDUCTOR_COMPILE_THREADS", "1")
HERE = Path(__file__).resolve().parent
N_SAMPLES = 10_000
SEEDS = range(5)
RACE_SEEDS = range(10)
CHOICE_SEEDS = (10, 11)
SOLVERS = ("ddim", "heun", "dpm2", "dpm3", "dpm++2m", "pc")
BUDGETS = (3, 4, 5, 6, 8, 10, 12, 15, 20, 30, 50)
KAPPAS = (0.05, 0.1, 0.16, 0.3)
ETAS = (0.0, 0.5, 1.0)
CORRECTOR_STEPS = (0, 5, 10, 20, 50, 100)
SECTIONS = ("choose", "grids", "race", "noise", "start", "speed")
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
        self.floor = data_floor(METRICS, N_SAMPLES)
        self.starts = {}

    def start(self, seed):
        if seed not in self.starts:
            self.starts[seed] = helpers.gaussian_prior(self.x0, self.schedule, N_SAMPLES,
                                                       generator=torch.Generator().manual_seed(2 + 100 * seed))
        return self.starts[seed]

    def draw(self, who, solver, steps, seed, kappa=helpers.PC_KAPPA):
        net = self.networks[who]
        noise = torch.Generator().manual_seed(3 + 100 * seed)
        if solver != "pc":
            return helpers.sample_steps(net, self.schedule, N_SAMPLES, steps, solver, x_T=self.start(seed), generator=noise)
        steps_t = torch.as_tensor(steps)
        alpha_bar = torch.cat([self.schedule.alpha_bar.double()[steps_t], torch.ones(1, dtype=torch.float64)])
        with torch.no_grad():
            return helpers.dpm_solve(lambda x, k: net(x, steps_t[k]), self.start(seed).clone(), alpha_bar, "pc",
                                     generator=noise, kappa=kappa)

    def quality(self, who, solver, steps, seed, kappa=helpers.PC_KAPPA):
        q = helpers.sharp_quality(self.draw(who, solver, steps, seed, kappa).float(), energy=False)
        return {m: round(getattr(q, m), 4) for m in METRICS}

    def steps(self, solver, budget, grid):
        n, nfe = grid_points(solver, budget)
        return helpers.grid_steps(self.schedule, n, grid), nfe


def excess(row, baseline, floor):
    """How far a row is from lesson 10's rule: the larger excess over the baseline, in margins (two floor s.d.)."""
    return max((row[m] - baseline[m]) / (2 * floor[m]["sd"]) for m in RULE)


def choose(setup):
    """Each solver's grid, and PC's kappa, on the choice seeds."""
    baselines = {seed: setup.quality("network", "ddpm", 100, seed) for seed in CHOICE_SEEDS}
    scores, best = {}, {}
    for solver in SOLVERS:
        for grid in helpers.GRIDS:
            for kappa in (KAPPAS if solver == "pc" else (None,)):
                values = []
                for seed in CHOICE_SEEDS:
                    for budget in (10, 20):
                        steps, _ = setup.steps(solver, budget, grid)
                        row = setup.quality("network", solver, steps, seed, kappa or helpers.PC_KAPPA)
                        values.append(excess(row, baselines[seed], setup.floor))
                key = grid if kappa is None else f"{grid}, kappa {kappa}"
                scores.setdefault(solver, {})[key] = round(statistics.mean(values), 3)
        key = min(scores[solver], key=scores[solver].get)
        best[solver] = {"grid": key.split(",")[0], "kappa": float(key.split("kappa ")[1]) if "kappa" in key else None}
        print(f"choose {solver:8s}: {scores[solver]} -> {best[solver]}", flush=True)
    return scores, best


def rows_for(setup, solver, grid, budgets, kappa, seeds=SEEDS):
    rows = []
    for budget in budgets:
        steps, nfe = setup.steps(solver, budget, grid)
        if any(r["nfe"] == nfe for r in rows):
            continue
        for seed in seeds:
            row = {"solver": solver, "grid": grid, "nfe": nfe, "seed": seed, "steps": steps.tolist()}
            for who in setup.networks:
                row[who] = setup.quality(who, solver, steps, seed, kappa or helpers.PC_KAPPA)
            rows.append(row)
        print(f"{solver:8s} {grid:7s} NFE {nfe:2d}: network {rows[-1]['network']}, oracle {rows[-1]['oracle']}", flush=True)
    return rows


def as_good(rows, baselines, redraws, who="network"):
    """Per (solver, grid, nfe): whether the row is as good as the 100-step DDPM over the race seeds (lesson 10's rule)."""
    margin = sample_seeds.margins(redraws, who)
    by_key = {}
    for row in rows:
        by_key.setdefault((row["solver"], row["grid"], row["nfe"]), {})[row["seed"]] = row[who]
    return {key: all(helpers.compare(lambda k: sample_seeds.distance(redraws, m, per_seed[k][m]),
                                     lambda k: sample_seeds.distance(redraws, m, baselines[k][who][m]), sorted(per_seed),
                                     margin=margin[m]).no_worse for m in RULE)
            for key, per_seed in by_key.items()}


def noise_rows(setup, grid):
    """DDIM(eta) and DDPM at 10 and 20 NFE on one grid, seeds 0-4, network and exact network."""
    rows = []
    for nfe in (10, 20):
        steps = helpers.grid_steps(setup.schedule, nfe, grid)
        for name, method, eta in [*((f"DDIM, eta = {eta}", "ddim", eta) for eta in ETAS), ("DDPM", "ddpm", 0.0)]:
            for seed in SEEDS:
                row = {"sampler": name, "nfe": nfe, "seed": seed}
                for who, net in setup.networks.items():
                    out = helpers.sample_steps(net, setup.schedule, N_SAMPLES, steps, method, eta=eta, x_T=setup.start(seed),
                                               generator=torch.Generator().manual_seed(3 + 100 * seed))
                    q = helpers.sharp_quality(out.float(), energy=False)
                    row[who] = {m: round(getattr(q, m), 4) for m in METRICS}
                rows.append(row)
            print(f"noise {name} NFE {nfe}: {rows[-1]}", flush=True)
    return rows


def start_rows(setup, grid):
    """Langevin-corrected N(0, I) starts against exact q_T draws, and the exact network's samples from them."""
    schedule, oracle = setup.schedule, setup.networks["oracle"]
    last = schedule.T - 1
    ab_T = schedule.alpha_bar[last].double().item()
    steps = helpers.grid_steps(schedule, 20, grid)
    rows = []
    for seed in SEEDS:
        exact = (ab_T**0.5 * helpers.s_curve(N_SAMPLES, seed=500 + seed).double()
                 + (1 - ab_T) ** 0.5 * torch.randn(N_SAMPLES, 2, generator=torch.Generator().manual_seed(600 + seed),
                                                   dtype=torch.float64)).float()
        other = (ab_T**0.5 * helpers.s_curve(N_SAMPLES, seed=700 + seed).double()
                 + (1 - ab_T) ** 0.5 * torch.randn(N_SAMPLES, 2, generator=torch.Generator().manual_seed(800 + seed),
                                                   dtype=torch.float64)).float()
        gaussian = helpers.gaussian_prior(setup.x0, schedule, N_SAMPLES, generator=torch.Generator().manual_seed(2 + 100 * seed))
        row = {"seed": seed, "exact_vs_exact": round(1e3 * helpers.energy_distance(other, exact), 4),
               "gaussian_prior": round(1e3 * helpers.energy_distance(gaussian, exact), 4)}
        for who, net in setup.networks.items():
            for m in CORRECTOR_STEPS:
                x = torch.randn(N_SAMPLES, 2, generator=torch.Generator().manual_seed(2 + 100 * seed))
                with torch.no_grad():
                    x = helpers.langevin(lambda x: net(x, torch.tensor(last)), x, ab_T, m,
                                         generator=torch.Generator().manual_seed(900 + seed))
                entry = {"energy": round(1e3 * helpers.energy_distance(x, exact), 4)}
                if who == "oracle":
                    q = helpers.sharp_quality(helpers.sample_steps(oracle, schedule, N_SAMPLES, steps, "dpm++2m", x_T=x).float(),
                                              energy=False)
                    entry["samples"] = {k: round(getattr(q, k), 4) for k in METRICS}
                row[f"{who}, {m}"] = entry
        rows.append(row)
        print(f"start seed {seed}: {row}", flush=True)
    return rows


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

    # The step's rows go in as tensors, so one compiled graph serves every step (an int step would recompile per step).
    rows = [fast.rows(t) for t in step_list]
    compiled_layers = torch.compile(fast.layers)
    began = time.perf_counter()
    with torch.no_grad():
        compiled_layers(x_T, *rows[0])
    compile_seconds = round(time.perf_counter() - began, 1)

    def compiled():
        with torch.no_grad():
            return helpers.solve(lambda x, k: compiled_layers(x, *rows[k]), x_T, alpha_bar, solver)

    def ddpm_100():
        return helpers.sample_steps(model, setup.schedule, N_SAMPLES, 100, "ddpm", x_T=x_T, generator=torch.Generator().manual_seed(3))

    def evaluations_alone():
        with torch.inference_mode():
            for t in step_list:
                fast.raw(x_T, t)

    variants = {"sample_steps": plain, "+ inference_mode": inference, "+ one grid check, no per-step checks": unchecked,
                "+ FastEps (fused layers)": fused, "FastEps through torch.compile": compiled,
                "the evaluations alone (FastEps, no solver)": evaluations_alone,
                "DDPM, 100 steps (the quality matched)": ddpm_100}
    gap = (fused() - plain()).abs().max().item()
    result = {"solver": solver, "grid": grid, "nfe": nfe, "max_gap_fused_vs_plain": gap, "seconds": {},
              "compile_seconds": compile_seconds, "max_gap_compiled_vs_plain": (compiled() - plain()).abs().max().item()}
    result["seconds"] = timed_settings(variants, repeats)
    return result


def main():
    args, sections, report, began = start(__doc__, "fast-solvers", SECTIONS)
    setup = Setup()
    report.update(machine=f"{platform.machine()}, torch {torch.__version__}, cpu, 1 thread for quality",
                  n_samples=N_SAMPLES, seeds=list(SEEDS), choice_seeds=list(CHOICE_SEEDS), data_floor=setup.floor,
                  target_seconds=TARGET_SECONDS)
    if "choose" in sections:
        report["choice_scores"], report["best"] = choose(setup)
    best = report["best"]
    if "grids" in sections or "race" in sections:
        report["ddpm_100"] = {seed: {who: setup.quality(who, "ddpm", 100, seed) for who in setup.networks} for seed in RACE_SEEDS}
    baselines = {int(seed): value for seed, value in report["ddpm_100"].items()}
    if "grids" in sections:
        report["grids"] = [row for solver in SOLVERS for grid in helpers.GRIDS
                           for row in rows_for(setup, solver, grid, (10,), best[solver]["kappa"])]
    if "race" in sections:
        race = [row for solver in SOLVERS
                for row in rows_for(setup, solver, best[solver]["grid"], BUDGETS, best[solver]["kappa"], RACE_SEEDS)]
        redraws = json.loads((HERE / "results" / "sampling-seeds-cpu-2core.json").read_text())
        good = {who: as_good(race, baselines, redraws, who) for who in setup.networks}
        fewest = sorted((nfe, solver) for (solver, grid, nfe), ok in good["network"].items() if ok)
        report.update(race=race, race_seeds=list(RACE_SEEDS),
                      as_good={who: {f"{s}|{g}|{n}": ok for (s, g, n), ok in verdicts.items()} for who, verdicts in good.items()},
                      fewest_as_good=fewest[0] if fewest else None)
        report.pop("matching", None)
        report.pop("fewest_matching_every_seed", None)
    if "noise" in sections:
        report["noise"] = noise_rows(setup, best["ddim"]["grid"])
    if "start" in sections:
        report["start"] = start_rows(setup, best["dpm++2m"]["grid"])
    if "speed" in sections and report.get("fewest_as_good"):
        nfe, solver = report["fewest_as_good"]
        report["speed"] = speed(setup, solver, best[solver]["grid"], nfe, args.repeats)
    path = finish(args, report, began)
    print(f"fewest NFE as good as the 100-step DDPM: {report.get('fewest_as_good')}; wrote {path}")


if __name__ == "__main__":
    main()
