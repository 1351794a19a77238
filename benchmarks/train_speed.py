"""Train the reference recipe and the course's default on this machine; report time to quality.

    .venv/bin/python benchmarks/train_speed.py                      # ~10 minutes on 2 CPU cores
    .venv/bin/python benchmarks/train_speed.py --reference-budget 0 # the full 316 000-step reference run

Quality is the course metric: energy distance x1e3 between 10 000 samples and 10 000 fresh S-curve points
(helpers.sample_quality), with new sampling noise at every checkpoint. Time is training wall time only:
evaluations pause the clock. Two times to quality are reported:
  first hit  - the first checkpoint at or under --target (the issue's definition);
  median-5   - the first checkpoint at which the median of the last 5 checkpoints (it included) is at or
               under --target, so that a single lucky evaluation of a fluctuating run does not count.

Writes <out>/<name>.json and <out>/<name>.png (quality against training time) and prints a table.
"""

import argparse
import json
import platform
import resource
import statistics
import time
from dataclasses import replace
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # a script, not a notebook: no display
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

import helpers  # noqa: E402

HERE = Path(__file__).resolve().parent


def evaluate(model, schedule, seed):
    samples = helpers.sample(model, schedule, 10_000, generator=torch.Generator().manual_seed(seed))
    return helpers.sample_quality(samples)


def run(config, schedule, x0, every, budget=None, target=None):
    """Train config, evaluating every `every` steps; stop after `budget` training seconds if given."""
    torch.manual_seed(config.seed)
    model = helpers.build_model(config, schedule, x0)
    curve = []
    clock = {"start": time.perf_counter(), "paused": 0.0}

    def on_checkpoint(step, sampler_model):
        pause = time.perf_counter()
        train_seconds = pause - clock["start"] - clock["paused"]
        curve.append({"step": step, "train_seconds": round(train_seconds, 2), "quality": round(evaluate(sampler_model, schedule, step), 4)})
        clock["paused"] += time.perf_counter() - pause
        return budget is not None and train_seconds >= budget

    result = helpers.train(model, x0, schedule, config, on_checkpoint=on_checkpoint, every=every, progress=False)
    steps = len(result["losses"])
    hit = next((c for c in curve if target is not None and c["quality"] <= target), None)
    sustained = first_sustained(curve, target)
    return {
        "config": config.as_dict(),
        "steps": steps,
        "train_seconds": round(result["seconds"], 2),
        "samples_per_second": round(steps * config.batch_size / result["seconds"]),
        "time_to_target": hit["train_seconds"] if hit else None,
        "steps_to_target": hit["step"] if hit else None,
        "time_to_target_median5": sustained["train_seconds"] if sustained else None,
        "final_quality": curve[-1]["quality"],
        "curve": curve,
    }


def first_sustained(curve, target, window=5):
    """The first checkpoint at which the median of the last `window` checkpoints (it included) is <= target."""
    if target is None:
        return None
    for i in range(window - 1, len(curve)):
        if statistics.median(c["quality"] for c in curve[i - window + 1 : i + 1]) <= target:
            return curve[i]
    return None


def speedup(reference, default_runs, key):
    """Reference time over the slowest default seed's time; a lower bound if the reference never got there."""
    worst = max(r[key] if r[key] is not None else float("inf") for r in default_runs)
    if reference[key] is not None:
        return {"ratio": round(reference[key] / worst, 1), "bound": "=", "worst_default_seconds": worst}
    return {"ratio": round(reference["train_seconds"] / worst, 1), "bound": ">=", "worst_default_seconds": worst}


def time_sampling(schedule, x0, device, repeats=3):
    model = helpers.build_model(helpers.DEFAULT, schedule, x0)
    helpers.sample(model, schedule, 10_000, generator=torch.Generator().manual_seed(0))
    times = []
    for seed in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        helpers.sample(model, schedule, 10_000, generator=torch.Generator().manual_seed(seed))
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times), 3)


