# %% [markdown] slideshow={"slide_type": "slide"}
# # Lesson 10 — Fewer steps: DDIM, the probability-flow ODE and Heun
#
# **Goal.** Lesson 07's sampler calls the network once per step, 100 times. Here we sample with the *same*
# trained network in fewer calls. DDIM (Song, Meng & Ermon 2021) is a family of samplers, indexed by $\eta$, that
# reuses an $\boldsymbol\epsilon$-model on any subsequence of steps. With $\eta = 0$ it is deterministic: Euler's method on an
# ordinary differential equation, the probability-flow ODE. Heun's method (Karras et al. 2022) solves that ODE
# to second order. With lesson 09's exact score we measure the orders of convergence, then decide, over ten seeds, the
# fewest network evaluations (NFE) that sample as well as the 100-step sampler.
#
# **What you need from earlier lessons.** Lesson 07: the reverse step ($\sigma_t^2 = \beta_t$ or $\tilde\beta_t$) and the calibrated
# rule (`helpers.compare`). Lesson 09: the oracle ($\boldsymbol\epsilon^* = -\sqrt{1-\bar\alpha_t}\,\nabla\log q_t$, the exact $\log q_t$), the sharp
# metrics' data floor, and that the stochastic sampler forgets a wrong start. Lesson 08: the committed network, loaded
# here; nothing is trained.
#
# **Assumes.** Lessons 07–09.

# %% slideshow={"slide_type": "subslide"}
import json
import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from ipywidgets import FloatSlider, IntSlider, interact
from scipy.integrate import solve_ivp

import helpers

torch.manual_seed(0)
schedule = helpers.sigmoid_schedule(100)
T, beta, alpha_bar = schedule.T, schedule.beta, schedule.alpha_bar
x0, u0 = helpers.s_curve(10_000, return_u=True)
model = helpers.load_model(helpers.COMMITTED_CHECKPOINT)
oracle = helpers.s_curve_oracle(schedule)
floors = [helpers.sharp_quality(helpers.s_curve(10_000, seed=100 + k), energy=False) for k in range(10)]
floor_sd = {name: np.std([getattr(q, name) for q in floors], ddof=1) for name in ("off_curve", "coverage_gap")}

# %% [markdown] slideshow={"slide_type": "slide"}
# ## DDIM: one update for a whole family of samplers
#
# From step $t$ to any earlier step $s$ (the paper's $\tau_i \to \tau_{i-1}$), predict $\mathbf{x}_0$, then re-noise it to step $s$ with
# part of the predicted noise and part fresh noise (Song, Meng & Ermon 2021, eq. 12):
#
# $$\hat{\mathbf{x}}_0 = \frac{\mathbf{x}_t - \sqrt{1-\bar\alpha_t}\,\boldsymbol\epsilon_\theta(\mathbf{x}_t, t)}{\sqrt{\bar\alpha_t}},\qquad
#   \mathbf{x}_s = \sqrt{\bar\alpha_s}\,\hat{\mathbf{x}}_0 + \sqrt{1-\bar\alpha_s-\sigma^2}\;\boldsymbol\epsilon_\theta(\mathbf{x}_t, t) + \sigma\mathbf{z},$$
#
# $$\sigma = \eta\,\sqrt{\frac{1-\bar\alpha_s}{1-\bar\alpha_t}}\,\sqrt{1-\frac{\bar\alpha_t}{\bar\alpha_s}}\quad\text{(their eq. 16)}.$$
#
# Training never sees $s$ or $\eta$: any network trained with $L_\text{simple}$ can be sampled this way. The last step, to
# $\bar\alpha = 1$, returns $\hat{\mathbf{x}}_0$.

# %%
def ddim_step(x, eps, ab_t, ab_s, eta=0.0, z=None):
    x0_hat = (x - (1 - ab_t) ** 0.5 * eps) / ab_t**0.5
    sigma = eta * ((1 - ab_s) / (1 - ab_t) * (1 - ab_t / ab_s)) ** 0.5 if eta else 0.0  # 0/0 at ab_t = 1 (inversion)
    x_s = ab_s**0.5 * x0_hat + (1 - ab_s - sigma**2) ** 0.5 * eps
    return x_s if z is None else x_s + sigma * z


x, eps, z = torch.randn(3, 500, 2, dtype=torch.float64)
for ab_t, ab_s, eta in ((0.8, 0.9, 0.0), (0.8, 0.95, 0.5), (0.999, 1.0, 1.0)):
    torch.testing.assert_close(ddim_step(x, eps, ab_t, ab_s, eta, z), helpers.ddim_step(x, eps, ab_t, ab_s, eta, z))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Check 1: $\eta = 1$ on the full sequence is lesson 07's sampler with $\sigma_t^2 = \tilde\beta_t$
