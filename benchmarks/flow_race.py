"""Lesson 12's race: flow matching against DDPM with the same network body, the same training recipe and seeds, every
sampler on the same time grids, each beside its exact-field floor.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/flow_race.py --name flow-race-cpu-2core   # 1 315 s in the committed run

Runs on as many torch threads as OMP_NUM_THREADS allows (torch reads it), printed first; the wall time of the whole run
is printed last and stored in the JSON ("seconds").

Recipes, each trained with lesson 08's default recipe (helpers.DEFAULT: 1 500 Adam steps of 1 024 points, warm-up and
cosine decay, EMA, inputs scaled to unit variance, and t_power = 3 for DDPM's steps):
- "DDPM": the course's eps-network on the sigmoid schedule (T = 100), L_simple, steps t = floor(T u^3);
- "FM": helpers.VelocityPredictor, conditional flow matching with s ~ U[0, 1];
- "FM, s near data": the same with s = shift_times(u, TRAIN_SHIFT), u ~ U[0, 1], TRAIN_SHIFT chosen by the rule below.
The share of training times below s = 0.02 (DDPM steps t <= 10) is printed for each: exactly, and by 10^6 draws.

Grids (n positive times, then s = 0; the flows' Heun also evaluates at s = 0):
- "even t": DDPM's n evenly spaced steps (helpers.timesteps), in flow time s = flow_time(alpha_bar_t);
- "s_T, shift c": s = c u / (1 + (c - 1) u) on u evenly spaced from the u that maps to s_T = 0.348 (the DDPM schedule's
  last step) down to 0, each time rounded to the nearest DDPM step (the eps-network knows only those), repeats dropped;
- "1, shift c": helpers.flow_grid(n, c), from s = 1 (flows only: the DDPM network never saw s > s_T).
On the first two every sampler starts from the same points: helpers.gaussian_prior at step T - 1 (lesson 10), which the
flows read as x_s = k(s_T) x_T. From s = 1 the flows start from N(0, I). DDIM (eta = 0) and the flow's Euler are the
same update on the same grid (lesson 12, check 4), so their exact-field floors on the first two grids must agree; the
script asserts it.

Floors: each sampler on each grid and budget with the exact field (helpers.FlowOracle for flows, lesson 09's
eps-oracle for DDPM's samplers), from the same starts as the networks.

Off-curve below the data's value means samples sharper than the data, so the rule and the claims use the off-curve
error |off-curve - the data's| (the data's: the mean over 10 draws of N_SAMPLES points).

Shift rule (seeds 10, 11, disjoint from the race's 0-9): at 10 NFE, each recipe and sampler takes the grid with the
lowest mean off-curve error over the two validation seeds ("its best grid"); TRAIN_SHIFT is the training shift among
TRAIN_SHIFTS whose network reaches the lowest such number with flow Euler on its best grid.

Race: seeds 0-9, N_SAMPLES = 5 000 samples per run (the starts drawn from generator 1000 + seed), budgets of about 5,
10, 20, 50, 100 network evaluations (NFE). Quality is lesson 09's off-curve RMS (x 10^3), stray % and coverage gap %.
Claims are paired comparisons of the off-curve error over the ten seeds (helpers.compare: 95 % intervals), printed with their
per-seed differences.

Writes <out>/<name>.json.
"""

import argparse
import dataclasses
import json
import math
import platform
import statistics
import time
from pathlib import Path

import torch

import helpers
from helpers.process.flows import shift_times

HERE = Path(__file__).resolve().parent
SEEDS = tuple(range(10))
VALIDATION_SEEDS = (10, 11)
N_SAMPLES = 5_000
BUDGETS = (5, 10, 20, 50, 100)
SHIFTS = (1.0, 0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625)  # grid shifts, c = 2^-k
TRAIN_SHIFTS = SHIFTS + (2**-7, 2**-8)  # the training shift's candidates, 1 being plain flow matching
NEAR_DATA = 0.02  # flow time below which training counts as "near the data"
METRICS = ("off_curve", "stray", "coverage_gap")

