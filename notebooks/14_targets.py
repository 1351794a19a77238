# %% [markdown] slideshow={"slide_type": "slide"}
# # Lesson 14 — What the network predicts: ε, x₀, v, score or velocity, and how to weigh them
#
# **Goal.** Since lesson 05 our network has predicted the noise $\boldsymbol\epsilon$. Other systems predict the clean point $\mathbf{x}_0$, the
# "velocity" $\mathbf{v}$ (Stable Diffusion 2), the score, or lesson 12's flow velocity; EDM wraps the network in input and output
# scalings; and every system weighs the loss over noise levels in its own way. Here we show that the five targets are one
# quantity under five names: given $\mathbf{x}_t$, their optima are linear maps of each other, and so are their irreducible losses.
# Then we measure, over five paired seeds, what the choice changes when a network is trained: the target, EDM's
# preconditioning, the weighting, and a schedule that ends in pure noise, each against the exact network's floor. Last, the
# best recipe the course knows, against the moonshot targets.
#
# **Assumes.** Lessons 06 (the loss and its floor), 08 (the default recipe, input scaling), 09 (the oracle, sharp metrics),
# 12 (the flow's velocity) and 13 (cross-entropy by the ODE). Symbols as in `docs/decisions.md`: $\bar\alpha_t$, $\mathrm{SNR}_t = \bar\alpha_t/(1-\bar\alpha_t)$,
# $\lambda_t = \log\mathrm{SNR}_t$, $\nu_t = 1/\sqrt{\mathrm{SNR}_t}$ (Karras et al.'s $\sigma$), $\sigma_\text{data}$ the data's std.

# %% slideshow={"slide_type": "subslide"}
import dataclasses
import json
import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from ipywidgets import Dropdown, interact

import helpers

torch.manual_seed(0)
schedule = helpers.sigmoid_schedule(100)
T = schedule.T
oracle = helpers.s_curve_oracle(schedule)
flow_oracle = helpers.FlowOracle(oracle)
x_data = helpers.s_curve(10_000)
results = json.loads(Path("../benchmarks/results/targets-cpu-2core.json").read_text())
TARGETS = ("eps", "x0", "v", "score", "velocity")


def seeded(k):
    return torch.Generator().manual_seed(k)


def noisy(n, t, seed):
    """n draws of (x_0, eps, x_t) at step t, in float64."""
    x0 = helpers.s_curve(n, seed=seed).double()
    eps = torch.randn(n, 2, generator=seeded(seed), dtype=torch.float64)
    ab = schedule.alpha_bar[t].double()
    return x0, eps, ab.sqrt() * x0 + (1 - ab).sqrt() * eps


# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. One quantity, five names
#
# With $a = \sqrt{\bar\alpha_t}$ and $b = \sqrt{1-\bar\alpha_t}$, $\mathbf{x}_t = a\,\mathbf{x}_0 + b\,\boldsymbol\epsilon$. Each target is $\mathbf{y} = A\,\boldsymbol\epsilon + B\,\mathbf{x}_t$ with $A, B$ depending on $\bar\alpha_t$ only:
#
# | target | definition | $A$ | $B$ |
# |---|---|---|---|
# | $\boldsymbol\epsilon$ (Ho et al. 2020) | the noise | $1$ | $0$ |
# | $\mathbf{x}_0$ | $(\mathbf{x}_t - b\boldsymbol\epsilon)/a$ | $-b/a$ | $1/a$ |
# | $\mathbf{v}$ (Salimans & Ho 2022, §4) | $a\boldsymbol\epsilon - b\mathbf{x}_0$ | $1/a$ | $-b/a$ |
# | score (Vincent 2011; Song et al. 2021) | $\nabla\log q(\mathbf{x}_t\mid\mathbf{x}_0) = -\boldsymbol\epsilon/b$ | $-1/b$ | $0$ |
# | velocity (lesson 12) | $\boldsymbol\epsilon - \mathbf{x}_0$ | $(a+b)/a$ | $-1/a$ |
#
# The best prediction of each is its conditional mean given $\mathbf{x}_t$, and a conditional mean passes through a map that is
# affine in $\boldsymbol\epsilon$ with $\mathbf{x}_t$ fixed: $\mathbf{y}^* = A\,\boldsymbol\epsilon^* + B\,\mathbf{x}_t$. So one exact network $\boldsymbol\epsilon^*$ (lesson 09) gives all five.

# %%
def as_target(eps, x_t, alpha_bar, target):
    """The target that a noise eps at x_t means, written from its definition."""
    a, b = math.sqrt(alpha_bar), math.sqrt(1 - alpha_bar)
    x0 = (x_t - b * eps) / a
    return {"eps": eps, "x0": x0, "v": a * eps - b * x0, "score": -eps / b, "velocity": eps - x0}[target]


# %% [markdown]
# **Check 1.** Convert the exact $\boldsymbol\epsilon^*$ with `helpers.convert` and compare each with another route to it: lesson 09's
# denoiser $\mathbb{E}[\mathbf{x}_0\mid\mathbf{x}_t]$, the score as autograd's gradient of the mixture's $\log q_t$ (the oracle's $\boldsymbol\epsilon^*$ is
# $-\sqrt{1-\bar\alpha}$ times its own closed-form score, so that score would be no second route), and lesson 12's `FlowOracle` at the flow time
# $s = b/(a+b)$, where the flow's state is $\mathbf{x}_t/(a+b)$ (`helpers.to_flow`). Float64; the largest gap over 2 000 points per step,
# relative to the largest value (at $t = 0$ the score is $\boldsymbol\epsilon$ times $1/\sqrt{1-\bar\alpha_0} \approx 211$).

# %%
def oracle_gaps(t):
    x0, eps, x_t = noisy(2000, t, seed=t)
    ab = schedule.alpha_bar[t].item()
    eps_star = oracle(x_t, t)
    x_s, s = helpers.to_flow(x_t, ab)
    x_grad = x_t.clone().requires_grad_(True)
    score = torch.autograd.grad(oracle.log_prob(x_grad, t).sum(), x_grad)[0]
    routes = {"x0": oracle.denoise(x_t, t), "score": score, "velocity": flow_oracle(x_s, s[0].item()),
              "v": as_target(eps_star, x_t, ab, "v")}
    return {name: ((helpers.convert(eps_star, x_t, ab, "eps", name) - route).abs().max() / route.abs().max()).item()
            for name, route in routes.items()}


def check_small(gaps, tol, what):
    """Every gap below tol, or an error naming the largest. A gap under 1e-15 is float64 rounding, whose value changes
    with the CPU's kernels (2.2e-16 on one, 0 on another): it prints as that bound."""
    worst = max(gaps, key=gaps.get)
    assert gaps[worst] < tol, f"{what}: {worst} is off by {gaps[worst]:.2e} (tolerance {tol:.0e})"
    shown = [f"{name} {gap:.1e}" if gap >= 1e-15 else f"{name} < 1e-15" for name, gap in gaps.items()]
    print(f"{what}: " + ", ".join(shown) + f"  (all < {tol:.0e})")


