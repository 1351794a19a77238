# %% [markdown] slideshow={"slide_type": "slide"}
# # Lesson 09, appendix — quadrature, resolving power, memorisation
#
# Three side results of [lesson 09](09_exact_s_curve.ipynb), which builds the exact oracle of the S-curve: how many
# quadrature nodes the mixture $q_t(\mathbf{x}) \approx \sum_j w_j\,\mathcal N(\mathbf{x}; \sqrt{\bar\alpha_t}\,\mathbf{c}(u_j), s_t^2 I)$ needs; which flaws
# of a sample cloud each sharp metric can see, against the energy distance of lesson 07; and whether the trained
# network has memorised its 10 000 training points. Lesson 17 uses the last section, the finite-set optimum; nothing else here is needed for the lessons that follow.

# %% slideshow={"slide_type": "subslide"}
import json
import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch

import helpers

torch.manual_seed(0)
schedule = helpers.sigmoid_schedule(100)
T, beta, alpha_bar = schedule.T, schedule.beta, schedule.alpha_bar
x0 = helpers.s_curve(10_000)
model = helpers.load_model(helpers.COMMITTED_CHECKPOINT)
oracle = helpers.s_curve_oracle(schedule)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## How many quadrature nodes?
#
# Composite Gauss–Legendre, 8 nodes per panel, on each half $[-\tfrac{3\pi}{2}, 0]$ and $[0, \tfrac{3\pi}{2}]$ separately:
# $\mathbf{c}$'s second derivative jumps at $u = 0$, and Gauss–Legendre converges fast only on smooth pieces.
# The integrand is sharpest where $s$ is smallest: at the data themselves ($s_0 = \delta = 0.01$) and at the first step
# ($s_1 \approx 0.011$), about a tenth of the curve's radius, 0.1. At the first step, the change in $\log q_1$ against
# 4 096 nodes, over 10 000 points $\mathbf{x}_1$:

# %%
x1 = helpers.q_sample(x0, 0, schedule).double()
reference = helpers.s_curve_oracle(schedule, nodes=4096).log_prob(x1, 0)
nodes = [32, 64, 128, 256, 384, 512]
errors = [(helpers.s_curve_oracle(schedule, nodes=n).log_prob(x1, 0) - reference).abs().max().item() for n in nodes]
for n, err in zip(nodes, errors):
    print(f"{n:5d} nodes: max |error in log q| = {err:.0e} nats")
assert errors[nodes.index(len(helpers.quadrature()[0]))] < 1e-8
grid = torch.linspace(-0.3, 0.3, 121, dtype=torch.float64)
plane = torch.cartesian_prod(grid, grid)
far = (helpers.s_curve_oracle().log_prob(plane, None) - helpers.s_curve_oracle(nodes=4096).log_prob(plane, None)).abs().max().item()
print(f"256 nodes, log q_0 on a 121 x 121 grid over [-0.3, 0.3]^2: max |error| = {far:.0e} nats")
assert far < 1e-3

# %%
fig, ax = plt.subplots(figsize=(5.5, 3.5))
ax.semilogy(nodes, errors, "o-")
ax.set(xlabel="quadrature nodes", ylabel="max |error in log q_1|, nats", title="quadrature error at the first step")
plt.show()

# %% [markdown]
# With 8-point panels the error falls like $N^{-16}$: from 256 to 512 nodes it shrinks by about $2^{16}$. The helpers use
# 256 nodes (`helpers.quadrature()`): $3\cdot10^{-9}$ nats at these points. Far from the curve, where $q$ is tiny, the
# error grows: for $\log q_0$ on a grid over the plotting window it reaches the value printed last, still below the
# 0.001-nat resolution the lessons print. Later steps have wider Gaussians and need fewer nodes. The weights are those of an average over $u$, so they sum to 1, and they integrate $\cos u$ to rounding:

# %%
u_nodes, log_w = helpers.quadrature()
print(f"{len(u_nodes)} nodes, sum of weights - 1 = {log_w.exp().sum().item() - 1:.1e}")
assert abs(log_w.exp().sum().item() - 1) < 1e-12
assert abs((log_w.exp() * u_nodes.cos()).sum().item() - (-2 / (3 * math.pi))) < 1e-12  # E[cos u] = -2/(3 pi)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Resolving power
#
# Lesson 09 gives the sharp metrics' noise floor: ten data samples of 10 000 points each (the energy distance's from the
# benchmark's ten data samples, docs/benchmarks.md). The same floor here, for the scores below in floor standard deviations:

# %%
floors = [helpers.sharp_quality(helpers.s_curve(10_000, seed=100 + k), energy=False) for k in range(10)]
energy_floor = json.loads(Path("../benchmarks/results/cpu-2core.json").read_text())["data_floor"]["energy"]
print(f"off-curve {np.mean([q.off_curve for q in floors]):.2f} ± {np.std([q.off_curve for q in floors], ddof=1):.2f}, "
      f"coverage gap {np.mean([q.coverage_gap for q in floors]):.2f} ± {np.std([q.coverage_gap for q in floors], ddof=1):.2f} %, "
      f"energy {energy_floor['mean']:.3f} ± {energy_floor['sd']:.3f}")

# %% [markdown]
# Three clouds the metrics must tell from data: the data blurred by $\mathcal N(0, \beta_1 I)$ (the noise the reference recipe
# adds at its last sampling step, which `helpers.sample` omits, lesson 07), the data with the last 15 % of the curve
# missing ($u > 1.05\pi$, the lower end of the S), and the committed model's samples.

# %%
def z_score(value, name):
    values = [getattr(q, name) for q in floors]
    return (value - np.mean(values)) / np.std(values, ddof=1)


blurred = x0 + beta[0].sqrt() * torch.randn(x0.shape, generator=torch.Generator().manual_seed(5))
more, u_more = helpers.s_curve(12_000, seed=5, return_u=True)
cut = more[u_more < 0.7 * 1.5 * math.pi][:10_000]
model_samples = helpers.sample(model, schedule, 10_000, generator=torch.Generator().manual_seed(1), sigma="beta_tilde")
clouds = {"data blurred by sqrt(beta_1)": blurred, "last 15% of the S missing": cut, "model, sigma^2 = beta~": model_samples}
quality = {name: helpers.sharp_quality(cloud) for name, cloud in clouds.items()}
print(f"{'':30s} {'off-curve':>10s} {'stray %':>8s} {'gap %':>7s} {'NLL':>7s} {'energy':>7s}")
for name, q in quality.items():
    print(f"{name:30s} {q.off_curve:10.2f} {q.stray:8.2f} {q.coverage_gap:7.1f} {q.nll:7.3f} {q.energy:7.3f}")

# %%
q_blur, q_cut = quality["data blurred by sqrt(beta_1)"], quality["last 15% of the S missing"]
print(f"blur: off-curve {z_score(q_blur.off_curve, 'off_curve'):.0f} floor s.d. above data; "
      f"energy {(q_blur.energy - energy_floor['mean']) / energy_floor['sd']:.1f} floor s.d.")
print(f"cut:  coverage gap {z_score(q_cut.coverage_gap, 'coverage_gap'):.0f} floor s.d. above data; energy {q_cut.energy:.2f}")
assert z_score(q_blur.off_curve, "off_curve") > 8 and z_score(q_cut.coverage_gap, "coverage_gap") > 8

# %% [markdown]
# The energy distance misses the blur (it stays within about one standard deviation of its data-vs-data floor); the
# off-curve RMS sees it at many floor standard deviations. A missing end is caught by both, but the coverage gap says *what* is
# wrong. The model's samples sit measurably off the curve, with a few tenths of a per cent of strays; the energy
# distance gives them about 0.1, a few times its spread, and cannot say what is wrong.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The finite-set optimum memorises
#
# Training never sees the curve, only a finite set of points. The loss's exact minimiser *for that set* treats the
# data as Dirac points: $\mathbb{E}[\mathbf{x}_0\mid\mathbf{x}_t]$ is a softmax-weighted average of the training points, with weights
# $\propto \exp(-\lVert\mathbf{x}_t - \sqrt{\bar\alpha_t}\mathbf{x}_0^{(i)}\rVert^2 / 2(1-\bar\alpha_t))$ (`helpers.training_set_oracle`).
# Sampled with it, a 100-point training set comes back nearly as itself: compare the distance from each sample to its
# nearest training point with that of fresh data.