#
# On consecutive steps $s = t - 1$, $1 - \bar\alpha_t/\bar\alpha_{t-1} = \beta_t$, so $\sigma^2$ with $\eta = 1$ is
# $\frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\beta_t = \tilde\beta_t$ (eq. 16), and the mean becomes the posterior mean of lesson 07.
# In float64, per step, against `helpers.reverse_mean` and `helpers.reverse_sigma`:

# %%
schedule64 = helpers.schedule_from_beta(beta.double())
ab64 = torch.cat([torch.ones(1, dtype=torch.float64), schedule64.alpha_bar])  # ab64[t + 1] = alpha_bar_t, ab64[0] = 1


def eta_one_gaps(step):
    """Largest gaps, over all steps, between step(eta=1) and lesson 07's posterior mean and noise sqrt(beta~_t) z."""
    mean_gap = sigma_gap = 0.0
    for t in range(T):
        mean = step(x, eps, ab64[t + 1].item(), ab64[t].item(), 1.0)
        mean_gap = max(mean_gap, (mean - helpers.reverse_mean(eps, x, t, schedule64)).abs().max().item())
        noise_part = step(x, eps, ab64[t + 1].item(), ab64[t].item(), 1.0, z) - mean
        sigma_gap = max(sigma_gap, (noise_part - helpers.reverse_sigma(t, schedule64, "beta_tilde") * z).abs().max().item())
    return mean_gap, sigma_gap


mean_gap, sigma_gap = eta_one_gaps(ddim_step)
print(f"over all {T} steps: max |DDIM(eta=1) mean - posterior mean| = {mean_gap:.0e}, "
      f"max |DDIM(eta=1) noise - sqrt(beta~) z| = {sigma_gap:.0e}")
assert mean_gap < 1e-12 and sigma_gap < 1e-12

# %% [markdown]
# `helpers.sample_steps` runs any of these samplers on a subsequence of steps, drawing its noise on the CPU in the
# same order as `helpers.sample`. So on all 100 steps it must give lesson 07's samples for the same seed: DDIM with
# $\eta = 1$ those with $\tilde\beta_t$, and `"ddpm"` (the posterior mean with noise $\sqrt{\beta_t}$) those with $\beta_t$, up to float32
# rounding. With $\eta = 0$ no noise is drawn: two seeds give identical samples.

# %%
def seeded(k):
    return torch.Generator().manual_seed(k)


# %%
pairs = {
    "ddim, eta = 1 vs sigma^2 = beta~": (helpers.sample_steps(model, schedule, 2_000, T, "ddim", eta=1.0, generator=seeded(3)),
                                         helpers.sample(model, schedule, 2_000, generator=seeded(3), sigma="beta_tilde")),
    "ddpm vs sigma^2 = beta": (helpers.sample_steps(model, schedule, 2_000, T, "ddpm", generator=seeded(3)),
                               helpers.sample(model, schedule, 2_000, generator=seeded(3), sigma="beta")),
}
for name, (a, b) in pairs.items():
    print(f"{name}: max difference {(a - b).abs().max().item():.0e}")
    assert (a - b).abs().max() < 1e-3