SCHEDULE = helpers.sigmoid_schedule(100)
AB = SCHEDULE.alpha_bar.double()
S_OF_T = helpers.flow_time(AB)  # flow time of each DDPM step, increasing in t
S_T = S_OF_T[-1].item()
MIXTURE = helpers.s_curve_oracle()
ORACLE = helpers.FlowOracle(MIXTURE)
SAMPLERS = {"DDPM": ("DDIM", "DDPM Heun"), "FM": ("Euler", "Heun")}


def kind(recipe):
    return "DDPM" if recipe == "DDPM" else "FM"


def grid_names(recipe):
    names = ["even t"] + [f"s_T, shift {c:g}" for c in SHIFTS]
    return names + ([] if recipe == "DDPM" else [f"1, shift {c:g}" for c in SHIFTS])


def n_steps(sampler, budget):
    """Steps within a budget of network evaluations: DDPM's Heun pays 2N - 1 (an Euler last step, to alpha_bar = 1),
    the flow's 2N (it evaluates at s = 0 too); DDIM and Euler pay N."""
    if sampler == "DDPM Heun":
        return (budget + 1) // 2
    if sampler == "Heun":
        return budget // 2
    return budget


def nfe(sampler, steps):
    return {"DDPM Heun": 2 * steps - 1, "Heun": 2 * steps}.get(sampler, steps)


def ddpm_steps(name, n):
    """The grid's n positive times as distinct DDPM steps, decreasing (fewer than n where rounding merges two)."""
    if name == "even t":
        return helpers.timesteps(n, SCHEDULE.T)
    shift = float(name.split("shift ")[1])
    u_T = S_T / (shift + (1 - shift) * S_T)  # the u that shift_times maps to s_T
    s = shift_times(torch.linspace(u_T, 0, n + 1, dtype=torch.float64)[:-1], shift)
    t = (S_OF_T[None, :] - s[:, None]).abs().argmin(1)
    return torch.unique(t).flip(0)


def training_times(recipe, train_shift, n, generator):
    """n training times of a recipe in flow time (DDPM's steps mapped by flow_time)."""
    if recipe == "DDPM":
        return S_OF_T[helpers.skewed_steps(n, SCHEDULE.T, helpers.DEFAULT.t_power, generator)]
    u = torch.rand(n, generator=generator, dtype=torch.float64)
    return u if recipe == "FM" else shift_times(u, train_shift)


def near_data_share(recipe, train_shift):
    """P(s < NEAR_DATA) exactly: DDPM's t = floor(T u^p) is below t* + 1 when u < ((t* + 1) / T)^(1/p); a shifted s is
    below s0 when u < s0 / (c + (1 - c) s0), the inverse of shift_times."""
    if recipe == "DDPM":
        t_star = int((S_OF_T < NEAR_DATA).sum()) - 1
        return ((t_star + 1) / SCHEDULE.T) ** (1 / helpers.DEFAULT.t_power)
    c = 1.0 if recipe == "FM" else train_shift
    return NEAR_DATA / (c + (1 - c) * NEAR_DATA)


def train(recipe, seed, x0, train_shift):
    config = dataclasses.replace(helpers.DEFAULT, seed=seed)
    torch.manual_seed(seed)
    if recipe == "DDPM":
        model = helpers.build_model(config, SCHEDULE, x0)
        result = helpers.train(model, x0, helpers.Denoising(SCHEDULE, config), config, progress=False)
    else:
        model = helpers.build_flow_model(config, x0)

        def objective(net, batch, generator):
            s = None if train_shift == 1 else shift_times(torch.rand(batch.shape[0], generator=generator), train_shift)
            return helpers.flow_loss(net, batch, s=s, generator=generator)

        result = helpers.train(model, x0, objective, config, progress=False)
    return result["model"].eval(), result["seconds"]


class Starts:
    """One seed's starting points: DDPM's prior at step T - 1 (also the flows' start on the grids from s_T, as
    x_s = k(s_T) x_T) and N(0, I) for the flows from s = 1."""

    def __init__(self, x0, seed):
        self.x_T = helpers.gaussian_prior(x0, SCHEDULE, N_SAMPLES, generator=torch.Generator().manual_seed(1000 + seed))
        self.x_1 = torch.randn(N_SAMPLES, 2, generator=torch.Generator().manual_seed(1000 + seed))
        self.k_T = ((1 - S_T) ** 2 + S_T**2) ** 0.5


