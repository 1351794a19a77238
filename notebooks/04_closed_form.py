# %% [markdown] slideshow={"slide_type": "slide"}
# # Lesson 04 — Jumping to any $t$: the closed form of $q(\mathbf{x}_t \mid \mathbf{x}_0)$
#
# **Goal.** Derive that $t$ forward steps collapse into one Gaussian,
# $q(\mathbf{x}_t \mid \mathbf{x}_0) = \mathcal{N}(\sqrt{\bar\alpha_t}\,\mathbf{x}_0, (1-\bar\alpha_t) I)$, check it
# exactly against lesson 03's loop (and show that the check catches a 1 % error), compare the two statistically,
# and see why this closed form is what makes training cheap.
#
# **Assumes.** Lesson 03 (the one-step forward process) and that a sum of independent Gaussians is Gaussian.

# %% slideshow={"slide_type": "subslide"}
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
# a single $\bar{\boldsymbol\epsilon} \sim \mathcal{N}(0, I)$. (The variance line is algebra; the check below tests
# the result it leads to.)

# %% [markdown] slideshow={"slide_type": "notes"}
# **Instructor's note.** Work the two-step case by hand in front of the class first; the induction step is the same computation with ᾱ_{t-1} in place of α_{t-1}.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Induction
#
# Suppose $\mathbf{x}_{t-1} = \sqrt{\bar\alpha_{t-1}}\,\mathbf{x}_0 + \sqrt{1-\bar\alpha_{t-1}}\,\bar{\boldsymbol\epsilon}$.
# One more step gives $\sqrt{\alpha_t\bar\alpha_{t-1}}\,\mathbf{x}_0$ plus independent noise of variance
# $\alpha_t(1-\bar\alpha_{t-1}) + (1-\alpha_t) = 1 - \bar\alpha_t$. With $\bar\alpha_1 = \alpha_1$ the claim holds
# for $t = 1$, hence for every $t$ (Ho et al. 2020, eq. 4):
#
# $$\boxed{\;q(\mathbf{x}_t \mid \mathbf{x}_0) = \mathcal{N}\big(\sqrt{\bar\alpha_t}\,\mathbf{x}_0,\ (1-\bar\alpha_t) I\big),
# \qquad \mathbf{x}_t = \sqrt{\bar\alpha_t}\,\mathbf{x}_0 + \sqrt{1-\bar\alpha_t}\,\boldsymbol\epsilon\;}$$
#
# The induction uses $\bar\alpha_t = \alpha_t\bar\alpha_{t-1}$; the schedule's `alpha_bar` must satisfy it at every
# step (an off-by-one in `alpha_bar` would not):

# %%
a_t, ab_t, ab_prev = alpha[1:].double(), alpha_bar[1:].double(), alpha_bar[:-1].double()
torch.testing.assert_close(a_t * (1 - ab_prev) + (1 - a_t), 1 - ab_t)
torch.testing.assert_close(alpha_bar[0], alpha[0])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Where the noise comes from, term by term
#
# Unroll the loop instead of merging: after $t$ steps, with $\boldsymbol\epsilon_s$ the noise drawn at step $s$,
#
# $$\mathbf{x}_t - \sqrt{\bar\alpha_t}\,\mathbf{x}_0 = \sum_{s=1}^{t} c_s\,\boldsymbol\epsilon_s,\qquad
#   c_s = \sqrt{1-\alpha_s}\prod_{k=s+1}^{t}\sqrt{\alpha_k} = \sqrt{\beta_s\,\bar\alpha_t/\bar\alpha_s}.$$
#
# The variances add up to exactly the closed form's, since the sum telescopes:
#
# $$\sum_{s=1}^{t} c_s^2 = \bar\alpha_t\sum_{s=1}^{t}\frac{1-\alpha_s}{\bar\alpha_s}
#   = \bar\alpha_t\sum_{s=1}^{t}\Big(\frac{1}{\bar\alpha_s} - \frac{1}{\bar\alpha_{s-1}}\Big) = 1 - \bar\alpha_t
#   \qquad(\bar\alpha_0 = 1).$$
#
# This gives an **exact** check of any claimed closed form, no statistics needed: run the loop once (in float64),
# keep every $\boldsymbol\epsilon_s$ it draws, and test both halves of the claim at every $t$.

# %%
def loop_with_noises(x0, beta):
    """Lesson 03's loop in float64: every state x_0 .. x_T, and the eps_s drawn at each step, stacked."""
    x, loop, noises = x0.double(), [x0.double()], []
    for step in range(len(beta)):
        eps_step = torch.randn_like(x)
        x = (1 - beta[step]).sqrt() * x + beta[step].sqrt() * eps_step
        loop.append(x)
        noises.append(eps_step)
    return loop, torch.stack(noises)


