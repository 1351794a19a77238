"""Lesson 22's verdicts again on seeds that chose nothing (20-25), after the lesson was written, by benchmarks/scale.py's
own identity (20 steps) and precision sections: two processes against two micro-batches (bit for bit) and against one
pass within the lesson's tolerance; bfloat16 against float32 over the full recipe, paired.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/scale_fresh_seeds.py      # about 10 minutes on 2 cores
"""

import json
import statistics
from pathlib import Path

import torch
from scipy import stats

import scale

SEEDS = range(20, 26)
# Lesson 22's tolerance: ten times the largest difference over benchmarks/scale.py's seeds 0-4.
TOLERANCE = 1.76e-3

if __name__ == "__main__":
    torch.set_num_threads(1)
    report = {"machine": f"x86_64, torch {torch.__version__}", **scale.identity(SEEDS, (20,)), **scale.precision(SEEDS)}
    rows = report["identity"]["20"]
    print("bit for bit on every seed:", all(row["two processes against accumulate 2"]["online"] == 0 for row in rows),
          "; largest against one pass:", max(row["two processes"]["online"] for row in rows), "within", TOLERANCE)
    for key in ("train_seconds", "elbo_bpd", "frechet"):
        d = [row["bfloat16"][key] - row["float32"][key] for row in report["precision"]]
        h = stats.t.ppf(0.975, len(d) - 1) * statistics.stdev(d) / len(d) ** 0.5
        print(key, round(statistics.mean(d), 4), [round(statistics.mean(d) - h, 4), round(statistics.mean(d) + h, 4)])
    (Path(__file__).resolve().parent / "results" / "scale-fresh-seeds-cpu-2core.json").write_text(json.dumps(report, indent=1) + "\n")
