# %% [markdown] slideshow={"slide_type": "slide"}
# # Lesson 03 — The forward process
#
# **Goal.** Run the noising chain one step at a time and watch the S-curve dissolve. We write the single step
# $q(\mathbf{x}_t \mid \mathbf{x}_{t-1})$ as a loop over all $T$ steps, check its variance against a formula,
# draw the reference recipe's strip of snapshots, move through time with a slider, and play it as an animation.
#
# **Assumes.** Lesson 01 (the data) and lesson 02 (β, α, ᾱ and the 0-based indexing of the code).

# %% slideshow={"slide_type": "subslide"}
import math

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch

import helpers

torch.manual_seed(0)
x0 = helpers.s_curve(10_000)
schedule = helpers.sigmoid_schedule(100)
T, beta = schedule.T, schedule.beta

# %% [markdown] slideshow={"slide_type": "slide"}
# ## One step
#
# Each step shrinks the current point a little and adds a little Gaussian noise:
#
# $$q(\mathbf{x}_t \mid \mathbf{x}_{t-1}) = \mathcal{N}\big(\sqrt{1-\beta_t}\,\mathbf{x}_{t-1},\ \beta_t I\big),
# \qquad \mathbf{x}_t = \sqrt{1-\beta_t}\,\mathbf{x}_{t-1} + \sqrt{\beta_t}\,\boldsymbol\epsilon_t,\quad \boldsymbol\epsilon_t \sim \mathcal{N}(0, I).$$
#
# The shrink factor $\sqrt{1-\beta_t}$ is chosen so that data of unit variance keep unit variance.
# Run it for all $T$ steps and keep every state, $\mathbf{x}_0$ to $\mathbf{x}_T$:

# %%
x = x0
states = [x0]
for t in range(T):
    x = (1 - beta[t]).sqrt() * x + beta[t].sqrt() * torch.randn_like(x)
    states.append(x)
len(states)

# %% [markdown]
# `helpers.q_step` takes the same step. Given the same $\boldsymbol\epsilon$ it must give the same point:

# %%
eps = torch.randn_like(x0)
torch.testing.assert_close(helpers.q_step(x0, 42, schedule, eps=eps), (1 - beta[42]).sqrt() * x0 + beta[42].sqrt() * eps)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A check on the variance
#
# The step adds independent noise, so variances add:
# $\mathrm{Var}(x_t) = (1-\beta_t)\,\mathrm{Var}(x_{t-1}) + \beta_t$ per coordinate. Iterate this recursion
# from the data's variance and compare with the chain's empirical variance at every step.

# %%
var = x0.var(dim=0)
predicted_std = [var.sqrt()]
for t in range(T):
    var = (1 - beta[t]) * var + beta[t]
    predicted_std.append(var.sqrt())
predicted_std = torch.stack(predicted_std)
empirical_std = torch.stack([state.std(dim=0) for state in states])
print("predicted std at T:", np.round(predicted_std[-1].numpy(), 3))
print("empirical std at T:", np.round(empirical_std[-1].numpy(), 3))

# %% [markdown]
# The standard error of a sample std from $n$ points is about $\mathrm{std}/\sqrt{2n}$ (for Gaussian-like data), 0.7 %
# of σ at $n = 10\,000$. We allow five standard errors at each of the 100 steps and 2 coordinates; for a
# correct chain each exceedance has probability about $6\cdot10^{-7}$.

# %%
def check_variance(states, beta):
    """Every state's std per coordinate within 5 standard errors of the variance recursion started at states[0]."""
    var, n = states[0].var(dim=0), states[0].shape[0]
    for t in range(len(beta)):
        var = (1 - beta[t]) * var + beta[t]
        z = ((states[t + 1].std(dim=0) - var.sqrt()).abs() / (var.sqrt() / math.sqrt(2 * n))).max().item()
        assert z < 5, f"std at t = {t + 1} is {z:.1f} standard errors from the recursion"


check_variance(states, beta)

# %% [markdown]
# Would it catch a wrong step? Run the chain with three plausible slips and check each:

# %%
def run_chain(x0, beta, step):
    """All states of a chain that applies step(x, beta_t, eps) T times."""
    x, chain = x0, [x0]
    for t in range(len(beta)):
        x = step(x, beta[t], torch.randn_like(x))
        chain.append(x)
    return chain


