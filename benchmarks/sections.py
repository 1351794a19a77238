"""What the benchmarks run in sections share (benchmarks/fast_solvers.py, benchmarks/one_step.py): the command line, the
report that a run of some sections updates, and the data's own spread of lesson 09's metrics."""

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

import helpers

RESULTS = Path(__file__).resolve().parent / "results"


def data_floor(metrics, n_samples, draws=10):
    """Mean and s.d. of each of lesson 09's sharp metrics over `draws` fresh data samples (lesson 10's margins)."""
    floors = [helpers.sharp_quality(helpers.s_curve(n_samples, seed=100 + k), energy=False) for k in range(draws)]
    return {m: {"mean": round(statistics.mean(getattr(q, m) for q in floors), 4),
                "sd": round(statistics.stdev(getattr(q, m) for q in floors), 4)} for m in metrics}


def start(description, name, sections):
    """Parse --name, --out, --repeats and --sections; torch on one thread. Returns (args, the sections asked for, the
    report: the existing file's when only some sections run, else empty, and the time it began)."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--name", default=name)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--sections", default=",".join(sections),
                        help=f"comma-separated, from {','.join(sections)}; the others are kept from the existing file")
    args = parser.parse_args()
    asked = args.sections.split(",")
    if set(asked) - set(sections):
        parser.error(f"unknown sections {sorted(set(asked) - set(sections))}")
    torch.set_num_threads(1)
    path = args.out / f"{args.name}.json"
    report = json.loads(path.read_text()) if path.exists() and set(asked) != set(sections) else {}
    return args, asked, report, time.perf_counter()


def finish(args, report, began):
    """Record the run's seconds and write the report; returns its path."""
    report[f"seconds, {args.sections}"] = round(time.perf_counter() - began)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{args.name}.json"
    path.write_text(json.dumps(report, indent=1) + "\n")
    return path