same_start = helpers.gaussian_prior(x0, schedule, 2_000, generator=seeded(2))
deterministic = [helpers.sample_steps(model, schedule, 2_000, 20, "ddim", generator=seeded(k), x_T=same_start) for k in (4, 5)]
assert torch.equal(*deterministic)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## $\eta = 0$ is Euler's method on the probability-flow ODE
#
# Divide the update with $\eta = 0$ by $\sqrt{\bar\alpha_s}$ and write $\mathbf{y} = \mathbf{x}/\sqrt{\bar\alpha}$ and $\nu = \sqrt{(1-\bar\alpha)/\bar\alpha}$ (the noise-to-signal ratio; Karras et al. call it $\sigma$, but here $\sigma_t$ is the std of the noise a reverse step adds):
#
# $$\mathbf{y}_s = \mathbf{y}_t + (\nu_s - \nu_t)\,\boldsymbol\epsilon_\theta(\mathbf{x}_t, t).$$
#
# That is one Euler step of $\dfrac{d\mathbf{y}}{d\nu} = \boldsymbol\epsilon_\theta$ (Song, Meng & Ermon 2021, §4.3, eq. 14). Note $\mathbf{y} = \mathbf{x}_0 + \nu\boldsymbol\epsilon$: in these
# variables the forward process only adds noise of std $\nu$, Karras et al.'s "variance exploding" form. With the exact $\boldsymbol\epsilon^* = -\sqrt{1-\bar\alpha}\,\nabla_{\mathbf{x}}\log q_t$ (lesson 09) and
# $\nabla_{\mathbf{y}}\log p(\mathbf{y};\nu) = \sqrt{\bar\alpha}\,\nabla_{\mathbf{x}}\log q_t$ for the density of $\mathbf{y}$, the right-hand side is $-\nu\nabla_{\mathbf{y}}\log p(\mathbf{y};\nu)$: Karras et al.
# (2022), eq. 1 with their $\sigma(\tau) = \tau$. Its solutions carry $q_T$ to $q_0$ exactly, with no noise. **Heun's method**
# (their Algorithm 1) takes the Euler step, evaluates the slope at its end, and redoes the step with the average slope:
# two network calls per step, except one at a last step to $\nu = 0$ (the network has no input there; we keep the
# Euler step). So $N$ steps to $\mathbf{x}_0$ cost $2N - 1$ calls.
#
# Check 2: the DDIM step with $\boldsymbol\epsilon^*$ is the Euler step of Karras's eq. 1 computed from the oracle's *score*:

# %%
def nu_of(ab):
    return ((1 - ab) / ab) ** 0.5


def euler_from_score(x, t, s):
    ab_t, ab_s = alpha_bar[t].double().item(), alpha_bar[s].double().item()
    y = x / ab_t**0.5
    slope = -nu_of(ab_t) * ab_t**0.5 * oracle.score(x, t)  # -nu grad_y log p(y; nu)
    return ab_s**0.5 * (y + (nu_of(ab_s) - nu_of(ab_t)) * slope)


def euler_gap(step):
    xt = helpers.q_sample(x0[:2000], 60, schedule).double()
    ddim = step(xt, oracle(xt, 60), alpha_bar[60].double().item(), alpha_bar[40].double().item())
    return (ddim - euler_from_score(xt, 60, 40)).abs().max().item()


gap = euler_gap(helpers.ddim_step)
print(f"DDIM(eta=0) step 61 -> 41 vs the Euler step from the score: max gap {gap:.0e}")
assert gap < 1e-12

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The ODE needs the right start
#
# This schedule ends at $\bar\alpha_T$ printed below, so $\mathbf{x}_T$'s std per coordinate is about 0.5, not 1 (lessons 02 and 09).
# Lesson 09 found that the stochastic sampler forgets a wrong start, because each step adds fresh noise. The ODE forgets
# nothing: it is a one-to-one map, so a start twice too wide becomes samples with too much mass far from the curve. The
# exact network (the oracle) fails too, so the start is the cause; the trained network, asked about points unlike any it
# was trained on, makes it much worse:

# %%
start_wide = torch.randn(10_000, 2, generator=seeded(2))
start_matched = helpers.gaussian_prior(x0, schedule, 10_000, generator=seeded(2))
print(f"alpha_bar_T = {alpha_bar[-1].item():.3f}")

# %%
print(f"{'start':22s} {'sampler':10s} {'network':>20s} {'oracle':>20s}   (off-curve, stray %)")
for start_name, x_T in (("N(0, I)", start_wide), ("q(x_T)'s moments", start_matched)):
    for method in ("ddpm", "ddim"):
        row = []
        for net in (model, oracle):
            q = helpers.sharp_quality(helpers.sample_steps(net, schedule, 10_000, T, method, generator=seeded(3), x_T=x_T), energy=False)
            row.append(f"{q.off_curve:10.2f} {q.stray:8.2f}")
        print(f"{start_name:22s} {method + ', 100':10s} {row[0]:>20s} {row[1]:>20s}")

# %% [markdown]
# From $\mathcal N(0, I)$ the ODE sends 17 % of the network's samples more than 0.05 (five times the data's noise) off the
# curve, and the oracle's ODE fails too. From the Gaussian with $q(\mathbf{x}_T)$'s mean and covariance (`helpers.gaussian_prior`) the ODE's
# samples sit at least as close to the curve as the stochastic sampler's, with about as many strays (off-curve 11.28
# against 12.25, stray 0.62 % against 0.61 %). From here on every sampler starts from that Gaussian, with the same
# draws. The readable version of the helper, checked:

# %%
mean_T = alpha_bar[-1].sqrt() * x0.mean(0)
cov_T = alpha_bar[-1] * torch.cov(x0.T) + (1 - alpha_bar[-1]) * torch.eye(2)
readable = mean_T + torch.randn(10_000, 2, generator=seeded(2)) @ torch.linalg.cholesky(cov_T).T
torch.testing.assert_close(readable, start_matched)

# %% [markdown] slideshow={"slide_type": "notes"}
# **Instructor's note.** Before showing the table, ask: which sampler cares more about a wrong start, the stochastic one or the ODE? Most say
# the stochastic one, "it is noisier". The ODE is the fragile one: a one-to-one map carries N(0, I)'s excess in q(x_T)'s
# tails, as excess, to wherever it takes those tails. The oracle row rules out the network.

# %% [markdown]
# Check 2 confirms the algebra (it reduces to $\nu\sqrt{\bar\alpha} = \sqrt{1-\bar\alpha}$), not the theory. The theory says more: a
# deterministic flow keeps every marginal of the noisy process. Why should a flow with no noise at all do that?
#
# In $\mathbf{y}$ and $\nu$ the forward process is a **stochastic differential equation** (SDE): each small step $d\nu$ adds fresh
# Gaussian noise, $d\mathbf{y} = g\sqrt{d\nu}\,\mathbf{z}$ with $\mathbf{z}\sim\mathcal N(0, I)$ and $g = \sqrt{2\nu}$, so that the variance $\nu^2$ grows by
# $g^2 d\nu$. It has no **drift** (the deterministic part of a step). How an SDE's density changes is
# its **Fokker–Planck equation**; here, the heat equation $\partial_\nu p = \tfrac12 g^2\nabla^2 p$. Moving points *deterministically*
# with a velocity $\mathbf{v}$ changes a density only through its flux: $\partial_\nu p = -\nabla\cdot(p\,\mathbf{v})$ (the continuity
# equation). Spreading is such a flux too, a flow *down* the density: $\tfrac12 g^2\nabla^2 p = -\nabla\cdot\big(p\cdot(-\tfrac12 g^2\nabla\log p)\big)$.
# So Fokker–Planck is a continuity equation with velocity $-\tfrac12 g^2\nabla_{\mathbf{y}}\log p = -\nu\nabla_{\mathbf{y}}\log p$, the ODE's
# right-hand side with $\boldsymbol\epsilon^*$ (Song et al. 2021, eq. 13, with drift 0). Points moved along that field pass through every marginal,
# although no single path is a noisy one; moved backwards, they carry $q_T$ to $q_0$. That backward motion is the
# probability-flow ODE.
#
# **Check 3**, which would fail if the ODE were wrong: solve it with the exact network from 2 000 exact draws of $q_T$ to
# step 1 (Heun, 33 intervals) and score the result under the exact $q_1$ of lesson 09. Its mean $-\log q_1$ must match that
# of fresh draws of $q_1$ (the entropy of $q_1$) within Monte Carlo error, and its mean and covariance must match $q_1$'s.

# %%
def pf_ode_marginal_gap(eps_model, n=2_000, seed=43):
    """z-scores of the ODE's result against fresh draws of q_1: mean -log q_1, then each coordinate's mean and variance."""
    steps = helpers.timesteps(34, T)
    x_T = helpers.q_sample(helpers.s_curve(n, seed=seed), T - 1, schedule, generator=seeded(seed)).double()
    ode = helpers.solve(lambda x, k: eps_model(x, steps[k]), x_T, alpha_bar.double()[steps], "heun")
    fresh = helpers.q_sample(helpers.s_curve(n, seed=seed + 1), 0, schedule, generator=seeded(seed + 1)).double()
    z = []
    for stat in (lambda x: -oracle.log_prob(x, 0), lambda x: x[:, 0], lambda x: x[:, 1],
                 lambda x: (x[:, 0] - x[:, 0].mean()) ** 2, lambda x: (x[:, 1] - x[:, 1].mean()) ** 2):
        a, b = stat(ode), stat(fresh)
        z.append(((a.mean() - b.mean()) / (a.var() / n + b.var() / n).sqrt()).item())
    return z


z = pf_ode_marginal_gap(oracle)
print("z-scores, ODE from q_T against fresh q_1 (mean -log q_1; mean x, mean y; var x, var y):", " ".join(f"{v:+.2f}" for v in z))
assert max(abs(v) for v in z) < 4

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Measured order of convergence
#
# With the exact $\boldsymbol\epsilon^*$ the only error left is the solver's. The reference: the ODE from 200 exact draws of $q(\mathbf{x}_T)$ to
# step 1, solved by `scipy.integrate.solve_ivp` (DOP853, relative tolerance $10^{-11}$). `helpers.solve` runs a sampler
# through any grid of $\bar\alpha$ values. On $N$ evenly spaced intervals ($N$ divides 99), the RMS distance to the reference
# should fall like $N^{-1}$ for Euler (DDIM) and $N^{-2}$ for Heun.

