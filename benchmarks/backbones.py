"""Issue 43's first question, before lesson 20 is written: on lesson 17's digits, which backbone, compared fairly? The
course's MLP (helpers.digits_network), a small U-Net and a small DiT, each trained for the same wall time on one core,
with the same data, schedule, objective (eps, lesson 06's loss on batches dequantised afresh), optimiser and
learning-rate shape (Adam, warm-up, cosine), an EMA of the same share of each run, and sampled by the same sampler.

    # the pilot (seed 100 chooses each network's learning rate; it confirms nothing), a file per run, merged:
    .venv/bin/python benchmarks/backbones.py --name pilot-a --seeds 100 --lr 1e-3 2e-3 4e-3
    .venv/bin/python benchmarks/backbones.py --name pilot-b --probe-from pilot-a --seeds 100 --lr 8e-3 1.6e-2
    .venv/bin/python benchmarks/backbones.py --name backbones-pilot-cpu-2core --merge pilot-a pilot-b
    # ten seeds at 1 and 4 times the MLP recipe's time, in two processes, then the summary:
    .venv/bin/python benchmarks/backbones.py --name backbones-part0-cpu-2core --probe-from backbones-pilot-cpu-2core \
        --seeds 0 1 2 3 4 --budgets 1 4 --lr-of mlp=8e-3 unet=8e-3 dit=1.6e-2      # and part5 with seeds 5-9
    .venv/bin/python benchmarks/backbones.py --name backbones-cpu-2core --summarise \
        --merge backbones-part0-cpu-2core backbones-part5-cpu-2core
    # the pilot again at the 4x budget (does each network's choice hold?), merged into the pilot's file:
    .venv/bin/python benchmarks/backbones.py --name dit4x-pilot --probe-from backbones-pilot-cpu-2core --seeds 100 \
        --budgets 4 --networks dit --lr 2e-3 4e-3 8e-3 1.6e-2             # and others4x-pilot: --networks unet mlp
    .venv/bin/python benchmarks/backbones.py --name backbones-pilot-cpu-2core \
        --merge backbones-pilot-cpu-2core dit4x-pilot others4x-pilot
    # the winner's scaling curve: the U-Net at 16, 24 and 48 channels (timed in turns with the 32-channel one), seeds 0-4:
    .venv/bin/python benchmarks/backbones.py --name backbones-scaling-a-cpu-2core --probe-from backbones-pilot-cpu-2core \
        --seeds 0 1 2 3 4 --budgets 4 --networks unet-16 unet-24 --lr-of unet-16=8e-3 unet-24=8e-3   # and -b: unet-48
    .venv/bin/python benchmarks/backbones.py --name backbones-scaling-cpu-2core \
        --merge backbones-scaling-a-cpu-2core backbones-scaling-b-cpu-2core
    # the DiT's stability question on ten new seeds, U-Net and DiT at 8e-3 (two processes), then merged:
    .venv/bin/python benchmarks/backbones.py --name backbones-stable-a-cpu-2core --probe-from backbones-pilot-cpu-2core \
        --seeds 10 11 12 13 14 --budgets 4 --networks unet dit --lr-of unet=8e-3 dit=8e-3   # and -b with seeds 15-19
    .venv/bin/python benchmarks/backbones.py --name backbones-stable-cpu-2core --summarise \
        --merge backbones-stable-a-cpu-2core backbones-stable-b-cpu-2core

The two contenders are lesson 20's (helpers/networks/backbones.py):
- UNet: 8 x 8 pixels as one channel; residual blocks (GroupNorm, SiLU, 3 x 3 convolutions), each adding a linear
  projection of the step's embedding, two at 8 x 8, a strided convolution to 4 x 4, two there, a transposed convolution
  back to 8 x 8 where the 8 x 8 features are joined on (the concatenated skip of Ronneberger et al. 2015), two more, one
  channel out. Ho et al. 2020 (appendix B) add the step's projection in every block too; their network is larger (16 x 16
  attention, dropout, a skip from every block);
- DiT (Peebles & Xie 2023): 2 x 2 patches as 16 tokens, a linear embedding and learned positions (theirs are fixed
  sine-cosine), transformer blocks whose layer norms are shifted and scaled and whose branches are gated by the step
  (adaLN-zero: their section 3.2 starts the gates at zero; their released code also starts the shifts, scales and the
  final layer at zero, as here, so each block starts as the identity and the first output is 0).
All three scale their input by lesson 08's c_in and predict eps.

Protocol. Seconds per training step of each network, measured in turns (PROBE_STEPS each, median of REPEATS) so that
whatever else runs slows all alike; a run split over processes reuses one probe (--probe-from) so that every seed gets
the same steps, and each row records its own training seconds. A budget is a multiple of the MLP recipe's time (its
5 000 steps); each network gets budget / its seconds per step steps, a warm-up of a tenth of its steps (at most the
recipe's 100, so 2 % of the MLP's run), and an EMA (bias-corrected, helpers.train) whose horizon 1 / (1 - decay) is the
same share of its run (EMA_SHARE: decay = 1 - 1 / (EMA_SHARE steps)), so that no network's average reaches back over
most of its run; every network is scored through its EMA weights. (Karras et al. 2024 also state an EMA's length
relative to training time, though as the spread of a power-function average, tuned per network after training.)
Quality: DigitJudge's scores of N_SAMPLES samples by DPM-Solver++(2M) at NFE from the same x_T per seed; test bits per
dimension by the ELBO on the N_LIKELIHOOD test images benchmarks/digits.py uses. Each network's learning rate is the
pilot's lowest test ELBO on seed 100 at the 1x budget, on those same test images (a choice of one number among five,
on another seed); the 4x runs reuse it.
"""