for t in (0, 50, 99):
    check_small(oracle_gaps(t), 1e-10, f"t = {t:2d}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# The loss of target $\mathbf{y}$ is $\mathbb{E}\lVert\mathbf{y}-\mathbf{y}_\theta\rVert^2 = A^2\,\mathbb{E}\lVert\boldsymbol\epsilon-\boldsymbol\epsilon_\theta\rVert^2$, for the optimum too: each target's irreducible loss at step
# $t$ is lesson 06's $\boldsymbol\epsilon$-floor times $A^2$, a function of the SNR alone (`helpers.floor_factor`):
#
# $$\boldsymbol\epsilon: 1,\quad \mathbf{x}_0: \frac{1}{\mathrm{SNR}},\quad \mathbf{v}: 1 + \frac{1}{\mathrm{SNR}} = \frac{1}{\bar\alpha},\quad \text{score}: 1 + \mathrm{SNR} = \frac{1}{1-\bar\alpha},\quad \text{velocity}: \Big(1 + \frac{1}{\sqrt{\mathrm{SNR}}}\Big)^2.$$

# %%
def floors(t, n=4000):
    """Monte Carlo floors of every target at step t: E|y - y*|^2 / 2, y* from the oracle's own routes."""
    x0, eps, x_t = noisy(n, t, seed=100 + t)
    ab = schedule.alpha_bar[t].item()
    x_s, s = helpers.to_flow(x_t, ab)
    truths = {name: as_target(eps, x_t, ab, name) for name in TARGETS}
    optima = {"eps": oracle(x_t, t), "x0": oracle.denoise(x_t, t), "score": oracle.score(x_t, t),
              "velocity": flow_oracle(x_s, s[0].item())}
    optima["v"] = math.sqrt(ab) * optima["eps"] - math.sqrt(1 - ab) * optima["x0"]
    return {name: ((truths[name] - optima[name]) ** 2).mean().item() for name in TARGETS}


steps = sorted(set(range(0, T, 3)) | {50, T - 1})
floor_table = {t: floors(t) for t in steps}
def factor_gaps(t):
    """|Monte Carlo floor ratio / floor_factor - 1| per target at step t."""
    ab = schedule.alpha_bar[t].item()
    return {name: abs(floor_table[t][name] / floor_table[t]["eps"] / helpers.floor_factor(ab, name).item() - 1)
            for name in TARGETS[1:]}


for t in (0, 50, 99):
    ab = schedule.alpha_bar[t].item()
    print(f"t = {t:2d}: eps floor {floor_table[t]['eps']:.4f}; factors " +
          ", ".join(f"{name} {helpers.floor_factor(ab, name).item():.3g}" for name in TARGETS[1:]))
    check_small(factor_gaps(t), 1e-8, "        Monte Carlo ratio / factor - 1")

# %% [markdown]
# The Monte Carlo ratios equal the factors to rounding: the identity holds draw by draw, not only on average. At the first
# step the factors run from $\mathbf{x}_0$'s $1/\mathrm{SNR}$ to the score's $1 + \mathrm{SNR}$, printed above.

# %% [markdown] slideshow={"slide_type": "notes"}
# **Instructor's note.** Ask which target is "easiest to learn" before showing the floors. Most answer by the size of the
# loss, and the plot shows why that answer means nothing: $\mathbf{x}_0$'s loss is tiny near the data and the score's is huge, yet
# all five are the same error, scaled.

# %%
fig, ax = plt.subplots(figsize=(7, 4))
for name in TARGETS:
    ax.semilogy(steps, [floor_table[t][name] for t in steps], label=name)
ax.set(xlabel="step t", ylabel="irreducible loss per coordinate", title="one floor, five scales (Monte Carlo, 4 000 points per step)")
ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1))
fig.tight_layout()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Training with each target
#
# Same network, same recipe (lesson 08's default), only the regression target changes. The target is computed from
# $(\mathbf{x}_0, \boldsymbol\epsilon)$, which stays defined where $\bar\alpha = 0$ (section 4). EDM (Karras et al. 2022, Table 1) instead wraps the network:
# with $\tilde{\mathbf{x}} = \mathbf{x}_t/a = \mathbf{x}_0 + \nu\boldsymbol\epsilon$,
#
# $$D(\mathbf{x}_t) = c_\text{skip}\tilde{\mathbf{x}} + c_\text{out}F\big(c_\text{in}\tilde{\mathbf{x}}, t\big),\quad c_\text{skip} = \frac{\sigma_\text{data}^2}{\nu^2+\sigma_\text{data}^2},\ c_\text{out} = \frac{\nu\,\sigma_\text{data}}{\sqrt{\nu^2+\sigma_\text{data}^2}},\ c_\text{in} = \frac{1}{\sqrt{\nu^2+\sigma_\text{data}^2}},$$
#
# trained as an $\mathbf{x}_0$-prediction with weight $w_\text{EDM}(\nu) = 1/c_\text{out}^2$ (Karras et al.'s $\lambda(\sigma)$; here λ is the log-SNR), so that the raw $F$
# regresses a target of unit variance with unit weight.
# $c_\text{in}\tilde{\mathbf{x}}$ is lesson 08's input scaling; $c_\text{skip}$ lets the wrapper pass $\tilde{\mathbf{x}}$ through where it is already nearly clean.

# %%
def target_of(x0, eps, alpha_bar, target):
    """The regression target from (x0, eps): what training on each target compares the network's output with."""
    return {"eps": eps, "x0": x0, "v": alpha_bar.sqrt() * eps - (1 - alpha_bar).sqrt() * x0}[target]


x0, eps, x_t = noisy(5, 50, seed=0)
ab = schedule.alpha_bar[50].double()
agrees = all(torch.allclose(target_of(x0, eps, ab, name), helpers.target_of(x0, eps, ab.reshape(1, 1), name)) and
             torch.allclose(target_of(x0, eps, ab, name), as_target(eps, x_t, ab.item(), name)) for name in ("eps", "x0", "v"))
print("target_of agrees with helpers.target_of and with the definition from eps and x_t:", agrees)
assert agrees

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Check 2.** The wrapper around the exact answer: choose the raw $F$ as the wrapper's inverse applied to lesson 09's
# denoiser, with the coefficients written from the equation above, and `helpers.Preconditioned` (which computes its own)
# must give the denoiser back. And the raw target's variance must be 1 at every
# step when $\sigma_\text{data}$ is the data's std (Karras et al. 2022, Appendix B.6).

# %%
def edm_by_hand(alpha_bar, data_std):
    """c_skip, c_out, c_in of Table 1 as written above, with sigma = nu."""
    nu2 = (1 - alpha_bar) / alpha_bar
    return data_std**2 / (nu2 + data_std**2), nu2.sqrt() * data_std / (nu2 + data_std**2).sqrt(), 1 / (nu2 + data_std**2).sqrt()