# %%
def ode_rhs(nu, y_flat):
    ab = 1 / (1 + nu**2)
    x = torch.from_numpy(y_flat).reshape(-1, 2) * ab**0.5
    return oracle(x, None, alpha_bar=ab).numpy().ravel()


ab_double = alpha_bar.double()
starts = helpers.q_sample(helpers.s_curve(200, seed=41), T - 1, schedule, generator=seeded(41)).double()
reference = solve_ivp(ode_rhs, (nu_of(ab_double[-1]).item(), nu_of(ab_double[0]).item()),
                      (starts / ab_double[-1].sqrt()).numpy().ravel(), method="DOP853", rtol=1e-11, atol=1e-13)
x_ref = torch.from_numpy(reference.y[:, -1]).reshape(-1, 2) * ab_double[0].sqrt()


def ode_error(net, n_intervals, method):
    steps = helpers.timesteps(n_intervals + 1, T)
    x = helpers.solve(lambda x, k: net(x, steps[k]), starts, ab_double[steps], method)
    return (x - x_ref).norm(dim=1).pow(2).mean().sqrt().item()


def network64(x, t):
    return model(x.float(), t).double()


intervals = np.array([3, 9, 11, 33, 99])
errors = {(who, method): np.array([ode_error(net, n, method) for n in intervals])
          for who, net in (("oracle", oracle), ("network", network64)) for method in ("ddim", "heun")}


def fitted_order(err):
    """Minus the slope of log error against log intervals, from 9 intervals up (3 is not yet asymptotic)."""
    return -np.polyfit(np.log(intervals[1:]), np.log(err[1:]), 1)[0]


orders = {method: fitted_order(errors["oracle", method]) for method in ("ddim", "heun")}
print(f"reference: {reference.nfev} evaluations, status {reference.status}")
print(f"fitted orders (9 to 99 intervals): Euler/DDIM {orders['ddim']:.2f}, Heun {orders['heun']:.2f}")
assert abs(orders["ddim"] - 1) < 0.15 and abs(orders["heun"] - 2) < 0.2

# %% [markdown]
# The exercises use this reference too, as `helpers.ode_reference`; a `Schedule` carries $\nu$ per step as
# `noise_to_signal`. Both against the lines above:

# %%
gap_reference = (helpers.ode_reference(oracle, starts, ab_double[-1].item(), ab_double[0].item()) - x_ref).abs().max()
gap_nu = (schedule.noise_to_signal - nu_of(ab_double)).abs().max()
assert gap_reference < 1e-9 and gap_nu < 1e-15
print("helpers.ode_reference agrees with the reference above to 1e-9, schedule.noise_to_signal with nu_of to 1e-15")

# %%
# No step here ends at nu = 0, so Heun pays two calls on every interval.
nfe_of = {"ddim": intervals, "heun": 2 * intervals}
fig, ax = plt.subplots(figsize=(7, 4.4))
for (who, method), err in errors.items():
    ax.loglog(nfe_of[method], err, "o-" if who == "oracle" else "s--", color="C0" if method == "ddim" else "C1",
              label=f"{'Euler (DDIM)' if method == 'ddim' else 'Heun'}, {who}")
ax.set(xlabel="network evaluations (NFE)", ylabel="RMS distance to the exact ODE solution",
       title="the ODE solver's error: exact network vs trained network")
ax.legend()
plt.show()
for method in ("ddim", "heun"):
    print(f"{method}, network: error at {intervals.tolist()} intervals = {errors['network', method].round(4).tolist()}")

# %% [markdown]
# With the oracle the lines are straight with slopes $-1$ and $-2$. With the trained network they level off at about
# 0.008 (printed above), the distance between the network's ODE and the exact one, which more steps cannot remove
# (the data's own scatter is 0.01). Heun reaches it with 18 evaluations (0.0084), though not steadily (0.0106 at 22);
# Euler only at 99 (0.0078).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Quality against cost
#
# The same network, the same start (`gaussian_prior`, seed 2) and the same noise seed for every sampler: DDPM on a step
# subsequence (lesson 07's $\sigma^2 = \beta$, respaced: $\beta' = 1 - \bar\alpha_t/\bar\alpha_s$), DDIM with $\eta = 0$ and $\eta = 1$, and Heun
# ($N$ = 3, 5, 10, 25, 50 steps for 5, 9, 19, 49, 99 NFE). The one-draw table of all twenty runs, with timings:
# docs/benchmarks.md ("Sampling in fewer steps").