beta64 = schedule.beta.double()
loop, noises = loop_with_noises(x0, beta64)

# %% [markdown]
# `closed_form(x0, t, eps)` claims $\mathbf{x}_t = \sqrt{\bar\alpha_t}\,\mathbf{x}_0 + \sqrt{1-\bar\alpha_t}\,\boldsymbol\epsilon$; with
# $\boldsymbol\epsilon = 0$ it gives its $\mathbf{x}_0$ part, with $\mathbf{x}_0 = 0, \boldsymbol\epsilon = 1$ its noise coefficient. The tolerances are float32
# rounding: $10^{-5}$ relative, plus $10^{-6}$ absolute on the variance, because near the paper's $t = 1$ the float32
# difference $1 - \bar\alpha_t$ keeps only about three significant digits.

# %%
def check_closed_form(closed_form, x0, loop, noises, beta):
    """closed_form(x0, t, eps) against the loop: x_0 part = loop[t + 1] - sum_s c_s eps_s, and b_t^2 = sum_s c_s^2."""
    alpha_bar = torch.cumprod(1 - beta, dim=0)
    zeros, ones = torch.zeros_like(x0), torch.ones_like(x0)
    for t in range(len(beta)):
        c = (beta[: t + 1] * alpha_bar[t] / alpha_bar[: t + 1]).sqrt()
        signal = loop[t + 1] - torch.einsum("s,snd->nd", c, noises[: t + 1])
        gap = ((closed_form(x0, t, zeros).double() - signal).abs().max() / signal.abs().max()).item()
        assert gap < 1e-5, f"t = {t + 1}: the x_0 part is off by {gap:.1e} (relative)"
        gap = (closed_form(zeros, t, ones).double() ** 2 - (c**2).sum()).abs().max().item()
        assert gap < 1e-6 + 1e-5 * (c**2).sum(), f"t = {t + 1}: the noise variance is off by {gap:.1e}"


def closed_form(x0, t, eps):
    return alpha_bar[t].sqrt() * x0 + (1 - alpha_bar[t]).sqrt() * eps


check_closed_form(closed_form, x0.double(), loop, noises, beta64)

# %% [markdown]
# **Does it catch a small error?** The same check on a closed form whose $\sqrt{\bar\alpha_t}$ is 1 % too large,
# and on one that forgets the square root of the noise variance:

# %%
def one_percent_off(x0, t, eps):
    return 1.01 * alpha_bar[t].sqrt() * x0 + (1 - alpha_bar[t]).sqrt() * eps


def no_square_root(x0, t, eps):
    return alpha_bar[t].sqrt() * x0 + (1 - alpha_bar[t]) * eps


