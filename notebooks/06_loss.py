# %% [markdown] slideshow={"slide_type": "slide"}
# # Lesson 06 — The loss: from the ELBO to $L_\text{simple}$
#
# **Goal.** Derive what the network of lesson 05 should be trained on. We sketch how the evidence lower bound
# (ELBO) of Ho et al. (2020, eqs. 3–12) becomes a sum of KL divergences between Gaussians, how each KL turns
# into a squared error on the noise, and why dropping its weights gives the simple loss
# $L_\text{simple} = \mathbb{E}\,\lVert\boldsymbol\epsilon - \boldsymbol\epsilon_\theta(\mathbf{x}_t, t)\rVert^2$.
# Then we implement it, look at the reference recipe's time-step sampling (which breaks for odd batch sizes,
# a case the recipe never meets), and look at the loss step by step for an untrained and a trained network,
# including why it can never reach 0.
#
# **Assumes.** Lessons 04 (closed form) and 05 (the network); what a KL divergence is.

# %% slideshow={"slide_type": "subslide"}
import math

import matplotlib.pyplot as plt
import torch
from torch.distributions import MultivariateNormal, Normal, kl_divergence

import helpers

torch.manual_seed(0)
schedule = helpers.sigmoid_schedule(100)
T, beta, alpha, alpha_bar = schedule.T, schedule.beta, schedule.alpha, schedule.alpha_bar
x0 = helpers.s_curve(10_000)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The bound
#
# We want a large likelihood $p_\theta(\mathbf{x}_0)$. With the forward process $q$ as the variational
# distribution over $\mathbf{x}_{1:T}$, Jensen's inequality gives $-\log p_\theta(\mathbf{x}_0) \le L$ ($L$ is the negative of the ELBO), and
# rearranging the terms of $L$ (Ho et al., eq. 5) gives
#
# $$L = \mathbb{E}_q\Big[\underbrace{D_\mathrm{KL}\big(q(\mathbf{x}_T\mid\mathbf{x}_0)\,\|\,p(\mathbf{x}_T)\big)}_{L_T\text{: no parameters}}
#   + \sum_{t=2}^{T}\underbrace{D_\mathrm{KL}\big(q(\mathbf{x}_{t-1}\mid\mathbf{x}_t,\mathbf{x}_0)\,\|\,p_\theta(\mathbf{x}_{t-1}\mid\mathbf{x}_t)\big)}_{L_{t-1}}
#   \underbrace{-\log p_\theta(\mathbf{x}_0\mid\mathbf{x}_1)}_{L_0}\Big].$$
#
# Each $L_{t-1}$ compares two Gaussians: the forward posterior $q(\mathbf{x}_{t-1}\mid\mathbf{x}_t,\mathbf{x}_0) =
# \mathcal{N}(\tilde{\boldsymbol\mu}_t, \tilde\beta_t I)$ (Ho et al. eqs. 6–7, derived in lesson 07) and the model's
# reverse step $p_\theta = \mathcal{N}(\boldsymbol\mu_\theta, \sigma_t^2 I)$ with a fixed $\sigma_t^2$. The last term,
# $L_0$ (the paper's $t = 1$), is not a KL: it scores the data under the model's final step.
#
# $L_T$ is small only when $q(\mathbf{x}_T\mid\mathbf{x}_0)$ is close to $\mathcal{N}(0, I)$. For the reference schedule
# it is not (lesson 02's prior mismatch, now as a term of the bound):

# %%
def prior_term(schedule, x0):
    """L_T = KL(N(sqrt(alpha_bar_T) x0, (1 - alpha_bar_T) I) || N(0, I)) in nats, averaged over the points x0."""
    a = schedule.alpha_bar[-1].double()
    return kl_divergence(Normal(a.sqrt() * x0.double(), (1 - a).sqrt()), Normal(0.0, 1.0)).sum(dim=1).mean().item()


