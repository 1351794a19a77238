# %% [markdown] slideshow={"slide_type": "slide"}
# # Lesson 12, appendix — Straight paths, a steadier speed, the sampling grid, and the race on each sampler's own grid
#
# Four measurements that [lesson 12](12_flow_matching.ipynb) moved out of its main line, each as it was there. First how
# straight the exact flow's paths are, in the flow's coordinates and in the DDPM state's, and what that does to Euler's and
# Heun's errors. Then the trained network sampled on equal and on shifted time grids. Last, the race of lesson 12 with each
# sampler on its own best grid. From lesson 12: the straight path $\mathbf{x}_s = (1-s)\mathbf{x}_0 + s\boldsymbol\epsilon$, the exact field
# $\mathbf{v}^*$ (`helpers.FlowOracle`), the DDPM state $\mathbf{x}_\text{DDPM} = \mathbf{x}_s/\psi(s)$ with $\psi(s)^2 = (1-s)^2 + s^2$, the shifted grid
# `helpers.flow_grid(n_steps, shift)` and the race's committed results. Nothing is trained here.

# %%
import json
import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from scipy.integrate import solve_ivp

import helpers

torch.manual_seed(0)
x0 = helpers.s_curve(10_000)
mixture = helpers.s_curve_oracle()
oracle = helpers.FlowOracle(mixture)
net = helpers.load_model(helpers.COMMITTED_CHECKPOINT.parent / "flow_net.pt")


def seeded(k):
    return torch.Generator().manual_seed(k)


def psi(s):
    return ((1 - s) ** 2 + s**2) ** 0.5


# The same noise draws as lesson 12, so that every number below is the one it printed.
eps = torch.randn(10_000, 2, generator=seeded(2))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Straightness
#
# Take the *same* exact ODE in two sets of coordinates, on the same time grid: the flow's $\mathbf{x}_s$, and the DDPM (variance-
# preserving) state $\mathbf{x}_\text{DDPM} = \mathbf{x}_s/\psi(s)$, whose velocity is $\mathbf{v}^*(\psi\mathbf{x}_\text{DDPM}, s)/\psi - \mathbf{x}_\text{DDPM}\,\psi'/\psi$ with $\psi' = (2s - 1)/\psi$. Two measures of straightness, on 200
# fine steps from $s = 1$ to 0.01, for 200 points: the **shape**, chord over arc length (1 for a straight line); and the **velocity
# deviation**, how far the velocity strays from the constant one that would cover the chord in the same time, averaged over
# time, $\frac{1}{\Delta s}\mathbb E\!\int\|\mathbf{v} - \text{chord}/\Delta s\|^2 ds$, relative to $\mathbb E\|\text{chord}/\Delta s\|^2$ (Liu et al. 2023's straightness, normalised). Euler's method is
# exact when the deviation is 0. First, a check that the DDPM-coordinate velocity is lesson 10's ODE, written from $\boldsymbol\epsilon^*$:
# with $\mathbf{x}_\text{DDPM} = \sqrt{\bar\alpha}\,\mathbf{y}$, $\dfrac{d\mathbf{x}_\text{DDPM}}{ds} = \dfrac{d\log\sqrt{\bar\alpha}}{ds}\,\mathbf{x}_\text{DDPM} + \sqrt{\bar\alpha}\,\boldsymbol\epsilon^*\,\dfrac{d\nu}{ds}$, $\dfrac{d\nu}{ds} = \dfrac{1}{(1-s)^2}$.

# %%
def vp_velocity(x, s):
    scale = psi(s)
    return oracle(scale * x, s) / scale - x * (2 * s - 1) / scale**2


def ddpm_state_velocity(x, s):
    """The same ODE written from lesson 09's eps*: x = sqrt(alpha_bar) y with dy/dnu = eps* and nu = s / (1 - s)."""
    ab = helpers.alpha_bar_of(s).item()
    d_log_sqrt_ab = -1 / (1 - s) - (2 * s - 1) / psi(s) ** 2
    return d_log_sqrt_ab * x + ab**0.5 * mixture(x, None, alpha_bar=ab) / (1 - s) ** 2


vp_gap = max(((vp_velocity(x, s) - ddpm_state_velocity(x, s)).norm(dim=1) / vp_velocity(x, s).norm(dim=1)).max().item()
             for s in (0.05, 0.5, 0.9) for x in [helpers.flow_path(x0[:500], s, eps[:500]).double() / psi(s)])
