# %% [markdown] slideshow={"slide_type": "slide"}
# # Lesson 13, appendix — Another route to the bound, the ODE's order, Hutchinson's estimator, and what likelihood sees
#
# Five measurements that [lesson 13](13_likelihood.ipynb) moved out of its main line, each as it was there: the ELBO's KL
# form against the bound it came from; the measured order of the ODE's log-likelihood with Euler's and with Heun's method;
# Hutchinson's estimator of the divergence; the two directions of KL, for networks that fail differently; and what training
# with the ELBO's weights changes. From lesson 13: the ELBO's terms (`helpers.elbo`), the ODE's log-likelihood
# (`helpers.ode_log_likelihood`) and its divergence, and the prior with $q(\mathbf{x}_T)$'s moments; from lesson 09: the exact network
# $\boldsymbol\epsilon^*$ and density $q_0$. The networks of the last two sections are read from the committed benchmark
# (`benchmarks/likelihood.py`); nothing is trained here.

# %%
import copy
import json
import math
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch.distributions import MultivariateNormal, Normal

import helpers
from helpers.measures.likelihood import hutchinson_divergence

torch.manual_seed(0)
schedule = helpers.sigmoid_schedule(100)
T = schedule.T
schedule64 = helpers.schedule_from_beta(schedule.beta.double())
beta64, ab64 = schedule64.beta, schedule64.alpha_bar
model = helpers.load_model(helpers.COMMITTED_CHECKPOINT)
oracle = helpers.s_curve_oracle(schedule)
x0 = helpers.s_curve(10_000).double()
q_T = lambda x: oracle.log_prob(x, T - 1)  # noqa: E731 (a one-line density)
# Lesson 13's prior for the ODE: the Gaussian with q(x_T)'s moments.
prior_moments = MultivariateNormal(ab64[-1].sqrt() * x0.mean(0), ab64[-1] * torch.cov(x0.T) + (1 - ab64[-1]) * torch.eye(2, dtype=torch.float64))


def seeded(k):
    return torch.Generator().manual_seed(k)


def network64(x, t):
    return model(x.float(), t).double()


# %% [markdown] slideshow={"slide_type": "slide"}
# ## The KL form is the bound it came from
#
# `helpers.elbo` uses the rearranged bound (Ho et al. eq. 5). An independent route is the bound *before* rearranging
# (their eq. 3): run the forward chain $\mathbf{x}_0 \to \mathbf{x}_1 \to \dots \to \mathbf{x}_T$ once per point and add up log densities,
#
# $$L = \mathbb{E}_q\Big[-\log p(\mathbf{x}_T) - \sum_{t\ge1}\log\frac{p_\theta(\mathbf{x}_{t-1}\mid\mathbf{x}_t)}{q(\mathbf{x}_t\mid\mathbf{x}_{t-1})}\Big].$$
#
# No posterior, no KL. Both are Monte Carlo estimates, so on the same points, with their own noise, the per-point
# differences must average to zero within four standard errors.

# %%
def raw_bound(eps_model, x0, sigma2, generator):
    """-log p(x_T) - sum_t log p_theta(x_{t-1} | x_t) / q(x_t | x_{t-1}) along one forward chain per point (eq. 3)."""
    chain, total = [x0], torch.zeros(x0.shape[0], dtype=torch.float64)
    for t in range(T):
        mean = (1 - beta64[t]).sqrt() * chain[-1]
        chain.append(mean + beta64[t].sqrt() * torch.randn(x0.shape, generator=generator, dtype=torch.float64))
        total += Normal(mean, beta64[t].sqrt()).log_prob(chain[-1]).sum(1)
    total -= Normal(0.0, 1.0).log_prob(chain[-1]).sum(1)
    for t in range(T):
        std = (sigma2[t] if t > 0 else beta64[0]).sqrt()
        mean_p = helpers.reverse_mean(eps_model(chain[t + 1], t), chain[t + 1], t, schedule64)
        total -= Normal(mean_p, std).log_prob(chain[t]).sum(1)
    return total


def forms_agree(kl_form, raw_form):
    """z-score of the mean per-point difference (same points, independent noise); within 4 standard errors."""
    difference = kl_form - raw_form
    z = difference.mean() / (difference.std() / len(difference) ** 0.5)
    assert abs(z) < 4, f"the KL form and the raw bound differ by {z:.1f} standard errors"
    return z.item()