print(f"L_T, recipe: {prior_term(schedule, x0):.2f} nats | linear schedule (T = 1000): {prior_term(helpers.linear_schedule(1000), x0):.0e} nats")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Instructor's note.** Do not derive the ELBO live: state it, then spend the time on why each KL becomes a squared error on ε.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. KL between Gaussians of equal variance
#
# For two $d$-dimensional Gaussians of one variance, $\mathcal{N}(\boldsymbol\mu_1, \sigma_t^2 I)$ and
# $\mathcal{N}(\boldsymbol\mu_2, \sigma_t^2 I)$ (as in $L_{t-1}$ when $\sigma_t^2 = \tilde\beta_t$), the log-determinant
# and trace terms cancel, leaving
#
# $$D_\mathrm{KL} = \frac{\lVert\boldsymbol\mu_1 - \boldsymbol\mu_2\rVert^2}{2\sigma_t^2}.$$
#
# When the variances differ ($\tilde\beta_t$ against $\sigma_t^2$), the KL gains terms in the two variances alone, which
# do not depend on $\theta$. Checked against PyTorch's general formula:

# %%
mu1, mu2, var = torch.tensor([0.3, -0.1]), torch.tensor([0.1, 0.2]), torch.tensor(0.05)
general = kl_divergence(MultivariateNormal(mu1, var * torch.eye(2)), MultivariateNormal(mu2, var * torch.eye(2)))
torch.testing.assert_close(general, ((mu1 - mu2) ** 2).sum() / (2 * var))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Means in terms of noise
#
# Write $\mathbf{x}_0 = (\mathbf{x}_t - \sqrt{1-\bar\alpha_t}\,\boldsymbol\epsilon)/\sqrt{\bar\alpha_t}$ (lesson 04) into the
# posterior mean of lesson 07,
# $\tilde{\boldsymbol\mu}_t = \frac{\sqrt{\bar\alpha_{t-1}}\beta_t}{1-\bar\alpha_t}\mathbf{x}_0 + \frac{\sqrt{\alpha_t}(1-\bar\alpha_{t-1})}{1-\bar\alpha_t}\mathbf{x}_t$
# (Ho et al. eq. 7). It simplifies to (eq. 10)
#
# $$\tilde{\boldsymbol\mu}_t = \frac{1}{\sqrt{\alpha_t}}\Big(\mathbf{x}_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\,\boldsymbol\epsilon\Big),$$
#
# so choose the model's mean of the same form with a *predicted* noise:
# $\boldsymbol\mu_\theta = \frac{1}{\sqrt{\alpha_t}}\big(\mathbf{x}_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\boldsymbol\epsilon_\theta(\mathbf{x}_t, t)\big)$
# (eq. 11). Checked at every step on real data, in float64 because near $t = 1$ the float32 difference
# $1 - \bar\alpha_t$ keeps only about three significant digits:

# %%
def mean_from_x0(x0, xt, t, beta):
    """Posterior mean of x_{t-1} (paper's step t + 1, code step t >= 1) from x_0 and x_t."""
    alpha_bar = torch.cumprod(1 - beta, dim=0)
    return (alpha_bar[t - 1].sqrt() * beta[t] * x0 + (1 - beta[t]).sqrt() * (1 - alpha_bar[t - 1]) * xt) / (1 - alpha_bar[t])


def mean_from_eps(xt, eps, t, beta):
    """The same mean from x_t and the noise that made it."""
    alpha_bar = torch.cumprod(1 - beta, dim=0)
    return (xt - beta[t] / (1 - alpha_bar[t]).sqrt() * eps) / (1 - beta[t]).sqrt()