for wrong in (one_percent_off, no_square_root):
    try:
        check_closed_form(wrong, x0.double(), loop, noises, beta64)
        print(f"{wrong.__name__}: passes (not caught)")
    except AssertionError as error:
        print(f"{wrong.__name__}: caught, {error}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The code
#
# One line, for any step $t$ (0-based in code, so `t = T - 1` is $\mathbf{x}_T$):

# %%
t = T - 1
eps = torch.randn_like(x0)
xt = alpha_bar[t].sqrt() * x0 + (1 - alpha_bar[t]).sqrt() * eps

# %% [markdown]
# `helpers.q_sample` does the same, passes the exact check, and also takes one step per point, which training
# will need:

# %%
torch.testing.assert_close(helpers.q_sample(x0, t, schedule, eps=eps), xt)
check_closed_form(lambda x, step, e: helpers.q_sample(x, step, schedule, eps=e), x0.double(), loop, noises, beta64)
steps = torch.randint(0, T, (x0.shape[0],))
per_point = alpha_bar[steps].sqrt().unsqueeze(1) * x0 + (1 - alpha_bar[steps]).sqrt().unsqueeze(1) * eps
torch.testing.assert_close(helpers.q_sample(x0, steps, schedule, eps=eps), per_point)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A statistical comparison, and its limits
#
# The same question asked of samples: do lesson 03's loop (from the data set of lesson 01) and the closed form
# (from an **independent** draw of the S-curve, seed 1) give the same distribution at every step? Independent
# draws make the two clouds independent, so the standard errors below are right.

# %%
x0_other = helpers.s_curve(10_000, seed=1)
chain = [x0]
for step in range(T):
    chain.append(helpers.q_step(chain[-1], step, schedule))
closed = [x0_other] + [helpers.q_sample(x0_other, step, schedule) for step in range(T)]

# %% [markdown]
# **Means and covariances.** For independent samples $a$ and $b$ of sizes $n$, the difference of two means has
# standard error $\sqrt{(\mathrm{sd}_a^2 + \mathrm{sd}_b^2)/n}$, with $\mathrm{sd}_a, \mathrm{sd}_b$ their standard deviations. A covariance entry is the mean of the products
# $(a_i - \bar a_i)(a_j - \bar a_j)$, so its standard error comes from the variance of those products, with no
# Gaussian assumption. We allow 5 standard errors at each of the 100 steps (200 means, 300 covariance entries):
# for a correct closed form each exceedance has probability about $6\cdot10^{-7}$.
#
# **The whole distribution.** Means and covariances could agree while the shapes differ. The two-sample
# Kolmogorov–Smirnov test compares whole 1-D distributions; we apply it to both coordinates and to 8 random
# directions, at $t = 10, 20, \dots, 100$. For independent samples each p-value is uniform on [0, 1] when the
# distributions agree; with 100 tests we require every p-value above $10^{-4}$ (a Bonferroni level of 1 %).

# %%
def moment_gaps(a, b):
    """Largest gap, in standard errors, between the means and between the covariance entries of a and b."""
    a, b, n, m = a.double(), b.double(), a.shape[0], b.shape[0]
    mean_z = ((a.mean(0) - b.mean(0)).abs() / (a.var(0) / n + b.var(0) / m).sqrt()).max().item()

    def products(x):
        c = x - x.mean(0)
        return torch.stack([c[:, 0] ** 2, c[:, 1] ** 2, c[:, 0] * c[:, 1]], dim=1)

    pa, pb = products(a), products(b)
    cov_z = ((pa.mean(0) - pb.mean(0)).abs() / (pa.var(0) / n + pb.var(0) / m).sqrt()).max().item()
    return mean_z, cov_z


def check_same_distribution(chain, closed, directions):
    """Means and covariances within 5 standard errors at every step; KS p-values above 1e-4 at every 10th."""
    for step in range(1, len(chain)):
        mean_z, cov_z = moment_gaps(chain[step], closed[step])
        assert mean_z < 5 and cov_z < 5, f"t = {step}: means {mean_z:.1f}, covariances {cov_z:.1f} standard errors apart"
    for step in range(10, len(chain), 10):
        for d in directions:
            p = stats.ks_2samp((chain[step] @ d).numpy(), (closed[step] @ d).numpy()).pvalue
            assert p > 1e-4, f"t = {step}: KS p-value {p:.1e}"


generator = torch.Generator().manual_seed(1)
directions = torch.cat([torch.eye(2), torch.nn.functional.normalize(torch.randn(8, 2, generator=generator), dim=1)])
check_same_distribution(chain, closed, directions)
gaps = [moment_gaps(chain[step], closed[step]) for step in range(1, T + 1)]
print(f"largest gaps: means {max(g[0] for g in gaps):.1f}, covariances {max(g[1] for g in gaps):.1f} standard errors")

# %% [markdown]
# **Its limits.** Run it on the closed form that is 1 % off, and on the one without the square root:

# %%
for wrong in (one_percent_off, no_square_root):
    wrong_closed = [x0_other] + [wrong(x0_other, step, torch.randn_like(x0_other)) for step in range(T)]
    try:
        check_same_distribution(chain, wrong_closed, directions)
        print(f"{wrong.__name__}: passes (not caught)")
    except AssertionError as error:
        print(f"{wrong.__name__}: caught, {error}")

# %% [markdown]
# A 1 % error in $\sqrt{\bar\alpha_t}$ makes the spread of $\mathbf{x}_t$ at most 1 % too large (at early steps,
# where $\mathbf{x}_t$ is nearly $\mathbf{x}_0$), about one standard error when two clouds of 10 000 points are
# compared: the statistical comparison cannot see it, the exact check above can. A gross error, like the missing
# square root, fails both.
#
# And a picture: the two, side by side, at two steps.

# %%
fig, axes = plt.subplots(2, 2, figsize=(7.5, 7.5))
for row, step in zip(axes, (30, 100)):
    helpers.plot_points(chain[step], ax=row[0], title=f"loop, t = {step}", limit=1.5)
    helpers.plot_points(closed[step], ax=row[1], title=f"closed form, t = {step}", limit=1.5, color="C1")
fig.tight_layout()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Why the closed form matters
#
# Training (lesson 06) needs examples $(\mathbf{x}_t, t)$ at random steps, and what makes them cheap is that
# $q(\mathbf{x}_t \mid \mathbf{x}_0)$ has a closed form (Ho et al. 2020, eq. 4). Written as
# $\mathbf{x}_t = \sqrt{\bar\alpha_t}\,\mathbf{x}_0 + \sqrt{1-\bar\alpha_t}\,\boldsymbol\epsilon$ it gives two things:
#
# 1. **Cost.** A training example at step $t$ costs one noise draw, not $t$ steps of the loop.
# 2. **A target.** The $\boldsymbol\epsilon$ that made $\mathbf{x}_t$ is known, so a network can be trained to predict it.
#
# Writing a random $\mathbf{x}_t$ as a fixed function of $\mathbf{x}_0$ and a standard normal $\boldsymbol\epsilon$ is called
# **reparameterisation**. No gradient has to flow through $\mathbf{x}_t$: in DDPM the schedule is fixed and $\mathbf{x}_0$ is
# data, so nothing upstream of $\mathbf{x}_t$ is learned. (In a VAE the same rewriting is what lets gradients reach the
# encoder; here it is not needed for that.)

# %%
print("noise draws to reach t = 100: loop", T, "| closed form", 1)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - $t$ Gaussian steps compose into one: $\mathbf{x}_t = \sqrt{\bar\alpha_t}\,\mathbf{x}_0 + \sqrt{1-\bar\alpha_t}\,\boldsymbol\epsilon$,
#   because $\mathbf{x}_t - \sqrt{\bar\alpha_t}\mathbf{x}_0 = \sum_s c_s\boldsymbol\epsilon_s$ and $\sum_s c_s^2 = 1 - \bar\alpha_t$.
# - An exact check against the loop's own noise catches a 1 % error in $\sqrt{\bar\alpha_t}$; a statistical
#   comparison of 10 000 points (independent draws) does not, but does catch gross errors.
# - The closed form makes a training example cost one noise draw and gives the regression target $\boldsymbol\epsilon$.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises (solutions: `%load solutions/04_1.py`, `04_2.py`, `04_3.py`; each ends with its check)
#
# **1.** A schedule with one constant variance $\beta$ per step: after how many steps has $\bar\alpha$ fallen to a
# target or below? Write `steps_to_reach(beta, alpha_bar_target)` (floats in, an int out) without a loop over the
# steps. (How many steps of $\beta = 0.01$ keep at most 1 % of the data's variance?)

# %%
def steps_to_reach(beta, alpha_bar_target):
    return None  # your code here


helpers.check_exercise("04.1", steps_to_reach)

# %% [markdown]
# **2.** Invert the closed form: given $\mathbf{x}_t$, the noise $\boldsymbol\epsilon$ and $\bar\alpha_t$, recover
# $\mathbf{x}_0$. Write `x0_from_eps(xt, eps, alpha_bar_t)`. (Lesson 07 uses exactly this with a *predicted* ε.)

# %%
def x0_from_eps(xt, eps, alpha_bar_t):
    return None  # your code here


helpers.check_exercise("04.2", x0_from_eps)

# %% [markdown]
# **3. Predict first.** $\mathbf{x}_T = 0.882\,\mathbf{x}_0 + 0.471\,\boldsymbol\epsilon$. What is the correlation between
# the second coordinate ($z$) of a data point and the second coordinate of its $\mathbf{x}_T$? Write your number, then run the
# cell; the check draws $\mathbf{x}_T$ for 10 000 points and says whether you were within 10 %.

# %%
prediction = None  # your number

helpers.check_exercise("04.3", prediction)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## References
#
# - J. Ho, A. Jain, P. Abbeel (2020). *Denoising Diffusion Probabilistic Models.* NeurIPS. Eq. 2: the forward step;
#   eq. 4: $q(\mathbf{x}_t\mid\mathbf{x}_0) = \mathcal{N}(\sqrt{\bar\alpha_t}\mathbf{x}_0, (1-\bar\alpha_t)I)$.
# - D. Kingma, M. Welling (2014). *Auto-Encoding Variational Bayes.* ICLR. The reparameterisation trick, where it is
#   needed for gradients.
# - The reference recipe draws $\mathbf{x}_t$ from $\mathbf{x}_0$ in one step, as P. Esling's `diffusion_models`
#   notebooks (ACIDS, IRCAM, 2021) do with their `q_sample`, via the blog tutorial of lesson 01.
