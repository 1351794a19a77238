# %% [markdown]
# # Lesson 16, appendix — More steps, where the error sits, and what one step costs
#
# Side results of [lesson 16](16_one_step.ipynb), moved here so that the lesson keeps to its main line (each student in one
# step, scored against the exact flow map $\Phi$). Here: the same students at two and four steps, with Song et al.'s re-noising
# sampler for the consistency models; where along the curve each one-step student's error sits; and what one step costs, in
# sampling time and in training time. The numbers are the benchmark's (`benchmarks/one_step.py`, seeds 0–9, the same runs as the
# lesson's table) or recomputed from the committed students; `docs/benchmarks.md`, "One step (lesson 16)", has the same tables.
#
# Symbols as in lesson 16: $\mathbf{x}_T$ is the start, step `T - 1` in the code's 0-based count; errors to $\Phi$ are ×10³. A row
# named "CD, 2 steps" is the consistency-distilled student sampled with two steps; PD is progressive distillation.

# %%
import json
import re
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch

import helpers

torch.manual_seed(0)
schedule = helpers.sigmoid_schedule(100)
T, alpha_bar = schedule.T, schedule.alpha_bar.double()
oracle = helpers.s_curve_oracle(schedule)
x0 = helpers.s_curve(10_000)
results = json.loads(Path("../benchmarks/results/one-step-cpu-2core.json").read_text())
redraws = json.loads(Path("../benchmarks/results/sampling-seeds-cpu-2core.json").read_text())
rows, seeds = results["rows"], results["seeds"]
pd_1 = helpers.Preconditioned(helpers.load_model(helpers.COMMITTED_CHECKPOINT.parent / "student_pd_1.pt"), schedule,
                              x0.std().item()).eval()


def seeded(k):
    return torch.Generator().manual_seed(k)

# %% [markdown]
# ## 1. Two and four steps
#
# One step is $f_\theta(\mathbf{x}_T)$ at step $T-1$. For more, Song et al. (2023, Algorithm 1) add *fresh* noise to $f_\theta$'s answer at the next grid
# step and jump again, so the result is no longer a function of $\mathbf{x}_T$ and has no distance to $\Phi$ ("re-noising" below; lesson
# 09's metrics only). The deterministic alternative is DDIM with $f_\theta$ as $\hat{\mathbf{x}}_0$, as for the distilled students. For the *exact*
# $\Phi_t$ that second step cannot help: the first jump is already exact, and the second lands on $\Phi(\mathbf{x}_T)$ only if DDIM's
# re-noised point lies on $\mathbf{x}_T$'s own path; otherwise it lands at another path's end.
#
# Every sampler at 1, 2 and 4 steps, mean ± s.d. over the ten seeds, with lesson 10's rule against each seed's 100-step DDPM
# (off-curve as its distance to the data's, and the coverage gap, each within the DDPM's redraw margin):

# %%
DATA_OFF = redraws["data_floor"]["off_curve"]["mean"]
RULE = ("off_curve", "coverage_gap")


def distance(metric, value):
    """Off-curve as its distance to the data's (too sharp is not better); the other metrics as they are."""
    return abs(value - DATA_OFF) if metric == "off_curve" else value


def value(name, key):
    """{seed: the sampler's number, by `distance`}."""
    return {r["seed"]: distance(key, r[key]) for r in rows if r["sampler"] == name}


def redraw_margin(metric):
    pairs = {r["seed"]: r["network"] for r in redraws["redraws"]}
    return helpers.redraw_margin(lambda k: distance(metric, pairs[k][0][metric]),
                                 lambda k: distance(metric, pairs[k][1][metric]), redraws["redraw_seeds"])


margin = {metric: redraw_margin(metric) for metric in RULE}
ddpm_100 = {m: {int(k): distance(m, v[m]) for k, v in results["ddpm_100"].items()} for m in RULE}


def as_good(name):
    return all(helpers.compare(lambda k: value(name, m)[k], lambda k: ddpm_100[m][k], seeds, margin=margin[m]).no_worse
               for m in RULE)


STUDENTS = {"progressive distillation": "PD", "cd": "CD", "ct": "CT", "reflow": "reflow"}