ABLATION = [
    ("reference settings (batch 128, lr 1e-3)", dict(batch_size=128, lr=1e-3, lr_schedule="constant", warmup_steps=0, scaled_input=False, ema_decay=0.0)),
    ("+ batch 1024, lr 1e-2", dict(lr_schedule="constant", warmup_steps=0, scaled_input=False, ema_decay=0.0)),
    ("+ warm-up and cosine decay", dict(scaled_input=False, ema_decay=0.0)),
    ("+ input scaling c_in(t)", dict(ema_decay=0.0)),
    ("+ weight EMA 0.995 (the default recipe)", dict()),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reference-budget", type=float, default=240, help="training seconds for the reference recipe; 0 = run all 316 000 steps")
    parser.add_argument("--reference-every", type=int, default=5000, help="reference checkpoint interval in steps")
    parser.add_argument("--default-every", type=int, default=125, help="default-recipe checkpoint interval in steps")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--target", type=float, default=0.12)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--device", default=None, help="cpu, cuda or mps (default: helpers.default_device())")
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
    report = {"machine": machine, "target": args.target, "sampling_seconds_10k": time_sampling(schedule, x0, device)}
    print(f"machine: {machine}\nsampling 10 000 points, 100 steps: {report['sampling_seconds_10k']} s", flush=True)

    default_runs = []
    for seed in args.seeds:
        row = run(replace(helpers.DEFAULT, seed=seed), schedule, x0, args.default_every, target=args.target)
        default_runs.append(row)
        print(f"default seed {seed}: {row['train_seconds']} s, final {row['final_quality']}, target at {row['time_to_target']} s", flush=True)
    report["default"] = default_runs

    budget = args.reference_budget or None
    reference = run(helpers.REFERENCE, schedule, x0, args.reference_every, budget=budget, target=args.target)
    report["reference"] = reference
    report["reference_budget_seconds"] = budget
    print(f"reference: {reference['steps']} steps in {reference['train_seconds']} s, target at {reference['time_to_target']} s", flush=True)

    if not args.no_ablation:
        report["ablation"] = []
        for name, changes in ABLATION:
            row = run(replace(helpers.DEFAULT, **changes), schedule, x0, helpers.DEFAULT.steps)
            report["ablation"].append({"name": name, "steps": row["steps"], "train_seconds": row["train_seconds"], "quality": row["final_quality"]})
            print(f"ablation {name}: {row['train_seconds']} s, quality {row['final_quality']}", flush=True)

    report["speedup"] = speedup(reference, default_runs, "time_to_target")
    report["speedup_median5"] = speedup(reference, default_runs, "time_to_target_median5")
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if device.type == "cuda":
        report["peak_cuda_mb"] = round(torch.cuda.max_memory_allocated() / 2**20)

    print_table(report)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.name}.json").write_text(json.dumps(report, indent=1) + "\n")
    plot(report, args.out / f"{args.name}.png")
    print(f"wrote {args.out / (args.name + '.json')} and .png")


def print_table(report):
    target = report["target"]
    print(f"\ntime to energy distance x1e3 <= {target}, in training seconds")
    print(f"{'recipe':18s} {'steps':>7s} {'train s':>8s} {'samples/s':>10s} {'final ED':>9s} {'first hit':>10s} {'median-5':>10s}")
    rows = [(f"default, seed {r['config']['seed']}", r) for r in report["default"]] + [("reference", report["reference"])]
    for name, r in rows:
        hit, sustained = (f"{r[k]:.1f}" if r[k] is not None else "never" for k in ("time_to_target", "time_to_target_median5"))
        print(f"{name:18s} {r['steps']:7d} {r['train_seconds']:8.1f} {r['samples_per_second']:10d} {r['final_quality']:9.3f} {hit:>10s} {sustained:>10s}")
    for label, key in (("first hit", "speedup"), ("median-5", "speedup_median5")):
        s = report[key]
        print(f"speed-up ({label}): {s['bound']} {s['ratio']}x (slowest default seed: {s['worst_default_seconds']} s)")
    print(f"sampling 10 000 points: {report['sampling_seconds_10k']} s; peak RSS {report['peak_rss_mb']} MB")


def plot(report, path):
    fig, ax = plt.subplots(figsize=(7, 4))
    for r in report["default"]:
        c = r["curve"]
        ax.plot([p["train_seconds"] for p in c], [p["quality"] for p in c], color="C0", alpha=0.7, label="default" if r is report["default"][0] else None)
    c = report["reference"]["curve"]
    ax.plot([p["train_seconds"] for p in c], [p["quality"] for p in c], "o-", color="C1", label="reference")
    ax.axhline(report["target"], color="gray", linestyle="--", label=f"target {report['target']}")
    ax.set(xscale="log", yscale="log", xlabel="training wall time (s)", ylabel="energy distance ×10³", title=report["machine"][:80])
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    main()
