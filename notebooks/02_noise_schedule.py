# %% [markdown] slideshow={"slide_type": "slide"}
# # Lesson 02 — The noise schedule
#
# **Goal.** A diffusion model destroys data by adding a little Gaussian noise at each of $T$ steps. How much
# noise goes in at step $t$ is the *noise schedule* $\beta_t$. Here we build the reference recipe's sigmoid
# schedule, derive $\alpha_t$ and $\bar\alpha_t$ from it, compare it with the linear and cosine schedules of
# the literature, and find the recipe's first flaw: after all $T = 100$ steps its data are **not** yet noise.
#
# **Assumes.** Lesson 01 (the data, its std ≈ 0.1).

# %% slideshow={"slide_type": "skip"}
import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch

import helpers

_ = torch.manual_seed(0)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The reference schedule
#
# $T = 100$ steps, with $\beta_t$ rising along a sigmoid from $10^{-5}$ to $5\cdot10^{-3}$:
#
# $$\beta_t = \sigma\big(s_t\big)\,(5\cdot10^{-3} - 10^{-5}) + 10^{-5},\qquad s_t \text{ evenly spaced in } [-6, 6].$$
#
# Then $\alpha_t = 1 - \beta_t$ is the fraction of *variance* of the signal kept at step $t$, and
# $\bar\alpha_t = \prod_{s \le t} \alpha_s$ the fraction kept after the first $t$ steps.
#
# *Indexing.* Papers count steps $t = 1 \dots T$; tensors count from 0. In code, `beta[t]` is the paper's
# $\beta_{t+1}$, and `alpha_bar[T - 1]` is $\bar\alpha_T$.

# %%
T = 100
beta = torch.sigmoid(torch.linspace(-6, 6, T)) * (5e-3 - 1e-5) + 1e-5
alpha = 1 - beta
alpha_bar = torch.cumprod(alpha, dim=0)

# %% [markdown]
# `helpers.sigmoid_schedule` keeps the same computation (in float64, rounded to float32 at the end) and returns a
# `helpers.Schedule`, which holds `beta`, `alpha` and `alpha_bar` and derives the rest:

# %%
schedule = helpers.sigmoid_schedule(T)
assert isinstance(schedule, helpers.Schedule)
torch.testing.assert_close(schedule.beta, beta)
torch.testing.assert_close(schedule.alpha_bar, alpha_bar)
print(f"beta from {beta[0]:.2e} to {beta[-1]:.2e}")

# %% [markdown]
# Any $\beta_t$ strictly between 0 and 1 makes a schedule; `helpers.schedule_from_beta` derives the rest and
# refuses anything else, since $\beta_t = 1$ would erase the data in one step and $\beta_t = 0$ add nothing:

# %%
torch.testing.assert_close(helpers.schedule_from_beta(beta).alpha_bar, alpha_bar)
try:
    helpers.schedule_from_beta(torch.tensor([0.1, 1.0]))
except ValueError as error:
    print("ValueError:", error)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## How much signal is left at the end?
#
# The total noise added is small, $\sum_t \beta_t \approx 0.25$, and since $\log(1-\beta) \approx -\beta$ for
# small $\beta$,
#
# $$\bar\alpha_T = \prod_t (1 - \beta_t) \approx e^{-\sum_t \beta_t}.$$

# %%
sum_beta = beta.sum().item()
alpha_bar_T = alpha_bar[-1].item()
print(f"sum of beta      = {sum_beta:.4f}")
print(f"alpha_bar_T      = {alpha_bar_T:.3f}")
print(f"exp(-sum of beta) = {np.exp(-sum_beta):.3f}")

# %% [markdown]
# The two agree to within the second-order term $\tfrac12\sum_t\beta_t^2 < 10^{-3}$:

# %%
assert abs(alpha_bar_T - np.exp(-sum_beta)) < 0.5 * (beta**2).sum().item() + 1e-6
torch.testing.assert_close(alpha_bar[-1], torch.prod(1 - beta))