@torch.no_grad()
def draw(field, sampler, grid, budget, starts, exact=False):
    """Samples of one network (or, with exact, the exact field of its kind) and the NFE they cost."""
    n = n_steps(sampler, budget)
    dtype = torch.float64 if exact else torch.float32
    if grid.startswith("1, "):
        s = helpers.flow_grid(n, float(grid.split("shift ")[1]))
        return helpers.flow_solve(field, starts.x_1.to(dtype), s, sampler.lower()).float(), nfe(sampler, n)
    t = ddpm_steps(grid, n)
    if sampler in SAMPLERS["DDPM"]:
        ab = torch.cat([AB[t], torch.ones(1, dtype=torch.float64)])
        eps = (lambda x, k: MIXTURE(x, None, alpha_bar=ab[k].item())) if exact else (lambda x, k: field(x, t[k]))
        method = "ddim" if sampler == "DDIM" else "heun"
        return helpers.solve(eps, starts.x_T.to(dtype), ab, method).float(), nfe(sampler, len(t))
    s = torch.cat([S_OF_T[t], torch.zeros(1, dtype=torch.float64)])
    return helpers.flow_solve(field, starts.k_T * starts.x_T.to(dtype), s, sampler.lower()).float(), nfe(sampler, len(t))


def quality(samples):
    q = helpers.sharp_quality(samples, energy=False)
    return {k: round(getattr(q, k), 4) for k in METRICS}


def data_floor():
    """Mean and s.d. of each metric over 10 draws of N_SAMPLES data points: what a perfect sampler scores."""
    draws = [quality(helpers.s_curve(N_SAMPLES, seed=100 + k)) for k in range(10)]
    return {k: {"mean": round(statistics.fmean(d[k] for d in draws), 4), "sd": round(statistics.stdev(d[k] for d in draws), 4)}
            for k in METRICS}


def validate(x0, data_off):
    """Each recipe's and sampler's best grid at 10 NFE, and the training shift, on VALIDATION_SEEDS."""
    scores = {}  # (recipe label, sampler, grid) -> |off-curve - the data's| per validation seed
    for train_shift in TRAIN_SHIFTS:
        for recipe in (["DDPM"] if train_shift == 1 else []) + ["FM"]:
            label = "DDPM" if recipe == "DDPM" else f"FM, train shift {train_shift:g}"
            for seed in VALIDATION_SEEDS:
                net, _ = train(recipe, seed, x0, train_shift)
                starts = Starts(x0, seed)
                for sampler in SAMPLERS[kind(recipe)]:
                    for grid in grid_names(recipe):
                        off = quality(draw(net, sampler, grid, 10, starts)[0])["off_curve"]
                        scores.setdefault((label, sampler, grid), []).append(abs(off - data_off))
            print(f"validation: {label}, mean |off-curve - data's| over seeds {VALIDATION_SEEDS} at 10 NFE: "
                  + ", ".join(f"{s} on {g}: {statistics.fmean(v):.2f}" for (lab, s, g), v in scores.items() if lab == label), flush=True)
    mean = {key: statistics.fmean(v) for key, v in scores.items()}
    best = {}
    for (label, sampler, grid), value in mean.items():
        if (label, sampler) not in best or value < mean[label, sampler, best[label, sampler]]:
            best[label, sampler] = grid
    train_shift = min(TRAIN_SHIFTS[1:], key=lambda c: mean[f"FM, train shift {c:g}", "Euler", best[f"FM, train shift {c:g}", "Euler"]])
    return train_shift, best, mean