def check_means(mean_from_x0, mean_from_eps, x0, beta):
    """Both forms of the posterior mean agree for x_t drawn by the closed form, at every code step t = 1 .. T-1."""
    alpha_bar = torch.cumprod(1 - beta, dim=0)
    eps = torch.randn_like(x0)
    for t in range(1, len(beta)):
        xt = alpha_bar[t].sqrt() * x0 + (1 - alpha_bar[t]).sqrt() * eps
        gap = (mean_from_eps(xt, eps, t, beta) - mean_from_x0(x0, xt, t, beta)).abs().max().item()
        assert gap < 1e-9, f"the two means differ by {gap:.1e} at code step t = {t}"


check_means(mean_from_x0, mean_from_eps, x0.double(), beta.double())

# %% [markdown]
# An off-by-one in $\bar\alpha_{t-1}$ (writing $\bar\alpha_t$) in the $\mathbf{x}_0$ form, or a missing square root in
# the $\boldsymbol\epsilon$ form, is caught:

# %%
def mean_from_x0_off_by_one(x0, xt, t, beta):
    alpha_bar = torch.cumprod(1 - beta, dim=0)
    return (alpha_bar[t].sqrt() * beta[t] * x0 + (1 - beta[t]).sqrt() * (1 - alpha_bar[t]) * xt) / (1 - alpha_bar[t])


def mean_from_eps_no_square_root(xt, eps, t, beta):
    alpha_bar = torch.cumprod(1 - beta, dim=0)
    return (xt - beta[t] / (1 - alpha_bar[t]) * eps) / (1 - beta[t]).sqrt()


slips = {"off-by-one in alpha_bar_{t-1}": (mean_from_x0_off_by_one, mean_from_eps),
         "no square root in the eps form": (mean_from_x0, mean_from_eps_no_square_root)}