print(f"velocity of x_s / ψ(s) vs the DDPM ODE from eps*: max relative gap {vp_gap:.0e}")
assert vp_gap < 1e-8


# `helpers.straightness(chain, times)` computes both. Checked on paths whose answers are known: a straight line at a
# steady pace gives (1, 0), and a quarter circle at a steady pace gives chord/arc $2\sqrt2/\pi$ and deviation $\pi^2/8 - 1$.
arc_times = torch.linspace(0, 1, 2001, dtype=torch.float64)
angle = arc_times * math.pi / 2
quarter = torch.stack([angle.cos(), angle.sin()], -1)[:, None, :]
line = torch.stack([arc_times, 2 * arc_times], -1)[:, None, :]
assert abs(helpers.straightness(line, arc_times)[0] - 1) < 1e-12 and helpers.straightness(line, arc_times)[1] < 1e-20
quarter_shape, quarter_deviation = helpers.straightness(quarter, arc_times)
assert abs(quarter_shape - 2 * 2**0.5 / math.pi) < 1e-6 and abs(quarter_deviation - (math.pi**2 / 8 - 1)) < 1e-6


fine = torch.linspace(1, 0.01, 201, dtype=torch.float64)
noise_start = torch.randn(200, 2, generator=seeded(5), dtype=torch.float64)
paths = {"flow matching, x_s": helpers.flow_solve(oracle, noise_start, fine, "heun", keep_chain=True),
         "DDPM (VP), x_s / ψ(s)": helpers.flow_solve(vp_velocity, noise_start, fine, "heun", keep_chain=True)}
measures = {name: helpers.straightness(chain, fine) for name, chain in paths.items()}
fig, axes = plt.subplots(1, 2, figsize=(10, 4.8))
for ax, (name, chain) in zip(axes, paths.items()):
    ax.plot(chain[:, :60, 0], chain[:, :60, 1], color="C0", linewidth=0.6)
    ax.scatter(*chain[-1].T, s=4, color="C3")
    ax.set(aspect="equal", title=f"{name}\nchord/arc {measures[name][0]:.3f}, velocity deviation {measures[name][1]:.3f}")
fig.tight_layout()
plt.show()
(shape_fm, dev_fm), (shape_vp, dev_vp) = measures.values()
assert abs(shape_fm - shape_vp) < 0.01 and dev_vp > 3 * dev_fm
# The DDPM state's mean speed over the 200 paths, against the pace that covers the mean chord in the same time.
vp_chain = paths["DDPM (VP), x_s / ψ(s)"]
speed = ((vp_chain[1:] - vp_chain[:-1]).norm(dim=-1) / (fine[:-1] - fine[1:])[:, None]).mean(1)
pace = speed / ((vp_chain[-1] - vp_chain[0]).norm(dim=-1).mean() / (fine[0] - fine[-1]))
peak = pace.argmax().item()
print(f"chord/arc: flow {shape_fm:.3f}, DDPM state {shape_vp:.3f}; the DDPM state's speed peaks at "
      f"{pace[peak].item():.2f} times the chord's pace, at s = {(fine[peak] + fine[peak + 1]).item() / 2:.2f}")

# %% [markdown]
# In shape the two views are alike (chord/arc within 0.01, printed above): both paths run almost straight and turn onto the
# curve at the end. They differ in speed. The flow covers its path at a steady pace; the DDPM state starts almost at rest at
# $s = 1$ (its velocity there is $-\mathbb E[\mathbf{x}_0] \approx 0$), speeds up to the peak printed above, before the middle of the path,
# and slows again near the data. So its velocity deviation is several times the flow's (the titles). Neither path was
# straightened: rectified flow (Liu et al. 2023) makes paths straighter by *reflow*, training again on the pairs of noise and
# the sample the first flow carries it to (lesson 16). Here the paths are the first flow's.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Steadier paths, same orders
#
# Lesson 10's experiment for both views: from 100 noise points, $N$ equal steps from $s = 1$ to $s = 0.05$ with Euler and Heun,
# each in its own coordinates, against `solve_ivp`'s solution. The DDPM state's end point is mapped back to $\mathbf{x}_s = \psi\,\mathbf{x}_\text{DDPM}$, so both
# errors are measured in the same units. (Euler here, on $\mathbf{x}_\text{DDPM}$ in $s$, is not DDIM: DDIM is Euler in the flow's coordinates, as
# lesson 12's check 4 showed.) The check: the fitted orders are about 1 and 2.

