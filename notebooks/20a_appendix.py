# %% [markdown]
# # Lesson 20, appendix — Backbones: learning rates, every verdict, new seeds, and the U-Net's width
#
# Side results of [lesson 20](20_backbones.ipynb), moved here so that the lesson keeps to its main line (three ways to read
# an image, each checked, and the comparison at equal time). Here: how each network's learning rate was chosen and whether
# the choice decides anything; every paired verdict; the DiT again on seeds that chose nothing; and the U-Net's width
# against its test bits at equal time (`benchmarks/backbones.py`; `docs/benchmarks.md`, "Backbones (lesson 20)", has the
# same tables).

# %%
import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from scipy import stats

import helpers

NAMES = {"mlp": "MLP", "unet": "U-Net", "dit": "DiT"}
RESULTS = Path("../benchmarks/results")
results = json.loads((RESULTS / "backbones-cpu-2core.json").read_text())
pilot = json.loads((RESULTS / "backbones-pilot-cpu-2core.json").read_text())
value = {(r["budget"], r["network"], r["seed"]): r for r in results["rows"]}
seeds = results["seeds"]


def mean_interval(numbers):
    """The mean of per-seed numbers and half the width of its 95 % t-interval."""
    numbers = np.asarray(numbers)
    return numbers.mean(), stats.t.ppf(0.975, len(numbers) - 1) * numbers.std(ddof=1) / np.sqrt(len(numbers))


def paired(table, budget, a, b, measure, on):
    """The paired comparison of networks a and b at a budget, seed by seed over the seeds `on`."""
    return helpers.compare(lambda s: table[budget, a, s][measure], lambda s: table[budget, b, s][measure], seeds=on,
                           names=(NAMES[a], NAMES[b]))

# %% [markdown]
# ## 1. The learning rates
#
# Each network's rate is the one with the lowest test ELBO on seed 100 (which scores nothing in lesson 20), on the same 150
# test images the comparison scores; the DiT was also tried at 3.2e-2. The ten seeds use the 1× choices. The pilot at both
# budgets, test bits per dimension / Fréchet distance:

# %%
rows = {(r["budget"], r["network"], r["lr"]): r for r in pilot["rows"]}
for budget in pilot["budgets"]:
    print(f"{budget:.0f}x")
    for name in NAMES:
        tried = sorted(lr for b, n, lr in rows if b == budget and n == name)
        best = min(tried, key=lambda lr: rows[budget, name, lr]["elbo_bpd"])
        print(f"  {NAMES[name]:6s} " + "  ".join(f"{lr:g}: {rows[budget, name, lr]['elbo_bpd']:.3f}/{rows[budget, name, lr]['frechet']:.3f}"
                                         + ("*" if lr == best else "") for lr in tried))
worst_unet = max((rows[4.0, "unet", lr] for b, n, lr in rows if b == 4.0 and n == "unet"), key=lambda r: r["elbo_bpd"])
best_mlp = {m: min(rows[4.0, "mlp", lr][m] for b, n, lr in rows if b == 4.0 and n == "mlp") for m in ("elbo_bpd", "frechet")}
print(f"4x, seed 100: the U-Net's worst rate {worst_unet['elbo_bpd']:.3f} bits/dim, the MLP's best {best_mlp['elbo_bpd']:.3f}; "
      f"the U-Net's worst Fréchet {max(rows[4.0, 'unet', lr]['frechet'] for b, n, lr in rows if b == 4.0 and n == 'unet'):.3f}, "
      f"the MLP's best {best_mlp['frechet']:.3f}")

# %% [markdown]
# Chosen at 4× (the starred rates), the MLP's rate would move to 4e-3 and the U-Net's to 1.6e-2; the DiT's stays at 1.6e-2,
# the top of its 4× grid. On this seed the U-Net at its worst rate beats the MLP at its best on both measures, so the 1×
# choice does not decide the U-Net's verdict against the MLP. Lesson 17's appendix (`17a_appendix.ipynb`, section 1) found
# a convolutional network behind the MLP at 1× with an EMA of 0.999, whose horizon of 1 000 steps is longer than that
# network's whole run of 533; here every EMA averages a tenth of its own run.

# %% [markdown]
# ## 2. Every paired verdict
#
# Over seeds 0–9, the three pairs at both budgets:

# %%
for budget in results["budgets"]:
    for a, b in (("unet", "mlp"), ("dit", "mlp"), ("dit", "unet")):
        print(f"{budget:.0f}x {NAMES[a]} - {NAMES[b]}:  bits/dim {paired(value, budget, a, b, 'elbo_bpd', seeds).brief(3)};  "
              f"Fréchet {paired(value, budget, a, b, 'frechet', seeds).brief(3)}")

# %% [markdown]
# At 1× the DiT needs fewer bits than the MLP, yet its samples are far worse: the two measures can rank two networks in
# opposite orders. At 4× every DiT comparison on bits is undecided for its one diverged seed.

