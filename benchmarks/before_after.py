"""One benchmark, run on an earlier commit and on the working tree in turns, so that a change is timed against what it
replaced on the same machine at the same time.

    .venv/bin/python benchmarks/before_after.py --before 9d0bba5 --name train-step-issue40-cpu-2core   # about 8 minutes

Each round runs benchmarks/check_cost.py (its own quiet and busy halves, one torch thread) once on the earlier commit
(a detached git worktree under build/) and once on the working tree, alternating which goes first. Reported: each
round's median milliseconds per training step of the unchecked loop (check_cost's "checked_once", the path helpers.train
takes) and seconds per sampling run, before and after, with their ratios after / before; the verdict reads the ratios'
range over rounds, quiet and busy apart.

Writes <out>/<name>.json and prints a table.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MEASURES = {"train_step_ms": "ms per training step", "sample_run_s": "s per sampling run"}


def worktree(revision):
    """A checkout of revision under build/, made once."""
    path = ROOT / "build" / f"before-{revision}"
    if not path.exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(path), revision], cwd=ROOT, check=True,
                       capture_output=True)
    return path


def run_check_cost(tree, repeats):
    """check_cost.py of tree, with tree's helpers first on the path; returns its results."""
    with tempfile.TemporaryDirectory() as out:
        env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(tree)}
        subprocess.run([sys.executable, str(tree / "benchmarks" / "check_cost.py"), "--name", "run", "--out", out,
                        "--repeats", str(repeats)], cwd=tree, env=env, check=True, capture_output=True)
        return json.loads((Path(out) / "run.json").read_text())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the earlier commit")
    parser.add_argument("--name", default="before-after")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    trees = {"before": worktree(args.before), "after": ROOT}
    rounds = []
    for k in range(args.rounds):
        order = ("before", "after") if k % 2 == 0 else ("after", "before")
        runs = {which: run_check_cost(trees[which], args.repeats) for which in order}
        rounds.append({load: {what: {which: runs[which][load][what]["checked_once"] for which in trees}
                              for what in MEASURES} for load in ("quiet", "busy")})
        print(f"round {k + 1}: " + json.dumps(rounds[-1]), flush=True)
    summary = {}
    for load in ("quiet", "busy"):
        for what in MEASURES:
            ratios = [r[load][what]["after"] / r[load][what]["before"] for r in rounds]
            summary[f"{load} {what}"] = {
                "before_median": statistics.median(r[load][what]["before"] for r in rounds),
                "after_median": statistics.median(r[load][what]["after"] for r in rounds),
                "ratios": [round(x, 4) for x in ratios]}
    result = {"before": args.before, "machine": runs["after"]["machine"], "rounds": rounds, "summary": summary}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.name}.json").write_text(json.dumps(result, indent=1) + "\n")
    print(result["machine"])
    for key, row in summary.items():
        load, what = key.split(" ")
        print(f"{load:5s} {MEASURES[what]:22s} before {row['before_median']:.3f}, after {row['after_median']:.3f}; "
              f"after / before per round {', '.join(f'{x:.3f}' for x in row['ratios'])}")


if __name__ == "__main__":
    main()
