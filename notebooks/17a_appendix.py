# %% [markdown]
# # Lesson 17, appendix — The network, training time, guidance and fast solvers on the digits
#
# Side results of [lesson 17](17_digits.ipynb), moved here so that the lesson keeps to its main line (the same diffusion code in
# 64 dimensions, and measuring its quality honestly). Here: why the lesson's network is an MLP and not a convolutional
# network; how each measure moves with training time; how far 50 Heun steps are from the ODE's likelihood; classifier-free
# guidance over ten seeds; and how few DPM-Solver++(2M) steps the digits need. Everything is read from the benchmark
# (`benchmarks/digits.py`, ten training seeds, 2026-12-06); `docs/benchmarks.md`, "Digits (lesson 17)", has the same tables.
# The measures (the classifier's confident share, the Fréchet and kernel distances, the nearest-neighbour ratio, test bits per
# dimension) are defined in lesson 17's section 3. Section 4 also samples the labelled network once, to show what guidance
# does to the digits.

# %%
import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch

import helpers

results = json.loads(Path("../benchmarks/results/digits-cpu-2core.json").read_text())
mlp = {r["seed"]: r for r in results["quality"]}
conv = {r["seed"]: r for r in results["network"]}
seeds = results["seeds"]
floor = results["floor"]
# The kernel distance is of order 1e-3: printed ×10³.
SCALE = {"kid": 1000}
LABELS = {"frechet": "Fréchet distance", "kid": "kernel distance ×10³", "confident": "confident, %", "nn_ratio": "NN ratio",
          "diversity": "diversity"}


def mean_sd(values, scale=1.0, digits=2):
    values = [scale * v for v in values]
    return f"{np.mean(values):.{digits}f} ± {np.std(values, ddof=1):.{digits}f}"


def interval(comparison, digits=3):
    """The mean paired difference and its 95 % interval, where a verdict's 'better' would not fit the question."""
    low, high = comparison.interval
    return f"{comparison.mean:+.{digits}f}, 95 % [{low:+.{digits}f}, {high:+.{digits}f}]"

# %% [markdown]
# ## 1. An MLP or a convolutional network?
#
# Convolutions know that neighbouring pixels go together; an MLP must learn it. On this machine the choice is a budget question,
# so `benchmarks/digits.py` trains a small convolutional network (32 channels, three residual blocks of 3×3 convolutions) for the
# MLP's training time, ten seeds, same data, noise, samples and bias-corrected EMA (lesson 08), and scores both. The budget is
# the MLP's 5 000 steps times the ratio of the two networks' seconds per step, timed in turns in the same run:

# %%
speed = results["speed"]
print("the benchmark's timings, one run (median of 3), seconds:")
for setting, row in speed.items():
    print(f"  {setting:17s} " + ", ".join(f"{what} {seconds:.2f}" for what, seconds in row.items()))

# %%
probe = results["network_probe"]
print(f"seconds per step, timed in turns: MLP {1000 * probe['mlp_seconds_per_step']:.1f} ms ({results['mlp_parameters']:,} "
      f"parameters),\nconvolutional {1000 * probe['conv_seconds_per_step']:.1f} ms ({conv[0]['parameters']:,}): "
      f"{conv[0]['steps']} steps against 5 000")


def measured(row, key):
    return row[key] if key in row else row["ddpm_1000"][key]


print(f"MLP - conv over {len(seeds)} seeds: mean difference, 95 % interval, verdict")
for key, label, better in (("frechet", "Fréchet distance", "lower"), ("kid", "kernel distance ×10³", "lower"),
                           ("nn_ratio", "NN ratio's distance to 1", "lower"), ("confident", "confident %", "higher"),
                           ("elbo_bpd", "test bits/dim (ELBO)", "lower")):
    scale = SCALE.get(key, 1)
    race = helpers.compare(lambda k: scale * measured(mlp[k], key), lambda k: scale * conv[k][key], seeds,
                           names=("MLP", "conv"), lower_is_better=better == "lower", target=1.0 if key == "nn_ratio" else None)
    print(f"{label:26s} {race.brief()}")

# %% [markdown]
# In the MLP's training time the convolutional network gets 533 steps against 5 000: each of its steps is about nine times
# dearer, timed in turns on a quiet machine. (The benchmark's first run took the two times from different sections, under
# different loads, and gave it 1 229 steps; timing in turns removes that.) It is behind on every measure above, each interval
# excluding 0, so the lesson uses the MLP. The comparison is about this budget: with a GPU, or minutes instead of seconds, the
# convolution's prior may well win; that was not measured here. Lesson 20 (`20_backbones.ipynb`) measures it with a U-Net:
# there each network's EMA averages a tenth of its own run (the EMA of 0.999 used here has a horizon of 1 000 steps, longer
# than this network's whole run), and at this same budget the U-Net needs fewer test bits than the MLP, though its samples are
# further from the data; at four times the budget it is ahead on both.

