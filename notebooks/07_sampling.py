# %% [markdown] slideshow={"slide_type": "slide"}
# # Lesson 07 — Sampling: running the chain backwards
#
# **Goal.** Turn a trained noise predictor into a generator. We derive the forward posterior
# $q(\mathbf{x}_{t-1}\mid\mathbf{x}_t,\mathbf{x}_0)$, show that the reverse-step mean is that posterior evaluated at the
# model's guess of $\mathbf{x}_0$, choose the step's variance, write the sampling loop (no noise at the last step,
# no gradients), and measure the samples with one number. Then we look at what the reference recipe gets wrong:
# its prior mismatch, and the blog's mistyped mean.
#
# **Assumes.** Lessons 04–06. A network trained by lesson 08's recipe is committed with the course, so this
# lesson does not need lesson 08 to have run.

# %% slideshow={"slide_type": "skip"}
import matplotlib.pyplot as plt
import numpy as np
import torch

import helpers

torch.manual_seed(0)
device = helpers.default_device()
schedule = helpers.sigmoid_schedule(100)
T, beta, alpha, alpha_bar = schedule.T, schedule.beta, schedule.alpha, schedule.alpha_bar
x0 = helpers.s_curve(10_000)
model = helpers.NoisePredictor(T, c_in=helpers.input_scale(schedule, x0.std().item()))
helpers.load_weights(model, "checkpoints/ddpm_scurve.pt")
model = model.to(device).eval()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The forward posterior
#
# By Bayes, $q(\mathbf{x}_{t-1}\mid\mathbf{x}_t,\mathbf{x}_0) \propto q(\mathbf{x}_t\mid\mathbf{x}_{t-1})\,q(\mathbf{x}_{t-1}\mid\mathbf{x}_0)$,
# a product of two Gaussians in $\mathbf{x}_{t-1}$:
# $\mathcal{N}(\mathbf{x}_t;\sqrt{\alpha_t}\mathbf{x}_{t-1}, \beta_t I)$ and $\mathcal{N}(\mathbf{x}_{t-1};\sqrt{\bar\alpha_{t-1}}\mathbf{x}_0, (1-\bar\alpha_{t-1})I)$.
# Precisions add, and the mean is the precision-weighted combination:
#
# $$\frac{1}{\tilde\beta_t} = \frac{\alpha_t}{\beta_t} + \frac{1}{1-\bar\alpha_{t-1}},\qquad
#   \tilde{\boldsymbol\mu}_t = \tilde\beta_t\Big(\frac{\sqrt{\alpha_t}}{\beta_t}\mathbf{x}_t + \frac{\sqrt{\bar\alpha_{t-1}}}{1-\bar\alpha_{t-1}}\mathbf{x}_0\Big).$$
#
# Simplifying with $\bar\alpha_t = \alpha_t\bar\alpha_{t-1}$ gives the form of Ho et al. (eq. 7):
#
# $$\tilde\beta_t = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\beta_t,\qquad
#   \tilde{\boldsymbol\mu}_t = \frac{\sqrt{\bar\alpha_{t-1}}\,\beta_t}{1-\bar\alpha_t}\mathbf{x}_0 + \frac{\sqrt{\alpha_t}(1-\bar\alpha_{t-1})}{1-\bar\alpha_t}\mathbf{x}_t.$$

# %%
# In float64 from beta: near t = 0, the float32 difference 1 - alpha_bar keeps only about 3 significant digits.
alpha_bar64 = torch.cumprod(1 - beta.double(), dim=0)
ab, ab_prev, b = alpha_bar64[1:], alpha_bar64[:-1], beta[1:].double()
a = 1 - b
beta_tilde = 1 / (a / b + 1 / (1 - ab_prev))
torch.testing.assert_close(beta_tilde, (1 - ab_prev) / (1 - ab) * b)
xt, x0_ = torch.randn(2, dtype=torch.float64), torch.randn(2, dtype=torch.float64)
mean_precision_form = beta_tilde[:, None] * (a.sqrt()[:, None] / b[:, None] * xt + ab_prev.sqrt()[:, None] / (1 - ab_prev[:, None]) * x0_)
mean_eq7 = (ab_prev.sqrt() * b / (1 - ab))[:, None] * x0_ + (a.sqrt() * (1 - ab_prev) / (1 - ab))[:, None] * xt
torch.testing.assert_close(mean_precision_form, mean_eq7)