def label(name):
    """A benchmark row as lesson 16 writes it: 'cd 2, re-noising' is CD in 2 steps, re-noising; 'teacher, DDIM 4' DDIM
    on 4 steps."""
    match = re.fullmatch(r"(progressive distillation|cd|ct|reflow|.*DDIM) (\d+)(.*)", name)
    if not match:
        return name
    who, n, rest = match.groups()
    return f"{STUDENTS.get(who, who)}, {n} step{'s' * (n != '1')}{rest}"


def summary(name):
    mine = [r for r in rows if r["sampler"] == name]
    out = {"as_good": "yes" if as_good(name) else "no"}
    for key in ("rms", "median", "off_curve", "stray", "coverage_gap"):
        if key in mine[0]:
            values = np.array([r[key] for r in mine]) * (1e3 if key in ("rms", "median") else 1)
            width = 5 if key in ("stray", "coverage_gap") else 6
            out[key] = f"{values.mean():{width}.2f} ± {values.std(ddof=1):4.2f}"
        else:
            out[key] = "—"
    return out


print(f"{'sampler':33s}{'RMS to Φ ×10³':>14s}{'median ×10³':>14s}{'off-curve':>14s}{'strays %':>13s}{'gap %':>13s} as good")
for name in dict.fromkeys(r["sampler"] for r in rows):
    s = summary(name)
    print(f"{label(name):33s}{s['rms']:>14s}{s['median']:>14s}{s['off_curve']:>14s}{s['stray']:>13s}{s['coverage_gap']:>13s}  {s['as_good']}")

# %% [markdown]
# Paired over the ten seeds (same starts): more deterministic steps against one, for each student, and the consistency students'
# re-noising against their deterministic steps in off-curve (distance to the data's).

# %%
MEASURE = {"rms": "RMS ×10³", "off_curve": "off-curve"}


def paired(a, b, key="rms", scale=1e3):
    names = (label(a), label(b))
    race = helpers.compare(lambda k: scale * value(a, key)[k], lambda k: scale * value(b, key)[k], seeds, names=names)
    print(f"{MEASURE[key]:9s} {names[0]} - {names[1]}: {race.brief()}")
    return race


for student in ("progressive distillation", "cd", "ct", "reflow"):
    for k in (2, 4):
        paired(f"{student} {k}", f"{student} 1")
for student in ("cd", "ct"):
    paired(f"{student} 2, re-noising", f"{student} 2", "off_curve", 1)

# %% [markdown]
# More deterministic steps bring progressive distillation slightly closer to $\Phi$ (four steps: $-0.33\cdot10^{-3}$, interval $-0.41$
# to $-0.24$) and reflow much closer ($-11.34\cdot10^{-3}$ at four), but take both consistency students farther away (CD: $+8.65\cdot10^{-3}$
# at two steps, $+21.95\cdot10^{-3}$ at four). A progressive student learned its own grid's steps; a consistency student learned one
# jump to the data from anywhere, and each extra DDIM step re-noises that jump's answer onto another path, whose end the next
# jump finds with the student's own error again. Song et al.'s re-noising keeps about the quality of one step (CD's off-curve
# 39.5 at two steps against 39.3 at one) and beats the deterministic second step ($-7.39$, interval $-8.24$ to $-6.55$). No student
# at any step count is as good as the 100-step DDPM.

# %% [markdown]
# ## 2. Where the error sits
#
# The RMS error to $\Phi$ within each fifth of the curve (by where $\Phi$ sends the start), mean over the ten seeds; and, for one
# draw (the committed one-step PD student on lesson 16's 2000 starts), each start's error at the point $\Phi$ sends it to.

# %%
starts = helpers.gaussian_prior(x0, schedule, 2000, seeded(5))
exact = helpers.ode_reference(oracle, starts.double(), alpha_bar[-1].item(), 1 - 1e-12, rtol=1e-9, atol=1e-11)
pd_end = helpers.sample_steps(pd_1, schedule, 2000, helpers.student_steps(schedule, 1), "ddim", x_T=starts, target="x0")
fig, axes = plt.subplots(1, 2, figsize=(10.4, 4.2))
width, top = 0.2, 0
for i, name in enumerate(("teacher, DPM-Solver++(2M) 20 NFE", "progressive distillation 1", "cd 1", "reflow 1")):
    by_fifth = 1e3 * np.mean([r["rms_by_fifth"] for r in rows if r["sampler"] == name], axis=0)
    shown = "teacher, 20 NFE" if name.startswith("teacher") else label(name)
    axes[0].bar(np.arange(5) + (i - 1.5) * width, by_fifth, width, label=shown)
    top = max(top, by_fifth.max())
    print(f"{shown:16s} RMS ×10³ by fifth of the curve: {', '.join(f'{v:.1f}' for v in by_fifth)}")