# %% [markdown]
# ## 2. Quality against training time
#
# The benchmark scored each seed's network every 1 000 of its 5 000 steps (the cosine decay still runs to the end, so a
# checkpoint at 2 000 steps is not a 2 000-step recipe):

# %%
fig, axes = plt.subplots(1, 3, figsize=(10.4, 3.2))
for ax, (key, label) in zip(axes, (("frechet", "Fréchet distance"), ("confident", "confident %"), ("nn_ratio", "NN ratio"))):
    for s in seeds:
        curve = mlp[s]["curve"]
        ax.plot([c["step"] for c in curve], [c[key] for c in curve], "o-", color="C0", alpha=0.6, lw=1)
    ax.axhline(np.mean([f[key] for f in floor]), color="k", ls="--", lw=1, label="450 training images")
    ax.set(xlabel="training step", title=label)
axes[0].legend(fontsize=10)
fig.tight_layout()
plt.show()
for k, step in enumerate(c["step"] for c in mlp[0]["curve"]):
    print(f"step {step}: mean Fréchet {np.mean([mlp[s]['curve'][k]['frechet'] for s in seeds]):.2f}, kid ×10³ "
          f"{1000 * np.mean([mlp[s]['curve'][k]['kid'] for s in seeds]):.0f}, "
          f"confident {np.mean([mlp[s]['curve'][k]['confident'] for s in seeds]):.1f} %, "
          f"NN ratio {np.mean([mlp[s]['curve'][k]['nn_ratio'] for s in seeds]):.2f}")
print(f"5 000 - 2 000 steps over {len(seeds)} seeds:")
for key, better in (("frechet", "lower"), ("kid", "lower"), ("confident", "higher"), ("nn_ratio", "closer to 1")):
    scale = SCALE.get(key, 1)
    late = helpers.compare(lambda k: scale * mlp[k]["curve"][4][key], lambda k: scale * mlp[k]["curve"][1][key], seeds,
                           names=("5 000", "2 000"), lower_is_better=better != "higher",
                           target=1.0 if key == "nn_ratio" else None)
    print(f"  {LABELS[key]:20s} ({better:11s}) {late.brief(2)}")

# %% [markdown]
# Each checkpoint's weights are the bias-corrected average of the weights trained so far (lesson 08); a plain EMA would still
# hold 37 % of the random initial weights at 1 000 steps and 13.5 % at 2 000 ($0.999^{1000}$, $0.999^{2000}$), and the early
# checkpoints would score far worse than the network they average. From 2 000 steps to the end the Fréchet distance rises and
# the classifier's confident share falls (both intervals exclude 0), while the samples move closer to the training images (NN
# ratio nearer 1) and the kernel distance is undecided. Each measure sees something else; none of them alone says when to stop.

# %% [markdown]
# ## 3. The ODE's likelihood: how many Heun steps
#
# Lesson 17 reports the ODE's test bits per dimension with 50 Heun steps (the divergence exact, by 64 autograd passes per
# evaluation; the integration not, and the last stretch to the data uses the smallest step's prediction). Over the ten seeds,
# at 25, 50 and 100 steps, and how far 50 are from 100 (the same ODE integrated more finely: not a race between two models):

# %%
print("ODE test bits/dim at 25, 50, 100 Heun steps: "
      + ", ".join(mean_sd([mlp[s]["ode_bpd_steps"][str(n)] if n != 50 else mlp[s]["ode_bpd"] for s in seeds], digits=3)
                  for n in (25, 50, 100)))
step_gap = helpers.compare(lambda k: mlp[k]["ode_bpd"], lambda k: mlp[k]["ode_bpd_steps"]["100"], seeds)
print(f"ODE bits/dim at 50 minus at 100 steps: {interval(step_gap)};\nthe seeds' own s.d. at 100 steps "
      f"{np.std([mlp[s]['ode_bpd_steps']['100'] for s in seeds], ddof=1):.3f}")

# %% [markdown]
# Fifty steps are 0.043 bits per dimension optimistic against 100 (interval 0.042 to 0.044), about twice the seeds' own spread,
# and 25 steps lower by another 0.18: the lesson's ODE numbers are estimates, and too few steps flatter the model.

# %% [markdown]
# ## 4. Guidance on the digits
#
# Lesson 17's labelled network (its section 5): lesson 11's classifier-free guidance with the digit as the label, one network
# trained with the label dropped 10 % of the time, mixed by `helpers.Guided` with weight $w$. First one draw: two samples of each
# digit at $w$ = 0, 1 and 4 (the 1 000-step DDPM), what the lesson's classifier (`helpers.DigitJudge`) labels them, and how many
# of their pixels leave the data's range $[-1, 1]$.