for name, sigma2, seed in (("beta~", schedule64.beta_tilde, 2), ("beta", beta64, 4)):
    kl_form = helpers.elbo(model, schedule, x0[:2000], sigma=name.replace("~", "_tilde"), generator=seeded(seed)).nll_bound
    raw_form = raw_bound(network64, x0[:2000], sigma2, seeded(seed + 1))
    z = forms_agree(kl_form, raw_form)
    print(f"sigma^2 = {name:5s}: KL form {kl_form.mean():+.3f} (s.d. {kl_form.std():.2f}), "
          f"raw form {raw_form.mean():+.3f} (s.d. {raw_form.std():.2f}) nats; z = {z:+.2f}")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Instructor's note.** Ask the room which form is quieter before showing the standard deviations. Most expect the KL
# form to be far quieter, since each KL integrates $\mathbf{x}_{t-1}$ out exactly. Here the two are about as noisy (printed): the
# noise left in the KL form comes from the draws of $\mathbf{x}_t$ at the first steps, where $\sigma_t^2$ is tiny and the squared mean gap
# is divided by it.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The ODE's log-likelihood with $\boldsymbol\epsilon^*$: Euler's order and Heun's
#
# Lesson 13's check 4 measured Heun's order on fine grids. Here both methods, from 16 to 512 steps: $N$ steps at
# $\nu_k = \nu_T (k/N)^2$ (denser near the data, where the first interval of the course's own grid loses most), a `Schedule` built
# from them with `helpers.schedule_from_beta`, and the exact $q_T$ as the prior. The error is the largest $|\log p_0 - \log q_0|$
# over 200 points.

# %%
def fine_schedule(n_steps, rho=2):
    """n_steps steps at nu_k = nu_T (k / n_steps)^rho; beta_k = 1 - alpha_bar_k / alpha_bar_(k-1), without the cancellation."""
    nu = schedule.noise_to_signal[-1] * (torch.arange(n_steps + 1, dtype=torch.float64) / n_steps) ** rho
    return helpers.schedule_from_beta((nu[1:] ** 2 - nu[:-1] ** 2) / (1 + nu[1:] ** 2))


def exact_likelihood_error(n_steps, method, points):
    fine = fine_schedule(n_steps)
    exact = helpers.s_curve_oracle(fine)
    result = helpers.ode_log_likelihood(exact, fine, points, method=method, prior=lambda x: exact.log_prob(x, n_steps - 1))
    return (result.log_p - oracle.log_prob(points, None)).abs().max().item()


def fitted_order(n_steps, errors):
    """Minus the slope of log error against log steps, from 64 steps up (coarser grids are not yet asymptotic)."""
    fine = n_steps >= 64
    return -np.polyfit(np.log(n_steps[fine]), np.log(errors[fine]), 1)[0]


def check_order(n_steps, errors, order, finest):
    """Measured order within 0.25 of the method's, and the finest grid's error below finest (nats)."""
    measured = fitted_order(n_steps, errors)
    assert abs(measured - order) < 0.25, f"measured order {measured:.2f}, expected {order}"
    assert errors[-1] < finest, f"error {errors[-1]:.1e} on the finest grid, expected below {finest:.0e}"
    return measured


ode_points = x0[:200]
n_grid = np.array([16, 32, 64, 128, 256, 512])
ode_errors = {method: np.array([exact_likelihood_error(n, method, ode_points) for n in n_grid]) for method in ("euler", "heun")}
ode_orders = {method: check_order(n_grid, ode_errors[method], order, finest)
              for method, order, finest in (("euler", 1, 0.2), ("heun", 2, 2e-3))}
for method in ode_errors:
    print(f"{method:5s}: max error {ode_errors[method].round(5).tolist()} nats at {n_grid.tolist()} steps; "
          f"measured order (64 to 512) {ode_orders[method]:.2f}")

# %%
fig, ax = plt.subplots(figsize=(6.5, 4))
for method, nfe in (("euler", n_grid), ("heun", 2 * n_grid)):
    ax.loglog(nfe, ode_errors[method], "o-", label=f"{method.capitalize()}, order {ode_orders[method]:.2f}")
ax.set(xlabel="network evaluations", ylabel=r"max $|\log p_0 - \log q_0|$, nats",
       title=r"the ODE's log-likelihood with $\epsilon^*$ converges to $\log q_0$")