import argparse
import dataclasses
import json
import math
import platform
import statistics
from pathlib import Path

import torch
from scipy import stats

import helpers
from helpers.data.digits import DIGITS, bits_per_dim, digits_schedule, digits_split, dequantise
from helpers.measures.digit_scores import DigitJudge
from helpers.training.backbones import BUILDERS, EMA_SHARE, LEARNING_RATES, backbone_recipe, train_backbone

OUT = Path(__file__).resolve().parent / "results"
PROBE_STEPS, REPEATS = 40, 3
N_SAMPLES, N_LIKELIHOOD, NFE = 450, 150, 20


def kind_and_sizes(name):
    """A network's name as its kind and size arguments: "unet" is lesson 20's U-Net, "unet-16" the U-Net with 16 channels
    (the scaling curve's widths)."""
    kind, _, channels = name.partition("-")
    return kind, ({"channels": int(channels)} if channels else {})


def seconds_per_step(x_train, names):
    """Median seconds per training step of each network, the networks timed in turns."""
    times = {name: [] for name in names}
    for _ in range(REPEATS):
        for name in names:
            config = dataclasses.replace(DIGITS, steps=PROBE_STEPS, warmup_steps=0)
            kind, sizes = kind_and_sizes(name)
            times[name].append(train_backbone(kind, x_train, config, **sizes)["seconds"] / PROBE_STEPS)
    return {name: statistics.median(values) for name, values in times.items()}


MEASURES = {"elbo_bpd": True, "frechet": True, "kid": True, "confident": False}


def merge(names, out_name):
    """The rows of several runs (results/NAME.json for each name; the first one's settings) in results/out_name.json."""
    parts = [json.loads((OUT / f"{name}.json").read_text()) for name in names]
    merged = {**parts[0], "seeds": sorted({seed for part in parts for seed in part["seeds"]}),
              "budgets": sorted({budget for part in parts for budget in part["budgets"]}),
              "parameters": {k: v for part in parts for k, v in part["parameters"].items()},
              "seconds_per_step": {k: v for part in parts for k, v in part["seconds_per_step"].items()},
              "rows": sorted((row for part in parts for row in part["rows"]),
                             key=lambda r: (r["budget"], r["seed"], r["network"], r["lr"]))}
    (OUT / f"{out_name}.json").write_text(json.dumps(merged, indent=1) + "\n")
    return merged