for name, (x0_form, eps_form) in slips.items():
    try:
        check_means(x0_form, eps_form, x0.double(), beta.double())
        print(f"{name}: passes (not caught)")
    except AssertionError as error:
        print(f"{name}: caught, {error}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. The weights, and dropping them
#
# Subtracting the two means leaves only the noise terms (Ho et al. eq. 12):
#
# $$L_{t-1} = \frac{\lVert\tilde{\boldsymbol\mu}_t - \boldsymbol\mu_\theta\rVert^2}{2\sigma_t^2} + C
#   = \underbrace{\frac{\beta_t^2}{2\sigma_t^2\,\alpha_t\,(1-\bar\alpha_t)}}_{w_t}\,\lVert\boldsymbol\epsilon - \boldsymbol\epsilon_\theta(\mathbf{x}_t, t)\rVert^2 + C.$$
#
# (Other texts call this weight λ_t; in this course λ is only the log-SNR, named in lesson 02 and used from lesson 13 on.)
# Ho et al. try two choices of $\sigma_t^2$ (§3.2): $\beta_t$, and the forward posterior's variance
# $\tilde\beta_t = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\beta_t$ (lesson 07 derives it). With $\sigma_t^2 = \beta_t$, $w_t = \beta_t / (2\alpha_t(1-\bar\alpha_t))$. The check compares, at every step, the
# KL of the two means (section 2) with $w_t$ times the squared error, for random noises:

# %%
def check_weights(w, beta):
    """w[t] ||eps - eps_pred||^2 equals ||mu_q - mu_p||^2 / (2 beta_t) at every code step t = 1 .. T-1."""
    alpha_bar = torch.cumprod(1 - beta, dim=0)
    xt, eps, eps_pred = torch.randn(3, 2, dtype=beta.dtype)
    for t in range(1, len(beta)):
        mu_q = (xt - beta[t] / (1 - alpha_bar[t]).sqrt() * eps) / (1 - beta[t]).sqrt()
        mu_p = (xt - beta[t] / (1 - alpha_bar[t]).sqrt() * eps_pred) / (1 - beta[t]).sqrt()
        kl = ((mu_q - mu_p) ** 2).sum() / (2 * beta[t])
        gap = abs(kl / (w[t] * ((eps - eps_pred) ** 2).sum()) - 1).item()
        assert gap < 1e-9, f"w_t is off by {gap:.1e} (relative) at code step t = {t}"


beta64 = beta.double()
w = beta64 / (2 * (1 - beta64) * (1 - torch.cumprod(1 - beta64, dim=0)))
check_weights(w, beta64)

# %% [markdown]
# The paper's $t = 1$ (code step 0) has no KL term: it is $L_0$, which Ho et al. score with a discrete decoder
# (eq. 13); the $t = 1$ term of $L_\text{simple}$ replaces it, an approximation with the weight dropped
# (their §3.4). Over the KL terms, code steps 1 … 99, the weights vary by this factor:

# %%
kl_w = w[1:]
print(f"w_t over code steps 1..{T - 1}: from {kl_w.min():.2e} (t = {kl_w.argmin().item() + 1}) "
      f"to {kl_w.max():.2e} (t = {kl_w.argmax().item() + 1}), a factor of {kl_w.max() / kl_w.min():.0f}")

# %%
fig, ax = plt.subplots(figsize=(6, 3))
ax.semilogy(torch.arange(1, T), kl_w)
ax.set(xlabel="code step t (paper's t + 1)", ylabel=r"$w_t$", title=r"the ELBO's weights that $L_\mathrm{simple}$ drops")
plt.show()

# %% [markdown]
# A factor of 23, not orders of magnitude: with $\sigma_t^2 = \beta_t$ the ELBO weighs its first KL term 23 times more than its last. On CIFAR-10,
# Ho et al. found that dropping $w_t$, training every step with equal weight, gives better samples (their Table 2); this
# course measures weightings on its own data in lesson 14.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The loss in code
#
# $$L_\text{simple} = \mathbb{E}_{t, \mathbf{x}_0, \boldsymbol\epsilon}\,\big\lVert\boldsymbol\epsilon - \boldsymbol\epsilon_\theta(\sqrt{\bar\alpha_t}\mathbf{x}_0 + \sqrt{1-\bar\alpha_t}\boldsymbol\epsilon,\ t)\big\rVert^2$$
#
# (Ho et al. eq. 14, averaged over the two coordinates as well, as in the reference). One batch:

# %%
model = helpers.NoisePredictor(T)
batch = x0[:128]
t = torch.randint(0, T, (128,))
eps = torch.randn_like(batch)
xt = alpha_bar[t].sqrt()[:, None] * batch + (1 - alpha_bar[t]).sqrt()[:, None] * eps
loss = ((eps - model(xt, t)) ** 2).mean()
torch.testing.assert_close(helpers.eps_loss(model, batch, schedule, t=t, eps=eps), loss)
print(f"untrained loss on one batch: {loss.item():.2f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Antithetic time steps: a dormant bug
#
# The reference draws half a batch of steps and mirrors them, `cat([t, T-1-t])`, so each batch covers early and
# late steps evenly. With `B // 2` draws, an odd batch gets one step too few, and the loss fails (the error is caught
# and printed, so that Run All continues):

# %%
B = 127
t_half = torch.randint(0, T, (B // 2,))
t_recipe = torch.cat([t_half, T - 1 - t_half])
print("steps for a batch of", B, "points:", len(t_recipe))
try:
    helpers.eps_loss(model, x0[:B], schedule, t=t_recipe)
    raise AssertionError("an odd batch should have failed")
except ValueError as error:
    print("ValueError:", error)

# %% [markdown]
# The recipe itself never meets an odd batch: its 10 000 points make 78 batches of 128 and a last one of 16.
# The bug is dormant; another batch size or data size would trigger it.

# %%
full_batches, last_batch = divmod(x0.shape[0], 128)
print(f"10 000 points in batches of 128: {full_batches} full batches and a last one of {last_batch}")

# %% [markdown]
# The fix was already in the upstream code: P. Esling's `diffusion_models` notebook (2021), which the recipe
# descends from, draws `batch_size // 2 + 1` steps and keeps the first `batch_size` of the mirrored list. The
# recipe's copy lost the `+ 1` and the cut. `helpers.antithetic_steps` restores them, drawing $\lceil B/2\rceil$
# (the same as `B // 2 + 1` for odd $B$, one fewer for even $B$). Each step is still uniform on $0 \dots T-1$,
# so $L_\text{simple}$ keeps its equal weights; the check below asks for the right length and range, mirrored
# halves, and counts within 5 standard errors of uniform over 100 001 steps.

# %%
def check_antithetic(antithetic_steps, T=100):
    """Length B and range [0, T) for odd and even B; second half mirrors the first; uniform counts."""
    for B in (1, 2, 127, 128):
        steps = antithetic_steps(B, T)
        assert steps.shape == (B,), f"{steps.shape[0]} steps for a batch of {B}"
        assert 0 <= steps.min() and steps.max() < T, f"steps from {steps.min()} to {steps.max()}"
        drawn = (B + 1) // 2
        assert torch.equal(steps[drawn:], T - 1 - steps[: B - drawn]), "the second half is not the mirror"
    n = 100_001
    counts = torch.bincount(antithetic_steps(n, T), minlength=T).double()
    # Each of the ceil(n/2) draws lands in the mirror pair {t, T-1-t} with probability 2/T.
    se = math.sqrt((n + 1) // 2 * (2 / T) * (1 - 2 / T))
    z = ((counts - n / T).abs().max() / se).item()
    assert z < 5, f"a step's count is {z:.1f} standard errors from uniform"


check_antithetic(helpers.antithetic_steps)
print("loss on a batch of 127:", round(helpers.eps_loss(model, x0[:127], schedule).item(), 2))

# %% [markdown]
# It catches the recipe's version, a mirror off by one ($T - t$), and draws that never reach $T - 1$:

# %%
def recipe_steps(n, T):
    t_half = torch.randint(0, T, (n // 2,))
    return torch.cat([t_half, T - 1 - t_half])


def mirror_off_by_one(n, T):
    t_half = torch.randint(0, T, ((n + 1) // 2,))
    return torch.cat([t_half, T - t_half])[:n]


def draws_miss_last(n, T):
    t_half = torch.randint(0, T - 1, ((n + 1) // 2,))
    return torch.cat([t_half, T - 1 - t_half])[:n]


for wrong in (recipe_steps, mirror_off_by_one, draws_miss_last):
    try:
        check_antithetic(wrong)
        print(f"{wrong.__name__}: passes (not caught)")
    except AssertionError as error:
        print(f"{wrong.__name__}: caught, {error}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The loss step by step
#
# Where is denoising hard? Evaluate $L_\text{simple}$ at each $t$ on all 10 000 points, for the untrained network
# and for the network trained with lesson 08's recipe (a checkpoint committed with the course, at
# `helpers.COMMITTED_CHECKPOINT`; `helpers.load_model` rebuilds the network from the configuration saved with it). We
# keep each point's squared error, to get standard errors too.

# %%
trained = helpers.load_model(helpers.COMMITTED_CHECKPOINT)
eps = torch.randn_like(x0)
with torch.no_grad():
    errors = {name: torch.stack([((eps - net(helpers.q_sample(x0, t, schedule, eps=eps), t)) ** 2).mean(dim=1) for t in range(T)])
              for name, net in (("untrained", model), ("trained (lesson 08)", trained))}
per_step = {name: e.mean(dim=1) for name, e in errors.items()}
with torch.no_grad():
    torch.testing.assert_close(helpers.eps_loss(trained, x0, schedule, t=50, eps=eps), per_step["trained (lesson 08)"][50])

# %% [markdown]
# Trained, the loss is lowest at late steps and highest at early steps:

# %%
late, early = per_step["trained (lesson 08)"][-10:].mean().item(), per_step["trained (lesson 08)"][:10].mean().item()
print(f"trained: first 10 steps {early:.2f}, last 10 steps {late:.2f}; untrained: {per_step['untrained'].mean().item():.1f} on average")
assert late < early < per_step["untrained"].min().item()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Why the loss cannot reach 0
#
# $\boldsymbol\epsilon$ is not a function of $\mathbf{x}_t$: many pairs $(\mathbf{x}_0, \boldsymbol\epsilon)$ give the same
# $\mathbf{x}_t$. Even the best possible network, $\boldsymbol\epsilon^*(\mathbf{x}_t, t) = \mathbb{E}[\boldsymbol\epsilon\mid\mathbf{x}_t]$,
# leaves the error $\mathbb{E}\,\lVert\boldsymbol\epsilon - \mathbb{E}[\boldsymbol\epsilon\mid\mathbf{x}_t]\rVert^2 > 0$ at every step.
# Lesson 09 computes this loss floor exactly. A simple **lower bound**: a network that also knew which point of the
# curve $\mathbf{x}_0$ was drawn around could only do better. `make_s_curve` adds Gaussian noise of std 0.1 to
# each coordinate, $\delta = 0.01$ after the division by 10 (the data's own noise, $\delta$ throughout the course);
# given the curve point, $\mathbf{x}_0$ is Gaussian, the best prediction of $\boldsymbol\epsilon$ is linear, and its error per
# coordinate is
#
# $$\frac{\bar\alpha_t \delta^2}{\bar\alpha_t \delta^2 + 1 - \bar\alpha_t} \;\le\; \text{loss floor at step } t.$$

# %%
delta = 0.01
bound = alpha_bar * delta**2 / (alpha_bar * delta**2 + 1 - alpha_bar)
trained_se = errors["trained (lesson 08)"].std(dim=1) / math.sqrt(x0.shape[0])
for t in (0, 9, T - 1):
    print(f"code step {t:2d}: loss floor >= {bound[t]:.4f}, trained {per_step['trained (lesson 08)'][t]:.4f} ± s.e. {trained_se[t]:.4f}")
print(f"averaged over steps: loss floor >= {bound.mean():.3f}, trained {per_step['trained (lesson 08)'].mean():.3f}")

# %% [markdown]
# At the first step the loss floor is at least 0.82: $\mathbf{x}_t$ is $\mathbf{x}_0$ plus noise of std $\sqrt{\beta_1} \approx 0.005$,
# smaller than the data's own scatter around the curve (0.01), so most of the noise cannot be told apart from
# the data. The trained network's loss at that step (printed above) is less than 1.2 times the bound: most of
# it is this loss floor. A check that would fail if the bound were wrong: no network may beat the bound by more than 5 standard errors at any
# step (a bound that forgot the division by 10, $\delta = 0.1$, fails it).

# %%
def check_floor(losses, se, bound):
    """Per-step losses of a network at or above a lower bound on the loss floor, within 5 standard errors."""
    z = ((bound - losses) / se).max().item()
    assert z < 5, f"a loss lies {z:.1f} standard errors below the bound"


check_floor(per_step["trained (lesson 08)"], trained_se, bound)
assert per_step["trained (lesson 08)"][0] < 1.2 * bound[0]
wrong_bound = alpha_bar * 0.1**2 / (alpha_bar * 0.1**2 + 1 - alpha_bar)
try:
    check_floor(per_step["trained (lesson 08)"], trained_se, wrong_bound)
    print("delta = 0.1: passes (not caught)")
except AssertionError as error:
    print(f"delta = 0.1: caught, {error}")

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
for name, losses in per_step.items():
    ax.semilogy(torch.arange(T), losses, label=name)
ax.semilogy(torch.arange(T), bound, "k--", linewidth=1, label="lower bound on the loss floor")
ax.set(xlabel="step t (0-based)", ylabel=r"$L_\mathrm{simple}$ at step t", title="loss per step")
ax.legend()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - The negative ELBO, $L$, is $L_T$, a sum of KLs between Gaussians, and $L_0$; with fixed variances each KL is
#   $w_t\lVert\boldsymbol\epsilon - \boldsymbol\epsilon_\theta\rVert^2 + C$, with $w_t$ varying by a factor of 23 over $t = 2 \dots T$ when $\sigma_t^2 = \beta_t$.
# - $L_\text{simple}$ drops $w_t$: a plain mean-squared error on the noise, at a uniformly random step.
# - The recipe's antithetic steps break for odd batches, which it never meets (10 000 = 78·128 + 16): a dormant bug.
#   Drawing $\lceil B/2 \rceil$ and cutting to $B$, as the upstream notebook did, fixes it.
# - $L_\text{simple}$ cannot reach 0: the loss floor is $\mathbb{E}\lVert\boldsymbol\epsilon - \mathbb{E}[\boldsymbol\epsilon\mid\mathbf{x}_t]\rVert^2$, at least 0.82
#   at the first step for these data. A trained network finds late steps easy and early steps hard.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises (solutions: `%load solutions/06_1.py`, `06_2.py`, `06_3.py`; each ends with its check)
#
# **1. Derive.** Write `elbo_weight(schedule, t)`: $w_t$ for section 4's other choice, $\sigma_t^2 = \tilde\beta_t$, as a Python
# float, for a 0-based step `t` from 1 on (at step 0, $\tilde\beta$ is 0). Simplify first: one factor cancels.

# %%
def elbo_weight(schedule, t):
    return None  # your code here


helpers.check_exercise("06.1", elbo_weight)

# %% [markdown]
# **2. Derive.** For two Gaussians in $d$ dimensions, $\mathrm{KL}(\mathcal N(\boldsymbol\mu_1, \Sigma_1)\,\|\,\mathcal N(\boldsymbol\mu_2, \Sigma_2)) =
# \tfrac12\big[\mathrm{tr}(\Sigma_2^{-1}\Sigma_1) + (\boldsymbol\mu_2 - \boldsymbol\mu_1)^\top\Sigma_2^{-1}(\boldsymbol\mu_2 - \boldsymbol\mu_1) - d + \ln(\det\Sigma_2/\det\Sigma_1)\big]$.
# Specialise it to $\Sigma_1 = v_1 I$ and $\Sigma_2 = v_2 I$ and write `kl_isotropic(mu1, var1, mu2, var2)` (`mu`s are 1-d tensors,
# `var`s floats), returning a float.

# %%
def kl_isotropic(mu1, var1, mu2, var2):
    return None  # your code here


helpers.check_exercise("06.2", kl_isotropic)

# %% [markdown]
# **3. Predict first.** The simplest possible network always predicts $\boldsymbol\epsilon_\theta = 0$. What is its
# $L_\text{simple}$ on the S-curve? Write your number, then run the cell; the check measures it on 10 000 points at
# antithetic steps and says whether you were within 10 %.

# %%
prediction = None  # your number

helpers.check_exercise("06.3", prediction)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## References
#
# - J. Ho, A. Jain, P. Abbeel (2020). *Denoising Diffusion Probabilistic Models.* NeurIPS. Eq. 5: the bound as
#   $L_T + \sum L_{t-1} + L_0$; eqs. 6–7: the forward posterior; eq. 10: its mean in terms of ε; eq. 11: $\boldsymbol\mu_\theta$;
#   eq. 12: the weighted squared error; eq. 13: the decoder $L_0$; eq. 14: $L_\text{simple}$; §3.4 and Table 2:
#   dropping the weights.
# - The reference recipe's antithetic time steps: the blog tutorial of lesson 01, from P. Esling's `diffusion_models`
#   notebooks (ACIDS, IRCAM, 2021; github.com/acids-ircam/diffusion_models, `diffusion_02_model.ipynb`), whose
#   loss functions draw `batch_size // 2 + 1` steps and cut the mirrored list to `batch_size`.