def wrapper_gap(oracle, schedule, data_std, x_t, step):
    """|Preconditioned(F)(x_t) - D*(x_t)| for F = (D* - c_skip x~) / c_out written from its input c_in x~, with the
    coefficients of edm_by_hand: the helper's own coefficients never enter F."""
    c_skip, c_out, c_in = edm_by_hand(schedule.alpha_bar.double(), data_std)

    class Inverse(torch.nn.Module):
        T = schedule.T

        def forward(self, u, k):
            x_tilde = u / c_in[k]
            return (oracle.denoise(x_tilde * schedule.alpha_bar[k].double().sqrt(), k) - c_skip[k] * x_tilde) / c_out[k]

    wrapped = helpers.Preconditioned(Inverse(), schedule, data_std)
    return (wrapped(x_t, torch.tensor(step)) - oracle.denoise(x_t, step)).abs().max().item()


data_std = x_data.double().std().item()
c_skip, c_out, c_in = edm_by_hand(schedule.alpha_bar.double(), data_std)
helper_gap = max((ours - theirs).abs().max().item() for ours, theirs in
                 zip((c_skip, c_out, c_in), helpers.edm_coefficients(schedule.alpha_bar.double(), data_std)))
assert helper_gap < 1e-12
print("helpers.edm_coefficients against the equation: c_skip, c_out and c_in agree to within 1e-12 at every step")
gaps, variances = [], []
for t in (0, 50, 99):
    x0, eps, x_t = noisy(20_000, t, seed=200 + t)
    gaps.append(wrapper_gap(oracle, schedule, data_std, x_t, t))
    x_tilde = x_t / schedule.alpha_bar[t].double().sqrt()
    variances.append(((x0 - c_skip[t] * x_tilde) / c_out[t]).var(0).tolist())
check_small(dict(zip(("t = 0", "t = 50", "t = 99"), gaps)), 1e-10, "wrapper around the exact F, gap to the exact denoiser")
check_small({f"t = {t}": abs(sum(v) / 2 - 1) for t, v in zip((0, 50, 99), variances)}, 0.02,
            "raw target's variance (mean of the two coordinates) minus 1")
print("per coordinate:", [[round(v, 3) for v in row] for row in variances], f"; data_std {data_std:.4f}")

# %% [markdown]
# Per coordinate, the data's variance differs from the pooled one (the S-curve is taller than it is wide), so the raw
# target's variance is near 1 on average over the two coordinates, not in each.
#
# Now the committed $\boldsymbol\epsilon$-network (lesson 08's default recipe, seed 0) beside an $\mathbf{x}_0$- and an EDM-network trained live with the same
# recipe and seed ($\mathbf{v}$ is left to the benchmark below, to keep the lesson within its minute).

# %% tags=["nbval-ignore-output"] nbval_why="wall time differs between machines and runs."
live = {}
for target in ("x0", "edm"):
    config = dataclasses.replace(helpers.DEFAULT, target=target)
    torch.manual_seed(0)
    trained = helpers.train(helpers.build_model(config, schedule, x_data), x_data, schedule, config, progress=False)
    live[target] = trained["model"].eval()
    print(f"{target:4s} trained in {trained['seconds']:.1f} s")

# %% [markdown]
# The rest of the lesson uses the committed files of these two recipes (tools/make_lesson_networks.py), so that its
# numbers do not depend on how a CPU rounds the training. Each network records what it
# predicts (`net.predicts`, kept in its checkpoint): `helpers.AsEps` reads each as an $\boldsymbol\epsilon$-predictor by that record, so
# lesson 07's sampler runs it unchanged, and a helper that reads $\boldsymbol\epsilon$ refuses the $\mathbf{x}_0$-network itself rather than read
# its output as noise.

# %%
CHECKPOINTS = helpers.COMMITTED_CHECKPOINT.parent
networks = {"eps": helpers.load_model(helpers.COMMITTED_CHECKPOINT), "x0": helpers.load_model(CHECKPOINTS / "target_x0.pt"),
            # The wrapper as helpers.build_model makes it, from the float32 data's std.
            "edm": helpers.Preconditioned(helpers.load_model(CHECKPOINTS / "target_edm.pt"), schedule, x_data.std().item()).eval()}
views = {name: net if net.predicts == "eps" else helpers.AsEps(net, schedule) for name, net in networks.items()}

# %% [markdown]
# **Check 3.** The live networks are the files' recipe. Where course.py pins the CPU's kernels (every CPU with AVX2,
# docs/decisions.md) each equals its file bit for bit. Elsewhere training rounds differently and, chaotic as training is,
# lands on another network, as another seed would. What a recipe fixes is how close its network comes to the exact answer:
# the RMS distance to the exact $\boldsymbol\epsilon$ (lesson 09's oracle), each network read as an $\boldsymbol\epsilon$-predictor, on 2 000 noisy
# points at each of ten steps. Each live network's must lie within `RECIPE_MARGIN` of its file's: 4√2 standard
# deviations of that distance over five other training seeds (`benchmarks/recipe_spread.py`).

# %%
@torch.no_grad()
def recipe_error(network):
    """A network's RMS distance to the exact eps, read as an eps-predictor (helpers.AsEps), over ten steps (2 000 points
    each)."""
    total = 0.0
    for t in range(5, T, 10):
        x_t = noisy(2000, t, seed=400 + t)[2]
        eps_view = helpers.AsEps(network, schedule)(x_t.float(), torch.full((2000,), t)).double()
        total += (eps_view - oracle(x_t, t)).pow(2).mean().item() / 10
    return math.sqrt(total)


# 4 x sqrt(2) x the s.d. of this error over seeds 1-5 of the recipe (benchmarks/recipe_spread.py, docs/benchmarks.md)
RECIPE_MARGIN = {"x0": 0.052, "edm": 0.0089}
for target in ("x0", "edm"):
    error_file, error_live = recipe_error(networks[target]), recipe_error(live[target])
    print(f"{target:4s} RMS error in eps: the file {error_file:.4f}, the live network {error_live:.4f}; "
          f"within the recipe's margin of {RECIPE_MARGIN[target]}: {abs(error_live - error_file) < RECIPE_MARGIN[target]}")
    assert abs(error_live - error_file) < RECIPE_MARGIN[target]

# %%
print("what each network records it predicts:", {name: net.predicts for name, net in networks.items()})
try:
    helpers.sample(networks["x0"], schedule, 10)
except ValueError as error:
    print("ValueError:", error)

# %% tags=["nbval-ignore-output"] nbval_why="samples of networks trained live: their last digits differ between machines."
fig, axes = plt.subplots(1, 3, figsize=(9, 3.5), sharex=True, sharey=True)
for ax, (name, view) in zip(axes, views.items()):
    points = helpers.sample(view, schedule, 5000, generator=seeded(1), sigma="beta_tilde")
    helpers.plot_points(points, ax=ax, title=f"{name}: {helpers.sharp_quality(points, energy=False)}".replace(", gap", "\ngap"))