# %% [markdown]
# `helpers.posterior` implements eq. 7 for a batch (with $\bar\alpha_0 = 1$ before the first step). A Monte Carlo
# check as well: draw $\mathbf{x}_{t-1}$ from $q(\mathbf{x}_{t-1}\mid\mathbf{x}_0)$ and $\mathbf{x}_t$ from one forward step;
# the regression of $\mathbf{x}_{t-1}$ on $\mathbf{x}_t$ must have the slope and residual variance above.

# %%
t = 60
point = x0[:1].repeat(200_000, 1)
x_prev = helpers.q_sample(point, t - 1, schedule)
x_t = helpers.q_step(x_prev, t, schedule)
mean, var = helpers.posterior(point, x_t, t, schedule)
residual = x_prev - mean
print(f"posterior variance: formula {var[0].item():.3e}, Monte Carlo {residual.var().item():.3e}")
assert abs(residual.var().item() / var[0].item() - 1) < 0.02
assert residual.mean(0).abs().max() < 5 * var[0].sqrt() / np.sqrt(200_000)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The reverse step is the posterior at the predicted $\mathbf{x}_0$
#
# The model predicts $\boldsymbol\epsilon$, hence a guess $\hat{\mathbf{x}}_0 = (\mathbf{x}_t - \sqrt{1-\bar\alpha_t}\,\boldsymbol\epsilon_\theta)/\sqrt{\bar\alpha_t}$.
# Lesson 06's reverse mean
# $\boldsymbol\mu_\theta = \frac{1}{\sqrt{\alpha_t}}\big(\mathbf{x}_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\boldsymbol\epsilon_\theta\big)$
# is exactly $\tilde{\boldsymbol\mu}_t(\mathbf{x}_t, \hat{\mathbf{x}}_0)$. Checked with the trained model, at every step:

# %%
with torch.no_grad():
    for t in range(T):
        xt = helpers.q_sample(x0[:1000], t, schedule).to(device)
        eps_pred = model(xt, torch.tensor(t, device=device))
        x0_hat = (xt - (1 - alpha_bar[t]).sqrt() * eps_pred) / alpha_bar[t].sqrt()
        mu_theta = (xt - beta[t] / (1 - alpha_bar[t]).sqrt() * eps_pred) / alpha[t].sqrt()
        torch.testing.assert_close(mu_theta, helpers.posterior(x0_hat, xt, t, schedule)[0], rtol=1e-3, atol=1e-4)
        torch.testing.assert_close(mu_theta, helpers.reverse_mean(eps_pred, xt, t, schedule))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The step's variance: $\beta_t$ or $\tilde\beta_t$
#
# Ho et al. report similar results for $\sigma_t^2 = \beta_t$ (the right choice if $\mathbf{x}_0$ were pure noise)
# and $\sigma_t^2 = \tilde\beta_t$ (right if $\mathbf{x}_0$ were a single point). They differ most at the first steps,
# where $\tilde\beta_1 = 0$:

# %%
sigma_beta = helpers.reverse_sigma(torch.arange(T), schedule, "beta") ** 2
sigma_tilde = helpers.reverse_sigma(torch.arange(T), schedule, "beta_tilde") ** 2
torch.testing.assert_close(sigma_tilde[1:], ((1 - alpha_bar[:-1]) / (1 - alpha_bar[1:]) * beta[1:]))
assert sigma_tilde[0] == 0 and (sigma_tilde <= sigma_beta).all()
fig, ax = plt.subplots(figsize=(6, 3))
ax.semilogy(torch.arange(1, T), sigma_beta[1:], label=r"$\beta_t$")
ax.semilogy(torch.arange(1, T), sigma_tilde[1:], label=r"$\tilde\beta_t$")
ax.set(xlabel="step t (0-based)", title=r"$\sigma_t^2$ of the reverse step")
ax.legend()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The sampling loop
#
# Start from $\mathbf{x}_T \sim \mathcal{N}(0, I)$; for $t = T, \dots, 1$:
#
# $$\mathbf{x}_{t-1} = \frac{1}{\sqrt{\alpha_t}}\Big(\mathbf{x}_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\boldsymbol\epsilon_\theta(\mathbf{x}_t, t)\Big) + \sigma_t\mathbf{z},
#   \qquad \mathbf{z} \sim \mathcal{N}(0, I) \text{ if } t > 1, \text{ else } \mathbf{z} = 0.$$
#
# No noise at the last step (Ho et al., Algorithm 2): $\mathbf{x}_0$ is the mean. Sampling computes no gradients,
# so `torch.no_grad()`, and `eval()` so any layer that behaves differently in training would not.
# The noise is drawn on the CPU and moved, so a seed gives the same samples on every device.

# %%
def sample_loop(model, n, generator):
    x = torch.randn(n, 2, generator=generator).to(device)
    chain = [x]
    with torch.no_grad():
        for t in reversed(range(T)):
            eps_pred = model(x, torch.full((n,), t, device=device))
            x = (x - beta[t] / (1 - alpha_bar[t]).sqrt() * eps_pred) / alpha[t].sqrt()
            if t > 0:
                x = x + beta[t].sqrt() * torch.randn(n, 2, generator=generator).to(device)
            chain.append(x)
    return torch.stack(chain)


chain = sample_loop(model, 10_000, torch.Generator().manual_seed(0))
helper_chain = helpers.sample(model, schedule, 10_000, generator=torch.Generator().manual_seed(0), keep_chain=True)
torch.testing.assert_close(helper_chain, chain)
samples = chain[-1].cpu()
print("chain:", tuple(chain.shape), "= (T + 1 states, points, 2)")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## One number for sample quality: the energy distance
#
# For distributions $P, Q$ and independent $X, X' \sim P$, $Y, Y' \sim Q$ (Székely & Rizzo, 2013):
#
# $$\mathcal{E}(P, Q) = 2\,\mathbb{E}\lVert X - Y\rVert - \mathbb{E}\lVert X - X'\rVert - \mathbb{E}\lVert Y - Y'\rVert \;\ge 0,\quad = 0 \iff P = Q.$$
#
# Estimated with all pairs, skipping each point's zero distance to itself (the unbiased U-statistic), it is about 0
# for two samples of the same distribution. The course reports it **×10³** against a fresh S-curve sample of
# the same size. The readable version on 1 000 points, and the helper on the same points:

# %%
def energy_distance(x, y):
    n, m = len(x), len(y)
    xy = torch.cdist(x, y).mean()
    xx = torch.cdist(x, x).sum() / (n * (n - 1))
    yy = torch.cdist(y, y).sum() / (m * (m - 1))
    return (2 * xy - xx - yy).item()


a, b = samples[:1000].double(), helpers.s_curve(1000, seed=5).double()
assert abs(energy_distance(a, b) - helpers.energy_distance(a, b)) < 1e-12

# %% [markdown]
# What do values mean? Two independent S-curve samples of 10 000 points, the trained model, and the data
# shifted by 0.01 (a tenth of its std):

# %%
fresh = helpers.s_curve(10_000, seed=7)
quality = helpers.sample_quality(samples)
print(f"data vs data:         {helpers.sample_quality(fresh):6.2f}")
print(f"model samples:        {quality:6.2f}")
print(f"data shifted by 0.01: {helpers.sample_quality(fresh + 0.01):6.2f}")
assert abs(helpers.sample_quality(fresh)) < 0.1 and quality < 0.3 < helpers.sample_quality(fresh + 0.01)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The reverse chain
#
# Samples of $p_\theta(\mathbf{x}_t)$ — not of $q$: these come from the model. 11 snapshots, $t = 100$ down to the
# final $\mathbf{x}_0$, with its quality in the title.