# %%
x_train, labels_train, x_test, labels_test = helpers.digits_split()
schedule = helpers.digits_schedule()
judge = helpers.DigitJudge(x_train, labels_train, x_test, labels_test)
labelled = helpers.load_model(helpers.COMMITTED_CHECKPOINT.parent / "digits_labels.pt")
asked = torch.arange(10).repeat_interleave(2)  # one label per sample: Guided takes a label for each point
weights = (0.0, 1.0, 4.0)
rows = []
for w in weights:
    x = helpers.sample_steps(helpers.Guided(labelled, asked, w), schedule, 20, schedule.T, "ddpm",
                             generator=torch.Generator().manual_seed(6))
    rows.append(x[0::2])  # the first sample of each digit, 0 to 9, for the figure
    hit = (judge.probabilities(x).argmax(1) == asked).double().mean().item()
    outside = x.abs() > 1
    print(f"w = {w}: the classifier agrees with the asked digit on {100 * hit:.0f} % of these 20; "
          f"{100 * outside.double().mean().item():.1f} % of their pixels lie outside [-1, 1], "
          f"{100 * (x < -1).sum().item() / outside.sum().item():.0f} % of those below -1 (blank)")
helpers.plot_digits(torch.cat(rows), [f"w = {w:g}" if k == 0 else "" for w in weights for k in range(10)], columns=10,
                    suptitle="asked for 0-9 (columns): one sample each at w = 0, 1 and 4 (rows); one draw")
plt.show()

# %% [markdown]
# In this draw the classifier reads the asked digit in all 20 samples at $w = 0$ and at $w = 1$, and in 18 of 20 (90 %) at
# $w = 4$. Guidance's cost shows in the range: the share of pixels outside $[-1, 1]$ grows from 22.8 % at $w = 0$ to 33.5 % at
# $w = 1$ and 65.5 % at $w = 4$. Without guidance most of them (85 %) lie below $-1$: blank pixels sit at the edge of the
# range, at $b(0) = -16/17$, and small errors push some past it. Guidance's $(1 + w)\boldsymbol\epsilon_\theta(\mathbf{x}_t, t, c) - w\,\boldsymbol\epsilon_\theta(\mathbf{x}_t, t)$
# extrapolates beyond both predictions, and at $w = 4$ it pushes two pixels in three past an end of the range, ink above 1 as
# well as blank below $-1$ (60 % of them): the bottom row's digits are saturated, mostly full ink or blank with few greys (the
# figure clips values to the range). One draw of 20 samples decides nothing by itself; ten seeds follow.

# %% [markdown]
# Over ten seeds: 45 samples of each digit per $w$, their accuracy (the classifier's label is the asked digit), confidence,
# and **diversity**, the mean distance between two samples of one digit, beside the test split's own.

# %%
guided = results["guidance"]
print(f"test split's diversity: {results['test_diversity']:.2f}")
for w in sorted({r["w"] for r in guided}):
    rs = sorted((r for r in guided if r["w"] == w), key=lambda r: r["seed"])
    print(f"w = {w:3.1f}: accuracy {mean_sd([r['accuracy'] for r in rs], digits=1)} %, confident "
          f"{mean_sd([r['confident'] for r in rs], digits=1)} %, diversity {mean_sd([r['diversity'] for r in rs])}, "
          f"Fréchet {mean_sd([r['frechet'] for r in rs])}")
by_w = {(r["w"], r["seed"]): r for r in guided}
guide_seeds = sorted({r["seed"] for r in guided})
for high, low in ((0.5, 0.0), (1.0, 0.5)):
    for key in ("frechet", "diversity"):
        step = helpers.compare(lambda k: by_w[high, k][key], lambda k: by_w[low, k][key], guide_seeds,
                               names=(f"w = {high}", f"w = {low}"))
        # Less diversity is not better or worse by itself: the test split's own value is the reference.
        print(f"{LABELS[key]:16s} w = {high} - w = {low}: "
              + (step.brief(3) if key == "frechet" else interval(step)))

# %% [markdown]
# A little guidance helps: at $w = 0.5$ the classifier agrees with the asked digit almost always, and the Fréchet distance is
# lower than without guidance (interval below 0), though each digit's samples are already less varied (diversity lower by
# 0.25). From 0.5 to 1 guidance narrows each digit further and moves the set away from the data (Fréchet higher, interval above
# 0). At $w = 2$ and 4 artefacts appear: the Fréchet distance grows, and at 4 the accuracy falls (in the one draw above, the
# share of pixels outside $[-1, 1]$ grows from 22.8 % at $w = 0$ to 65.5 % at $w = 4$). Diversity then *rises* again, at
# $w = 4$ above the test split's: the artefacts differ from sample to sample, and a distance between images counts them as
# variety. The sweet spot is small, as on the S-curve (lesson 11), and only a measure of
# the whole distribution finds it.

