"""Issue 44, for lesson 22: lesson 17's digits recipe split between micro-batches and processes, in bfloat16, and how
fast two processes train on this machine.

    .venv/bin/python benchmarks/scale.py --name scale-cpu-2core          # about 15 minutes on 2 cores

Sections:
- identity: for seeds 0-9, IDENTITY_STEPS steps of the recipe (the first is the lesson's run) in one process, in two processes
  (helpers.launch, gloo), and in one process accumulating 2 and 4 micro-batches: the largest differences of the losses,
  the online and the EMA weights from the one-process run; beside them the same run at seed + 100 (another run's
  difference) and how far training moved the weights. Seeds 0-4 set the lesson's tolerance, 5-9 confirm it.
- precision: for seeds 0-9, the full recipe (helpers.train_digits) in float32 and with precision "bfloat16": training
  seconds, the last 500 steps' mean loss, test bits per dimension by the ELBO in float32 (benchmarks/digits.py's 150
  images, seed 3 dequantised, seed 4 drawn), the same ELBO with the float32 network's every call under bfloat16 autocast
  (what a likelihood computed inside autocast would pay), and DigitJudge's scores of 450 samples by
  DPM-Solver++(2M) at 20 NFE from seed 7 + 100 k's x_T (benchmarks/digits.py's protocol).
- throughput: THROUGHPUT_STEPS steps at batch sizes 128 and 1 024, images per second: one process at one thread, one
  process at two threads, two processes of one thread (helpers.launch), and two processes that each train half the
  batch without a process group (the same work with no communication), timed in turns, median of --repeats, quiet
  and beside a busy process (benchmarks/load.py); the training loop's own seconds (start-up excluded).
"""

import concurrent.futures
import copy
import dataclasses
import platform
import statistics
import sys
from pathlib import Path

import torch

import helpers
from helpers.data.digits import DIGITS, bits_per_dim, dequantise, digits_schedule, digits_split
from helpers.measures.digit_scores import DigitJudge
from sections import finish, start

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import LOADS, machine_load  # noqa: E402

SECTIONS = ("identity", "precision", "throughput")
SEEDS = range(10)
# The lesson's run (20 steps, warm-up 2) and a run ten times longer (warm-up 20): the recipe's first steps, its warm-up
# shortened in proportion (100 of 5 000).
IDENTITY_STEPS = (20, 200)
N_SAMPLES, N_LIKELIHOOD, NFE = 450, 150, 20
THROUGHPUT_STEPS = 100


def largest(a, b):
    """The largest absolute difference between two state dicts (or two tensors)."""
    if isinstance(a, dict):
        return max((a[k].float() - b[k].float()).abs().max().item() for k in a)
    return (a - b).abs().max().item()


def differences(run, reference):
    return {k: float(f"{largest(run[k], reference[k]):.3g}") for k in ("losses", "online", "ema")}