# %%
shown = list(range(0, T + 1, 10))
helpers.plot_strip([chain[k].cpu() for k in shown], [f"t = {T - k}" for k in shown],
                   suptitle=f"samples of p_θ(x_t), T → 0   (final energy distance ×10³ = {quality:.2f})")
plt.show()

# %%
frames = list(range(0, T + 1, 2))
assert frames[-1] == T
titles = [f"p_θ: t = {T - k}" for k in frames[:-1]] + [f"p_θ: t = 0, energy distance ×10³ = {quality:.2f}"]
helpers.animate_states([chain[k].cpu() for k in frames], titles, "p_θ(x_t), t = 100 to 0", limit=1.5)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Why `no_grad` and no final noise matter
#
# Without `torch.no_grad()` every step stays in the autograd graph (the recipe's bug 5): 100 steps of a
# 10 000-point batch keep every activation alive. And noise at the last step (bug 2) blurs the result by
# $\sqrt{\beta_1} \approx 0.005$, half the data's own noise. The energy distance notices, if only slightly:

# %%
x = torch.randn(1000, 2, generator=torch.Generator().manual_seed(2)).to(device)
for t in reversed(range(T)):
    x = helpers.reverse_mean(model(x, torch.tensor(t, device=device)), x, t, schedule)
print("without no_grad, the result carries a graph:", x.grad_fn is not None)
assert x.requires_grad and not helpers.sample(model, schedule, 10, generator=torch.Generator().manual_seed(0)).requires_grad

# %%
last_noise = samples + beta[0].sqrt() * torch.randn(samples.shape, generator=torch.Generator().manual_seed(3))
print(f"energy distance ×10³ without / with noise at the last step: {quality:.3f} / {helpers.sample_quality(last_noise):.3f}")
assert helpers.sample_quality(last_noise) > quality

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The prior mismatch
#
# The recipe's $\bar\alpha_T = 0.778$: training never showed the network an $\mathbf{x}_T$ as spread out as
# $\mathcal{N}(0, I)$, yet sampling starts there. Start instead from the true $q(\mathbf{x}_T)$ — which a sampler cannot
# do without the data — and compare:

# %%
x_T = helpers.q_sample(helpers.s_curve(10_000, seed=11), T - 1, schedule, generator=torch.Generator().manual_seed(11))
from_q = helpers.sample(model, schedule, 10_000, generator=torch.Generator().manual_seed(0), x_T=x_T).cpu()
quality_q = helpers.sample_quality(from_q)
fig, axes = plt.subplots(1, 2, figsize=(8, 4))
helpers.plot_points(samples, ax=axes[0], title=f"from N(0, I): {quality:.2f}")
helpers.plot_points(from_q, ax=axes[1], title=f"from q(x_T): {quality_q:.2f}")
fig.suptitle("energy distance ×10³ of 10 000 samples")
plt.show()

# %% [markdown]
# With this network the two numbers differ by less than the metric's own noise (about ±0.04 at 10 000
# points): its first reverse steps pull stray points in. The mismatch is real all the same. In the bound of
# lesson 06 it is the term $L_T = D_\mathrm{KL}(q(\mathbf{x}_T\mid\mathbf{x}_0)\,\|\,\mathcal{N}(0, I))$, which per
# coordinate is $\tfrac12(\sigma^2 + \mu^2 - 1 - \log\sigma^2)$ with $\sigma^2 = 1-\bar\alpha_T$, $\mu = \sqrt{\bar\alpha_T}x_0$;
# and a third of the sampler's starting points lie where training almost never put an $\mathbf{x}_T$:

# %%
var_T = 1 - alpha_bar[-1]
L_T = (0.5 * (var_T + alpha_bar[-1] * x0**2 - 1 - var_T.log())).sum(1).mean()
one_point = torch.distributions.kl_divergence(
    torch.distributions.MultivariateNormal(alpha_bar[-1].sqrt() * x0[0], var_T * torch.eye(2)),
    torch.distributions.MultivariateNormal(torch.zeros(2), torch.eye(2)))
