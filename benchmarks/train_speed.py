"""Train the reference recipe and the course's default on this machine; report time to quality.

    .venv/bin/python benchmarks/train_speed.py --reference-budget 0 --reference-threads 1 --name cpu-2core  # ~25 min, 2 cores
    .venv/bin/python benchmarks/train_speed.py                                        # reference capped at 240 s

Quality is measured with lesson 09's sharp metrics (helpers.sharp_quality) on 10 000 samples, each recipe sampled
with its own reverse-step variance (config.sigma: beta for the reference, beta_tilde for the default), with new
sampling noise at every checkpoint: off-curve RMS x 1e3 (precision), coverage gap in % (coverage), strays in % and
the NLL under the exact density; the energy distance x 1e3 is added at each run's last checkpoint. The reference's
last checkpoint is also sampled with beta_tilde, the default's sampler. Time is training wall time only:
evaluations pause the clock.

"Reaching quality Q" means a checkpoint whose off-curve is at least as close to the data's as Q's (samples
sharper than the data are not better) and whose coverage gap is <= Q's gap plus GAP_SLACK (two standard
deviations of the gap's data-vs-data floor, so that coverage noise alone cannot veto). The targets are the
reference recipe's last checkpoint (sampled both ways) and its best one (off-curve closest to the data's).

It also times the default recipe quiet and beside one busy process, on torch's threads and on one fewer.

Writes <out>/<name>.json and <out>/<name>.png (off-curve against training time) and prints a table.
"""

import argparse
import json
import math
import platform
import resource
import statistics
import time
from dataclasses import asdict, replace
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # a script, not a notebook: no display
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

import helpers  # noqa: E402
from load import LOADS, machine_load  # noqa: E402

HERE = Path(__file__).resolve().parent
GAP_SLACK = 0.5
N_SAMPLES = 10_000


def evaluate(model, schedule, seed, sigma, energy=False):
    samples = helpers.sample(model, schedule, N_SAMPLES, generator=torch.Generator().manual_seed(seed), sigma=sigma)
    quality = asdict(helpers.sharp_quality(samples, energy=energy))
    return {k: round(v, 4) for k, v in quality.items() if not math.isnan(v)}


def data_floor(repeats=10):
    """Each metric over `repeats` fresh data samples of N_SAMPLES points: mean and standard deviation."""
    values = [asdict(helpers.sharp_quality(helpers.s_curve(N_SAMPLES, seed=500 + k))) for k in range(repeats)]
    return {k: {"mean": round(statistics.mean(v[k] for v in values), 4), "sd": round(statistics.stdev(v[k] for v in values), 4)} for k in values[0]}


def run(config, schedule, x0, every, budget=None):
    """Train config, evaluating every `every` steps; stop after `budget` training seconds if given.

    Returns the network to sample from and the run's record."""
    torch.manual_seed(config.seed)
    model = helpers.build_model(config, schedule, x0)
    curve = []
    clock = {"start": time.perf_counter(), "paused": 0.0}

    def on_checkpoint(step, sampler_model):
        pause = time.perf_counter()
        train_seconds = pause - clock["start"] - clock["paused"]
        curve.append({"step": step, "train_seconds": round(train_seconds, 2), **evaluate(sampler_model, schedule, step, config.sigma)})
        clock["paused"] += time.perf_counter() - pause
        return budget is not None and train_seconds >= budget

    result = helpers.train(model, x0, helpers.Denoising(schedule, config), config, on_checkpoint=on_checkpoint, every=every, progress=False)
    steps = len(result["losses"])
    # The same seed as the last checkpoint's evaluation: the same samples, now with the energy distance too.
    curve[-1] = {**curve[-1], **evaluate(result["model"], schedule, curve[-1]["step"], config.sigma, energy=True)}
    return result["model"], {
        "config": config.as_dict(),
        "steps": steps,
        "train_seconds": round(result["seconds"], 2),
        "samples_per_second": round(steps * config.batch_size / result["seconds"]),
        "final": curve[-1],
        "curve": curve,
    }