# %% [markdown]
# ## 3. Is the DiT behind only because one seed diverged?
#
# Its rate, 1.6e-2, won on the pilot seed at both budgets and diverged
# on one seed of ten: the best rate on one seed can sit next to the unstable ones. Asked after seeing that, the question
# gets new seeds (10–19) that chose nothing, with the U-Net and the DiT both at 8e-3, the DiT's next rate down:

# %%
stable = json.loads(Path("../benchmarks/results/backbones-stable-cpu-2core.json").read_text())
stable_value = {(r["budget"], r["network"], r["seed"]): r for r in stable["rows"]}
print(f"4x, learning rate {stable['rows'][0]['lr']:g} for both, seeds {stable['seeds'][0]}–{stable['seeds'][-1]}:")
for name in ("unet", "dit"):
    runs = [stable_value[4.0, name, s] for s in stable["seeds"]]
    cells = ["{:.3f} ± {:.3f}".format(*mean_interval([r[m] for r in runs])) for m in ("elbo_bpd", "frechet")]
    print(f"  {NAMES[name]:6s} bits/dim {cells[0]}, Fréchet {cells[1]}; largest final loss "
          f"{max(r['final_loss'] for r in runs):.3f}")
for measure, label in (("elbo_bpd", "bits/dim"), ("frechet", "Fréchet")):
    comparison = paired(stable_value, 4.0, "dit", "unet", measure, stable["seeds"])
    print(f"  DiT - U-Net, {label}: {comparison.brief(3)}")

# %% [markdown]
# No run diverged, and the U-Net is ahead on both measures: the DiT needs about a quarter of a bit per dimension more, and its
# samples' Fréchet distance is about three times the U-Net's. The U-Net's own numbers on these new seeds repeat those of seeds
# 0–9. (Seed 8 of the first ten, at 1.6e-2, had also partly diverged: 3.11 bits/dim, a final loss of 0.113.)

# %% [markdown]
# ## 4. A small scaling curve for the winner
#
# The U-Net at 16, 24, 32 and 48 channels (lesson 20's is 32), each for the same
# 4× time, so the wider the network, the fewer its steps; seeds 0–4, learning rate 8e-3 for all (not chosen per width):

# %%
scaling = json.loads(Path("../benchmarks/results/backbones-scaling-cpu-2core.json").read_text())
widths = {32: ([value[4.0, "unet", s] for s in scaling["seeds"]], results["parameters"]["unet"])}
for name, count in scaling["parameters"].items():
    widths[int(name.split("-")[1])] = ([r for r in scaling["rows"] if r["network"] == name], count)
print(f"{'channels':>8s} {'parameters':>10s} {'steps':>6s} {'bits/dim':>16s} {'Fréchet':>16s}")
for channels, (runs, count) in sorted(widths.items()):
    cells = ["{:.3f} ± {:.3f}".format(*mean_interval([r[m] for r in runs])) for m in ("elbo_bpd", "frechet")]
    print(f"{channels:8d} {count:10,d} {runs[0]['steps']:6d} {cells[0]:>16s} {cells[1]:>16s}")
by_seed = {(channels, r["seed"]): r for channels, (runs, _) in widths.items() for r in runs}
for measure, label in (("elbo_bpd", "bits/dim"), ("frechet", "Fréchet")):
    narrow = helpers.compare(lambda s: by_seed[16, s][measure], lambda s: by_seed[32, s][measure], seeds=scaling["seeds"],
                             names=("16 channels", "32 channels"))
    print(f"16 - 32 channels, {label}: {narrow.brief(3)}")

# %%
fig, ax = plt.subplots(figsize=(7, 3.8))
for channels, (runs, count) in sorted(widths.items()):
    bits, half = mean_interval([r["elbo_bpd"] for r in runs])
    ax.errorbar(count, bits, yerr=half, fmt="o", color="tab:orange")
    ax.annotate(f"{channels} channels, {runs[0]['steps']} steps", (count, bits), xytext=(8, 4), textcoords="offset points")
ax.set_xscale("log")
ax.set_xlim(1e5, 2e6)
ax.set_xlabel("parameters (log scale)")
ax.set_ylabel("test bits per dimension (ELBO)")
ax.set_title("the U-Net at 4x the recipe's time, five seeds")
fig.tight_layout()
plt.show()

# %% [markdown]
# At a fixed time the narrowest U-Net tried needs the fewest bits and the widest the most (five seeds: a direction, not a
# verdict for a summary): here a step spent on more data is worth more than a step spent on more parameters, and the curve has not turned at 16 channels (8 is GroupNorm's
# least; not run). The samples' Fréchet distance cannot tell 16, 24 and 32 channels apart, and 48 is behind on both. So the
# lesson's 32 channels are not the U-Net's best at this budget, and the MLP's and the DiT's sizes were not searched at all:
# lesson 20's comparison is of three reasonable networks, not of three architectures at their best.