# %%
budgets = [5, 10, 20, 50, 100]
samplers = {"DDPM": ("ddpm", 0.0), "DDIM, eta = 0": ("ddim", 0.0), "DDIM, eta = 1": ("ddim", 1.0), "Heun": ("heun", 0.0)}
sweep = {}
for name, (method, eta) in samplers.items():
    for budget in budgets:
        n_steps = (budget + 1) // 2 if method == "heun" else budget
        samples = helpers.sample_steps(model, schedule, 10_000, n_steps, method, eta=eta, generator=seeded(3), x_T=start_matched)
        nfe = 2 * n_steps - 1 if method == "heun" else n_steps
        sweep[name, nfe] = helpers.sharp_quality(samples, energy=False)

# %% [markdown]
# One draw is one start and one noise seed; "as good as the 100-step DDPM" rests on lesson 07's rule over ten seeds,
# with a measured margin: two s.d. of the difference between two runs of the 100-step DDPM from one start with fresh
# noise (`helpers.redraw_margin`, twenty other seeds). A sampler qualifies when its off-curve is at least as close to
# the data's as the DDPM's and its coverage gap no larger, each interval's worse end inside the margin (`no_worse`;
# `target=` compares off-curve as the distance to the data's). `benchmarks/sample_seeds.py` ran every row on ten seeds,
# too slow to repeat here; its seed 0 is this lesson's draw, checked first.

# %%
seeds_run = json.loads(Path("../benchmarks/results/sampling-seeds-cpu-2core.json").read_text())
per_seed = {(r["sampler"], r["nfe"], r["seed"]): r for r in seeds_run["rows"]}
SEEDS = seeds_run["seeds"]
assert all(abs(per_seed[name, nfe, 0]["network"][metric] - getattr(q, metric)) < 1e-3
           for (name, nfe), q in sweep.items() for metric in ("off_curve", "coverage_gap"))
TARGET = {"off_curve": seeds_run["data_floor"]["off_curve"]["mean"], "coverage_gap": None}


def distance(metric, value):
    return value if TARGET[metric] is None else abs(value - TARGET[metric])


def margin_of(metric, who):
    redraw = {r["seed"]: r[who] for r in seeds_run["redraws"]}
    return helpers.redraw_margin(lambda k: distance(metric, redraw[k][0][metric]),
                                 lambda k: distance(metric, redraw[k][1][metric]), seeds_run["redraw_seeds"])


def against_ddpm(name, nfe, metric, who="network"):
    return helpers.compare(lambda k: per_seed[name, nfe, k][who][metric], lambda k: per_seed["DDPM", 100, k][who][metric],
                           SEEDS, names=(f"{name}, {nfe}", "DDPM, 100"), margin=margin_of(metric, who),
                           target=TARGET[metric])


def as_good(name, nfe, who="network"):
    return all(against_ddpm(name, nfe, metric, who).no_worse for metric in ("off_curve", "coverage_gap"))


print(f"margins (two s.d. of the 100-step DDPM against itself, {len(seeds_run['redraw_seeds'])} seeds): "
      + ", ".join(f"{label} {margin_of(m, 'network'):.2f}" for m, label in (("off_curve", "off-curve"), ("coverage_gap", "coverage gap"))))
print(f"as good as the 100-step DDPM (network | exact network), over {len(SEEDS)} seeds; the network's gap minus the DDPM's:")
for (name, nfe) in sorted(sweep, key=lambda key: (key[1], key[0])):
    if nfe >= 19 and (name, nfe) != ("DDPM", 100):
        gap = against_ddpm(name, nfe, "coverage_gap")
        print(f"{name:14s} {nfe:3d}: {'yes' if as_good(name, nfe) else 'no':3s} | {'yes' if as_good(name, nfe, 'oracle') else 'no':3s}"
              f"  gap {gap.mean:+.2f}, 95% [{gap.interval[0]:+.2f}, {gap.interval[1]:+.2f}]")
fewest = min((nfe, name) for (name, nfe) in sweep if as_good(name, nfe))
print(f"fewest NFE as good as the 100-step DDPM: {fewest[1]} with {fewest[0]} evaluations")
assert fewest == (19, "Heun") == (seeds_run["fewest_as_good"]["nfe"], seeds_run["fewest_as_good"]["sampler"])
assert not as_good("DDIM, eta = 0", 20) and not as_good("DDPM", 20)
assert all(as_good(name, 50) for name in ("DDIM, eta = 0", "DDIM, eta = 1")) and as_good("Heun", 49)