def reaches(point, target, floor):
    """point is at least as close to the data's off-curve as target, and its gap within GAP_SLACK of target's."""
    return (abs(point["off_curve"] - floor) <= abs(target["off_curve"] - floor)
            and point["coverage_gap"] <= target["coverage_gap"] + GAP_SLACK)


def time_to(run_result, target, floor):
    hit = next((c for c in run_result["curve"] if reaches(c, target, floor)), None)
    return hit["train_seconds"] if hit else None


def quality_at(run_result, seconds):
    """The last checkpoint at or before `seconds` of training."""
    before = [c for c in run_result["curve"] if c["train_seconds"] <= seconds]
    return before[-1] if before else None


def summarise(report):
    """Time to the reference's last and best quality, per seed of each default run length (None: never reached)."""
    floor = report["data_floor"]["off_curve"]["mean"]
    targets = (("reference_final", report["reference"]["final"]), ("reference_best", report["reference_best"]),
               ("reference_final_beta_tilde", report["reference_final_beta_tilde"]))
    for label, target in targets:
        for group in ("default", "long"):
            times = [time_to(r, target, floor) for r in report[group]]
            reached = all(t is not None for t in times) and times
            report[f"time_to_{label}_{group}"] = {
                "per_seed": times,
                "median": statistics.median(times) if reached else None,
                "worst": max(times) if reached else None,
            }


def time_sampling(schedule, x0, device, repeats=3):
    model = helpers.build_model(helpers.DEFAULT, schedule, x0)
    helpers.sample(model, schedule, N_SAMPLES, generator=torch.Generator().manual_seed(0))
    times = []
    for seed in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        helpers.sample(model, schedule, N_SAMPLES, generator=torch.Generator().manual_seed(seed))
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times), 3)


def under_load(schedule, x0):
    """Training seconds of the default recipe (seed 0, no evaluations) on torch's threads and on one fewer (what
    `course.py lab` gives a kernel), quiet and beside one busy process (a pure-Python loop, as another program)."""
    threads = torch.get_num_threads()
    rows = []
    for n_threads in sorted({threads, max(1, threads - 1)}, reverse=True):
        torch.set_num_threads(n_threads)
        for load in LOADS:
            with machine_load(load):
                torch.manual_seed(0)
                model = helpers.build_model(helpers.DEFAULT, schedule, x0)
                seconds = helpers.train(model, x0, helpers.Denoising(schedule, helpers.DEFAULT), helpers.DEFAULT, progress=False)["seconds"]
            rows.append({"threads": n_threads, "load": load, "train_seconds": round(seconds, 2)})
            print(f"under load: {rows[-1]}", flush=True)
    torch.set_num_threads(threads)
    return rows


# The default's changes to the reference's settings, in the order the ablation adds them, each with the reference's
# values it replaces (the sampler's sigma is part of the recipe).
CHANGES = [
    ("+ batch 1024, lr 1e-2", dict(batch_size=128, lr=1e-3)),
    ("+ warm-up and cosine decay", dict(lr_schedule="constant", warmup_steps=0)),
    ("+ input scaling c_in(t)", dict(scaled_input=False)),
    ("+ weight EMA 0.995", dict(ema_decay=0.0)),
    ("+ steps near the data, t = floor(T u^3)", dict(t_power=1.0)),
    ("+ sampling with sigma^2 = beta_tilde (the default)", dict(sigma="beta")),
]


