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

The two contenders live here until lesson 20 teaches them (then they move into helpers/networks/):
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
from torch import nn

import helpers
from helpers._checks import check_int, check_points, check_steps
from helpers.data.digits import DIGITS, Dequantised, bits_per_dim, digits_network, digits_schedule, digits_split, dequantise
from helpers.measures.digit_scores import DigitJudge
from helpers.networks.mlp import sinusoidal_embedding

OUT = Path(__file__).resolve().parent / "results"
PROBE_STEPS, REPEATS = 40, 3
N_SAMPLES, N_LIKELIHOOD, NFE = 450, 150, 20
EMA_SHARE = 0.1
SIDE = 8


class _Backbone(nn.Module):
    """What the two share: T steps, 64 pixels, the input scale c_in (a buffer of shape (T,)), sinusoidal step features of
    `width` numbers, and the course's checks of x_t and t."""

    d = SIDE * SIDE
    predicts = "eps"

    def __init__(self, c_in, width):
        super().__init__()
        if not isinstance(c_in, torch.Tensor) or c_in.ndim != 1 or len(c_in) < 1:
            raise ValueError(f"c_in must be a 1-d tensor of one input scale per step, got {getattr(c_in, 'shape', c_in)!r}")
        self.T, self.width = len(c_in), check_int("width", width, 2)
        if width % 2:
            raise ValueError(f"width must be even for sinusoidal step features, got {width}")
        self.register_buffer("c_in", c_in.detach().float().clone())
        self.embed_step = nn.Sequential(nn.Linear(width, width), nn.SiLU(), nn.Linear(width, width))

    def inputs(self, xt, t):
        """x_t scaled by c_in[t], in the network's dtype, and the step's embedding, one row per image."""
        xt = check_points("xt", xt, self.d)
        if xt.device != self.c_in.device:
            raise ValueError(f"xt is on {xt.device} but the network is on {self.c_in.device}: move one of them (.to(device))")
        t = check_steps("t", t, self.T, n=xt.shape[0], device=xt.device)
        return xt.float() * self.c_in[t].unsqueeze(1), self.embed_step(sinusoidal_embedding(t, self.width))


class UNet(_Backbone):
    """eps_theta(x_t, t) by convolutions: the image as one channel on its 8 x 8 grid, two residual blocks at 8 x 8, a
    strided convolution to 4 x 4, two blocks there, a transposed convolution back to 8 x 8 where the 8 x 8 features are
    joined on (the skip connection of Ronneberger et al. 2015), two blocks, and a convolution to one channel. Every block
    adds a projection of the step's embedding to its features (Ho et al. 2020, appendix B, at this size). Defined in
    lesson 20 (backbones)."""

    def __init__(self, c_in, channels=32, width=128):
        super().__init__(c_in, width)
        self.channels = c = check_int("channels", channels, 8)
        if c % 8:
            raise ValueError(f"channels must be a multiple of 8 (GroupNorm's 8 groups), got {channels}")
        self.first = nn.Conv2d(1, c, 3, padding=1)
        self.down = nn.ModuleList([ResBlock(c, c, width), ResBlock(c, 2 * c, width)])
        self.shrink = nn.Conv2d(2 * c, 2 * c, 3, stride=2, padding=1)
        self.middle = nn.ModuleList([ResBlock(2 * c, 2 * c, width), ResBlock(2 * c, 2 * c, width)])
        self.grow = nn.ConvTranspose2d(2 * c, 2 * c, 2, stride=2)
        self.up = nn.ModuleList([ResBlock(4 * c, c, width), ResBlock(c, c, width)])
        self.last = nn.Sequential(nn.GroupNorm(8, c), nn.SiLU(), nn.Conv2d(c, 1, 3, padding=1))

    def config(self):
        return {"kind": "unet", "T": self.T, "channels": self.channels, "width": self.width}

    def forward(self, xt, t):
        dtype = xt.dtype if isinstance(xt, torch.Tensor) else torch.float32
        h, e = self.inputs(xt, t)
        h = self.first(h.reshape(-1, 1, SIDE, SIDE))
        for block in self.down:
            h = block(h, e)
        skip = h
        h = self.shrink(h)
        for block in self.middle:
            h = block(h, e)
        h = torch.cat([self.grow(h), skip], dim=1)
        for block in self.up:
            h = block(h, e)
        return self.last(h).reshape(-1, self.d).to(dtype)


