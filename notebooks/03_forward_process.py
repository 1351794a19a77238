# %% [markdown] slideshow={"slide_type": "slide"}
# # Lesson 03 — The forward process
#
# **Goal.** Run the noising chain one step at a time and watch the S-curve dissolve. We write the single step
# $q(\mathbf{x}_t \mid \mathbf{x}_{t-1})$ as a loop over all $T$ steps, check its variance against a formula,
# draw the reference recipe's strip of snapshots, scrub through time with a slider, and play it as an animation.
#
# **Assumes.** Lesson 01 (the data) and lesson 02 (β, α, ᾱ and the 0-based indexing of the code).

# %% slideshow={"slide_type": "skip"}
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
empirical_std = torch.stack([s.std(dim=0) for s in states])
print("predicted std at T:", np.round(predicted_std[-1].numpy(), 3))
print("empirical std at T:", np.round(empirical_std[-1].numpy(), 3))

# %% [markdown]
# The standard error of a sample std from $n$ points is about $\sigma/\sqrt{2n}$, 0.7 % of σ at $n = 10\,000$.
# Five standard errors is a tolerance a correct chain passes with near certainty and a wrong shrink factor fails:

# %%
n = x0.shape[0]
assert ((empirical_std - predicted_std).abs() <= 5 * predicted_std / np.sqrt(2 * n)).all()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The strip
#
# The reference recipe's signature figure: snapshots every 10 steps. We show both ends, $\mathbf{x}_0$ and
# $\mathbf{x}_{100}$, so the strip has 11 panels. Note the scale: the window is fixed at ±0.35 like lesson 01,
# and by $t = 100$ most points have left it.

# %%
shown = list(range(0, T + 1, 10))
helpers.plot_strip([states[k] for k in shown], [f"t = {k}" for k in shown], suptitle="q(x_t): the reference schedule")
plt.show()

# %% [markdown]
# The same chain on a wider window, ±2: the S blurs into a Gaussian blob of std ≈ 0.48, not 1 (lesson 02).

# %%
helpers.plot_strip([states[k] for k in shown], [f"t = {k}" for k in shown], limit=2, suptitle="the same, window ±2")
plt.show()

# %% [markdown] slideshow={"slide_type": "notes"}
# Point at the fixed ±0.35 window: by t = 100 most points have left it. The wide-window strip shows where they went.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Scrub through time
#
# `draw_step(k)` draws $\mathbf{x}_k$ on the wide window; the slider calls it for every $k$.

# %%
def draw_step(k, limit=2.0):
    helpers.plot_points(states[k], title=f"x_t at t = {k}, std = {states[k].std().item():.2f}", limit=limit)
    plt.show()


draw_step(50)

# %%
# NBVAL_IGNORE_OUTPUT
# Why: the slider renders as a widget, stored in notebook metadata rather than as a comparable output.
widgets.interact(draw_step, k=widgets.IntSlider(value=0, min=0, max=T, step=1), limit=widgets.fixed(2.0));

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The animation
#
# Every second state, the last one included, as a looping GIF.

# %%
frames = list(range(0, T + 1, 2))
assert frames[-1] == T
helpers.animate_states([states[k] for k in frames], [f"t = {k}" for k in frames], "q(x_t), t = 0 to 100", limit=2)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - One forward step: $\mathbf{x}_t = \sqrt{1-\beta_t}\,\mathbf{x}_{t-1} + \sqrt{\beta_t}\,\boldsymbol\epsilon_t$.
# - Variances follow $\mathrm{Var}_t = (1-\beta_t)\mathrm{Var}_{t-1} + \beta_t$, which the chain matches within 5 standard errors.
# - With the reference schedule the cloud ends with std ≈ 0.48: blurred, but not the $\mathcal{N}(0, I)$ sampling will start from.
# - To reach $\mathbf{x}_t$ the loop needs $t$ steps and $t$ noise draws. Lesson 04 jumps there in one.
#
# ## Exercises (solutions: `%load solutions/03_1.py`, `03_2.py`)
#
# **1.** Write `std_after(var0, beta)` that returns the std of a coordinate after all steps of `beta`, for a
# starting variance `var0` (a float), using the recurrence above. Return a Python float.

# %%
def std_after(var0, beta):
    return None  # your code here


helpers.check_exercise("03.1", std_after)

# %% [markdown]
# **2.** Without the shrink factor, the chain $\mathbf{x}_t = \mathbf{x}_{t-1} + \sqrt{\beta_t}\,\boldsymbol\epsilon_t$
# would *add* variance. Write `std_without_shrink(var0, beta)` for that chain.

# %%
def std_without_shrink(var0, beta):
    return None  # your code here


helpers.check_exercise("03.2", std_without_shrink)