def ablation():
    """Cumulative: the reference's settings at the default's length, then the default's changes added one at a time.
    Returns (name, config) pairs; the last config is helpers.DEFAULT."""
    undone = {key: value for _, reference in CHANGES for key, value in reference.items()}
    rows = [("reference settings (batch 128, lr 1e-3)", replace(helpers.DEFAULT, **undone))]
    for name, reference in CHANGES:
        undone = {key: value for key, value in undone.items() if key not in reference}
        rows.append((name, replace(helpers.DEFAULT, **undone)))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reference-budget", type=float, default=240, help="training seconds for the reference recipe; 0 = run all 316 000 steps")
    parser.add_argument("--reference-every", type=int, default=5000, help="reference checkpoint interval in steps")
    parser.add_argument("--default-every", type=int, default=125, help="default-recipe checkpoint interval in steps")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--long-steps", type=int, default=3 * helpers.DEFAULT.steps, help="steps of the longer default run (about 25 s on 2 cores); 0 = skip")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--device", default=None, help="cpu, cuda or mps (default: helpers.default_device())")
    parser.add_argument("--reference-threads", type=int, default=None, help="torch threads for the reference run (default: as the others)")
    parser.add_argument("--no-ablation", action="store_true")
    parser.add_argument("--name", default="benchmark")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()

    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device) if args.device else helpers.default_device()
    schedule = helpers.sigmoid_schedule(100)
    x0 = helpers.s_curve(10_000, device=device)
    machine = f"{platform.machine()}, {torch.get_num_threads()} torch threads, {platform.processor() or 'cpu'}, torch {torch.__version__}, device {device.type}"
    if device.type == "cuda":
        machine += f" ({torch.cuda.get_device_name()})"
    report = {"machine": machine, "gap_slack": GAP_SLACK, "sampling_seconds_10k": time_sampling(schedule, x0, device)}
    report["data_floor"] = data_floor()
    print(f"machine: {machine}\nsampling 10 000 points, 100 steps: {report['sampling_seconds_10k']} s", flush=True)
    print(f"data floor: {report['data_floor']}", flush=True)

    report["default"] = []
    for seed in args.seeds:
        _, row = run(replace(helpers.DEFAULT, seed=seed), schedule, x0, args.default_every)
        report["default"].append(row)
        print(f"default seed {seed}: {row['train_seconds']} s, final {row['final']}", flush=True)
    report["long"] = []
    if args.long_steps:
        for seed in args.seeds:
            _, row = run(replace(helpers.DEFAULT, seed=seed, steps=args.long_steps), schedule, x0, 4 * args.default_every)
            report["long"].append(row)
            print(f"long default seed {seed}: {row['train_seconds']} s, final {row['final']}", flush=True)

    if not args.no_ablation:
        report["ablation"] = []
        for name, config in ablation():
            _, row = run(config, schedule, x0, helpers.DEFAULT.steps)
            report["ablation"].append({"name": name, "steps": row["steps"], "train_seconds": row["train_seconds"], **row["final"]})
            print(f"ablation {name}: {row['train_seconds']} s, {row['final']}", flush=True)

        reference_like = report["ablation"][0]
        # The reference's settings at the default's threads on a quiet machine, from the ablation's first row.
        report["reference_seconds_at_ablation_pace"] = round(reference_like["train_seconds"] / reference_like["steps"] * helpers.REFERENCE.steps)
    report["under_load"] = under_load(schedule, x0)

    # Last, because it is long: on fewer threads, other work can share the machine without making the timed
    # runs above spin (its time is then only indicative, and its quality is what the targets use).
    if args.reference_threads:
        torch.set_num_threads(args.reference_threads)
    report["reference_threads"] = torch.get_num_threads()
    budget = args.reference_budget or None
    reference_model, reference = run(helpers.REFERENCE, schedule, x0, args.reference_every, budget=budget)
    report["reference"] = reference
    report["reference_budget_seconds"] = budget
    floor = report["data_floor"]["off_curve"]["mean"]
    report["reference_best"] = min(reference["curve"], key=lambda c: abs(c["off_curve"] - floor))
    # The reference's network sampled as the default is: the same noise seed as its last checkpoint's evaluation.
    report["reference_final_beta_tilde"] = evaluate(reference_model, schedule, reference["final"]["step"], "beta_tilde", energy=True)
    print(f"reference: {reference['steps']} steps in {reference['train_seconds']} s, final {reference['final']}", flush=True)

    summarise(report)

    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if device.type == "cuda":
        report["peak_cuda_mb"] = round(torch.cuda.max_memory_allocated() / 2**20)

    print_table(report)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.name}.json").write_text(json.dumps(report, indent=1) + "\n")
    plot(report, args.out / f"{args.name}.png")
    print(f"wrote {args.out / (args.name + '.json')} and .png")