class ResBlock(nn.Module):
    """h + conv(SiLU(GroupNorm(conv(SiLU(GroupNorm(h))) + W e))), with a 1 x 1 convolution on the way round when the
    channels change. Defined in lesson 20 (backbones)."""

    def __init__(self, c_from, c_to, width):
        super().__init__()
        self.before = nn.Sequential(nn.GroupNorm(8, c_from), nn.SiLU(), nn.Conv2d(c_from, c_to, 3, padding=1))
        self.step = nn.Linear(width, c_to)
        self.after = nn.Sequential(nn.GroupNorm(8, c_to), nn.SiLU(), nn.Conv2d(c_to, c_to, 3, padding=1))
        self.around = nn.Identity() if c_from == c_to else nn.Conv2d(c_from, c_to, 1)

    def forward(self, h, e):
        return self.around(h) + self.after(self.before(h) + self.step(e)[:, :, None, None])


def to_patches(x, patch):
    """Images (N, 64) as (N, tokens, patch^2): the patches read row by row, each patch's pixels row by row. Defined in
    lesson 20 (backbones)."""
    n = SIDE // patch
    return x.reshape(-1, n, patch, n, patch).permute(0, 1, 3, 2, 4).reshape(-1, n * n, patch * patch)


def from_patches(tokens, patch):
    """The inverse of to_patches: (N, tokens, patch^2) back to images (N, 64). Defined in lesson 20 (backbones)."""
    n = SIDE // patch
    return tokens.reshape(-1, n, n, patch, patch).permute(0, 1, 3, 2, 4).reshape(-1, SIDE * SIDE)


