"""Lesson 12's race: flow matching against DDPM with the same network body, the same training recipe and seeds.

    .venv/bin/python benchmarks/flow_race.py --name flow-race-cpu-2core   # about 7 minutes on 2 cores

For each seed, three networks are trained with lesson 08's default recipe (helpers.DEFAULT: 1 500 Adam steps of 1 024
points, warm-up and cosine decay, EMA, inputs scaled to unit variance), each on the same data:
- "DDPM": the course's eps-network on the sigmoid schedule (T = 100), L_simple;
- "FM": helpers.VelocityPredictor, conditional flow matching with s ~ U[0, 1];
- "FM, s near data": the same, with s drawn from U[0, 1] shifted by 1/4 (helpers.flow_grid's map), so that more
  training lands near the data, where DDPM's schedule puts all of its steps.
Each is sampled at about 5, 10, 20, 50 and 100 network evaluations (NFE): DDPM with DDIM (eta = 0) and Heun from
helpers.gaussian_prior (its schedule ends at alpha_bar_T = 0.78, lesson 10); the flows with Euler and Heun from
N(0, I), on equal steps (shift 1) and on steps shifted towards the data (shift 1/8). 10 000 samples, the same start
and noise for every network. Quality is lesson 09's sharp metrics. Training time is wall time on a quiet machine,
measured in this run; the busy figure is not taken here (benchmarks/train_speed.py measures it for the recipe).

Writes <out>/<name>.json and prints medians [min, max] over the seeds.
"""

import argparse
import dataclasses
import json
import platform
import statistics
from pathlib import Path

import torch

import helpers
from helpers.flows import shift_times

HERE = Path(__file__).resolve().parent
SEEDS = (0, 1, 2)
N_SAMPLES = 10_000
BUDGETS = (5, 10, 20, 50, 100)
TRAIN_SHIFT = 0.25
SAMPLE_SHIFT = 0.125
METRICS = ("off_curve", "stray", "coverage_gap", "nll")


def shifted_times(n, generator, shift=TRAIN_SHIFT):
    """n training times: u ~ U[0, 1], mapped as helpers.flow_grid maps its steps."""
    return shift_times(torch.rand(n, generator=generator), shift)


def train(recipe, seed, x0, schedule):
    config = dataclasses.replace(helpers.DEFAULT, seed=seed)
    torch.manual_seed(seed)
    if recipe == "DDPM":
        model = helpers.build_model(config, schedule, x0)
        result = helpers.train(model, x0, schedule, config, progress=False)
    else:
        model = helpers.build_flow_model(config, x0)
        if recipe == "FM":
            def objective(net, batch, generator):
                return helpers.flow_loss(net, batch, generator=generator)
        else:
            def objective(net, batch, generator):
                return helpers.flow_loss(net, batch, s=shifted_times(batch.shape[0], generator), generator=generator)
        result = helpers.train(model, x0, None, config, progress=False, objective=objective)
    return result["model"].eval(), result["seconds"]


def samplers(recipe):
    """The samplers a recipe's network runs: (name, method, shift); DDPM's have no shift."""
    if recipe == "DDPM":
        return [("DDIM", "ddim", None), ("Heun", "heun", None)]
    return [(f"{method.capitalize()}, shift {shift:g}", method, shift) for method in ("euler", "heun") for shift in (1.0, SAMPLE_SHIFT)]