fig.suptitle(r"one draw each (training seed 0), 5 000 samples, DDPM with $\sigma_t^2 = \tilde\beta_t$")
fig.tight_layout(rect=(0, 0, 1, 0.94))
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# One draw is an anecdote. The benchmark (`benchmarks/targets.py`, committed results) trains every target on five seeds
# and samples each with the same noise (paired), beside lesson 09's exact network through the same sampler: the floor that
# every target shares, since their optima are one function. Off-curve $\times 10^3$, coverage gap %, strays %, $\mathbb{E}_p[-\log q]$ of the
# samples and the ODE's cross-entropy $\mathbb{E}_q[-\log p_\theta]$ in nats, mean ± s.d. over the seeds:

# %%
grid = results["grid"]["runs"]
SEEDS = results["seeds"]
METRICS = ("off_curve", "coverage_gap", "stray", "sample_nll", "cross_entropy")
data_floor = json.loads(Path("../benchmarks/results/cpu-2core.json").read_text())["data_floor"]
# Off-curve and E_p[-log q] are best at the data's own value (lower means sharper than the data); the rest, lower.
DATA_VALUE = {"off_curve": data_floor["off_curve"]["mean"], "sample_nll": data_floor["nll"]["mean"]}


def values(recipe, metric, runs=None):
    return [row[metric] for row in sorted((r for r in runs or grid if r["recipe"] == recipe), key=lambda r: r["seed"])]


def row_text(recipe, runs=None):
    return " | ".join(f"{np.mean(values(recipe, m, runs)):7.3f} ± {np.std(values(recipe, m, runs), ddof=1):5.3f}" for m in METRICS)


print(f"{'':14s} {'off-curve':>15s} | {'gap %':>15s} | {'stray %':>15s} | {'E_p[-log q]':>15s} | {'cross-entropy':>15s}")
print(f"{'data':14s} {data_floor['off_curve']['mean']:7.3f} ± {data_floor['off_curve']['sd']:5.3f} | "
      f"{data_floor['coverage_gap']['mean']:7.3f} ± {data_floor['coverage_gap']['sd']:5.3f} | {0:7.3f} ± {0:5.3f} | "
      f"{data_floor['nll']['mean']:7.3f} ± {data_floor['nll']['sd']:5.3f} | {results['held_out_entropy']:7.3f} (entropy)")
for name in ("exact network", "eps/own", "x0/own", "v/own", "edm/own"):
    print(f"{name:14s} " + row_text(name))

# %% [markdown]
# Paired differences against the $\boldsymbol\epsilon$-network, seed by seed (`helpers.compare`). Off-curve and $\mathbb{E}_p[-\log q]$ are compared by their
# distance to the data's value, the others as they are; lower is better for all:

# %%
def by_seed(recipe, metric, runs=None):
    table = {row["seed"]: row[metric] for row in runs or grid if row["recipe"] == recipe}
    if metric in DATA_VALUE:
        return lambda seed: abs(table[seed] - DATA_VALUE[metric])
    return lambda seed: table[seed]


def label(metric):
    return f"|{metric} - data's|" if metric in DATA_VALUE else metric


