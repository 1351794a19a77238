# %% [markdown] slideshow={"slide_type": "slide"}
# # Lesson 06 — The loss: from the ELBO to $L_\text{simple}$
#
# **Goal.** Derive what the network of lesson 05 should be trained on. We sketch how the evidence lower bound
# (ELBO) of Ho et al. (2020, eqs. 3–12) becomes a sum of KL divergences between Gaussians, how each KL turns
# into a squared error on the noise, and why dropping its weights gives the simple loss
# $L_\text{simple} = \mathbb{E}\,\lVert\boldsymbol\epsilon - \boldsymbol\epsilon_\theta(\mathbf{x}_t, t)\rVert^2$.
# Then we implement it, fix the reference recipe's time-step sampling for odd batch sizes, and look at the loss
# step by step for an untrained and a trained network.
#
# **Assumes.** Lessons 04 (closed form) and 05 (the network); what a KL divergence is.

# %% slideshow={"slide_type": "skip"}
import matplotlib.pyplot as plt
import torch
from torch.distributions import MultivariateNormal, kl_divergence

import helpers

torch.manual_seed(0)
schedule = helpers.sigmoid_schedule(100)
T, beta, alpha, alpha_bar = schedule.T, schedule.beta, schedule.alpha, schedule.alpha_bar
x0 = helpers.s_curve(10_000)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The bound
#
# We want a large likelihood $p_\theta(\mathbf{x}_0)$. With the forward process $q$ as the variational
# distribution over $\mathbf{x}_{1:T}$, Jensen's inequality gives $-\log p_\theta(\mathbf{x}_0) \le L$, and
# rearranging the terms of $L$ (Ho et al., eq. 5) gives
#
# $$L = \mathbb{E}_q\Big[\underbrace{D_\mathrm{KL}\big(q(\mathbf{x}_T\mid\mathbf{x}_0)\,\|\,p(\mathbf{x}_T)\big)}_{L_T\text{: no parameters}}
#   + \sum_{t=2}^{T}\underbrace{D_\mathrm{KL}\big(q(\mathbf{x}_{t-1}\mid\mathbf{x}_t,\mathbf{x}_0)\,\|\,p_\theta(\mathbf{x}_{t-1}\mid\mathbf{x}_t)\big)}_{L_{t-1}}
#   \underbrace{-\log p_\theta(\mathbf{x}_0\mid\mathbf{x}_1)}_{L_0}\Big].$$
#
# Each $L_{t-1}$ compares two Gaussians: the forward posterior $q(\mathbf{x}_{t-1}\mid\mathbf{x}_t,\mathbf{x}_0) =
# \mathcal{N}(\tilde{\boldsymbol\mu}_t, \tilde\beta_t I)$ (derived in lesson 07) and the model's reverse step
# $p_\theta = \mathcal{N}(\boldsymbol\mu_\theta, \sigma_t^2 I)$ with a fixed $\sigma_t^2$.
#
# (Note $L_T$ is only small when $q(\mathbf{x}_T\mid\mathbf{x}_0) \approx \mathcal{N}(0, I)$ — for the reference
# schedule, $\bar\alpha_T = 0.778$, it is not: lesson 02's prior mismatch, now as a term of the bound.)

# %% [markdown] slideshow={"slide_type": "notes"}
# Do not derive the ELBO live: state it, then spend the time on why each KL becomes a squared error on ε.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. KL between Gaussians of equal variance
#
# For $d$-dimensional $\mathcal{N}(\boldsymbol\mu_1, \sigma^2 I)$ and $\mathcal{N}(\boldsymbol\mu_2, \sigma^2 I)$,
# the log-determinant and trace terms cancel, leaving
#
# $$D_\mathrm{KL} = \frac{\lVert\boldsymbol\mu_1 - \boldsymbol\mu_2\rVert^2}{2\sigma^2}.$$
#
# When the variances differ ($\tilde\beta_t$ vs $\sigma_t^2$), the extra terms do not depend on $\theta$. Checked
# against PyTorch's general formula:

# %%
mu1, mu2, var = torch.tensor([0.3, -0.1]), torch.tensor([0.1, 0.2]), torch.tensor(0.05)
general = kl_divergence(MultivariateNormal(mu1, var * torch.eye(2)), MultivariateNormal(mu2, var * torch.eye(2)))
torch.testing.assert_close(general, ((mu1 - mu2) ** 2).sum() / (2 * var))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Means in terms of noise
#
# Write $\mathbf{x}_0 = (\mathbf{x}_t - \sqrt{1-\bar\alpha_t}\,\boldsymbol\epsilon)/\sqrt{\bar\alpha_t}$ (lesson 04) into the
# posterior mean of lesson 07. It simplifies to
#
# $$\tilde{\boldsymbol\mu}_t = \frac{1}{\sqrt{\alpha_t}}\Big(\mathbf{x}_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\,\boldsymbol\epsilon\Big),$$
#
# so choose the model's mean of the same form with a *predicted* noise:
# $\boldsymbol\mu_\theta = \frac{1}{\sqrt{\alpha_t}}\big(\mathbf{x}_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\boldsymbol\epsilon_\theta(\mathbf{x}_t, t)\big)$.
# Checked at every step on real data: the posterior mean in its $\mathbf{x}_0$ form equals its $\boldsymbol\epsilon$ form.

# %%
# In float64 from beta: near t = 0, the float32 difference 1 - alpha_bar keeps only about 3 significant digits.
b, x = beta.double(), x0.double()
a = 1 - b
ab = torch.cumprod(a, dim=0)
eps = torch.randn_like(x)
for t in range(1, T):
    xt = ab[t].sqrt() * x + (1 - ab[t]).sqrt() * eps
    mean_from_x0 = (ab[t - 1].sqrt() * b[t] * x + a[t].sqrt() * (1 - ab[t - 1]) * xt) / (1 - ab[t])
    mean_from_eps = (xt - b[t] / (1 - ab[t]).sqrt() * eps) / a[t].sqrt()
    torch.testing.assert_close(mean_from_eps, mean_from_x0)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. The weights, and dropping them
#
# Subtracting the two means leaves only the noise terms:
#
# $$L_{t-1} = \frac{\lVert\tilde{\boldsymbol\mu}_t - \boldsymbol\mu_\theta\rVert^2}{2\sigma_t^2} + C
#   = \underbrace{\frac{\beta_t^2}{2\sigma_t^2\,\alpha_t\,(1-\bar\alpha_t)}}_{\lambda_t}\,\lVert\boldsymbol\epsilon - \boldsymbol\epsilon_\theta(\mathbf{x}_t, t)\rVert^2 + C.$$
#
# Ho et al. found that dropping $\lambda_t$ — training every step with equal weight — gives better samples
# (their Table 2). With $\sigma_t^2 = \beta_t$ the weights span orders of magnitude:

# %%
lam = beta / (2 * alpha * (1 - alpha_bar))
t_pair = 50
mu_t = torch.randn(2)
eps_pair, eps_pred = torch.randn(2), torch.randn(2)
mu_q = (mu_t - beta[t_pair] / (1 - alpha_bar[t_pair]).sqrt() * eps_pair) / alpha[t_pair].sqrt()
mu_p = (mu_t - beta[t_pair] / (1 - alpha_bar[t_pair]).sqrt() * eps_pred) / alpha[t_pair].sqrt()
torch.testing.assert_close(((mu_q - mu_p) ** 2).sum() / (2 * beta[t_pair]), lam[t_pair] * ((eps_pair - eps_pred) ** 2).sum())
print(f"lambda_t from {lam.min():.2e} (t = {lam.argmin().item()}) to {lam.max():.2e} (t = {lam.argmax().item()})")

# %%
fig, ax = plt.subplots(figsize=(6, 3))
ax.semilogy(torch.arange(T), lam)
ax.set(xlabel="step t (0-based)", ylabel=r"$\lambda_t$", title=r"the ELBO's weights that $L_\mathrm{simple}$ drops")
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The loss in code
#
# $$L_\text{simple} = \mathbb{E}_{t, \mathbf{x}_0, \boldsymbol\epsilon}\,\big\lVert\boldsymbol\epsilon - \boldsymbol\epsilon_\theta(\sqrt{\bar\alpha_t}\mathbf{x}_0 + \sqrt{1-\bar\alpha_t}\boldsymbol\epsilon,\ t)\big\rVert^2$$
#
# (averaged over the two coordinates as well, as in the reference). One batch:

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
# ## Antithetic time steps, fixed
#
# The reference draws half a batch of steps and mirrors them, `cat([t, T-1-t])`, so each batch covers early and
# late steps evenly. With `B // 2` draws, an odd batch gets one step too few — and the loss fails:

# %% tags=["raises-exception"]
B = 127
t_half = torch.randint(0, T, (B // 2,))
t_recipe = torch.cat([t_half, T - 1 - t_half])
print("steps for a batch of", B, "points:", len(t_recipe))
helpers.eps_loss(model, x0[:B], schedule, t=t_recipe)

# %% [markdown]
# Draw $\lceil B/2\rceil$ instead and cut the mirrored list to $B$. For an even batch, every pair averages to
# exactly $(T-1)/2$:

# %%
for B in (1, 2, 127, 128):
    steps = helpers.antithetic_steps(B, T)
    assert steps.shape == (B,) and steps.min() >= 0 and steps.max() < T
assert helpers.antithetic_steps(128, T).double().mean() == (T - 1) / 2
print("loss on a batch of 127:", round(helpers.eps_loss(model, x0[:127], schedule).item(), 2))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The loss step by step
#
# Where is denoising hard? Evaluate $L_\text{simple}$ at each $t$ on all 10 000 points, for the untrained network
# and for the network trained with lesson 08's recipe (a checkpoint committed with the course).

# %%
trained = helpers.NoisePredictor(T, c_in=helpers.input_scale(schedule, x0.std().item()))
helpers.load_weights(trained, "checkpoints/ddpm_scurve.pt")
eps = torch.randn_like(x0)
with torch.no_grad():
    per_step = {name: torch.stack([helpers.eps_loss(net, x0, schedule, t=t, eps=eps) for t in range(T)])
                for name, net in (("untrained", model), ("trained (lesson 08)", trained))}

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
for name, losses in per_step.items():
    ax.semilogy(torch.arange(T), losses, label=name)
ax.set(xlabel="step t (0-based)", ylabel=r"$L_\mathrm{simple}$ at step t", title="loss per step")
ax.legend()
plt.show()

# %% [markdown]
# Trained, the loss is lowest at late steps, where $\mathbf{x}_t$ is mostly noise and predicting that noise is
# easy, and highest at early steps, where the noise is a tiny fraction of $\mathbf{x}_t$:

# %%
late, early = per_step["trained (lesson 08)"][-10:].mean().item(), per_step["trained (lesson 08)"][:10].mean().item()
print(f"trained: first 10 steps {early:.2f}, last 10 steps {late:.2f}; untrained: {per_step['untrained'].mean().item():.1f} on average")
assert late < early < per_step["untrained"].min().item()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - The ELBO is a sum of KLs between Gaussians; with fixed variances each is $\lambda_t\lVert\boldsymbol\epsilon - \boldsymbol\epsilon_\theta\rVert^2 + C$.
# - $L_\text{simple}$ drops $\lambda_t$: a plain mean-squared error on the noise, at a uniformly random step.
# - Antithetic steps must draw $\lceil B/2 \rceil$ and cut to $B$, or odd batches break.
# - A trained network finds late steps easy and early steps hard.
#
# ## Exercises (solutions: `%load solutions/06_1.py`, `06_2.py`)
#
# **1.** Write `elbo_weight(schedule, t)`: $\lambda_t$ for $\sigma_t^2 = \beta_t$, as a Python float, for a 0-based step `t`.

# %%
def elbo_weight(schedule, t):
    return None  # your code here


helpers.check_exercise("06.1", elbo_weight)

# %% [markdown]
# **2.** Write `kl_isotropic(mu1, var1, mu2, var2)`: the KL divergence between $d$-dimensional
# $\mathcal{N}(\boldsymbol\mu_1, v_1 I)$ and $\mathcal{N}(\boldsymbol\mu_2, v_2 I)$ (`mu`s are 1-d tensors, `var`s floats), as a float.

# %%
def kl_isotropic(mu1, var1, mu2, var2):
    return None  # your code here


helpers.check_exercise("06.2", kl_isotropic)