torch.testing.assert_close(one_point, (0.5 * (var_T + alpha_bar[-1] * x0[0] ** 2 - 1 - var_T.log())).sum())
start = torch.randn(10_000, 2, generator=torch.Generator().manual_seed(0))
far_start, far_q = (start.norm(dim=1) > 1.5).float().mean().item(), (x_T.norm(dim=1) > 1.5).float().mean().item()
print(f"L_T = {L_T:.2f} nats per point (0 for a schedule that ends in noise)")
print(f"starting points with |x_T| > 1.5: N(0, I) {far_start:.0%}, q(x_T) {far_q:.1%}")
assert L_T > 0.5 and far_start > 10 * far_q

# %% [markdown]
# The cure is a schedule whose $\bar\alpha_T \approx 0$ (lesson 02), at the price of a harder denoising problem;
# lesson 08 ends with that experiment.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The blog's typo, run on purpose
#
# The Chinese write-up prints the mean as $(1 - \sqrt{1-\beta_t})\,(\mathbf{x}_t - \ldots)$ instead of
# $\frac{1}{\sqrt{1-\beta_t}}(\mathbf{x}_t - \ldots)$. The right factor is about $1 + \beta_t/2$, a hair above 1;
# the typo's is about $\beta_t/2 \le 2.5\cdot10^{-3}$. **This cell is deliberately wrong:**

# %% [markdown] slideshow={"slide_type": "notes"}
# Before running the typo cell, ask the room to predict the picture. One wrong factor, no S.

# %%
def sample_with_typo(model, n, generator):
    x = torch.randn(n, 2, generator=generator).to(device)
    with torch.no_grad():
        for t in reversed(range(T)):
            eps_pred = model(x, torch.tensor(t, device=device))
            x = (1 - (1 - beta[t]).sqrt()) * (x - beta[t] / (1 - alpha_bar[t]).sqrt() * eps_pred)  # WRONG on purpose
            if t > 0:
                x = x + beta[t].sqrt() * torch.randn(n, 2, generator=generator).to(device)
    return x.cpu()


typo = sample_with_typo(model, 10_000, torch.Generator().manual_seed(0))
quality_typo = helpers.sample_quality(typo)
helpers.plot_points(typo, title=f"with the typo: energy distance ×10³ = {quality_typo:.0f}")
plt.show()

# %% [markdown]
# Each step multiplies the point by at most $2.5\cdot10^{-3}$; the noise added between steps is squeezed in turn,
# and the last step adds none. Everything collapses onto the origin. One wrong factor, no S.

# %%
print(f"std of the typo's samples: {typo.std().item():.0e} (the data's: {x0.std().item():.2f})")
assert quality_typo > 100 * quality

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - $q(\mathbf{x}_{t-1}\mid\mathbf{x}_t,\mathbf{x}_0) = \mathcal{N}(\tilde{\boldsymbol\mu}_t, \tilde\beta_t I)$; the reverse mean is $\tilde{\boldsymbol\mu}_t$ at the predicted $\hat{\mathbf{x}}_0$.
# - Sampling: $T$ reverse steps from $\mathcal{N}(0, I)$, no noise at the last, under `no_grad` and `eval()`.
# - Energy distance ×10³ against fresh data: ≈ 0 for the data itself, the course's yardstick for every result.
# - The recipe's prior mismatch is a real term of the bound ($L_T \approx 0.73$ nats) that this network largely recovers from;
#   the blog's typo destroys everything.
#
# ## Exercises (solutions: `%load solutions/07_1.py`, `07_2.py`)
#
# **1.** Write `predict_x0(xt, eps_pred, alpha_bar_t)`: the model's guess $\hat{\mathbf{x}}_0$.

# %%
def predict_x0(xt, eps_pred, alpha_bar_t):
    return None  # your code here


helpers.check_exercise("07.1", predict_x0)

# %% [markdown]
# **2.** Write `posterior_variance(schedule)`: the tensor of all $\tilde\beta_t$ (shape `(T,)`, 0-based, with
# $\tilde\beta$ of the first step equal to 0).

# %%
def posterior_variance(schedule):
    return None  # your code here


helpers.check_exercise("07.2", posterior_variance)
