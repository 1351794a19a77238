# %% [markdown] slideshow={"slide_type": "slide"}
# # Lesson 04 — Jumping to any $t$: the closed form of $q(\mathbf{x}_t \mid \mathbf{x}_0)$
#
# **Goal.** Derive that $t$ forward steps collapse into one Gaussian,
# $q(\mathbf{x}_t \mid \mathbf{x}_0) = \mathcal{N}(\sqrt{\bar\alpha_t}\,\mathbf{x}_0, (1-\bar\alpha_t) I)$, see why
# writing it as $\sqrt{\bar\alpha_t}\,\mathbf{x}_0 + \sqrt{1-\bar\alpha_t}\,\boldsymbol\epsilon$ (the
# reparameterisation trick) is what makes training cheap, and prove numerically that it gives the same
# distribution as lesson 03's loop.
#
# **Assumes.** Lesson 03 (the one-step forward process) and that a sum of independent Gaussians is Gaussian.

# %% slideshow={"slide_type": "skip"}
import matplotlib.pyplot as plt
import numpy as np
import torch
from scipy import stats

import helpers

torch.manual_seed(0)
x0 = helpers.s_curve(10_000)
schedule = helpers.sigmoid_schedule(100)
T, alpha, alpha_bar = schedule.T, schedule.alpha, schedule.alpha_bar

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Two steps become one
#
# Write a step as $\mathbf{x}_t = \sqrt{\alpha_t}\,\mathbf{x}_{t-1} + \sqrt{1-\alpha_t}\,\boldsymbol\epsilon_t$ and
# substitute the step before it:
#
# $$\mathbf{x}_t = \sqrt{\alpha_t\alpha_{t-1}}\,\mathbf{x}_{t-2}
#    + \underbrace{\sqrt{\alpha_t(1-\alpha_{t-1})}\,\boldsymbol\epsilon_{t-1} + \sqrt{1-\alpha_t}\,\boldsymbol\epsilon_t}_{\text{independent Gaussians}}.$$
#
# A sum of independent zero-mean Gaussians is a zero-mean Gaussian whose variance is the sum of the variances:
#
# $$\alpha_t(1-\alpha_{t-1}) + (1-\alpha_t) = 1 - \alpha_t\alpha_{t-1},$$
#
# so $\mathbf{x}_t = \sqrt{\alpha_t\alpha_{t-1}}\,\mathbf{x}_{t-2} + \sqrt{1-\alpha_t\alpha_{t-1}}\,\bar{\boldsymbol\epsilon}$ with
# a single $\bar{\boldsymbol\epsilon} \sim \mathcal{N}(0, I)$. The variance identity, checked at every pair of steps:

# %%
a_t, a_prev = alpha[1:].double(), alpha[:-1].double()
torch.testing.assert_close(a_t * (1 - a_prev) + (1 - a_t), 1 - a_t * a_prev)

# %% [markdown] slideshow={"slide_type": "notes"}
# Work the two-step case on the board first; the induction step is the same computation with ᾱ_{t-1} in place of α_{t-1}.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Induction
#
# Suppose $\mathbf{x}_{t-1} = \sqrt{\bar\alpha_{t-1}}\,\mathbf{x}_0 + \sqrt{1-\bar\alpha_{t-1}}\,\bar{\boldsymbol\epsilon}$.
# One more step gives $\sqrt{\alpha_t\bar\alpha_{t-1}}\,\mathbf{x}_0$ plus independent noise of variance
# $\alpha_t(1-\bar\alpha_{t-1}) + (1-\alpha_t) = 1 - \bar\alpha_t$. With $\bar\alpha_1 = \alpha_1$ the claim holds
# for $t = 1$, hence for every $t$:
#
# $$\boxed{\;q(\mathbf{x}_t \mid \mathbf{x}_0) = \mathcal{N}\big(\sqrt{\bar\alpha_t}\,\mathbf{x}_0,\ (1-\bar\alpha_t) I\big),
# \qquad \mathbf{x}_t = \sqrt{\bar\alpha_t}\,\mathbf{x}_0 + \sqrt{1-\bar\alpha_t}\,\boldsymbol\epsilon\;}$$
#
# The induction step's variance identity, at every $t$:

# %%
ab_t, ab_prev = alpha_bar[1:].double(), alpha_bar[:-1].double()
torch.testing.assert_close(a_t * (1 - ab_prev) + (1 - a_t), 1 - ab_t)
torch.testing.assert_close(alpha_bar[0], alpha[0])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The code
#
# One line, for any step $t$ (0-based in code, so `t = T - 1` is $\mathbf{x}_T$):

# %%
t = T - 1
eps = torch.randn_like(x0)
xt = alpha_bar[t].sqrt() * x0 + (1 - alpha_bar[t]).sqrt() * eps

# %% [markdown]
# `helpers.q_sample` does the same, and also takes one step per point, which training will need:

# %%
torch.testing.assert_close(helpers.q_sample(x0, t, schedule, eps=eps), xt)
steps = torch.randint(0, T, (x0.shape[0],))
per_point = alpha_bar[steps].sqrt().unsqueeze(1) * x0 + (1 - alpha_bar[steps]).sqrt().unsqueeze(1) * eps
torch.testing.assert_close(helpers.q_sample(x0, steps, schedule, eps=eps), per_point)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Proof by numbers: loop and closed form agree
#
# Run lesson 03's loop to every step and draw the closed form independently, with fresh noise.

# %%
loop = [x0]
for step in range(T):
    loop.append(helpers.q_step(loop[-1], step, schedule))
closed = [x0] + [helpers.q_sample(x0, step, schedule) for step in range(T)]

