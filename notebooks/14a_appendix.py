# %% [markdown] slideshow={"slide_type": "slide"}
# # Lesson 14, appendix — A schedule that ends in noise, and the best recipe the course knows
#
# Two measurements that [lesson 14](14_targets.ipynb) moved out of its main line, each as it was there. First, how far the
# course's schedule ends from pure noise, and what Lin et al.'s zero-terminal-SNR schedule changes when $\mathbf{v}$- and
# $\mathbf{x}_0$-networks are trained on it. Second, the search for the best recipe the course knows, and that recipe against
# lesson 08's default on ten seeds the search never saw. Lessons 15–17 need neither. From lesson 09: the exact mixture $q_t$ and
# the sharp metrics; from lesson 14: the targets, EDM's wrapper and the weightings, each weight multiplied by lesson 08's
# step density. Every training result is read from the committed benchmark (`benchmarks/targets.py`,
# `benchmarks/results/targets-cpu-2core.json`); nothing is trained here.

# %%
import json
import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch

import helpers

torch.manual_seed(0)
schedule = helpers.sigmoid_schedule(100)
T = schedule.T
oracle = helpers.s_curve_oracle(schedule)
data_std = helpers.s_curve(10_000).double().std().item()
results = json.loads(Path("../benchmarks/results/targets-cpu-2core.json").read_text())
SEEDS = results["seeds"]
METRICS = ("off_curve", "coverage_gap", "stray", "sample_nll", "cross_entropy")
METRIC_NAMES = {"off_curve": "off-curve", "coverage_gap": "coverage gap %", "stray": "strays %", "sample_nll": "E_p[-log q]",
                "cross_entropy": "cross-entropy"}
TARGET_NAMES = {"eps": "ε", "x0": "x₀", "v": "v", "edm": "EDM"}
WEIGHTING_NAMES = {"own": "own", "eps": "L_simple", "elbo": "ELBO w", "min_snr": "min-SNR-5", "edm": "EDM w"}
data_floor = json.loads(Path("../benchmarks/results/cpu-2core.json").read_text())["data_floor"]
# Off-curve and E_p[-log q] are best at the data's own value (lower means sharper than the data); the rest, lower.
DATA_VALUE = {"off_curve": data_floor["off_curve"]["mean"], "sample_nll": data_floor["nll"]["mean"]}


def seeded(k):
    return torch.Generator().manual_seed(k)


def check_small(gaps, tol, what):
    """Every gap below tol, or an error naming the largest. A gap under 1e-15 is float64 rounding, whose value changes
    with the CPU's kernels (2.2e-16 on one, 0 on another): it prints as that bound."""
    worst = max(gaps, key=gaps.get)
    assert gaps[worst] < tol, f"{what}: {worst} is off by {gaps[worst]:.2e} (tolerance {tol:.0e})"
    shown = [f"{name} {gap:.1e}" if gap >= 1e-15 else f"{name} < 1e-15" for name, gap in gaps.items()]
    print(f"{what}: " + ", ".join(shown) + f"  (all < {tol:.0e})")


def values(recipe, metric, runs):
    return [row[metric] for row in sorted((r for r in runs if r["recipe"] == recipe), key=lambda r: r["seed"])]


def row_text(recipe, runs):
    return " | ".join(f"{np.mean(values(recipe, m, runs)):7.3f} ± {np.std(values(recipe, m, runs), ddof=1):5.3f}" for m in METRICS)


def by_seed(recipe, metric, runs):
    """The metric of one recipe as a function of the seed; off-curve and E_p[-log q] as their distance to the data's."""
    table = {row["seed"]: row[metric] for row in runs if row["recipe"] == recipe}
    if metric in DATA_VALUE:
        return lambda seed: abs(table[seed] - DATA_VALUE[metric])
    return lambda seed: table[seed]


def label(metric):
    return f"|{METRIC_NAMES[metric]} - data's|" if metric in DATA_VALUE else METRIC_NAMES[metric]


def recipe_name(recipe):
    """A searched recipe as lesson 14 writes it: 'edm/eps 4500, t_power 2' is EDM/L_simple, 4500 training steps, steps
    drawn as t = floor(T u^2); 'beta' samples with sigma^2 = beta."""
    head, *rest = recipe.split(", ")
    if "/" in head:
        pair, _, steps = head.partition(" ")
        target, weighting = pair.split("/")
        head = f"{TARGET_NAMES[target]}/{WEIGHTING_NAMES[weighting]} {steps}".strip()
    return ", ".join([head] + [{"t_power 2": "t = ⌊T u²⌋", "beta": "σ² = β"}.get(part, part) for part in rest])


# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. A schedule that ends in noise
#
# The course's schedule ends at $\bar\alpha_T = 0.78$, so $\mathbf{x}_T$ has a std of about 0.48, not 1 (lesson 02), yet sampling starts from $\mathcal N(0, I)$. Lin et al. (2024,
# Algorithm 1) rescale $\sqrt{\bar\alpha_t}$ so that its last value is 0 and its first unchanged (`helpers.zero_terminal_snr`). How far is
# $q_T$ from $\mathcal N(0, I)$, and how much of the data survives at $T$? Both exactly, for four schedules of 100 steps: with
# $q_T = \sum_j w_j\,\mathcal N(a_T\mathbf{p}_j, s_T^2 I)$, $a_T = \sqrt{\bar\alpha_T}$ and $s_T^2 = \bar\alpha_T\delta^2 + 1 - \bar\alpha_T$ (lesson 09's mixture, $\delta = 0.01$ the data's noise), each expectation over $q_T$
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
    s_T = (ab * oracle_T.std**2 + 1 - ab).sqrt()
    centres = ab.sqrt() * oracle_T.points.double()
    weights = oracle_T.log_weights.double().exp()
    x = (centres[:, None, :] + s_T * grid_z[None]).reshape(-1, 2)
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
# **Check 1.** The same KL for the reference schedule by Monte Carlo from $q_T$ itself (200 000 draws of $\mathbf{x}_T$), and the
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
# about $\mathbf{x}_0$, and the sampler's $\hat{\mathbf{x}}_0 = (\mathbf{x}_T - b\,\boldsymbol\epsilon)/a$ is $0/0$ (Lin et al. 2024, §3.2; the division by $a = 0$ is their §6). From $\mathbf{v}$ both are defined (with lesson 14's $a = \sqrt{\bar\alpha_t}$, $b = \sqrt{1-\bar\alpha_t}$):
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