# %% [markdown] slideshow={"slide_type": "notes"}
# Pause before the next slide: ask what $x_T$ *should* look like if sampling starts from N(0, I). Then reveal 0.882 / 0.471.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## So what is $x_T$?
#
# Lesson 04 derives $\mathbf{x}_t = \sqrt{\bar\alpha_t}\,\mathbf{x}_0 + \sqrt{1-\bar\alpha_t}\,\boldsymbol\epsilon$.
# With the reference schedule that is, at the last step,

# %%
print(f"x_T = {np.sqrt(alpha_bar_T):.3f} * x_0 + {np.sqrt(1 - alpha_bar_T):.3f} * eps")

# %% [markdown]
# 88 % of the signal's amplitude survives, and the noise has a standard deviation of only 0.47, not 1.
# Sampling (lesson 07) will start from $\mathcal{N}(0, I)$ — a distribution the forward process never
# reaches. This **prior mismatch** is the recipe's first flaw. Side by side:

# %%
x0 = helpers.s_curve(10_000)
eps = torch.randn_like(x0)
x_T = alpha_bar[-1].sqrt() * x0 + (1 - alpha_bar[-1]).sqrt() * eps
fig, axes = plt.subplots(1, 2, figsize=(8, 4))
helpers.plot_points(x_T, ax=axes[0], title=r"$x_T$ of the recipe", limit=3)
helpers.plot_points(torch.randn(10_000, 2), ax=axes[1], title=r"$\mathcal{N}(0, I)$: where sampling starts", limit=3)
plt.show()

# %%
print("std of x_T:       ", np.round(x_T.std(dim=0).numpy(), 2))
assert (x_T.std(dim=0) < 0.55).all()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Two schedules from the literature
#
# - **Linear** (Ho et al., 2020): $\beta_t$ evenly spaced from $10^{-4}$ to $0.02$ over $T = 1000$ steps.
# - **Cosine** (Nichol & Dhariwal, 2021): define $\bar\alpha_t = f(t)/f(0)$ with
#   $f(t) = \cos^2\!\big(\tfrac{t/T + s}{1 + s}\cdot\tfrac{\pi}{2}\big)$, $s = 0.008$, and
#   $\beta_t = 1 - \bar\alpha_t / \bar\alpha_{t-1}$, clipped at 0.999.

# %%
linear = helpers.linear_schedule(1000)
cosine = helpers.cosine_schedule(1000)
torch.testing.assert_close(linear.beta, torch.linspace(1e-4, 0.02, 1000))

# %% [markdown]
# Check the cosine schedule against its definition, at every step where the clip did not act:

# %%
s = 0.008
steps = torch.arange(1, 1001, dtype=torch.float64)
f = lambda t: torch.cos((t / 1000 + s) / (1 + s) * torch.pi / 2) ** 2
unclipped = cosine.beta < 0.999
torch.testing.assert_close(cosine.alpha_bar[unclipped].double(), (f(steps) / f(torch.zeros(1)))[unclipped], rtol=1e-4, atol=1e-6)
print("steps where the clip acts:", int((~unclipped).sum()))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Four views of a schedule
#
# On a common axis $t/T$: $\beta_t$; $\bar\alpha_t$; the path of $(\sqrt{\bar\alpha_t}, \sqrt{1-\bar\alpha_t})$,
# the weights of signal and noise in $\mathbf{x}_t$ (a quarter circle, since the squares sum to 1; the dot marks where $t = T$ ends); and the
# log signal-to-noise ratio $\log \mathrm{SNR}_t = \log\frac{\bar\alpha_t}{1-\bar\alpha_t}$.

# %%
def draw_schedules(schedules):
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.6))
    for name, sch in schedules.items():
        frac = (torch.arange(sch.T) + 1) / sch.T
        axes[0].plot(frac, sch.beta, label=name)
        axes[1].plot(frac, sch.alpha_bar, label=name)
        line, = axes[2].plot(sch.sqrt_alpha_bar, sch.sqrt_one_minus_alpha_bar, label=name)
        axes[2].plot(sch.sqrt_alpha_bar[-1], sch.sqrt_one_minus_alpha_bar[-1], "o", color=line.get_color())
        axes[3].plot(frac, sch.log_snr, label=name)
    axes[0].set(title=r"$\beta_t$", xlabel="t / T", yscale="log")
    axes[1].set(title=r"$\bar\alpha_t$", xlabel="t / T", ylim=(0, 1.02))
    axes[2].set(title="noise vs signal weight", xlabel=r"$\sqrt{\bar\alpha_t}$", ylabel=r"$\sqrt{1-\bar\alpha_t}$", aspect="equal", xlim=(0, 1.02), ylim=(0, 1.02))
    axes[3].set(title=r"$\log\,\mathrm{SNR}_t$", xlabel="t / T")
    axes[0].legend()
    fig.tight_layout()
    return fig