# %% [markdown]
# **Means and covariances.** Both sides hold $n = 10\,000$ independent points. Per coordinate, the difference of
# two sample means has standard error $\sigma\sqrt{2/n}$; a covariance entry $\Sigma_{ij}$ has standard error at most
# $\sqrt{(\Sigma_{ii}\Sigma_{jj} + \Sigma_{ij}^2)/n}$, so the difference of two has at most $\sqrt2$ times that.
# We allow 5 standard errors at each of the 100 steps: a false alarm has probability below $10^{-4}$,
# while a wrong $\sqrt{\bar\alpha_t}$ off by 1 % already fails at late steps.

# %%
n = x0.shape[0]
worst_mean, worst_cov = 0.0, 0.0
for step in range(1, T + 1):
    a, b = loop[step].double(), closed[step].double()
    cov_a, cov_b = torch.cov(a.T), torch.cov(b.T)
    sd = cov_b.diagonal().sqrt()
    mean_z = (a.mean(0) - b.mean(0)).abs() / (sd * np.sqrt(2 / n))
    cov_se = torch.sqrt(2 * (torch.outer(sd**2, sd**2) + cov_b**2) / n)
    cov_z = (cov_a - cov_b).abs() / cov_se
    worst_mean, worst_cov = max(worst_mean, mean_z.max().item()), max(worst_cov, cov_z.max().item())
print(f"largest mean difference: {worst_mean:.1f} standard errors")
print(f"largest covariance difference: {worst_cov:.1f} standard errors")
assert worst_mean < 5 and worst_cov < 5

# %% [markdown] slideshow={"slide_type": "slide"}
# **The whole distribution.** Means and covariances could agree while the shapes differ. The two-sample
# Kolmogorov–Smirnov test compares whole 1-D distributions; we apply it to both coordinates and to 8 random
# directions, at $t = 10, 20, \dots, 100$. Under "same distribution" each p-value is uniform on [0, 1]; with
# 100 tests we require every p-value above $10^{-4}$ (a Bonferroni level of 1 %).

# %%
generator = torch.Generator().manual_seed(1)
directions = torch.cat([torch.eye(2), torch.nn.functional.normalize(torch.randn(8, 2, generator=generator), dim=1)])
p_values = []
for step in range(10, T + 1, 10):
    for d in directions:
        p_values.append(stats.ks_2samp((loop[step] @ d).numpy(), (closed[step] @ d).numpy()).pvalue)
print(f"{len(p_values)} KS tests, smallest p-value: {min(p_values):.3f}")
assert min(p_values) > 1e-4

# %% [markdown]
# And a picture: the two, side by side, at two steps.

# %%
fig, axes = plt.subplots(1, 4, figsize=(14, 3.8))
for i, step in enumerate((30, 100)):
    helpers.plot_points(loop[step], ax=axes[2 * i], title=f"loop, t = {step}", limit=1.5)
    helpers.plot_points(closed[step], ax=axes[2 * i + 1], title=f"closed form, t = {step}", limit=1.5, color="C1")
fig.tight_layout()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Why the reparameterisation matters
#
# Writing $\mathbf{x}_t = \sqrt{\bar\alpha_t}\,\mathbf{x}_0 + \sqrt{1-\bar\alpha_t}\,\boldsymbol\epsilon$ instead of
# "draw from $\mathcal{N}(\sqrt{\bar\alpha_t}\mathbf{x}_0, (1-\bar\alpha_t)I)$" buys three things for training (lesson 06):
#
# 1. **Cost.** A training example at step $t$ costs one noise draw, not $t$ steps of the loop.
# 2. **A target.** The $\boldsymbol\epsilon$ that made $\mathbf{x}_t$ is known, so a network can be trained to predict it.
# 3. **Gradients.** $\mathbf{x}_t$ is a differentiable function of $\mathbf{x}_0$ and $\boldsymbol\epsilon$:
#    $\partial\mathbf{x}_t / \partial\mathbf{x}_0 = \sqrt{\bar\alpha_t}\,I$. Autograd agrees:

# %%
point = x0[:1].clone().requires_grad_(True)
jacobian = torch.autograd.functional.jacobian(lambda p: helpers.q_sample(p, 50, schedule, eps=eps[:1]), point)
torch.testing.assert_close(jacobian.reshape(2, 2), alpha_bar[50].sqrt() * torch.eye(2))
print("noise draws to reach t = 100: loop", T, "| closed form", 1)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - $t$ Gaussian steps compose into one: $\mathbf{x}_t = \sqrt{\bar\alpha_t}\,\mathbf{x}_0 + \sqrt{1-\bar\alpha_t}\,\boldsymbol\epsilon$,
#   because variances of independent Gaussians add.
# - The loop and the closed form agree in mean, covariance and whole 1-D distributions, within stated tolerances.
# - The closed form makes a training example cost $O(1)$, gives the regression target $\boldsymbol\epsilon$, and is differentiable.
#
# ## Exercises (solutions: `%load solutions/04_1.py`, `04_2.py`)
#
# **1.** Two steps with variances `beta1` then `beta2` equal one step of which variance? Write
# `merged_beta(beta1, beta2)` (floats in, float out).

# %%
def merged_beta(beta1, beta2):
    return None  # your code here


helpers.check_exercise("04.1", merged_beta)

# %% [markdown]
# **2.** Invert the closed form: given $\mathbf{x}_t$, the noise $\boldsymbol\epsilon$ and $\bar\alpha_t$, recover
# $\mathbf{x}_0$. Write `x0_from_eps(xt, eps, alpha_bar_t)`. (Lesson 07 uses exactly this with a *predicted* ε.)

# %%
def x0_from_eps(xt, eps, alpha_bar_t):
    return None  # your code here


helpers.check_exercise("04.2", x0_from_eps)