ax.legend()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Hutchinson's estimator
#
# The exact divergence costs one backward pass per dimension: 2 here, 3 072 for a 32×32 colour image. Hutchinson's
# estimator replaces the trace by $\mathbf{z}^\top(\partial\boldsymbol\epsilon/\partial\mathbf{x})\mathbf{z}$ with a random probe $\mathbf{z}$ of independent $\pm1$ entries: one backward
# pass (a vector–Jacobian product), unbiased because $\mathbb{E}[\mathbf{z}\mathbf{z}^\top] = I$. FFJORD (Grathwohl et al. 2019) and Song et
# al. (2021) compute likelihoods this way, with one $\mathbf{z}$ per point kept along the whole path. Its cost is variance. First
# lesson 13's exact divergence (one autograd pass per output coordinate), and the points and network it was checked on:

# %%
def divergence(eps_fn, x):
    """div_x eps_fn(x) per point: d eps_1/d x_1 + d eps_2/d x_2, one backward pass per output coordinate."""
    x = x.detach().requires_grad_(True)
    eps = eps_fn(x)
    rows = [torch.autograd.grad(eps[:, i].sum(), x, retain_graph=True)[0] for i in range(2)]
    return rows[0][:, 0] + rows[1][:, 1]


probe_points = helpers.q_sample(x0[:300], torch.arange(300) % T, schedule, generator=seeded(5)).double()
probe_steps = torch.arange(300) % T
model64 = copy.deepcopy(model).double()  # float32's rounding would swamp a comparison at float64's precision


# %%
def hutchinson(eps_fn, x, z):
    x = x.detach().requires_grad_(True)
    vjp = torch.autograd.grad((eps_fn(x) * z).sum(), x)[0]
    return (vjp * z).sum(1)


# In 2-D the four sign patterns of z average z z^T to I exactly, so each estimator, averaged over them, must return the
# exact trace (the autograd divergence above): the readable one and the helper's, each checked on its own. The network's
# float64 copy keeps the comparison at float64's precision.
eps_fn = lambda x: model64(x, probe_steps)  # noqa: E731
patterns = [torch.tensor([a, b], dtype=torch.float64).expand_as(probe_points) for a in (-1.0, 1.0) for b in (-1.0, 1.0)]
for estimator in (hutchinson, lambda f, x, z: hutchinson_divergence(f, x, z)[1]):
    averaged = sum(estimator(eps_fn, probe_points, z) for z in patterns) / len(patterns)
    torch.testing.assert_close(averaged, divergence(eps_fn, probe_points), rtol=1e-9, atol=1e-9)

# %%
hutch_points = x0[:500]
exact_ode = helpers.ode_log_likelihood(model, schedule, hutch_points, prior=q_T)
hutch_runs = torch.stack([helpers.ode_log_likelihood(model, schedule, hutch_points, divergence="hutchinson", prior=q_T,
                                                     generator=seeded(100 + k)).log_p for k in range(8)])


def check_unbiased(runs, exact):
    """Hutchinson's mean over probes and points equals the exact value within 4 standard errors."""
    error = runs - exact
    z = error.mean() / (error.mean(0).std() / error.shape[1] ** 0.5)
    assert abs(z) < 4, f"Hutchinson's estimate is biased: z = {z:.1f}"
    return z.item()


z = check_unbiased(hutch_runs, exact_ode.log_p)
print(f"network, 500 points, 8 probes each: mean log p exact {exact_ode.log_p.mean():.3f}, Hutchinson "
      f"{hutch_runs.mean():.3f} nats (z = {z:+.2f}); s.d. of one probe's log p per point {hutch_runs.std(0).mean():.3f} nats")

# %% tags=["nbval-ignore-output"] nbval_why="wall times differ between machines and runs."
for kind in ("exact", "hutchinson"):
    start = time.perf_counter()
    helpers.ode_log_likelihood(model, schedule, x0[:1000], divergence=kind, prior=q_T, generator=seeded(7))
    print(f"{kind:10s}: {time.perf_counter() - start:.2f} s for 1 000 points, Heun on 100 steps")