# %%
s_end, n_list = 0.05, np.array([8, 16, 32, 64, 128])
starts = noise_start[:100]
order_errors, orders = {}, {}
for name, field, scale in (("flow matching", oracle, 1.0), ("DDPM (VP)", vp_velocity, psi(s_end))):
    exact_end = solve_ivp(lambda s, x: field(torch.from_numpy(x).reshape(-1, 2), s).numpy().ravel(), (1.0, s_end),
                          starts.numpy().ravel(), method="DOP853", rtol=1e-11, atol=1e-13).y[:, -1].reshape(-1, 2)
    for method in ("euler", "heun"):
        err = np.array([(helpers.flow_solve(field, starts, torch.linspace(1, s_end, n + 1, dtype=torch.float64), method)
                         - torch.from_numpy(exact_end)).norm(dim=1).pow(2).mean().sqrt().item() * scale for n in n_list])
        order_errors[name, method] = err
        orders[name, method] = -np.polyfit(np.log(n_list), np.log(err), 1)[0]
        print(f"{name:14s} {method:5s}: order {orders[name, method]:.2f}; RMS error at {n_list.tolist()} steps: "
              + " ".join(f"{e:.1e}" for e in err))
assert all(abs(orders[key] - (1 if key[1] == "euler" else 2)) < (0.15 if key[1] == "euler" else 0.25) for key in orders)

# %%
fig, ax = plt.subplots(figsize=(6.5, 4.2))
for (name, method), err in order_errors.items():
    nfe = n_list if method == "euler" else 2 * n_list
    ax.loglog(nfe, err, "o-" if name == "flow matching" else "s--", color="C0" if method == "euler" else "C1",
              label=f"{method.capitalize()}, {name}")
ax.set(xlabel="network evaluations (NFE)", ylabel="RMS error of x_s at s = 0.05", title="the solver's error with the exact field")
ax.legend()
plt.show()
ratio = {method: order_errors["DDPM (VP)", method] / order_errors["flow matching", method] for method in ("euler", "heun")}
print(f"error ratio DDPM (VP) / flow matching at {n_list.tolist()} steps: "
      + "; ".join(f"{method.capitalize()} " + " ".join(f"{r:.2f}" for r in ratio[method]) for method in ratio))
assert (ratio["heun"] > 1.05).all() and ratio["euler"][0] > 1.05 and (ratio["euler"][2:] < 1).all()

# %% [markdown]
# Same orders in both views. Heun's error is smaller in the flow's coordinates at every step count, by the ratios printed
# (falling towards about 1.1 as the steps shrink); Euler's is smaller only with few steps, and from 32 steps on it is a few
# per cent *larger* than on the DDPM state. The factors are modest although the velocity deviation differs several-fold:
# most of the DDPM state's extra deviation is made on the noisy half of the path (its slow start near $s = 1$ and its speed-up
# around $s = \tfrac12$), where the field is smooth and easy to follow, while the error at $s = 0.05$ is made in the last stretch,
# where the paths turn onto the curve and the two views nearly coincide ($\psi(0.05) = 0.95$).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The trained network on equal and shifted grids
#
# `helpers.flow_sample` integrates from $N(0, I)$ at $s = 1$ to $s = 0$ on lesson 12's grid `helpers.flow_grid(n_steps, shift)`:
# shift $\zeta = 1$ gives equal steps, and $\zeta < 1$ crowds the steps towards the data (printed below for $N = 10$). Sharp metrics
# (lesson 09) of 10 000 samples, lesson 12's committed network and the exact field, same start:

# %%
def zeta_text(shift):
    """A shift as lesson 12 writes it: 1, 1/8, 1/16."""
    return "1" if shift == 1 else f"1/{round(1 / shift)}"


for shift in (1.0, 0.125):
    print(f"10 steps, ζ = {zeta_text(shift):3s}: s = " + " ".join(f"{s:.3f}" for s in helpers.flow_grid(10, shift).tolist()))
start = torch.randn(10_000, 2, generator=seeded(2))
print(f"{'':8s} {'steps':>5s} {'ζ':>6s} {'NFE':>4s} | network: off-curve stray %  gap % | exact field: off-curve stray %")
for method in ("euler", "heun"):
    for shift in (1.0, 0.125):
        for n_steps in (10, 50):
            q_net = helpers.sharp_quality(helpers.flow_sample(net, 10_000, n_steps, method, shift, x1=start), energy=False)
            q_oracle = helpers.sharp_quality(helpers.flow_sample(oracle, 10_000, n_steps, method, shift, x1=start.double()).float(),
                                             energy=False)
            nfe = n_steps * (1 if method == "euler" else 2)
            print(f"{method:8s} {n_steps:5d} {zeta_text(shift):>6s} {nfe:4d} | {q_net.off_curve:17.2f} {q_net.stray:7.2f} "
                  f"{q_net.coverage_gap:6.2f} | {q_oracle.off_curve:21.2f} {q_oracle.stray:7.2f}")