def steps_for(method, budget):
    """Steps within a budget of network evaluations, and the NFE they cost: Heun pays 2N - 1 (DDPM's, which takes
    an Euler last step to alpha_bar = 1) or 2N (the flow's, which evaluates at s = 0 too)."""
    if method in ("ddim", "flow euler"):
        return budget, budget
    if method == "heun":
        return (budget + 1) // 2, 2 * ((budget + 1) // 2) - 1
    return budget // 2, 2 * (budget // 2)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--name", default="flow-race")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()

    schedule = helpers.sigmoid_schedule(100)
    x0 = helpers.s_curve(10_000)
    start_ddpm = helpers.gaussian_prior(x0, schedule, N_SAMPLES, generator=torch.Generator().manual_seed(2))
    start_flow = torch.randn(N_SAMPLES, 2, generator=torch.Generator().manual_seed(2))
    machine = f"{platform.machine()}, {torch.get_num_threads()} torch threads, torch {torch.__version__}, cpu"
    print(f"machine: {machine}", flush=True)

    def draw_ddpm(net, method, n_steps):
        return helpers.sample_steps(net, schedule, N_SAMPLES, n_steps, method, generator=torch.Generator().manual_seed(3),
                                    x_T=start_ddpm)

    def draw_flow(net, method, n_steps, shift):
        return helpers.flow_sample(net, N_SAMPLES, n_steps, method, shift, x1=start_flow)

    runs, training = [], []
    for seed in SEEDS:
        for recipe in ("DDPM", "FM", "FM, s near data"):
            net, seconds = train(recipe, seed, x0, schedule)
            training.append({"recipe": recipe, "seed": seed, "seconds": round(seconds, 2),
                             "parameters": sum(p.numel() for p in net.parameters())})
            for sampler, method, shift in samplers(recipe):
                for budget in BUDGETS:
                    if shift is None:
                        n_steps, nfe = steps_for(method, budget)
                        samples = draw_ddpm(net, method, n_steps)
                    else:
                        n_steps, nfe = steps_for("flow " + method, budget)
                        samples = draw_flow(net, method, n_steps, shift)
                    quality = helpers.sharp_quality(samples, energy=False)
                    runs.append({"recipe": recipe, "sampler": sampler, "seed": seed, "nfe": nfe,
                                 **{k: round(getattr(quality, k), 4) for k in METRICS}})
            print(f"seed {seed} {recipe}: trained in {seconds:.1f} s; "
                  f"{[(r['sampler'], r['nfe'], r['off_curve']) for r in runs[-4:]]}", flush=True)

    floors = [helpers.sharp_quality(helpers.s_curve(N_SAMPLES, seed=100 + k), energy=False) for k in range(10)]
    floor = {k: {"mean": round(statistics.mean(getattr(q, k) for q in floors), 4),
                 "sd": round(statistics.stdev(getattr(q, k) for q in floors), 4)} for k in METRICS}
    report = {"machine": machine, "seeds": list(SEEDS), "n_samples": N_SAMPLES, "train_shift": TRAIN_SHIFT,
              "sample_shift": SAMPLE_SHIFT, "data_floor": floor, "training": training, "runs": runs,
              "summary": summarise(runs)}
    print_table(report)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.name}.json").write_text(json.dumps(report, indent=1) + "\n")
    print(f"wrote {args.out / (args.name + '.json')}")


def summarise(runs):
    """Median, min and max over seeds of each metric, per recipe, sampler and NFE."""
    groups = {}
    for r in runs:
        groups.setdefault((r["recipe"], r["sampler"], r["nfe"]), []).append(r)
    return [{"recipe": recipe, "sampler": sampler, "nfe": nfe,
             **{k: {"median": statistics.median(r[k] for r in rs), "min": min(r[k] for r in rs), "max": max(r[k] for r in rs)}
                for k in METRICS}}
            for (recipe, sampler, nfe), rs in groups.items()]


def print_table(report):
    for t in report["training"]:
        print(f"training {t['recipe']:16s} seed {t['seed']}: {t['seconds']:6.1f} s, {t['parameters']} parameters")
    print(f"\n{'recipe':16s} {'sampler':18s} {'NFE':>4s}  off-curve median [min, max]   stray %            gap %")
    for s in report["summary"]:
        cells = "  ".join(f"{s[k]['median']:6.2f} [{s[k]['min']:.2f}, {s[k]['max']:.2f}]" for k in ("off_curve", "stray", "coverage_gap"))
        print(f"{s['recipe']:16s} {s['sampler']:18s} {s['nfe']:4d}  {cells}")
    print(f"data floor: {report['data_floor']}")


if __name__ == "__main__":
    main()