def identity(seeds=SEEDS, lengths=IDENTITY_STEPS):
    x_train = digits_split()[0]
    out = {}
    for steps in lengths:
        rows = []
        for seed in seeds:
            config = dataclasses.replace(DIGITS, steps=steps, warmup_steps=steps // 10, seed=seed)
            one = helpers.train_digits_member(x_train, config)
            two = helpers.launch(helpers.train_digits_member, 2, x_train, config)
            accumulated = {k: helpers.train_digits_member(x_train, dataclasses.replace(config, accumulate=k)) for k in (2, 4)}
            torch.manual_seed(seed)  # train_digits's initialisation
            start_weights = helpers.digits_network(x_train).state_dict()
            row = {"seed": seed, "moved": float(f"{largest(one['online'], start_weights):.3g}"),
                   "two processes": differences(two[1], one),
                   "two processes against accumulate 2": differences(two[1], accumulated[2]),
                   "ranks' EMA": float(f"{largest(two[0]['ema'], two[1]['ema']):.3g}"),
                   **{f"accumulate {k}": differences(run, one) for k, run in accumulated.items()},
                   "another seed": differences(helpers.train_digits_member(x_train, dataclasses.replace(config, seed=seed + 100)), one)}
            rows.append(row)
            print("identity", steps, row, flush=True)
        out[str(steps)] = rows
    return {"identity": out}


def under_autocast(model):
    """A copy of model whose every call runs under bfloat16 autocast (helpers.elbo refuses to be called inside one)."""
    low = copy.deepcopy(model)
    forward = low.forward

    def autocast_forward(xt, t):
        with torch.autocast("cpu", torch.bfloat16):
            return forward(xt, t)

    low.forward = autocast_forward
    return low


def precision(seeds=SEEDS):
    x_train, labels, x_test, labels_test = digits_split()
    schedule = digits_schedule()
    judge = DigitJudge(x_train, labels, x_test, labels_test)
    x_like = dequantise(x_test[:N_LIKELIHOOD], torch.Generator().manual_seed(3))
    rows = []
    for seed in seeds:
        row = {"seed": seed}
        for name in ("float32", "bfloat16"):
            result = helpers.train_digits(x_train, seed=seed, config=dataclasses.replace(DIGITS, precision=name))
            model = result["model"]
            bits = bits_per_dim(-helpers.elbo(model, schedule, x_like, generator=torch.Generator().manual_seed(4)).nll_bound)
            start_x = torch.randn((N_SAMPLES, 64), generator=torch.Generator().manual_seed(7 + 100 * seed))
            with torch.no_grad():
                x = helpers.sample_steps(model, schedule, N_SAMPLES, helpers.grid_steps(schedule, NFE), "dpm++2m", x_T=start_x)
            scores = dataclasses.asdict(judge.scores(x))
            row[name] = {"train_seconds": round(result["seconds"], 2),
                         "last_loss": round(result["losses"][-500:].mean().item(), 5), "elbo_bpd": round(bits, 4),
                         "frechet": round(scores["frechet"], 4), "kid": round(scores["kid"], 6)}
            if name == "float32":
                low = under_autocast(model)
                low_bits = bits_per_dim(-helpers.elbo(low, schedule, x_like, generator=torch.Generator().manual_seed(4)).nll_bound)
                row[name]["elbo_bpd_under_autocast"] = round(low_bits, 4)
        rows.append(row)
        print("precision", row, flush=True)
    return {"precision": rows}


def throughput(repeats):
    x_train = digits_split()[0]
    out = {}
    for batch in (128, 1024):
        config = dataclasses.replace(DIGITS, steps=THROUGHPUT_STEPS, warmup_steps=10, batch_size=batch)
        half = dataclasses.replace(config, batch_size=batch // 2)
        variants = {
            "1 process, 1 thread": lambda: helpers.launch(helpers.train_digits_member, 1, x_train, config),
            "1 process, 2 threads": lambda: helpers.launch(helpers.train_digits_member, 1, x_train, config, threads=2),
            "2 processes, 1 thread each": lambda: helpers.launch(helpers.train_digits_member, 2, x_train, config),
            # Two groups of one process at once: the work of two processes without their all-reduce.
            "2 processes, half the batch each, no group": lambda: _two_apart(x_train, half),
        }
        for load in LOADS:
            times = {name: [] for name in variants}
            with machine_load(load):
                for _ in range(repeats):
                    for name, fn in variants.items():
                        times[name].append(max(r["seconds"] for r in fn()))
            out[f"batch {batch}, {load}"] = {name: round(batch * THROUGHPUT_STEPS / statistics.median(v), 1)
                                             for name, v in times.items()}
            print("throughput", batch, load, out[f"batch {batch}, {load}"], flush=True)
    return {"throughput": {"steps": THROUGHPUT_STEPS, "images per second": out}}


def _two_apart(x_train, config):
    """Two processes, each its own group of one, training at the same time."""
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(helpers.launch, helpers.train_digits_member, 1, x_train, config) for _ in range(2)]
        return [f.result()[0] for f in futures]


def main():
    args, asked, report, began = start(__doc__, "scale-cpu-2core", SECTIONS)
    report["machine"] = f"{platform.processor() or platform.machine()}; torch {torch.__version__}"
    if "identity" in asked:
        report.update(identity())
    if "precision" in asked:
        report.update(precision())
    if "throughput" in asked:
        report.update(throughput(args.repeats))
    print(finish(args, report, began))


if __name__ == "__main__":
    main()