# %%
def median_nearest(cloud, train):
    return torch.cdist(cloud.double(), train.double()).min(1).values.median().item()


small = x0[:100]
memorised = helpers.sample(helpers.training_set_oracle(small, schedule), schedule, 1_000,
                           generator=torch.Generator().manual_seed(4), sigma="beta_tilde")
fresh_small = median_nearest(helpers.s_curve(1_000, seed=31), small)
ratio_memorised = median_nearest(memorised, small) / fresh_small
print(f"100 training points: median distance to the nearest one, finite-set optimum / fresh data = {ratio_memorised:.2f}")
assert ratio_memorised < 0.3

# %% [markdown]
# With all 10 000 points the nearest-point distances cannot tell copying from generalising at this schedule's
# resolution: the finest noise level it denoises, $\sqrt{1-\bar\alpha_1}$ (printed below), is wider than the median gap
# between neighbouring training points, so even the finite-set optimum's last step averages several of them: distances
# to the nearest training point say little at this resolution.
#
# Ask the network directly instead. At step 1 the two optima differ: the population one, $\boldsymbol\epsilon^*$, knows the curve;
# the finite-set one knows only the 10 000 points. Noise training points to step 1 and measure which of the two the
# network's prediction is closer to (RMS over 2 000 points, five noise seeds, paired by construction):

# %%
finite = helpers.training_set_oracle(x0, schedule)
gap = torch.cdist(x0.double(), x0.double()).topk(2, largest=False).values[:, 1].median().item()
print(f"sqrt(1 - alpha_bar_1) = {(1 - alpha_bar[0]).sqrt().item():.4f}; median gap between neighbouring training points {gap:.4f}")


def step_one_predictions(seed):
    xt = helpers.q_sample(x0[:2_000], 0, schedule, generator=torch.Generator().manual_seed(seed)).double()
    with torch.no_grad():
        return model(xt.float(), 0).double(), oracle(xt, 0), finite(xt, 0)


def rms(a, b):
    return (a - b).pow(2).sum(1).mean().sqrt().item()


closer = helpers.compare(lambda k: rms(*step_one_predictions(k)[:2]), lambda k: rms(*step_one_predictions(k)[::2]),
                         names=("to eps*", "to finite-set eps"))
print(closer)
optima_apart = min(rms(*step_one_predictions(k)[1:]) for k in range(5))
xt_10 = helpers.q_sample(x0[:2_000], 9, schedule, generator=torch.Generator().manual_seed(0)).double()
print(f"the two optima differ by an RMS of at least {optima_apart:.3f} at step 1, {rms(oracle(xt_10, 9), finite(xt_10, 9)):.3f} at step 10")
assert closer.a_better and max(closer.a) < 0.5 * min(closer.b)

# %% [markdown]
# On every seed the network's step-1 prediction is about twice as close to the population optimum as to the finite-set
# one, whose own distance from $\boldsymbol\epsilon^*$ is about as large: the network has not learned its training points
# as points. A network that copied would sit on the finite-set optimum and fail this check (planted in
# tests/test_planted_errors.py). At larger $t$ the two optima merge (printed above: by step 10 their RMS gap is about a quarter of step 1's),
# so only the finest steps can tell them apart.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - 256 Gauss–Legendre nodes, in 8-point panels on the curve's two smooth halves, give $\log q_1$ to $3\cdot10^{-9}$ nats at
#   points drawn from $q_1$; the error falls like $N^{-16}$ and grows far from the curve, to below $10^{-4}$ nats anywhere in
#   the plotting window.
# - The off-curve RMS sees a blur that the energy distance misses; the coverage gap sees a missing end and says what is
#   wrong.
# - The finite-set optimum of 100 points returns its training points; the trained network's step-1 prediction is
#   closer to the population optimum $\boldsymbol\epsilon^*$ than to the finite-set one on every seed.
#
# **References.** Kadkhodaie et al. 2024, "Generalization in diffusion models arises from geometry-adaptive harmonic
# representations" (memorisation against generalisation); Székely & Rizzo 2013 (the energy distance).