def race_grids(recipe, best, shared):
    """The race runs every sampler on the shared grids and on its own best grid."""
    return sorted(set(shared) | {best[recipe, s] for s in SAMPLERS[kind(recipe)]}, key=grid_names(recipe).index)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--name", default="flow-race")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--compare-only", action="store_true",
                        help="recompute the paired comparisons of <out>/<name>.json from its stored runs, without training")
    args = parser.parse_args()
    if args.compare_only:
        path = args.out / f"{args.name}.json"
        report = json.loads(path.read_text())
        report["comparisons"] = headline(report)
        path.write_text(json.dumps(report, indent=1) + "\n")
        return
    began = time.perf_counter()
    machine = f"{platform.machine()}, {torch.get_num_threads()} torch threads, torch {torch.__version__}, cpu"
    print(f"machine: {machine}", flush=True)
    x0 = helpers.s_curve(10_000)

    floor = data_floor()
    print(f"data: {floor}", flush=True)
    train_shift, best_by_label, validation = validate(x0, floor["off_curve"]["mean"])
    recipes = ("DDPM", "FM", "FM, s near data")
    label_of = {"DDPM": "DDPM", "FM": "FM, train shift 1", "FM, s near data": f"FM, train shift {train_shift:g}"}
    best = {(recipe, sampler): best_by_label[label_of[recipe], sampler] for recipe in recipes for sampler in SAMPLERS[kind(recipe)]}
    print(f"rule: training shift {train_shift:g}; best grids at 10 NFE: {best}", flush=True)
    # The shared grids: DDPM's own, and the shifts chosen for DDIM and for the flow's Euler, started at s_T.
    shared = list(dict.fromkeys(["even t", best["DDPM", "DDIM"].replace("1, ", "s_T, "),
                                 best["FM, s near data", "Euler"].replace("1, ", "s_T, ")]))

    generator = torch.Generator().manual_seed(0)
    shares = {recipe: {"exact": round(near_data_share(recipe, train_shift), 4),
                       "monte_carlo": round((training_times(recipe, train_shift, 10**6, generator) < NEAR_DATA).double().mean().item(), 4)}
              for recipe in recipes}
    t_star = int((S_OF_T < NEAR_DATA).sum()) - 1
    print(f"share of training times with s < {NEAR_DATA} (DDPM steps t <= {t_star}): {shares}", flush=True)

    runs, floors, training = [], [], []
    for seed in SEEDS:
        starts = Starts(x0, seed)
        for kind_name, samplers in SAMPLERS.items():
            grids = grid_names("DDPM" if kind_name == "DDPM" else "FM")
            field = MIXTURE if kind_name == "DDPM" else ORACLE
            for sampler in samplers:
                for grid in grids:
                    for budget in BUDGETS:
                        samples, cost = draw(field, sampler, grid, budget, starts, exact=True)
                        floors.append({"sampler": sampler, "grid": grid, "seed": seed, "budget": budget, "nfe": cost, **quality(samples)})
        for recipe in recipes:
            net, seconds = train(recipe, seed, x0, 1.0 if recipe == "FM" else train_shift)
            training.append({"recipe": recipe, "seed": seed, "seconds": round(seconds, 2),
                             "parameters": sum(p.numel() for p in net.parameters())})
            for sampler in SAMPLERS[kind(recipe)]:
                for grid in race_grids(recipe, best, shared):
                    for budget in BUDGETS:
                        samples, cost = draw(net, sampler, grid, budget, starts)
                        runs.append({"recipe": recipe, "sampler": sampler, "grid": grid, "seed": seed, "budget": budget,
                                     "nfe": cost, **quality(samples)})
            print(f"seed {seed} {recipe}: trained in {seconds:.1f} s", flush=True)

    # DDIM and the flow's Euler are one update on one grid: their floors from s_T must agree (lesson 12, check 4).
    floor_of = {(f["sampler"], f["grid"], f["seed"], f["budget"]): f for f in floors}
    worst = max(abs(floor_of["DDIM", g, seed, b]["off_curve"] - floor_of["Euler", g, seed, b]["off_curve"])
                for g in grid_names("DDPM") for seed in SEEDS for b in BUDGETS)
    print(f"DDIM and flow Euler floors on the grids from s_T: max off-curve gap {worst:.1e}")
    assert worst < 1e-3, worst

    report = {"machine": machine, "seeds": list(SEEDS), "validation_seeds": list(VALIDATION_SEEDS), "n_samples": N_SAMPLES,
              "data_floor": floor, "budgets": list(BUDGETS), "shifts": list(SHIFTS), "train_shifts": list(TRAIN_SHIFTS), "s_T": round(S_T, 4), "near_data": NEAR_DATA,
              "near_data_step": t_star, "train_shift": train_shift,
              "best_grid": [{"recipe": r, "sampler": s, "grid": g} for (r, s), g in best.items()],
              "validation": [{"recipe": label, "sampler": s, "grid": g, "off_curve_error": round(v, 4)} for (label, s, g), v in validation.items()],
              "shared_grids": shared, "training_share_near_data": shares, "training": training, "runs": runs, "floors": floors}
    report["comparisons"] = headline(report)
    report["seconds"] = round(time.perf_counter() - began)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.name}.json").write_text(json.dumps(report, indent=1) + "\n")
    print(f"wrote {args.out / (args.name + '.json')} after {report['seconds']} s")