# %% [markdown]
# Over ten seeds, **Heun with 19 evaluations is the fewest as good as the 100-step DDPM**: closer to the data's off-curve,
# with a coverage gap larger by 0.32 points on average, inside the 0.71 that the DDPM moves by between two of its own
# draws. DDIM with $\eta = 0$ at 20 does not qualify (its gap's interval reaches past the margin). The exact network's
# deterministic rows fail on off-curve: their samples sit further *below* the data's than its DDPM's, a curve too sharp.
#
# The same runs as curves (the energy distance, ×10³, from the benchmark's run of the same network, start and seeds):

# %%
bench = json.loads(Path("../benchmarks/results/sampling-cpu-2core.json").read_text())
energy = {(row["sampler"], row["nfe"]): row["network"]["energy"] for row in bench["rows"]}
assert all(abs(row["network"][metric] - getattr(sweep[row["sampler"], row["nfe"]], metric)) < 0.01
           for row in bench["rows"] for metric in ("off_curve", "stray", "coverage_gap"))
fig, axes = plt.subplots(1, 3, figsize=(10.2, 3.8))
metrics = (("off_curve", "off-curve RMS ×10³"), ("coverage_gap", "coverage gap, %"), ("energy", "energy distance ×10³"))
for ax, (metric, label) in zip(axes, metrics):
    for name in samplers:
        nfes = sorted(nfe for (who, nfe) in sweep if who == name)
        values = [energy[name, nfe] if metric == "energy" else getattr(sweep[name, nfe], metric) for nfe in nfes]
        ax.plot(nfes, values, "o-", label=name)
    if metric == "energy":
        level, width = bench["data_floor"]["energy"]["mean"], 2 * bench["data_floor"]["energy"]["sd"]
        ax.axhline(energy["DDPM", 100], color="0.3", linestyle=":", label="100-step DDPM")
        ax.set_yscale("symlog", linthresh=0.1)
    else:
        level, width = np.mean([getattr(q, metric) for q in floors]), 2 * floor_sd[metric]
        ax.axhline(getattr(sweep["DDPM", 100], metric), color="0.3", linestyle=":", label="100-step DDPM")
        ax.set_yscale("log")
    ax.axhspan(level - width, level + width, color="0.85", label="data ± 2 s.d.")
    ax.set(xscale="log", xlabel="network evaluations (NFE)", ylabel=label)
axes[0].legend()
fig.suptitle("quality against cost: one network, four samplers")
fig.tight_layout()
plt.show()

# %% [markdown] slideshow={"slide_type": "notes"}
# **Instructor's note.** The point to land: fewer steps is a numerical-analysis problem (the oracle rows in benchmarks/sample_speed.py show the
# same limits with the exact network), until the network's own error takes over. (A network trained for few steps, as in
# distillation, is another matter.)

# %% [markdown]
# At 10 evaluations every sampler misses the 100-step DDPM's quality, even with the exact network: on these evenly
# spaced steps that budget is limited by discretisation, not by the network. One row of the ten-seed study runs
# backwards (Heun's coverage gap is larger at 99 evaluations than at 49), and the ODE maps data back to noise (DDIM
# inversion) and the same samples come out of Hugging Face `diffusers`: [appendix 10a](10a_appendix.ipynb).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Try it
#
# Move the number of steps and $\eta$: 2 000 samples from the same start and seed, and 20 of their trajectories.

# %%
def show_sampler(n_steps, eta):
    chain = helpers.sample_steps(model, schedule, 2_000, n_steps, "ddim", eta=eta, generator=seeded(3),
                                 x_T=start_matched[:2000], keep_chain=True)
    q = helpers.sharp_quality(chain[-1], energy=False)
    fig, (ax_paths, ax_samples) = plt.subplots(1, 2, figsize=(10, 5))
    ax_paths.plot(*chain[:, :20].numpy().transpose(2, 0, 1), color="C1", linewidth=1)
    ax_paths.scatter(*chain[0, :20].T, s=12, color="0.4", label=r"start $\mathbf{x}_T$", zorder=3)
    ax_paths.scatter(*chain[-1, :20].T, s=12, color="C0", label=r"end $\mathbf{x}_0$", zorder=3)
    # Wide enough for every start and every step of the 20 paths, which wander further with eta > 0.
    limit = max(1.2, 1.05 * chain[:, :20].abs().max().item())
    ax_paths.set(xlim=(-limit, limit), ylim=(-limit, limit), aspect="equal", title="20 trajectories")
    ax_paths.legend(loc="lower right")
    ax_samples.scatter(*chain[-1].T, s=2, color="C0")
    ax_samples.plot(*helpers.curve(torch.linspace(-1.5 * math.pi, 1.5 * math.pi, 400)).T, color="0.3", linewidth=0.8)
    ax_samples.set(xlim=(-0.3, 0.3), ylim=(-0.3, 0.3), aspect="equal",
                   title=f"2 000 samples: off-curve {q.off_curve:.1f}, stray {q.stray:.1f} %")
    fig.suptitle(f"DDIM, {n_steps} steps, η = {eta:.1f}")
    fig.tight_layout()
    plt.show()