for name in ("x0/own", "v/own", "edm/own"):
    for metric in METRICS:
        comparison = helpers.compare(by_seed(name, metric), by_seed("eps/own", metric), SEEDS, (name, "eps/own"))
        print(f"{label(metric):22s} {comparison.summary()}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# What the seeds say, in the numbers printed above:
# - **$\mathbf{x}_0$-prediction is worse on every metric** (every interval above 0): twice the off-curve error and about 16 times the strays.
#   Its own loss weighs the step near the data by $1/\mathrm{SNR}$, $2\cdot 10^{-5}$ at $t = 0$, so the steps that set the samples' sharpness
#   barely train, and reading its output as $\boldsymbol\epsilon$ multiplies its error by $a/b = \sqrt{\mathrm{SNR}_0} \approx 211$ there. The weighting is only part of it:
#   trained with $L_\text{simple}$'s weights (x0/eps in section 3) it still reaches only 16.5.
# - **Between $\mathbf{v}$ and $\boldsymbol\epsilon$ every interval holds 0 ("undecided").** On this schedule $\bar\alpha \ge 0.78$, so $\mathbf{v} = a\boldsymbol\epsilon - b\mathbf{x}_0$ is mostly $\boldsymbol\epsilon$ (its std is
#   within 12 % of $\boldsymbol\epsilon$'s at every step, 0.88 at the last), and its own weight $1/\bar\alpha$ stays between 1 and 1.29.
# - **EDM's wrapper gives a lower cross-entropy** (by about 0.03 nats, interval below 0); of its sample
#   metrics only the coverage gap's interval excludes 0, and only just (its upper end is $-0.00$): a verdict for new seeds
#   to confirm, not one to build on. It predicts $\mathbf{x}_0$ too; what helps is $c_\text{skip}$ and $c_\text{out}$, which hand the network a residual of unit variance to
#   predict. Its weight $w_\text{EDM}$ is not the reason: section 3's table has the wrapper doing as well under $L_\text{simple}$ (edm/eps), and
#   $w_\text{EDM}$ without the wrapper (x0/edm) doing badly.
# - Every network, even the best, sits above the exact network's floor: off-curve 8.4 and no strays through this sampler
#   (sharper than the data: $\tilde\beta$'s sampler trims the data's own noise), cross-entropy 0.006 nats above the entropy.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Loss weighting
#
# Any objective $\sum_t w(t)\,\mathbb{E}\lVert\boldsymbol\epsilon-\boldsymbol\epsilon_\theta\rVert^2$ can be trained with any target: divide $w$ by that target's $A^2$ (`helpers.loss_weights`). The
# weightings people use, as weights on the $\boldsymbol\epsilon$-loss (`helpers.eps_weights`), against $\lambda_t = \log\mathrm{SNR}_t$:
# $L_\text{simple}$: $1$ (Ho et al. 2020, eq. 14); the ELBO's for $\sigma_t^2=\tilde\beta_t$: $\beta_t/(2\alpha_t(1-\bar\alpha_{t-1}))$ (their eq. 12, lesson 13; at the first step,
# where $\tilde\beta_1 = 0$, the decoder's $1/(2\alpha_1)$ of lesson 13's variance $\beta_1$); min-SNR-$\gamma$:
# $\min(\mathrm{SNR},\gamma)/\mathrm{SNR}$, $\gamma = 5$ (Hang et al. 2023); EDM's: $w_\text{EDM}(\nu)\,\nu^2 = (\nu^2+\sigma_\text{data}^2)/\sigma_\text{data}^2$; and $\mathbf{x}_0$'s and $\mathbf{v}$'s own losses.

# %%
log_snr = schedule.log_snr.double()
fig, ax = plt.subplots(figsize=(7, 4))
for weighting in ("eps", "elbo", "min_snr", "edm", "x0", "v"):
    w = helpers.eps_weights(schedule, weighting, data_std)
    ax.semilogy(log_snr, w / w.mean(), label={"eps": "L_simple", "x0": "x0's own", "v": "v's own"}.get(weighting, weighting))
ax.axvline(math.log(helpers.weighting.MIN_SNR_GAMMA), color="0.6", linestyle=":", linewidth=1)
ax.set(xlabel="log-SNR λ (the data end is on the right)", ylabel="weight on the ε-loss (mean 1)",
       title="weightings over this schedule's steps")
ax.legend(loc="lower left", ncol=2)
plt.show()
print(f"this schedule's λ runs from {log_snr[-1]:.2f} (t = 99) to {log_snr[0]:.2f} (t = 0); "
      f"min-SNR-5 caps every step with λ > log 5 = {math.log(5):.2f}: {(log_snr > math.log(5)).sum().item()} of {T}")

# %% [markdown]
# Two things differ from the image models these weightings were made for. Min-SNR-5 caps every step with $\mathrm{SNR} > 5$, and 86
# of our 100 steps lie there (a 1 000-step linear schedule spans λ from about −10 to +9, printed below), so here it is
# nearly $5/\mathrm{SNR}$, $\mathbf{x}_0$'s own weighting, with full weight on the 14 noisiest steps. EDM's weight $1 + \nu^2/\sigma_\text{data}^2$ grows by a factor of
# 24 from the first step to the last, because our data are small: $\sigma_\text{data} = 0.11$ against $\nu_T = 0.53$.

# %%
image_like = helpers.linear_schedule(1000).log_snr.double()
edm = helpers.eps_weights(schedule, "edm", data_std)
print(f"linear schedule of 1 000 steps: λ from {image_like[-1]:.1f} to {image_like[0]:.1f}; "
      f"EDM's weight here, last step over first: {(edm[-1] / edm[0]).item():.1f}")

# %% [markdown]
# Benchmark, targets × weightings (mean over five seeds of off-curve $\times 10^3$ / strays %; lesson 08's default is $\boldsymbol\epsilon$, own; "eps" is
# $L_\text{simple}$; data 10.02 / 0):

# %%
weightings = ("own", "eps", "elbo", "min_snr", "edm")
print(f"{'target':8s} " + " ".join(f"{w:>15s}" for w in weightings))
for target in ("eps", "x0", "v", "edm"):
    cells = []
    for weighting in weightings:
        name = f"{target}/{'own' if (target, weighting) in (('eps', 'eps'), ('edm', 'edm')) else weighting}"
        off, stray = np.mean(values(name, "off_curve")), np.mean(values(name, "stray"))
        cells.append(f"{off:7.2f} / {stray:5.2f}")
    print(f"{target:8s} " + " ".join(f"{c:>15s}" for c in cells))

# %% [markdown]
# Lesson 13 trained with the ELBO's weights against $L_\text{simple}$ with uniform steps and measured how they change the
# likelihood. Here the steps are drawn as lesson 08 draws them (22 % at $t = 0$), so each weight multiplies that density.
# Against the default, paired:

# %%
for name in ("eps/elbo", "eps/min_snr", "eps/edm", "edm/eps"):
    for metric in ("off_curve", "stray", "coverage_gap", "cross_entropy"):
        comparison = helpers.compare(by_seed(name, metric), by_seed("eps/own", metric), SEEDS, (name, "eps/own"))
        print(f"{label(metric):22s} {comparison.summary()}")

# %% [markdown]
# With the default's step density, the ELBO's weights (which also rise towards the data) leave every interval holding 0
# over these five seeds: off-curve comes closest (+0.90, interval $-0.03$ to $+1.83$), undecided, which is not "no effect".
# Min-SNR-5 and EDM's weights on the $\boldsymbol\epsilon$-target, each of which moves weight to the noisiest steps, make off-curve, strays and
# cross-entropy worse (intervals above 0). EDM's
# wrapper keeps its advantage in cross-entropy under $L_\text{simple}$ (edm/eps), and there its coverage gap is lower too (interval below 0).
# Min-SNR-5 swamps every target. At a fixed objective the parameterisation matters too: under $L_\text{simple}$'s weights, $\mathbf{x}_0$ reaches
# 16.5 where $\boldsymbol\epsilon$ reaches 10.4, and the EDM wrapper 9.8; no weighting rescues $\mathbf{x}_0$.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. A schedule that ends in noise
#
# The course's schedule ends at $\bar\alpha_T = 0.78$, so $\mathbf{x}_T$ has a std of about 0.48, not 1 (lesson 02), yet sampling starts from $\mathcal N(0, I)$. Lin et al. (2024,
# Algorithm 1) rescale $\sqrt{\bar\alpha_t}$ so that its last value is 0 and its first unchanged (`helpers.zero_terminal_snr`). How far is
# $q_T$ from $\mathcal N(0, I)$, and how much of the data survives at $T$? Both exactly, for four schedules of 100 steps: with
# $q_T = \sum_j w_j\,\mathcal N(a_T\mathbf{p}_j, r_T^2 I)$ with $r_T^2 = \bar\alpha_T\delta^2 + 1 - \bar\alpha_T$ (lesson 09, $\delta = 0.01$ the data's noise), each expectation over $q_T$
# is a sum over the mixture's components of a Gauss–Hermite
# rule in the plane:
#
# $$D_\mathrm{KL}(q_T\,\|\,\mathcal N(0,I)) = \mathbb{E}_{q_T}[\log q_T - \log\mathcal N(\mathbf{x};0,I)],\qquad I(\mathbf{x}_0;\mathbf{x}_T) = -\mathbb{E}_{q_T}[\log q_T] - \log\big(2\pi e(1-\bar\alpha_T)\big).$$

# %%
def expect_q_T(oracle_T, f, nodes=16):
    """E_{q_T}[f(x)], q_T the oracle's last-step mixture: Gauss-Hermite in each coordinate around each component."""
    z, h = np.polynomial.hermite.hermgauss(nodes)
    z, h = torch.tensor(z * math.sqrt(2)), torch.tensor(h / math.sqrt(math.pi))
    grid_z = torch.stack(torch.meshgrid(z, z, indexing="ij"), -1).reshape(-1, 2)
    grid_h = (h[:, None] * h[None, :]).reshape(-1)
    ab = oracle_T.alpha_bar[-1].double()
    r = (ab * oracle_T.std**2 + 1 - ab).sqrt()
    centres = ab.sqrt() * oracle_T.points.double()
    weights = oracle_T.log_weights.double().exp()
    x = (centres[:, None, :] + r * grid_z[None]).reshape(-1, 2)
    return (weights[:, None] * grid_h[None] * f(x).reshape(len(centres), -1)).sum().item()


standard = torch.distributions.MultivariateNormal(torch.zeros(2, dtype=torch.float64), torch.eye(2, dtype=torch.float64))
schedules = {"reference (sigmoid)": schedule, "linear": helpers.linear_schedule(100), "cosine": helpers.cosine_schedule(100),
             "zero terminal SNR": helpers.zero_terminal_snr(schedule)}
print(f"{'schedule':20s} {'alpha_bar_T':>12s} {'KL(q_T || N(0,I))':>18s} {'I(x_0; x_T)':>12s}  nats")
for name, sched in schedules.items():
    oracle_T = helpers.s_curve_oracle(sched)
    log_q = lambda x: oracle_T.log_prob(x, T - 1)  # noqa: E731
    kl = expect_q_T(oracle_T, lambda x: log_q(x) - standard.log_prob(x))
    ab_T = sched.alpha_bar[-1].double().item()
    information = -expect_q_T(oracle_T, log_q) - math.log(2 * math.pi * math.e * (1 - ab_T))
    # Zero terminal SNR makes both 0 exactly, computed to within rounding of either sign: printed as 0.0000, not -0.0000.
    kl, information = (round(value, 4) + 0.0 for value in (kl, information))
    print(f"{name:20s} {ab_T:12.2e} {kl:18.4f} {information:12.4f}")
variance_T = (schedule.alpha_bar[-1] * data_std**2 + 1 - schedule.alpha_bar[-1]).double().item()
print(f"reference: KL of N(0, {variance_T:.4f} I), a Gaussian with q_T's variance alone: "
      f"{variance_T - 1 - math.log(variance_T):.4f} nats")

# %% [markdown]
# The reference schedule's KL is almost all scale: a centred Gaussian of $q_T$'s variance is as far from $\mathcal N(0, I)$. What $\mathbf{x}_T$
# still knows about $\mathbf{x}_0$ is small, 0.04 nats, because the data (std 0.11) are small beside the noise (std 0.47). So the flaw is the
# start's mismatch, which lesson 09 measured, more than information left behind.

# %% [markdown]
# **Check 4.** The same KL for the reference schedule by Monte Carlo from $q_T$ itself (200 000 draws of $\mathbf{x}_T$), and the
# quadrature with 24 nodes instead of 16:

# %%
x_T = helpers.q_sample(helpers.s_curve(200_000, seed=7).double(), torch.full((200_000,), T - 1), schedule,
                       eps=torch.randn(200_000, 2, generator=seeded(7), dtype=torch.float64))
log_ratio = oracle.log_prob(x_T, T - 1) - standard.log_prob(x_T)
quadrature_kl = expect_q_T(oracle, lambda x: oracle.log_prob(x, T - 1) - standard.log_prob(x))
finer_kl = expect_q_T(oracle, lambda x: oracle.log_prob(x, T - 1) - standard.log_prob(x), 24)
standard_error = (log_ratio.std() / math.sqrt(200_000)).item()
print(f"quadrature {quadrature_kl:.6f}, with 24 nodes {finer_kl:.6f}; Monte Carlo {log_ratio.mean():.4f} ± {standard_error:.4f}")
check_small({"16 against 24 nodes": abs(quadrature_kl - finer_kl)}, 1e-6, "KL(q_T || N(0, I)), two quadratures")
check_small({"quadrature against Monte Carlo, in standard errors": abs(quadrature_kl - log_ratio.mean().item()) / standard_error},
            3, "KL(q_T || N(0, I)), two routes")

# %% [markdown] slideshow={"slide_type": "subslide"}
# At $\bar\alpha_T = 0$, $\mathbf{x}_T = \boldsymbol\epsilon$ exactly, so $\boldsymbol\epsilon^* = \mathbf{x}_T$: an $\boldsymbol\epsilon$-network has nothing to learn at the last step and nothing to say
# about $\mathbf{x}_0$, and the sampler's $\hat{\mathbf{x}}_0 = (\mathbf{x}_T - b\,\boldsymbol\epsilon)/a$ is $0/0$ (Lin et al. 2024, §3.2). From $\mathbf{v}$ both are defined:
# $\hat{\mathbf{x}}_0 = a\mathbf{x}_t - b\mathbf{v}$ and $\hat{\boldsymbol\epsilon} = b\mathbf{x}_t + a\mathbf{v}$ (`helpers.x0_and_eps`), and DDIM's update takes that $\hat{\mathbf{x}}_0$ directly
# (`helpers.sample_steps(..., target="v")`).

# %%
zero = schedules["zero terminal SNR"]
oracle_zero = helpers.s_curve_oracle(zero)
x_T = torch.randn(1000, 2, generator=seeded(3), dtype=torch.float64)
print("eps* at alpha_bar = 0 minus x_T:", (oracle_zero(x_T, T - 1) - x_T).abs().max().item())
v_star = -oracle_zero.denoise(x_T, T - 1)
x0_hat, eps_hat = helpers.x0_and_eps(v_star, x_T, 0.0, "v")
# E[x_0] is (0, 0) by symmetry, computed to within rounding of either sign: + 0.0 prints a rounded -0.0 as 0.0.
print("from v at alpha_bar = 0: x0_hat is E[x_0] =", [round(c, 4) + 0.0 for c in x0_hat[0].tolist()],
      "for every x_T:", (x0_hat - x0_hat[0]).abs().max().item() == 0, "; eps_hat - x_T:", (eps_hat - x_T).abs().max().item())

# %% [markdown]
# The benchmark trains $\mathbf{v}$- and $\mathbf{x}_0$-networks on both schedules (five seeds, lesson 08's recipe) and samples each with DDPM ($\sigma^2=\tilde\beta$)
# from $\mathcal N(0, I)$, the same noise for both schedules; beside them, the exact network on each schedule:

# %%
zero_runs = results["zero"]["runs"]


def zero_values(recipe, sched, metric):
    rows = sorted((r for r in zero_runs if r["recipe"] == recipe and r["schedule"] == sched), key=lambda r: r["seed"])
    return [r[metric] for r in rows]


for recipe in ("exact network", "v", "x0"):
    for sched in ("reference", "zero SNR"):
        cells = [f"{np.mean(zero_values(recipe, sched, m)):7.3f} ± {np.std(zero_values(recipe, sched, m), ddof=1):5.3f}"
                 for m in ("off_curve", "coverage_gap", "stray", "sample_nll")]
        print(f"{recipe:13s} {sched:9s} " + " | ".join(cells))
for name, sched in (("reference", schedule), ("zero SNR", zero)):
    print(f"{name:9s}: steps with alpha_bar > 0.99: {(sched.alpha_bar > 0.99).sum().item()}, > 0.9: {(sched.alpha_bar > 0.9).sum().item()}")
for recipe in ("v", "x0"):
    for metric in ("off_curve", "coverage_gap", "stray"):
        shift = DATA_VALUE.get(metric)
        table = {s: {k: abs(v - shift) if shift is not None else v for k, v in zip(SEEDS, zero_values(recipe, s, metric))}
                 for s in ("zero SNR", "reference")}
        comparison = helpers.compare(lambda k: table["zero SNR"][k], lambda k: table["reference"][k], SEEDS,
                                     (f"{recipe}, zero SNR", "reference"))
        print(f"{label(metric):22s} {comparison.summary()}")

# %% [markdown]
# What the seeds say: on the rescaled schedule, with the same budget, $\mathbf{v}$-networks stray more (0.60 % against 0.31 %, interval above 0)
# and are undecided (intervals holding 0) in off-curve distance and coverage; $\mathbf{x}_0$-networks cover the curve better (interval below 0)
# but stray more too. Removing the start's mismatch gave no overall improvement. Lesson 09 found why the start matters little
# here: the stochastic sampler forgets it. And the rescaled schedule moves steps away from the data: 20 steps with
# $\bar\alpha > 0.99$ instead of 39, a likely reason for the strays. Even the exact network's samples change (off-curve 8.4 to 6.8):
# the schedule changes the sampler. Predicting $\mathbf{x}_0$ or $\mathbf{v}$ (or lesson 12's velocity) is what makes it usable at all; an
# $\boldsymbol\epsilon$-network cannot take its first step.

# %% [markdown] slideshow={"slide_type": "notes"}
# **Instructor's note.** Lin et al.'s paper is about images, where $\bar\alpha_T$ of common schedules leaves low frequencies visible
# and the model cannot make very dark or bright images. Here the leak is 0.04 nats, so expect the room to be surprised
# that the rescaled schedule does not help; a likely reason is the steps it moves away from the data.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. The best recipe the course knows
#
# The moonshot, on each of ten seeds, within 30 s of training here: off-curve within two s.d. of the data's, coverage gap
# at most twice the data's mean, strays at most 0.05 %, $\mathbb{E}_p[-\log q]$ within 0.02 nats of the data's, cross-entropy within 0.05
# nats of the held-out entropy. The winners above are EDM's wrapper and $L_\text{simple}$'s weighting. A search on seeds 0 and 1
# only (`--section search`; it chose the recipe and is not evidence) tried longer training, a slower EMA, another step
# density, bigger batches and both of lesson 07's variances:

# %%
print(f"{'seeds 0, 1':25s} {'off-curve':>11s}  {'gap %':>9s}  {'stray %':>9s}  {'E_p[-log q]':>13s}  {'cross-ent.':>13s}  {'train s':>7s}")
for section in ("search", "search_beta"):
    for name in dict.fromkeys(r["recipe"] for r in results[section]["runs"]):
        rows = [r for r in results[section]["runs"] if r["recipe"] == name][:2]
        cells = [" ".join(f"{r[m]:{w}.2f}" for r in rows) for m, w in zip(METRICS, (5, 4, 4, 6, 6))]
        seconds = " ".join(f"{r['train_seconds']:3.0f}" for r in rows) if "train_seconds" in rows[0] else ""
        print(f"{name.replace('beta', 'σ² = β'):25s} " + "  ".join(cells) + f"  {seconds}")

# %% [markdown]
# Three times longer training makes the network accurate enough that lesson 07's $\tilde\beta$ sampler shows what it does to the exact
# network: samples sharper than the data (off-curve below 9, as the exact network's 8.4, except with the slower EMA, 9.4–9.6). With $\sigma^2 = \beta$ the same network sits near
# the data. The chosen recipe: EDM's wrapper, $L_\text{simple}$, 4 500 steps, sampled with $\sigma^2 = \beta$. The benchmark then ran it beside lesson
# 08's default on ten seeds the search never saw (2–11), with the exact network through both samplers. The default's
# networks are sampled twice: with their own $\tilde\beta_t$ and with the best recipe's $\beta_t$ ("default, beta"), so that
# recipe and sampler can be told apart:

# %%
best = results["best"]["runs"]
BEST_SEEDS = results["best_seeds"]
entropy = results["held_out_entropy"]
off, gap, nll = data_floor["off_curve"], data_floor["coverage_gap"], data_floor["nll"]
criteria = {
    f"off-curve within {2 * off['sd']:.2f} of {off['mean']:.2f}": lambda r: abs(r["off_curve"] - off["mean"]) <= 2 * off["sd"],
    f"coverage gap <= {2 * gap['mean']:.2f} %": lambda r: r["coverage_gap"] <= 2 * gap["mean"],
    "strays <= 0.05 %": lambda r: r["stray"] <= 0.05,
    f"E_p[-log q] within 0.02 of {nll['mean']:.3f}": lambda r: abs(r["sample_nll"] - nll["mean"]) <= 0.02,
    f"cross-entropy within 0.05 of {entropy:.3f}": lambda r: abs(r["cross_entropy"] - entropy) <= 0.05,
}
print(f"{'':20s} {'train s':>8s} " + " | ".join(f"{m:>15s}" for m in METRICS))
for recipe in ("exact network, beta~", "exact network, beta"):
    print(f"{recipe:20s} {'':>8s} " + row_text(recipe, best))
for recipe in ("default", "default, beta", "best"):
    print(f"{recipe:20s} {np.mean(values(recipe, 'train_seconds', best)):8.1f} " + row_text(recipe, best))
print()
for name, passes in criteria.items():
    met = {recipe: sum(passes(r) for r in best if r["recipe"] == recipe)
           for recipe in ("exact network, beta", "default", "default, beta", "best")}
    print(f"{name:38s} seeds meeting it (of {len(BEST_SEEDS)}): " + ", ".join(f"{k} {v}" for k, v in met.items()))

# %%
against = {other: {metric: helpers.compare(by_seed("best", metric, best), by_seed(other, metric, best), BEST_SEEDS,
                                           ("best", other))
                   for metric in METRICS}
           for other in ("default, beta", "default")}
for other, comparisons in against.items():
    print(f"best minus {other}, over {len(BEST_SEEDS)} seeds: mean difference, 95 % interval, verdict")
    for metric, comparison in comparisons.items():
        print(f"  {label(metric):22s} {comparison.brief()}")

# %% [markdown]
# At the same sampler ($\sigma^2 = \beta$) the best recipe is better than the default on every measure but coverage, which is
# undecided: off-curve distance −1.77, strays −0.36 points, $\mathbb{E}_p[-\log q]$ −0.21 and cross-entropy −0.05 nats (intervals
# below 0, ten seeds). Against the default with its own $\tilde\beta_t$ the lead is smaller in the samples (off-curve −0.14,
# strays −0.23) and the same in cross-entropy, which does not depend on the sampler: much of what separates "best" from
# "default" in their own settings is the sampler (the default's networks lose 1.6 in off-curve when sampled with $\beta$).
# An earlier version chose the recipe on seeds 0–1 and confirmed it on 0–4, two of which had chosen it; these ten seeds
# never chose anything. The moonshot is still not met on every seed (printed above). The exact network's row says how far
# the sample criteria can be trusted: through this sampler the truth itself is sharper than the data (off-curve 9.75), so
# it meets the off-curve and $\mathbb{E}_p[-\log q]$ criteria on one seed of ten.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Try it: a target, a weighting, and the loss per step against its floor
#
# Each network's own loss per step (2 000 points per step, Monte Carlo), beside the exact floor of that target (section
# 1's $\boldsymbol\epsilon$-floor times the target's factor), both multiplied by the chosen weighting's weight for that target ("own" for EDM is its
# $w_\text{EDM}(\nu)$, under which the loss is the raw network's plain MSE on its unit-variance target). The gap between the two curves is what the
# network has not learned, seen through the weighting that trains it.

# %%
@torch.no_grad()
def loss_per_step(name, n=2000):
    network, predicts = networks[name], networks[name].predicts
    out = []
    for t in steps:
        x0, eps, x_t = noisy(n, t, seed=300 + t)
        ab = schedule.alpha_bar[t].double().reshape(1, 1)
        prediction = network(x_t.float(), torch.full((n,), t)).double()
        out.append(((helpers.target_of(x0, eps, ab, predicts) - prediction) ** 2).mean().item())
    return out


per_step = {name: loss_per_step(name) for name in networks}


def show_losses(target="edm", weighting="own"):
    config = helpers.TrainConfig(target=target, weighting=weighting, scaled_input=True)
    predicts = config.predicts
    w = helpers.loss_weights(schedule, predicts, config.loss_weighting, data_std)[steps].double()
    floor = torch.tensor([floor_table[t]["eps"] for t in steps]) * helpers.floor_factor(schedule.alpha_bar[steps].double(), predicts)
    fig, ax = plt.subplots(figsize=(7, 3.8))
    ax.semilogy(steps, w * torch.tensor(per_step[target]), label=f"{target}-network")
    ax.semilogy(steps, w * floor, "--", color="0.3", label="exact floor")
    ax.set(xlabel="step t", ylabel="weighted loss per coordinate", title=f"target {target}, weighting {weighting}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1))
    fig.tight_layout()
    plt.show()


show_losses("edm", "own")

# %% tags=["nbval-ignore-output"] nbval_why="an interact widget's output lives in the notebook's widget state, which nbval does not compare."
interact(show_losses, target=Dropdown(options=["eps", "x0", "edm"], value="edm", description="target"),
         weighting=Dropdown(options=list(helpers.weighting.WEIGHTINGS), value="own", description="weighting"));

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - **Five names, one quantity.** Given $\mathbf{x}_t$, the optimal $\boldsymbol\epsilon$, $\mathbf{x}_0$, $\mathbf{v}$, score and velocity are affine maps of each other
#   (`helpers.convert`), equal to the oracle's separate routes to about $10^{-12}$ relative (check 1). Each target's irreducible loss
#   is the $\boldsymbol\epsilon$-floor times $A^2$: $1/\mathrm{SNR}$, $1/\bar\alpha$, $1 + \mathrm{SNR}$, $(1 + 1/\sqrt{\mathrm{SNR}})^2$; at $t = 0$ these are $2.2\cdot10^{-5}$, 1, $4.5\cdot10^{4}$
#   and 1.01.
# - **Training with each target** (lesson 08's recipe, five paired seeds): $\mathbf{x}_0$ is worse on every metric (off-curve 20.6 against
#   10.4, strays 4.7 % against 0.29 %); $\mathbf{v}$ against $\boldsymbol\epsilon$ is undecided on this schedule; EDM's preconditioning
#   lowers the cross-entropy, by $0.03 \pm 0.01$ nats (interval below 0). The exact network's floor through the same sampler: off-curve
#   8.4, no strays, cross-entropy 0.006 nats above the entropy.
# - **Weighting.** With lesson 08's step density, min-SNR-5 and EDM's weights on the $\boldsymbol\epsilon$-loss are each worse than
#   $L_\text{simple}$ in off-curve, strays and cross-entropy (intervals above 0), and the ELBO's weights are undecided in each
#   (five seeds); min-SNR-5 leaves 24 % strays with any target, because 86 of
#   this schedule's 100 steps have $\mathrm{SNR} > 5$. At a fixed weighting the target still matters ($\mathbf{x}_0$ 16.5 against $\boldsymbol\epsilon$ 10.4 under
#   $L_\text{simple}$).
# - **A schedule that ends in noise.** $D_\mathrm{KL}(q_T\|\mathcal N(0,I))$ is 0.695 nats for the course's schedule (almost all of it the variance
#   0.23 instead of 1), 0.086 for the linear, below $10^{-4}$ for the cosine and 0 for the rescaled one; $I(\mathbf{x}_0;\mathbf{x}_T)$ is 0.042 nats at most. At
#   $\bar\alpha_T = 0$ an $\boldsymbol\epsilon$-network cannot take the first step; $\mathbf{v}$ or $\mathbf{x}_0$ can. Rescaled, $\mathbf{v}$-networks stray more on every seed (0.60 % against 0.31 %).
# - **The best recipe** (EDM's wrapper, $L_\text{simple}$, 4 500 steps in 23 s, $\sigma^2 = \beta$) against lesson 08's default on
#   ten seeds the search never used: at the same sampler better in off-curve, strays, $\mathbb{E}_p[-\log q]$ and cross-entropy
#   (by 0.05 nats), coverage undecided; against the default's own $\tilde\beta_t$ sampler the sample lead is smaller (strays
#   0.05 % against 0.28 %). The moonshot is not met: its criteria (off-curve, coverage, strays, $\mathbb{E}_p[-\log q]$,
#   cross-entropy) hold on 4, 7, 8, 4 and 9 of ten seeds. Lesson 09's exact network through
#   the same sampler meets strays and cross-entropy on every seed and the coverage gap on six; it meets off-curve and
#   $\mathbb{E}_p[-\log q]$ on one seed of ten, because this sampler makes the exact network's samples sharper than the data. Those two criteria reward a network whose
#   error cancels the sampler's bias, so they cannot all be met by getting closer to the truth.
# - The course's default stays lesson 08's recipe (`docs/decisions.md`): the best recipe trains 3.4 times longer (23 s
#   against 6.8 s), and against the default's own sampler its lead is in strays and likelihood, not in coverage.
#
# **References.** Ho, Jain & Abbeel 2020, "Denoising diffusion probabilistic models", eqs. 12 and 14; Salimans & Ho 2022,
# "Progressive distillation for fast sampling of diffusion models", §4 (v); Karras, Aittala, Aila & Laine 2022,
# "Elucidating the design space of diffusion-based generative models", Table 1 and Appendix B.6; Hang et al. 2023,
# "Efficient diffusion training via Min-SNR weighting strategy"; Kingma, Salimans, Poole & Ho 2021, "Variational diffusion
# models" (weightings in λ); Kingma & Gao 2023, "Understanding diffusion objectives as the ELBO with simple data
# augmentation"; Lin, Liu, Li & Yang 2024, "Common diffusion noise schedules and sample steps are flawed",
# Algorithm 1 and §3.2; Vincent 2011, "A connection between score matching and denoising autoencoders".
#
# ## Exercises (solutions: `%load solutions/14_1.py`, `14_2.py`; each ends with its check)
#
# **1.** Write `v_to_x0(v, x_t, alpha_bar)`: the clean point that a $\mathbf{v}$-prediction implies at $\mathbf{x}_t$, valid at $\bar\alpha = 0$ too.

# %%
def v_to_x0(v, x_t, alpha_bar):
    return None  # your code here


helpers.check_exercise("14.1", v_to_x0)

# %% [markdown]
# **2. Predict, then check.** At this schedule's first step ($t = 0$), which target has the larger irreducible loss per
# coordinate: (a) $\mathbf{x}_0$ or (b) the score? The check computes both floors from the oracle.

# %%
prediction = None  # "a" or "b"

helpers.check_exercise("14.2", prediction)