def fmt(point):
    if point is None:
        return "-"
    energy = f" {point['energy']:7.3f}" if "energy" in point else " " * 8
    return f"{point['off_curve']:9.2f} {point['coverage_gap']:6.2f} {point['stray']:7.2f} {point['nll']:7.3f}{energy}"


def print_table(report):
    floor = report["data_floor"]
    print("\nsharp metrics, 10 000 samples: off-curve x1e3, coverage gap %, stray %, NLL nats, energy x1e3")
    print(f"{'':34s} {'steps':>7s} {'train s':>8s} {'off-curve':>9s} {'gap':>6s} {'stray':>7s} {'NLL':>7s} {'energy':>7s}")
    print(f"{'data floor (mean of 10)':34s} {'':7s} {'':8s} {floor['off_curve']['mean']:9.2f} {floor['coverage_gap']['mean']:6.2f} "
          f"{floor['stray']['mean']:7.2f} {floor['nll']['mean']:7.3f} {floor['energy']['mean']:7.3f}")
    print(f"{'data floor (s.d. of 10)':34s} {'':7s} {'':8s} {floor['off_curve']['sd']:9.2f} {floor['coverage_gap']['sd']:6.2f} "
          f"{floor['stray']['sd']:7.2f} {floor['nll']['sd']:7.3f} {floor['energy']['sd']:7.3f}")
    rows = [(f"reference, last ({report['reference']['steps']} steps)", report["reference"]["final"], report["reference"])]
    rows.append((f"reference, best (step {report['reference_best']['step']})", report["reference_best"], None))
    rows.append(("reference, last, sigma^2 = beta~", {**report["reference_final_beta_tilde"], "train_seconds": report["reference"]["train_seconds"]}, None))
    rows += [(f"default, seed {r['config']['seed']}", r["final"], r) for r in report["default"]]
    rows += [(f"default x{r['steps'] // helpers.DEFAULT.steps} steps, seed {r['config']['seed']}", r["final"], r) for r in report["long"]]
    for name, point, r in rows:
        steps, secs = (f"{r['steps']:7d}", f"{r['train_seconds']:8.1f}") if r else (" " * 7, f"{point['train_seconds']:8.1f}")
        print(f"{name:34s} {steps} {secs} {fmt(point)}")
    for label in ("reference_final", "reference_best", "reference_final_beta_tilde"):
        for group in ("default", "long"):
            t = report[f"time_to_{label}_{group}"]
            print(f"time to {label.replace('_', ' ')}, {group} runs: per seed {t['per_seed']} s; median {t['median']}, worst {t['worst']}")
    for mark in (10, 30):
        runs = report["default"] + report["long"]
        best = [quality_at(r, mark) for r in runs]
        offs = [b["off_curve"] for b in best if b is not None]
        if offs:
            print(f"off-curve at {mark} s of training (last checkpoint before): median {statistics.median(offs):.2f}, worst {max(offs):.2f}")
    print(f"sampling 10 000 points: {report['sampling_seconds_10k']} s; peak RSS {report['peak_rss_mb']} MB")


def plot(report, path):
    fig, ax = plt.subplots(figsize=(7, 4))
    for group, color, label in ((report["default"], "C0", "default"), (report["long"], "C2", "default, longer")):
        for i, r in enumerate(group):
            c = r["curve"]
            ax.plot([p["train_seconds"] for p in c], [p["off_curve"] for p in c], color=color, alpha=0.7, label=label if i == 0 else None)
    c = report["reference"]["curve"]
    ax.plot([p["train_seconds"] for p in c], [p["off_curve"] for p in c], "o-", color="C1", label="reference")
    ax.axhline(report["data_floor"]["off_curve"]["mean"], color="gray", linestyle="--", label="data")
    ax.set(xscale="log", yscale="log", xlabel="training wall time (s)", ylabel="off-curve RMS ×10³", title=report["machine"][:80])
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    main()