axes[0].set(xticks=range(5), xticklabels=["end", "", "centre", "", "end"], ylabel="RMS error to Φ ×10³",
            title=f"error by where Φ lands ({len(seeds)} seeds)", ylim=(0, 1.4 * top))
axes[0].legend(fontsize=10, loc="upper left", ncol=2)
pd_error = (pd_end.double() - exact).norm(dim=1)
points = axes[1].scatter(exact[:, 0], exact[:, 1], c=np.log10(pd_error.numpy()), s=4, cmap="magma")
fig.colorbar(points, ax=axes[1], label="log₁₀ error")
axes[1].set(aspect="equal", xlim=(-0.16, 0.16), ylim=(-0.25, 0.25), title="one-step PD, at Φ(x_T) (one draw)")
fig.tight_layout()
plt.show()
strays = (pd_error > 0.05).float().mean().item()
print(f"one-step PD, this draw: {100 * strays:.1f} % of starts land more than 0.05 from Φ")

# %% [markdown]
# The teacher's error grows from one end of the curve towards the centre, where the flow parts (4.6 against 16.9 in the middle
# fifth); the one-step students' errors are spread more evenly along the curve, PD's between 10.9 and 15.8.

# %% [markdown]
# ## 3. What one step costs
#
# 10 000 points from the one-step PD student: through `helpers.sample_steps` (reflow's Euler steps through lesson 12's
# `helpers.flow_solve`), and with lesson 15's `FastEps` around its raw
# network (the preconditioning's three numbers at step $T-1$ folded in). One run, timed here; the benchmark's quiet and busy
# figures follow.

# %%
fast_raw = helpers.FastEps(pd_1.raw)
skip, out, inp = pd_1.scale[:, T - 1].tolist()
x_T = helpers.gaussian_prior(x0, schedule, 10_000, seeded(9))


def fast_one_step(x):
    with torch.inference_mode():
        return skip * x + out * fast_raw.raw(inp * x, T - 1)


gap = (fast_one_step(x_T) - helpers.sample_steps(pd_1, schedule, 10_000, [T - 1], "ddim", x_T=x_T, target="x0")).abs().max()
print(f"FastEps one-step against sample_steps: {gap:.1e}")
assert gap < 1e-5

# %% tags=["nbval-ignore-output"] nbval_why="a wall-clock time: it differs from run to run."
times = []
for _ in range(20):
    began = time.perf_counter()
    fast_one_step(x_T)
    times.append(time.perf_counter() - began)
print(f"one run: {1e3 * np.median(times):.0f} ms for 10 000 points (median of 20)")

# %% [markdown]
# The benchmark's figures (median of 15, in one run; "busy" is beside one process that keeps a core busy), and each recipe's
# training time over the ten seeds (one thread, beside other work):

# %%
timings = results["speed"]["seconds"]
loads = list(timings)
print(f"{'ms for 10 000 points':58s}" + "".join(f"{load:>17s}" for load in loads))
for variant in timings[loads[0]]:
    # The benchmark's names, read: '1 step(s)' is one step, '(inference_mode)' the network called without autograd.
    shown = re.sub(r"(\d+) (Euler )?step\(s\)", lambda m: f"{m[1]} {m[2] or ''}step{'s' * (m[1] != '1')}", variant)
    print(f"{shown.replace('(inference_mode)', '(no autograd)'):58s}" + "".join(f"{1e3 * timings[load][variant]:17.1f}" for load in loads))
training = results["training_seconds"]
for recipe, name in (("pd", "PD"), ("cd", "CD"), ("ct", "CT"), ("reflow", "reflow")):
    values = np.array([training[str(s)][recipe] for s in seeds])
    print(f"training {name:6s}: {values.mean():5.1f} ± {values.std(ddof=1):.1f} s")

# %% [markdown]
# With `FastEps` one step gives 10 000 points in 9.2 ms on one quiet thread (4.8 ms on two), against about a second (1015 ms)
# for the 100-step DDPM. Training costs PD's five rounds 47.6 s; CD, CT and reflow train the same number of steps each, in
# 21.0–27.7 s, on one thread beside other work.