def summarise(merged):
    """Per budget, each network's mean and 95 % interval on every measure, and the paired differences (same seed)."""
    rows, seeds = merged["rows"], merged["seeds"]
    value = {(r["budget"], r["network"], r["seed"]): r for r in rows}
    networks = list(dict.fromkeys(r["network"] for r in rows))
    for budget in merged["budgets"]:
        print(f"\nbudget {budget} x the MLP recipe's {merged['recipe_seconds']} s, seeds {seeds}")
        for name in networks:
            first = value[budget, name, seeds[0]]
            cells = []
            for measure in MEASURES:
                numbers = [value[budget, name, seed][measure] for seed in seeds]
                half = stats.t.ppf(0.975, len(numbers) - 1) * statistics.stdev(numbers) / math.sqrt(len(numbers))
                cells.append(f"{measure} {statistics.fmean(numbers):.3f} ± {half:.3f}")
            print(f"  {name:5s} {first['steps']:6d} steps, lr {first['lr']}, " + ", ".join(cells))
        for a, b in [(a, b) for a, b in (("unet", "mlp"), ("dit", "mlp"), ("dit", "unet")) if {a, b} <= set(networks)]:
            for measure, lower in MEASURES.items():
                comparison = helpers.compare(lambda k: value[budget, a, k][measure], lambda k: value[budget, b, k][measure],
                                             seeds=seeds, names=(a, b), lower_is_better=lower)
                print(f"  {a} - {b}, {measure}: {comparison.brief(3)}")
    for name in networks if len(merged["budgets"]) > 1 else ():
        for measure, lower in MEASURES.items():
            comparison = helpers.compare(lambda k: value[merged["budgets"][-1], name, k][measure],
                                         lambda k: value[merged["budgets"][0], name, k][measure], seeds=seeds,
                                         names=(f"{name} {merged['budgets'][-1]}x", f"{name} {merged['budgets'][0]}x"),
                                         lower_is_better=lower)
            print(f"  longer training, {name}, {measure}: {comparison.brief(3)}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", required=True)
    parser.add_argument("--seeds", type=int, nargs="+")
    parser.add_argument("--budgets", type=float, nargs="+", default=[1.0], help="multiples of the MLP recipe's time")
    parser.add_argument("--lr", type=float, nargs="+", default=None, help="learning rates tried on every network")
    parser.add_argument("--lr-of", nargs="+", default=[], metavar="NETWORK=LR", help="one learning rate per network")
    parser.add_argument("--networks", nargs="+", default=["mlp", "unet", "dit"])
    parser.add_argument("--probe-from", metavar="NAME", help="reuse the seconds per step in results/NAME.json, so that "
                        "runs split over several processes give each network the same number of steps")
    parser.add_argument("--merge", nargs="+", metavar="PART", help="merge results/PART.json files into --name; trains "
                        "nothing")
    parser.add_argument("--summarise", action="store_true", help="with --merge: print the comparison of the merged runs")
    args = parser.parse_args()
    if args.merge:
        merged = merge(args.merge, args.name)
        if args.summarise:
            summarise(merged)
        return
    torch.set_num_threads(1)
    chosen = {k: float(v) for k, v in (item.split("=") for item in args.lr_of)}
    rates = {name: [chosen[name]] if name in chosen else (args.lr or [LEARNING_RATES[kind_and_sizes(name)[0]]])
             for name in args.networks}
    x_train, labels, x_test, labels_test = digits_split()
    schedule = digits_schedule()
    judge = DigitJudge(x_train, labels, x_test, labels_test)
    x_like = dequantise(x_test[:N_LIKELIHOOD], torch.Generator().manual_seed(3))
    if args.probe_from:
        probe = json.loads((OUT / f"{args.probe_from}.json").read_text())["seconds_per_step"]
        missing = set(args.networks) - probe.keys()
        if missing:  # other U-Net widths: timed in turns with the 32-channel U-Net, scaled to its stored time
            fresh = seconds_per_step(x_train, sorted(missing | {"unet"}))
            probe.update({name: probe["unet"] * fresh[name] / fresh["unet"] for name in missing})
    else:
        probe = seconds_per_step(x_train, sorted(set(args.networks) | {"mlp"}))
    recipe_seconds = DIGITS.steps * probe["mlp"]
    parameters = {name: sum(p.numel() for p in BUILDERS[kind_and_sizes(name)[0]](x_train, **kind_and_sizes(name)[1])
                            .parameters()) for name in args.networks}
    print("seconds per step", probe, "recipe seconds", round(recipe_seconds, 1), "parameters", parameters, flush=True)
    out = {"machine": platform.processor() or platform.machine(), "torch": torch.__version__, "seeds": args.seeds,
           "budgets": args.budgets, "recipe_seconds": round(recipe_seconds, 1), "ema_share": EMA_SHARE,
           "seconds_per_step": {k: round(v, 5) for k, v in probe.items()}, "parameters": parameters,
           "n_samples": N_SAMPLES, "nfe": NFE, "n_likelihood": N_LIKELIHOOD, "rows": []}
    OUT.mkdir(exist_ok=True)
    for seed in args.seeds:
        start = torch.randn((N_SAMPLES, 64), generator=torch.Generator().manual_seed(7 + 100 * seed))
        for budget in args.budgets:
            for name in args.networks:
                for lr in rates[name]:
                    kind, sizes = kind_and_sizes(name)
                    config = backbone_recipe(kind, budget, seed, lr, seconds_per_step={"mlp": probe["mlp"], kind: probe[name]})
                    result = train_backbone(kind, x_train, config, **sizes)
                    model = result["model"].eval()
                    with torch.no_grad():
                        x = helpers.sample_steps(model, schedule, N_SAMPLES, helpers.grid_steps(schedule, NFE), "dpm++2m",
                                                 x_T=start)
                    scores = {k: round(v, 6 if k == "kid" else 4) for k, v in dataclasses.asdict(judge.scores(x)).items()}
                    elbo = helpers.elbo(model, schedule, x_like, generator=torch.Generator().manual_seed(4))
                    out["rows"].append({"seed": seed, "budget": budget, "network": name, "lr": lr, "steps": config.steps,
                                        "ema_decay": round(config.ema_decay, 5), "train_seconds": round(result["seconds"], 1),
                                        "final_loss": round(result["losses"][-100:].mean().item(), 4),
                                        "elbo_bpd": round(bits_per_dim(-elbo.nll_bound), 4), **scores})
                    print(out["rows"][-1], flush=True)
                    (OUT / f"{args.name}.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