# %% [markdown]
# On equal steps, 10 Euler steps leave the samples far off the curve even with the exact field: the last step, from
# $s = 0.1$ to 0, crosses the region where the field changes fastest. Crowding the steps towards the data fixes most of it
# at no extra cost: with the exact field, strays fall to 0.1 % or fewer. Off-curve *below* the data's value, about 10 (lesson 09),
# means samples sharper than the data: Euler's error pulls them onto the curve. Heun on 50 shifted steps gives 10.05.
# Wherever the exact field's samples come close to the data (shifted steps, or 50 steps), the network's stay at 16.1–18.5
# with 1.6–3.8 % strays: that is the network's own error.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The race on each sampler's own best grid
#
# Lesson 12's race compared the samplers on one shared grid, from one start, so that the exact field's floor was common.
# Each sampler on its *own* best grid is a different question, since the grids' floors differ as well. A grid is named by
# its start ($s_T$, DDPM's prior, or $s = 1$, pure noise) and its shift $\zeta$. The race's committed results
# (`benchmarks/flow_race.py`), compared seed by seed by the calibrated rule:

# %%
race = json.loads(Path("../benchmarks/results/flow-race-cpu-2core.json").read_text())
DATA_OFF = race["data_floor"]["off_curve"]["mean"]
NEAR, DDIM = ("FM, s near data", "Euler"), ("DDPM", "DDIM")


def race_numbers(who, grid, budget, metric="off_curve", floor=False):
    """{seed: number} of one recipe and sampler on one grid; with floor, the same sampler with the exact field."""
    rows = race["floors"] if floor else [r for r in race["runs"] if r["recipe"] == who[0]]
    return {r["seed"]: r[metric] for r in rows if (r["sampler"], r["grid"], r["budget"]) == (who[1], grid, budget)}


def off_error(numbers):
    return {seed: abs(value - DATA_OFF) for seed, value in numbers.items()}


def race_compare(a, b, names):
    return helpers.compare(lambda seed: a[seed], lambda seed: b[seed], seeds=race["seeds"], names=names)


def grid_name(grid):
    """A grid of the race ('1, shift 0.0625') as lesson 12 names it: from s = 1, ζ = 1/16."""
    start, shift = grid.split(", shift ")
    return f"from {'s_T' if start == 's_T' else 's = ' + start}, ζ = {zeta_text(float(shift))}"


# %%
best = {(b["recipe"], b["sampler"]): b["grid"] for b in race["best_grid"]}
print(f"FM near data's Euler ({grid_name(best[NEAR])}) against DDIM ({grid_name(best[DDIM])}): mean difference, 95 % interval (verdict)")
own_grid = {}
for budget in race["budgets"]:
    own_grid[budget] = [race_compare(off_error(race_numbers(NEAR, best[NEAR], budget, floor=floor)),
                                     off_error(race_numbers(DDIM, best[DDIM], budget, floor=floor)), names)
                        for floor, names in ((False, ("FM near data", "DDIM")), (True, ("Euler", "DDIM")))]
    print(f"{budget:4d} NFE: " + "; ".join(f"{what} {c.mean:+5.2f} [{c.interval[0]:+5.2f}, {c.interval[1]:+5.2f}] ({c.verdict})"
                                       for what, c in zip(("networks", "exact-field floors"), own_grid[budget])))
assert all(own_grid[b][1].a_better for b in race["budgets"]) and all(own_grid[b][0].a_better for b in race["budgets"][1:])

# %% [markdown]
# There the flow (from $s = 1$, $\zeta = 1/16$) is ahead by 0.4–1.6 from 10 NFE on (intervals below 0), but its grid's floor is ahead by
# 0.6–1.2 too: about as much. Most of that comparison measures the grids, not the networks; lesson 12's same-grid race does not.
#
# **References.** X. Liu, C. Gong, Q. Liu, "Flow straight and fast: learning to generate and transfer data with rectified
# flow", ICLR 2023 (straightness and reflow, §2); P. Esser et al., "Scaling rectified flow transformers for high-resolution
# image synthesis", ICML 2024 (§5.3.2, shifted time steps).