slips = {
    "no shrink:          x + sqrt(b) eps": lambda x, b, e: x + b.sqrt() * e,
    "shrink 1 - b:       (1 - b) x + sqrt(b) eps": lambda x, b, e: (1 - b) * x + b.sqrt() * e,
    "noise without sqrt: sqrt(1 - b) x + b eps": lambda x, b, e: (1 - b).sqrt() * x + b * e,
}
for name, step in slips.items():
    try:
        check_variance(run_chain(x0, beta, step), beta)
        print(f"{name}: passes (not caught)")
    except AssertionError as error:
        print(f"{name}: caught, {error}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The strip
#
# The reference recipe's forward-process figure: snapshots every 10 steps. We show both ends, $\mathbf{x}_0$ and
# $\mathbf{x}_{100}$, so the strip has 11 panels. Note the scale: the window is fixed at ±0.35 in both coordinates,
# and by $t = 100$ most points have left it.

# %%
shown = list(range(0, T + 1, 10))
helpers.plot_strip([states[k] for k in shown], [f"t = {k}" for k in shown], suptitle="q(x_t): the reference schedule")
plt.show()
print(f"share of x_T outside the ±0.35 window: {(states[T].abs() > 0.35).any(dim=1).float().mean():.2f}")

# %% [markdown]
# The same chain on a wider window, ±2: the S blurs into a round blob of std ≈ 0.48 (printed above), not 1
# (lesson 02).

# %%
helpers.plot_strip([states[k] for k in shown], [f"t = {k}" for k in shown], limit=2, suptitle="the same, window ±2")
plt.show()

# %% [markdown] slideshow={"slide_type": "notes"}
# **Instructor's note.** Point at the fixed ±0.35 window: by t = 100 most points have left it. The wide-window strip shows where they went.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Moving through time
#
# `draw_step(k)` draws $\mathbf{x}_k$ on the wide window; the slider calls it for every $k$.

# %%
def draw_step(k, limit=2.0):
    helpers.plot_points(states[k], title=f"x_t at t = {k}, std = {states[k].std().item():.2f}", limit=limit)
    plt.show()


draw_step(50)

# %% tags=["nbval-ignore-output"] nbval_why="the slider renders as a widget, stored in notebook metadata rather than as a comparable output."
widgets.interact(draw_step, k=widgets.IntSlider(value=0, min=0, max=T, step=1), limit=widgets.fixed(2.0));

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The animation
#
# Every second state, the last one included, as a looping animation (an animated PNG).

# %%
frames = list(range(0, T + 1, 2))
assert frames[-1] == T
helpers.animate_states([states[k] for k in frames], [f"t = {k}" for k in frames], "q(x_t), t = 0 to 100", limit=2)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - One forward step: $\mathbf{x}_t = \sqrt{1-\beta_t}\,\mathbf{x}_{t-1} + \sqrt{\beta_t}\,\boldsymbol\epsilon_t$.
# - Variances follow $\mathrm{Var}_t = (1-\beta_t)\mathrm{Var}_{t-1} + \beta_t$, which the chain matches within 5 standard errors;
#   a missing or wrong shrink factor, or noise without its square root, fails that check.
# - With the reference schedule the cloud ends with std ≈ 0.48: blurred, but not the $\mathcal{N}(0, I)$ sampling will start from.
# - To reach $\mathbf{x}_t$ the loop needs $t$ steps and $t$ noise draws. Lesson 04 jumps there in one.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises (solutions: `%load solutions/03_1.py`, `03_2.py`, `03_3.py`; each ends with its check)
#
# **1. Derive, then write.** A coordinate starts with mean `mean0` and variance `var0` (data that are not centred).
# Write `second_moment_after(mean0, var0, beta)`: $\mathbb{E}[x_T^2]$ after all steps of `beta`, as one formula in
# $\prod_t (1 - \beta_t)$, without a loop over the steps. Return a Python float. (Does a chain started far from 0 end near
# $\mathbb{E}[x_T^2] = 1$, as sampling assumes?)

# %%
def second_moment_after(mean0, var0, beta):
    return None  # your code here


helpers.check_exercise("03.1", second_moment_after)

# %% [markdown]
# **2.** Without the shrink factor, the chain $\mathbf{x}_t = \mathbf{x}_{t-1} + \sqrt{\beta_t}\,\boldsymbol\epsilon_t$
# would *add* variance. Write `std_without_shrink(var0, beta)`: the std of a coordinate after all steps of `beta` of that
# chain, starting from variance `var0` (a float). Return a Python float.

# %%
def std_without_shrink(var0, beta):
    return None  # your code here


helpers.check_exercise("03.2", std_without_shrink)


# %% [markdown]
# **3. Predict first.** Start the chain from the origin, $\mathbf{x}_0 = 0$ for every point, and run all 100
# steps. What is the std of each coordinate of $\mathbf{x}_T$? Write your number, then run the cell; the check
# runs the chain and says whether you were within 5 %.

# %%
prediction = None  # your number

helpers.check_exercise("03.3", prediction)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## References
#
# - J. Ho, A. Jain, P. Abbeel (2020). *Denoising Diffusion Probabilistic Models.* NeurIPS. Eq. 2: the forward step
#   $q(\mathbf{x}_t\mid\mathbf{x}_{t-1}) = \mathcal{N}(\sqrt{1-\beta_t}\,\mathbf{x}_{t-1}, \beta_t I)$.
# - J. Sohl-Dickstein, E. Weiss, N. Maheswaranathan, S. Ganguli (2015). *Deep Unsupervised Learning using
#   Nonequilibrium Thermodynamics.* ICML. The forward diffusion as a chain of small Gaussian steps.
# - The reference recipe's 1 × 10 strip of the forward chain: the blog tutorial of lesson 01, after P. Esling's
#   `diffusion_models` notebooks (ACIDS, IRCAM, 2021).