# %% [markdown]
# In 2-D the exact trace is cheap, and exact: use it. Hutchinson's estimator pays off when $d$ is large, where the
# exact trace costs $d$ passes; its noise per point (printed above) averages out over a data set, which is why it is used
# for a data set's bits per dimension and not for one point's likelihood.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The two directions of KL
#
# Lesson 09 scored a model's *samples* under the exact density: $\mathbb{E}_{p_\theta}[-\log q_0]$. It is large when samples land where
# the data are not, so it measures precision. Lesson 13 scores the *data* under the model: $\mathbb{E}_{q_0}[-\log p_\theta]$, large when
# data lie where the model puts little mass, so it measures coverage. Each misses what the other sees. Networks that fail
# differently need training, five seeds each, so `benchmarks/likelihood.py` trained them (lesson 08's default recipe): one
# trained for only 150 steps ("brief"), the default's 1 500 steps ("default"), and the default on data with the first 16 % of the
# curve removed ("missing end"). It scored 2 000 held-out points by the ODE (prior: $q(\mathbf{x}_T)$'s moments) and 10 000 samples by
# lesson 09's metrics. Its committed-network row must be what lesson 13 computes:

# %%
bench = json.loads(Path("../benchmarks/results/likelihood-cpu-2core.json").read_text())
held_out = helpers.s_curve(2_000, seed=500).double()
committed_ode = -helpers.ode_log_likelihood(model, schedule, held_out, prior=prior_moments).log_p.mean().item()
assert abs(committed_ode - bench["committed"]["ode_nll"]) < 1e-6
runs = {(row["recipe"], row["seed"]): row for row in bench["runs"]}
SEEDS = bench["seeds"]
columns = (("ode_nll", "E_q[-log p], ODE"), ("sample_nll", "E_p[-log q]"), ("off_curve", "off-curve"), ("coverage_gap", "gap %"))
print(f"held-out entropy {bench['held_out_entropy']:.3f} nats; means over {len(SEEDS)} seeds (s.d.)")
print(f"{'network':12s}" + "".join(f"{label:>22s}" for _, label in columns))
for recipe in ("brief", "default", "missing end"):
    cells = [np.array([runs[recipe, k][key] for k in SEEDS]) for key, _ in columns]
    print(f"{recipe:12s}" + "".join(f"{c.mean():15.3f} ({c.std(ddof=1):.3f})" for c in cells))
for who in ("exact", "committed", "reference"):
    print(f"{who:12s}" + "".join(f"{bench[who][key]:15.3f}        " for key, _ in columns))
reference = bench["reference"]
print(f"reference recipe (one training run, 316 000 steps, {reference['train_seconds']:.0f} s on one thread): ELBO bound "
      f"{reference['elbo_nll']:.3f} with sigma^2 = beta~, {reference['elbo_nll_beta']:.3f} with its own sigma^2 = beta")

# %%
def versus(a, b, metric):
    """a against b over every seed the benchmark ran for both."""
    shared = sorted({k for (r, k) in runs if r == a} & {k for (r, k) in runs if r == b})
    return helpers.compare(lambda k: runs[a, k][metric], lambda k: runs[b, k][metric], seeds=shared, names=(a, b))


LABELS = {"ode_nll": "E_q[-log p], ODE", "elbo_nll": "E_q[-log p], ELBO", "sample_nll": "E_p[-log q]",
          "coverage_gap": "coverage gap", "off_curve_error": "|off-curve - data's|"}
kl_claims = {(a, metric): versus(a, "default", metric) for a in ("missing end", "brief") for metric in ("ode_nll", "sample_nll")}
for (a, metric), result in kl_claims.items():
    print(f"{a} - default, {LABELS[metric]:16s}: {result.summary()}")

