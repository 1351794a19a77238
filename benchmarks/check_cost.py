"""What checking arguments once, where a learner calls in, saves against checking them at every step of a loop.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/check_cost.py --name check-cost-cpu-2core   # about 2 minutes

Two loops, each timed both ways in the same process, alternately, `--repeats` times, on a quiet machine and then beside
one busy process:
- a training step of lesson 08's default recipe (batch 1024): helpers.train's loop calls helpers.Denoising, whose loss
  calls the unchecked L_simple (_eps_loss); "checked every step" swaps in the public helpers.eps_loss, which checks x0,
  t, eps, the schedule and the network's T on every call, as the loop did before issues 20 and 21;
- a sampling run of lesson 07's sampler (10 000 points, 100 steps): helpers.sample calls the unchecked reverse step
  (and computes the steps' noise stds once); "checked every step" swaps in the public reverse_mean.
Both ways compute the same numbers (checked here). Reports each way's median and the per-repeat differences.

Writes <out>/<name>.json and prints a table.
"""

import argparse
import json
import platform
import statistics
import time
from dataclasses import replace
from pathlib import Path

import torch

import helpers
import helpers.sampling.ancestral as sampling
from load import LOADS, machine_load

HERE = Path(__file__).resolve().parent
TRAIN_STEPS = 300


def checked_loss(objective, model, x0, t, eps):
    """helpers.Denoising's loss (lesson 08's default: L_simple) through the public, checked helpers.eps_loss."""
    return helpers.eps_loss(model, x0, objective.schedule, t=t, eps=eps)


CORE_MEAN = sampling._reverse_mean


def checked_reverse_mean(eps_pred, xt, t, schedule):
    # The public function calls the core by its module name, which is swapped for this one while sampling.
    with swapped(sampling, "_reverse_mean", CORE_MEAN):
        return helpers.reverse_mean(eps_pred, xt, t, schedule)


def swapped(module, name, replacement):
    """Run with module.name replaced; returns a context manager."""

    class Swap:
        def __enter__(self):
            self.original = getattr(module, name)
            setattr(module, name, replacement)

        def __exit__(self, *exc):
            setattr(module, name, self.original)

    return Swap()


def train_step_ms(checked):
    schedule, x0 = helpers.sigmoid_schedule(100), helpers.s_curve(10_000)
    config = replace(helpers.DEFAULT, steps=TRAIN_STEPS, warmup_steps=10)
    torch.manual_seed(0)
    model = helpers.build_model(config, schedule, x0)
    if checked:
        with swapped(helpers.Denoising, "loss", checked_loss):
            result = helpers.train(model, x0, helpers.Denoising(schedule, config), config, progress=False)
    else:
        result = helpers.train(model, x0, helpers.Denoising(schedule, config), config, progress=False)
    return 1e3 * result["seconds"] / TRAIN_STEPS, result["losses"]


def sample_seconds(checked, model, schedule):
    generator = torch.Generator().manual_seed(0)
    start = time.perf_counter()
    if checked:
        with swapped(sampling, "_reverse_mean", checked_reverse_mean):
            x = helpers.sample(model, schedule, 10_000, generator=generator, sigma="beta_tilde")
    else:
        x = helpers.sample(model, schedule, 10_000, generator=generator, sigma="beta_tilde")
    return time.perf_counter() - start, x


def paired(measure, repeats):
    """Alternate the two ways; returns the medians, the per-repeat differences (checked minus once) and the results."""
    once, every, outputs = [], [], {}
    for _ in range(repeats):
        for checked, times in ((False, once), (True, every)):
            value, output = measure(checked)
            times.append(value)
            outputs[checked] = output
    assert torch.equal(outputs[False], outputs[True]), "the two ways must compute the same numbers"
    diffs = [b - a for a, b in zip(once, every)]
    return {"checked_once": statistics.median(once), "checked_every_step": statistics.median(every),
            "differences": [round(d, 4) for d in diffs], "once_all": [round(v, 4) for v in once],
            "every_all": [round(v, 4) for v in every]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="check-cost")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    model, schedule = helpers.load_model(), helpers.sigmoid_schedule(100)
    results = {"machine": f"{platform.machine()}, {torch.get_num_threads()} torch threads, torch {torch.__version__}"}
    for load in LOADS:
        with machine_load(load):
            results[load] = {
                "train_step_ms": paired(train_step_ms, args.repeats),
                "sample_run_s": paired(lambda checked: sample_seconds(checked, model, schedule), args.repeats),
            }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.name}.json").write_text(json.dumps(results, indent=1) + "\n")
    print(results["machine"])
    for load in LOADS:
        for what, unit in (("train_step_ms", "ms per training step"), ("sample_run_s", "s per sampling run")):
            r = results[load][what]
            print(f"{load:5s} {unit:22s} checked once {r['checked_once']:.3f}, every step {r['checked_every_step']:.3f}; "
                  f"differences {min(r['differences']):+.3f} to {max(r['differences']):+.3f}")


if __name__ == "__main__":
    main()