show_sampler(10, 0.0)

# %% slideshow={"slide_type": "slide"} tags=["nbval-ignore-output"] nbval_why="an interact widget's output lives in the notebook's widget state, which nbval does not compare."
interact(show_sampler, n_steps=IntSlider(value=10, min=2, max=T, description="steps"),
         eta=FloatSlider(value=0.0, min=0.0, max=1.0, step=0.1, description="η"));

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - DDIM (eq. 12) reuses an $\boldsymbol\epsilon$-model on any subsequence of steps; $\eta = 1$ on the full sequence is lesson 07's sampler with
#   $\tilde\beta_t$, and $\eta = 0$ is Euler's method on the probability-flow ODE in $\mathbf{y}$ and $\nu$. Heun's method is second
#   order; measured with the exact score, orders about 1 and 2.
# - A deterministic sampler needs the right start: a Gaussian with $q(\mathbf{x}_T)$'s moments, not $\mathcal N(0, I)$.
# - With the trained network the ODE error stops falling at the network's own error; over ten seeds, Heun with 19
#   evaluations is the fewest as good as the 100-step DDPM.
#
# **References.** Song, Meng & Ermon 2021, "Denoising diffusion implicit models", eqs. 12 and 16 and §4.3; Song et al.
# 2021, "Score-based generative modeling through SDEs", §4.3 (the probability-flow ODE); Karras, Aittala, Aila & Laine
# 2022, "Elucidating the design space of diffusion-based generative models", eq. 1, eq. 5 and Algorithm 1; Nichol &
# Dhariwal 2021 (respacing DDPM).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises (solutions: `%load solutions/10_1.py`, `10_2.py`, `10_3.py`; each ends with its check)
#
# **1.** Karras et al. (2022, eq. 5) space the noise levels as $\nu_i = \big(\nu_\max^{1/\rho} + \tfrac{i}{N-1}(\nu_\min^{1/\rho} - \nu_\max^{1/\rho})\big)^\rho$,
# $i = 0, \dots, N-1$, with $\rho = 7$: more steps at low noise. Write `karras_steps(schedule, n, rho)`: for each $\nu_i$ between this
# schedule's $\nu$ at the last and first steps, the step whose $\nu$ is nearest, as a strictly decreasing long tensor (drop
# repeats). Then try `helpers.sample_steps(model, schedule, 10_000, karras_steps(schedule, 10, 7), "heun", ...)`: does
# this choice of steps match the 100-step DDPM with fewer evaluations?

# %%
def karras_steps(schedule, n, rho):
    return None  # your code here


helpers.check_exercise("10.1", karras_steps)

# %% [markdown]
# **2. Predict, then check.** With the exact network, Heun's error on 33 intervals divided by its error on 99 intervals
# (the orders plot above, from the same starts). Predict the ratio from the order alone; the check measures it and says
# whether you are within 20 %.

# %%
predicted_ratio = None  # your prediction, a number

helpers.check_exercise("10.2", predicted_ratio)

# %% [markdown]
# **3. Derive, then write.** For one-dimensional Gaussian data, $x_0 \sim \mathcal N(0, \sigma_\text{data}^2)$, the probability-flow ODE
# $dy/d\nu = -\nu\,\partial_y\log p(y;\nu)$ can be solved in closed form. Write `pf_ode_gaussian(y, nu_from, nu_to, sigma_data)`:
# where the ODE carries the points `y` (a tensor) from $\nu$ = `nu_from` to $\nu$ = `nu_to`. Then, from your formula: a start
# twice as wide as it should be ends how much too wide?

# %%
def pf_ode_gaussian(y, nu_from, nu_to, sigma_data):
    return None  # your code here


helpers.check_exercise("10.3", pf_ode_gaussian)