# %% [markdown]
# Each number sees what the other misses. The network that never saw one end puts its samples exactly where data are:
# its $\mathbb{E}_p[-\log q]$ against the default's is undecided (the interval holds 0 and spans only $\pm 0.04$ nats), and its off-curve is close (10.56 against 10.33). But
# the data at the missing end get little mass from it: its $\mathbb{E}_q[-\log p]$ is worse than the default's by about 1 nat (interval
# 0.91 to 1.12), which is what its coverage gap (15.6 %) says in other units. The briefly trained network is blurred: its samples
# land far from the curve (off-curve 52), and both numbers see it, $\mathbb{E}_p[-\log q]$ by 13 nats because the exact density
# falls off fast across the curve, $\mathbb{E}_q[-\log p]$ by 1.3 nats because a blurred density still covers the data. The exact
# network's $\mathbb{E}_p[-\log q]$ lies *below* the data's entropy ($-3.382$ against $-3.218$): its 100-step samples are sharper than the
# data (off-curve 8.41 against the data's 9.99), which precision rewards and coverage would not.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What the training loss optimises
#
# Ho et al. drop the ELBO's weights $w_t$ and train on $L_\text{simple}$ (lesson 06). Nichol & Dhariwal (2021) found that training on
# the ELBO itself gives better log-likelihoods and worse samples than $L_\text{simple}$, and trained on a hybrid of the two; Kingma et
# al. (2021) and Song, Durkan et al. (2021) train with likelihood weights to reach their likelihoods. Measured here, same
# benchmark: the default recipe with steps drawn uniformly, "L_simple" weighing every step equally and "ELBO" weighing step $t$
# by lesson 06's $w_t$ for $\sigma_t^2 = \tilde\beta_t$ (the decoder's $1/(2\alpha_1)$ at the first step), normalised to mean 1. Same network,
# same steps, ten seeds (the benchmark added seeds 5–9 for these two recipes). Likelihood: the ODE's and the ELBO's
# cross-entropy; quality: lesson 09's $\mathbb{E}_p[-\log q]$, coverage gap and the off-curve error $|\text{off-curve} - \text{the data's}|$:

# %%
data_off_curve = np.mean([helpers.sharp_quality(helpers.s_curve(10_000, seed=100 + k), energy=False).off_curve for k in range(3)])
for run in bench["runs"]:
    run["off_curve_error"] = abs(run["off_curve"] - data_off_curve)
loss_claims = {metric: versus("ELBO", "L_simple", metric)
               for metric in ("ode_nll", "elbo_nll", "sample_nll", "coverage_gap", "off_curve_error")}
print(f"the data's off-curve: {data_off_curve:.2f} (3 draws); mean off-curve over the seeds: " + ", ".join(
    f"{recipe} {np.mean([runs[r, k]['off_curve'] for (r, k) in runs if r == recipe]):.2f}" for recipe in ("default", "L_simple", "ELBO")))
print(f"ELBO - L_simple over {len(loss_claims['ode_nll'].seeds)} seeds: mean difference, 95 % interval, verdict")
for metric, result in loss_claims.items():
    print(f"  {LABELS[metric]:20s} {result.brief(3)}")
print("  off-curve error, per seed:", " ".join(f"{d:+.2f}" for d in loss_claims["off_curve_error"].differences))
elbo_weights = helpers.loss_weights(schedule, "eps", "elbo")
print(f"the ELBO's weights w_t on this schedule: largest / smallest = {elbo_weights.max() / elbo_weights.min():.0f}, "
      f"the largest at code step {elbo_weights.argmax().item()}")

# %% [markdown]
# Over ten seeds, the ELBO's weights give a slightly *worse* ODE likelihood (by 0.017 nats per point, interval 0.005 to
# 0.030), and every other interval holds 0: the ELBO bound itself and all three sample measures are undecided. An earlier
# version of this lesson had five seeds and called the samples better "on every seed"; seeds 5–9 did not agree (the
# off-curve error is smaller on three of them and larger on two, by up to 0.82), which is what a sign count over five seeds risks.
# So Nichol & Dhariwal's trade-off, better likelihood for worse samples, does not appear here. A possible reason for the
# small differences, not tested here: on this schedule the ELBO's weights vary only 47-fold (printed) and favour the first
# steps, much as the default recipe's $t = \lfloor T u^3\rfloor$ does, and the default samples better than uniform steps do (mean
# off-curve printed above). The published comparisons used images, other schedules and continuous time; this
# measurement does not say which difference matters.
#
# **References.** Ho, Jain & Abbeel 2020, "Denoising diffusion probabilistic models", eqs. 3 and 5; Grathwohl et al. 2019,
# "FFJORD" (Hutchinson's estimator); Song et al. 2021, "Score-based generative modeling through SDEs", Appendix D.2;
# Nichol & Dhariwal 2021, "Improved denoising diffusion probabilistic models", §3 ($L_\text{vlb}$ against $L_\text{simple}$ and
# $L_\text{hybrid}$); Song, Durkan, Murray & Ermon 2021, "Maximum likelihood training of score-based diffusion models";
# Kingma, Salimans, Poole & Ho 2021, "Variational diffusion models".