def per_seed(report, recipe, sampler, grid, budget, floor=False, metric="off_curve"):
    """{seed: number} of one configuration; with floor, the exact field's. For off-curve, |off-curve - the data's|:
    off-curve below the data's value means samples sharper than the data (lesson 12). Strays and the coverage gap are
    compared as they are."""
    rows = report["floors"] if floor else [r for r in report["runs"] if r["recipe"] == recipe]
    data = report["data_floor"]["off_curve"]["mean"] if metric == "off_curve" else None
    return {r["seed"]: abs(r[metric] - data) if data is not None else r[metric]
            for r in rows if (r["sampler"], r["grid"], r["budget"]) == (sampler, grid, budget)}


def headline(report):
    """The race's claims, each a paired comparison over the seeds of |off-curve - the data's|, printed with its per-seed
    differences."""
    best = {(b["recipe"], b["sampler"]): b["grid"] for b in report["best_grid"]}
    entries = []

    def claim(title, a, b, names, metric="off_curve"):
        c = helpers.compare(lambda s: a[s], lambda s: b[s], seeds=report["seeds"], names=names)
        print(f"\n{title}, {metric}\n{c}")
        entries.append({"title": title, "metric": metric, "names": list(names), "a": list(c.a), "b": list(c.b), "differences": list(c.differences),
                        "mean": c.mean, "sd": c.sd, "verdict": c.verdict})

    near, ddim = ("FM, s near data", "Euler"), ("DDPM", "DDIM")
    g_near, g_ddim, g_plain = best[near], best[ddim], best["FM", "Euler"]
    for budget in report["budgets"]:
        claim(f"{budget} NFE, each on its best grid: FM near data ({g_near}) vs DDIM ({g_ddim})",
              per_seed(report, *near, g_near, budget), per_seed(report, *ddim, g_ddim, budget), ("FM near", "DDIM"))
        claim(f"{budget} NFE, exact-field floors on those grids: flow Euler ({g_near}) vs DDIM ({g_ddim})",
              per_seed(report, None, "Euler", g_near, budget, floor=True), per_seed(report, None, "DDIM", g_ddim, budget, floor=True),
              ("Euler", "DDIM"))
        for grid in report["shared_grids"]:
            for metric in METRICS:
                claim(f"{budget} NFE, same grid ({grid}) and start: FM near data's Euler vs DDIM",
                      per_seed(report, *near, grid, budget, metric=metric), per_seed(report, *ddim, grid, budget, metric=metric),
                      ("FM near", "DDIM"), metric)
            claim(f"{budget} NFE, same grid ({grid}) and start: plain FM's Euler vs DDIM",
                  per_seed(report, "FM", "Euler", grid, budget), per_seed(report, *ddim, grid, budget), ("FM", "DDIM"))
        claim(f"{budget} NFE, each on its best grid: plain FM ({g_plain}) vs DDIM ({g_ddim})",
              per_seed(report, "FM", "Euler", g_plain, budget), per_seed(report, *ddim, g_ddim, budget), ("FM", "DDIM"))
    return entries


if __name__ == "__main__":
    main()
