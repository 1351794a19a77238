"""How far apart two trainings of one recipe land: the networks lessons 11, 12 and 14 train live (tools/make_lesson_networks.py).

tests/test_committed_lessons.py checks that each committed file is its recipe by the RMS distance of the file's network
and of a retrained one to the exact answer (the lesson's own `recipe_error`): they must lie within its RECIPE_MARGIN,
4 x sqrt(2) x the standard deviation of that distance over seeds 1-5 here. Seed 0 is the files' seed; seeds 6-10 and another CPU's
kernels, which did not choose the margin, confirm it.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/recipe_spread.py --setting pinned --seeds 0 1 2 3 4 5 6 7 8 9 10
    OMP_NUM_THREADS=1 ATEN_CPU_CAPABILITY=default OPENBLAS_CORETYPE=Sandybridge \
        .venv/bin/python benchmarks/recipe_spread.py --setting default-kernels --seeds 0

the first with the kernels course.py pins (`course.same_kernels`) set as well; the second imitates a CPU without AVX2.
About 7 minutes for both on one thread. Adds its rows to benchmarks/results/recipe-spread-cpu-2core.json.
"""

import argparse
import json
import sys
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tools"))
sys.path.insert(0, str(HERE.parent / "tests"))
import make_lesson_networks as recipes  # noqa: E402
from test_planted_errors import lesson_functions  # noqa: E402

import helpers  # noqa: E402

OUT = HERE / "results" / "recipe-spread-cpu-2core.json"


def lessons():
    """Each recipe's recipe_error, compiled from its lesson (the lesson's own code), and how to train it."""
    schedule = helpers.sigmoid_schedule(100)
    x0, u0 = helpers.s_curve(10_000, return_u=True)

    def seeded(k):
        return torch.Generator().manual_seed(k)

    guidance = lesson_functions("11_guidance")
    guidance.update(T=100, schedule=schedule, x0=x0, labels=helpers.labels_of(u0), oracle=helpers.LabelledOracle(schedule),
                    seeded=seeded)
    flow = lesson_functions("12_flow_matching")
    flow.update(oracle=helpers.FlowOracle(helpers.s_curve_oracle()), seeded=seeded)
    targets = lesson_functions("14_targets")
    targets.update(T=100, schedule=schedule, oracle=helpers.s_curve_oracle(schedule))
    return {"guidance": (guidance["recipe_error"], recipes.train_guidance),
            "flow": (flow["recipe_error"], recipes.train_flow),
            "x0": (targets["recipe_error"], lambda seed: recipes.train_target("x0", seed)),
            "edm": (targets["recipe_error"], lambda seed: recipes.train_target("edm", seed))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--setting", required=True, help="a name for the kernels and thread count this run uses")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(11)))
    args = parser.parse_args()
    rows = json.loads(OUT.read_text())["rows"] if OUT.exists() else []
    for name, (recipe_error, train) in lessons().items():
        for seed in args.seeds:
            row = {"network": name, "setting": args.setting, "seed": seed, "rms_error": round(recipe_error(train(seed)), 5)}
            print(row, flush=True)
            rows = [r for r in rows if (r["network"], r["setting"], r["seed"]) != (name, args.setting, seed)] + [row]
    OUT.write_text(json.dumps({"machine": "x86_64, 2 cores, torch " + torch.__version__, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