schedules = {"sigmoid (recipe, T=100)": schedule, "linear (T=1000)": linear, "cosine (T=1000)": cosine}
draw_schedules(schedules)
plt.show()

# %% [markdown]
# The helper's log-SNR is the formula above, and the signal and noise weights lie on the unit circle:

# %%
for sch in schedules.values():
    torch.testing.assert_close(sch.log_snr, torch.log(sch.alpha_bar / (1 - sch.alpha_bar)), rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(sch.sqrt_alpha_bar**2 + sch.sqrt_one_minus_alpha_bar**2, torch.ones(sch.T))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Where does each schedule end?

# %%
for name, sch in schedules.items():
    a = sch.alpha_bar[-1].item()
    print(f"{name:24s} alpha_bar_T = {a:.2e}   x_T = {np.sqrt(a):.3f} x_0 + {np.sqrt(1 - a):.3f} eps")

# %% [markdown]
# Linear and cosine end with $\sqrt{\bar\alpha_T} < 0.01$: $\mathbf{x}_T$ is noise for any practical purpose,
# so starting the sampler from $\mathcal{N}(0, I)$ is right. The recipe keeps 88 % of the signal.

# %%
assert linear.alpha_bar[-1] < 1e-4 and cosine.alpha_bar[-1] < 1e-4 and schedule.alpha_bar[-1] > 0.75

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Explore
#
# Change the schedule and its length; the figure and $\bar\alpha_T$ follow. How large must `beta_max` be for
# the sigmoid schedule to reach noise in 100 steps?

# %%
def explore(name="sigmoid", T=100, beta_max=5e-3):
    kwargs = {"beta_max": beta_max} if name == "sigmoid" else {}
    sch = helpers.make_schedule(name, T, **kwargs)
    draw_schedules({f"{name}, T={T}": sch})
    print(f"alpha_bar_T = {sch.alpha_bar[-1].item():.2e}")


explore("sigmoid", 100, 0.1)

# %%
# NBVAL_IGNORE_OUTPUT
# Why: the sliders render as a widget, stored in notebook metadata rather than as a comparable output.
widgets.interact(
    explore,
    name=widgets.Dropdown(options=["sigmoid", "linear", "cosine"], value="sigmoid"),
    T=widgets.IntSlider(value=100, min=10, max=1000, step=10, continuous_update=False),
    beta_max=widgets.FloatLogSlider(value=5e-3, base=10, min=-4, max=-0.5, continuous_update=False),
);

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - $\beta_t$: the noise variance added at step $t$; $\alpha_t = 1 - \beta_t$; $\bar\alpha_t = \prod_{s\le t}\alpha_s$.
# - The recipe's sigmoid schedule ends at $\bar\alpha_T \approx 0.778$: $\mathbf{x}_T = 0.882\,\mathbf{x}_0 + 0.471\,\boldsymbol\epsilon$,
#   not noise. Linear and cosine schedules end at $\bar\alpha_T \approx 4\cdot10^{-5}$ and below.
# - log-SNR shows each schedule's pace: where it spends its steps between "all signal" and "all noise".
#
# ## Exercises (solutions: `%load solutions/02_1.py`, `02_2.py`)
#
# **1.** Write `alpha_bar_last(beta)` that returns $\bar\alpha_T$ (a Python float) for a 1-d tensor `beta`,
# without helpers.

# %%
def alpha_bar_last(beta):
    return None  # your code here


helpers.check_exercise("02.1", alpha_bar_last)

# %% [markdown]
# **2.** Keep the sigmoid shape and $T = 100$, but pick `beta_max` (a number) so that $\bar\alpha_T$ falls
# below 0.01, with `beta_max` no larger than 0.2.

# %%
beta_max = None  # your number here

helpers.check_exercise("02.2", beta_max)