# %% [markdown]
# ## 5. Fast: how few steps?
#
# Lesson 15 found DPM-Solver++(2M) as good as the S-curve's 100-step DDPM from 20 evaluations (NFE). Here the reference is the
# 1 000-step DDPM, and we ask the same question of the Fréchet distance with lesson 10's rule: over ten seeds, from the same
# starts, the 95 % interval of the difference to DDPM-1000 must lie within a margin measured as two s.d. of DDPM-1000 against
# itself, run again from the same starts with fresh noise (`helpers.redraw_margin`; the redraws share the evidence seeds'
# networks, which ten more trained networks would avoid). The solver runs on the even log-SNR grid (Lu et al. 2022, §3.3;
# lesson 15's shifted grid was chosen for the S-curve's schedule). Beside the network, the finite-set optimum, run the same way
# with its own margin.

# %%
fast_oracle = {r["seed"]: r for r in results["fast_oracle"]}
nfes = sorted(int(k) for k in mlp[0]["dpm"])


def fd(row, nfe=0):
    return row["dpm"][str(nfe)]["frechet"] if nfe else row["ddpm_1000"]["frechet"]


margins = {who: helpers.redraw_margin(lambda k: fd(rows[k]), lambda k: rows[k]["ddpm_1000_again"]["frechet"], seeds)
           for who, rows in (("network", mlp), ("optimum", fast_oracle))}
print(f"margins (two s.d. of DDPM-1000 against itself): network {margins['network']:.3f}, optimum {margins['optimum']:.3f}")
print(f"DDPM-1000's Fréchet: network {mean_sd([fd(mlp[s]) for s in seeds])}, optimum {mean_sd([fd(fast_oracle[s]) for s in seeds])}")
verdicts = {}
for who, rows in (("network", mlp), ("optimum", fast_oracle)):
    print(f"{who}: DPM-Solver++(2M) - DDPM-1000, Fréchet distance, {len(seeds)} seeds")
    for nfe in nfes:
        verdicts[who, nfe] = helpers.compare(lambda k: fd(rows[k], nfe), lambda k: fd(rows[k]), seeds,
                                             names=(f"{nfe} NFE", "DDPM-1000"), margin=margins[who])
        print(f"  {nfe:2d}: {verdicts[who, nfe].brief(3)}")
fewest = {who: next((nfe for nfe in nfes if verdicts[who, nfe].matches), None) for who in ("network", "optimum")}
# The same question asked of the kernel distance (×10³), with its own redraw margin.
kid_margin = helpers.redraw_margin(lambda k: 1000 * mlp[k]["ddpm_1000"]["kid"], lambda k: 1000 * mlp[k]["ddpm_1000_again"]["kid"],
                                   seeds)
print(f"network, kernel distance ×10³ (margin {kid_margin:.1f}), DPM-Solver++(2M) - DDPM-1000:")
for nfe in (10, 20, 50):
    by_kid = helpers.compare(lambda k: 1000 * mlp[k]["dpm"][str(nfe)]["kid"], lambda k: 1000 * mlp[k]["ddpm_1000"]["kid"],
                             seeds, names=(f"{nfe} NFE", "DDPM-1000"), margin=kid_margin)
    print(f"  {nfe:2d}: {by_kid.brief(1)}")
two_d = json.loads(Path("../benchmarks/results/fast-solvers-cpu-2core.json").read_text())["fewest_as_good"]
print(f"fewest NFE that match DDPM-1000: network {fewest['network'] or 'none up to 50'}, optimum "
      f"{fewest['optimum'] or 'none up to 50'};\nthe S-curve (lesson 15, against DDPM-100): {two_d[0]}")

# %% [markdown]
# By the Fréchet distance DPM-Solver++(2M) matches the 1 000-step DDPM from 10 evaluations: at every budget from 10 to 50 the
# interval of the difference lies inside the margin (0.18, DDPM-1000's own redraw spread), and at 5 it is worse. The finite-set
# optimum matches from 10 too (margin 0.11). **The kernel distance disagrees for the network**: the solver's samples stay behind
# DDPM-1000's at every budget (by about $25\cdot10^{-3}$, intervals above the margin). Which measure one trusts decides the answer;
# the Fréchet distance sees only means and covariances, which the ODE's samples get right. An earlier version of this lesson,
# with five seeds, the plain EMA's network and a margin of two floor s.d. (0.089, smaller than DDPM-1000's own redraw spread),
# found no budget that matched.