class DiT(_Backbone):
    """eps_theta(x_t, t) by a transformer (Peebles & Xie 2023): the image cut into patch x patch pieces (16 tokens of 4
    pixels for patch 2), each embedded linearly with a learned position, `depth` blocks of attention and MLP, and a
    final layer back to pixels. The step enters through adaLN-zero (their section 3.2): each block's layer norms are
    shifted and scaled, and each branch's output gated, by numbers computed from the step's embedding, and those start
    at zero, so every block starts as the identity and the network's first output is 0. Defined in lesson 20
    (backbones)."""

    def __init__(self, c_in, width=96, depth=4, heads=4, patch=2):
        super().__init__(c_in, width)
        self.depth, self.heads, self.patch = check_int("depth", depth, 1), check_int("heads", heads, 1), patch
        if patch not in (1, 2, 4, 8):
            raise ValueError(f"patch must divide the image's side of 8 (1, 2, 4 or 8), got {patch!r}")
        if width % heads:
            raise ValueError(f"width ({width}) must be a multiple of heads ({heads})")
        tokens, size = (SIDE // patch) ** 2, patch * patch
        self.embed_patch = nn.Linear(size, width)
        self.position = nn.Parameter(torch.randn(tokens, width) / math.sqrt(width))
        self.blocks = nn.ModuleList([DiTBlock(width, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(width, elementwise_affine=False)
        self.modulate = _zero(nn.Linear(width, 2 * width))
        self.last = _zero(nn.Linear(width, size))

    def config(self):
        return {"kind": "dit", "T": self.T, "width": self.width, "depth": self.depth, "heads": self.heads, "patch": self.patch}

    def forward(self, xt, t):
        dtype = xt.dtype if isinstance(xt, torch.Tensor) else torch.float32
        x, e = self.inputs(xt, t)
        c = nn.functional.silu(e)
        h = self.embed_patch(to_patches(x, self.patch)) + self.position
        for block in self.blocks:
            h = block(h, c)
        shift, scale = self.modulate(c).unsqueeze(1).chunk(2, dim=-1)
        return from_patches(self.last(self.norm(h) * (1 + scale) + shift), self.patch).to(dtype)


class DiTBlock(nn.Module):
    """h + gate1 * attention(LN(h) (1 + scale1) + shift1), then h + gate2 * MLP(LN(h) (1 + scale2) + shift2), the six
    modulations a linear function of the step's features c, zero at the start. Defined in lesson 20 (backbones)."""

    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.norm = nn.LayerNorm(width, elementwise_affine=False)
        self.qkv = nn.Linear(width, 3 * width)
        self.project = nn.Linear(width, width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(approximate="tanh"), nn.Linear(4 * width, width))
        self.modulate = _zero(nn.Linear(width, 6 * width))

    def forward(self, h, c):
        shift1, scale1, gate1, shift2, scale2, gate2 = self.modulate(c).unsqueeze(1).chunk(6, dim=-1)
        a = self.norm(h) * (1 + scale1) + shift1
        q, k, v = self.qkv(a).reshape(*a.shape[:2], 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        a = nn.functional.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(h.shape)
        h = h + gate1 * self.project(a)
        return h + gate2 * self.mlp(self.norm(h) * (1 + scale2) + shift2)


def _zero(layer):
    nn.init.zeros_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer


def builders(x_train):
    c_in = digits_network(x_train).c_in
    return {"mlp": lambda: digits_network(x_train), "unet": lambda: UNet(c_in), "dit": lambda: DiT(c_in)}


def train(build, x_train, config):
    torch.manual_seed(config.seed)
    objective = Dequantised(helpers.Denoising(digits_schedule(), config))
    return helpers.train(build(), x_train, objective, config, progress=False)


def relative_ema(steps):
    """The EMA decay whose horizon 1 / (1 - decay) is EMA_SHARE of a run of `steps` steps."""
    return 1 - 1 / max(1.0, EMA_SHARE * steps)


def seconds_per_step(build, x_train, names):
    """Median seconds per training step of each network, the networks timed in turns."""
    times = {name: [] for name in names}
    for _ in range(REPEATS):
        for name in names:
            config = dataclasses.replace(DIGITS, steps=PROBE_STEPS, warmup_steps=0)
            times[name].append(train(build[name], x_train, config)["seconds"] / PROBE_STEPS)
    return {name: statistics.median(values) for name, values in times.items()}


MEASURES = {"elbo_bpd": True, "frechet": True, "kid": True, "confident": False}


def merge(names, out_name):
    """The rows of several runs (results/NAME.json for each name; the first one's settings) in results/out_name.json."""
    parts = [json.loads((OUT / f"{name}.json").read_text()) for name in names]
    merged = {**parts[0], "seeds": sorted({seed for part in parts for seed in part["seeds"]}),
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
        for a, b in [("unet", "mlp"), ("dit", "mlp"), ("dit", "unet")]:
            for measure, lower in MEASURES.items():
                comparison = helpers.compare(lambda k: value[budget, a, k][measure], lambda k: value[budget, b, k][measure],
                                             seeds=seeds, names=(a, b), lower_is_better=lower)
                print(f"  {a} - {b}, {measure}: {comparison.brief(3)}")
    for name in networks:
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
    rates = {name: [chosen[name]] if name in chosen else (args.lr or [DIGITS.lr]) for name in args.networks}
    x_train, labels, x_test, labels_test = digits_split()
    schedule = digits_schedule()
    judge = DigitJudge(x_train, labels, x_test, labels_test)
    x_like = dequantise(x_test[:N_LIKELIHOOD], torch.Generator().manual_seed(3))
    build = builders(x_train)
    if args.probe_from:
        probe = json.loads((OUT / f"{args.probe_from}.json").read_text())["seconds_per_step"]
    else:
        probe = seconds_per_step(build, x_train, sorted(set(args.networks) | {"mlp"}))
    recipe_seconds = DIGITS.steps * probe["mlp"]
    parameters = {name: sum(p.numel() for p in build[name]().parameters()) for name in args.networks}
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
                    steps = max(1, round(budget * recipe_seconds / probe[name]))
                    config = dataclasses.replace(DIGITS, steps=steps, lr=lr, ema_decay=relative_ema(steps), seed=seed,
                                                 warmup_steps=min(DIGITS.warmup_steps, steps // 10))
                    result = train(build[name], x_train, config)
                    model = result["model"].eval()
                    with torch.no_grad():
                        x = helpers.sample_steps(model, schedule, N_SAMPLES, helpers.grid_steps(schedule, NFE), "dpm++2m",
                                                 x_T=start)
                    scores = {k: round(v, 6 if k == "kid" else 4) for k, v in dataclasses.asdict(judge.scores(x)).items()}
                    elbo = helpers.elbo(model, schedule, x_like, generator=torch.Generator().manual_seed(4))
                    out["rows"].append({"seed": seed, "budget": budget, "network": name, "lr": lr, "steps": steps,
                                        "ema_decay": round(config.ema_decay, 5), "train_seconds": round(result["seconds"], 1),
                                        "final_loss": round(result["losses"][-100:].mean().item(), 4),
                                        "elbo_bpd": round(bits_per_dim(-elbo.nll_bound), 4), **scores})
                    print(out["rows"][-1], flush=True)
                    (OUT / f"{args.name}.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