print(f"{'':23s} " + " | ".join(f"{METRIC_NAMES[m]:>15s}" for m in METRICS[:4]))
for recipe in ("exact network", "v", "x0"):
    for sched in ("reference", "zero SNR"):
        cells = [f"{np.mean(zero_values(recipe, sched, m)):7.3f} ± {np.std(zero_values(recipe, sched, m), ddof=1):5.3f}"
                 for m in METRICS[:4]]
        print(f"{TARGET_NAMES.get(recipe, recipe):13s} {sched:9s} " + " | ".join(cells))
for name, sched in (("reference", schedule), ("zero SNR", zero)):
    print(f"{name:9s}: steps with alpha_bar > 0.99: {(sched.alpha_bar > 0.99).sum().item()}, > 0.9: {(sched.alpha_bar > 0.9).sum().item()}")
for recipe in ("v", "x0"):
    print(f"{TARGET_NAMES[recipe]}-networks, zero SNR against reference:")
    for metric in ("off_curve", "coverage_gap", "stray"):
        shift = DATA_VALUE.get(metric)
        table = {s: {k: abs(v - shift) if shift is not None else v for k, v in zip(SEEDS, zero_values(recipe, s, metric))}
                 for s in ("zero SNR", "reference")}
        comparison = helpers.compare(lambda k: table["zero SNR"][k], lambda k: table["reference"][k], SEEDS,
                                     (f"{TARGET_NAMES[recipe]}, zero SNR", "reference"))
        print(f"  {label(metric):22s} {comparison.summary()}")

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
for name, sched in (("reference", schedule), ("zero terminal SNR", zero)):
    ax.plot(range(T), sched.alpha_bar, label=name)
ax.axhline(0.99, color="0.6", linestyle=":", linewidth=1)
ax.set(xlabel="step t", ylabel=r"$\bar\alpha_t$", title="the rescaled schedule leaves fewer steps near the data")
ax.legend(loc="lower left")
plt.show()

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
# ## 2. The best recipe the course knows
#
# The course's quality target, called the *moonshot* in its plans (docs/decisions.md, "Speed targets"), asks for samples
# within twice the data-against-data floor after at most 30 s of training. Here it is read strictly, on each of ten seeds:
# off-curve within two s.d. of the data's, coverage gap at most twice the data's mean, strays at most 0.05 %,
# $\mathbb{E}_p[-\log q]$ within 0.02 nats of the data's, cross-entropy within 0.05 nats of the held-out entropy. Lesson 14's
# winners are EDM's wrapper and $L_\text{simple}$ (weight 1 on the $\boldsymbol\epsilon$-loss, times lesson 08's step density). A search on seeds 0 and 1
# only (`--section search`; it chose the recipe and is not evidence) tried longer training, a slower EMA, another step
# density, bigger batches and both of lesson 07's variances. Recipes are named as in lesson 14, *target/weighting*, then the
# number of training steps and what differs from lesson 08's default:

# %%
print(f"{'seeds 0, 1':30s} {'off-curve':>11s}  {'gap %':>9s}  {'stray %':>9s}  {'E_p[-log q]':>13s}  {'cross-ent.':>13s}  {'train s':>7s}")
for section in ("search", "search_beta"):
    for name in dict.fromkeys(r["recipe"] for r in results[section]["runs"]):
        rows = [r for r in results[section]["runs"] if r["recipe"] == name][:2]
        cells = [" ".join(f"{r[m]:{w}.2f}" for r in rows) for m, w in zip(METRICS, (5, 4, 4, 6, 6))]
        seconds = " ".join(f"{r['train_seconds']:3.0f}" for r in rows) if "train_seconds" in rows[0] else ""
        print(f"{recipe_name(name):30s} " + "  ".join(cells) + f"  {seconds}")

# %% [markdown]
# Three times longer training makes the network accurate enough that lesson 07's $\tilde\beta$ sampler shows what it does to the exact
# network: samples sharper than the data (off-curve below 9, as the exact network's 8.4 in section 1, except with the slower EMA, 9.4–9.6). With $\sigma^2 = \beta$ the same network sits near
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
print(f"{'':20s} {'train s':>8s} " + " | ".join(f"{METRIC_NAMES[m]:>15s}" for m in METRICS))
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
# ## Summary
#
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
# **References.** Lin, Liu, Li & Yang 2024, "Common diffusion noise schedules and sample steps are flawed", Algorithm 1,
# §3.2 and §6; Karras, Aittala, Aila & Laine 2022, "Elucidating the design space of diffusion-based generative models";
# Salimans & Ho 2022, "Progressive distillation for fast sampling of diffusion models", §4 (v).
