# %% [markdown] slideshow={"slide_type": "slide"}
# # Lesson 02 — The noise schedule
#
# **Goal.** A diffusion model destroys data by adding a little Gaussian noise at each of $T$ steps. How much
# noise goes in at step $t$ is the *noise schedule* $\beta_t$. Here we build the reference recipe's sigmoid
# schedule, derive $\alpha_t$ and $\bar\alpha_t$ from it, measure what is left of the data with the
# signal-to-noise ratio, compare with the linear and cosine schedules of the literature, and find the recipe's
# first flaw: after all $T = 100$ steps, $\mathbf{x}_T$ is not distributed like the $\mathcal{N}(0, I)$ that
# sampling starts from.
#
# **Assumes.** Lesson 01 (the data, its std ≈ 0.1).

# %% slideshow={"slide_type": "subslide"}
import math

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch

import helpers

_ = torch.manual_seed(0)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The reference schedule
#
# $T = 100$ steps, with $\beta_t$ rising along a sigmoid from about $2\cdot10^{-5}$ to $5\cdot10^{-3}$:
#
# $$\beta_t = \operatorname{sigmoid}\Big(-6 + 12\,\tfrac{t-1}{T-1}\Big)\,(5\cdot10^{-3} - 10^{-5}) + 10^{-5},\qquad t = 1, \dots, T,$$
#
# with $\operatorname{sigmoid}(g) = 1/(1 + e^{-g})$ (not written $\sigma$ here: the course's $\sigma$ is a standard deviation).
#
# Then $\alpha_t = 1 - \beta_t$ is the fraction of *variance* of the signal kept at step $t$, and
# $\bar\alpha_t = \prod_{k=1}^{t} \alpha_k$ the fraction kept after the first $t$ steps.
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
# Both tensors come from the same few lines of torch, so agreeing with each other proves little. An
# independent check: rebuild $\bar\alpha_t$ and $\log\frac{\bar\alpha_t}{1-\bar\alpha_t}$ from the recipe's formula
# one Python float (float64) at a time, and compare. The tolerances are float32 rounding: $10^{-5}$ relative for
# $\bar\alpha_t$, and $5\cdot10^{-3}$ for the log ratio, because near code step 0 (the paper's $t = 1$) the float32 difference $1 - \bar\alpha_t$
# keeps only about three significant digits.

# %%
def check_schedule(alpha_bar, log_ratio, T=100, beta_min=1e-5, beta_max=5e-3):
    """alpha_bar and log(alpha_bar / (1 - alpha_bar)) against a float64 product of (1 - beta_t) from the formula."""
    product, expected = 1.0, []
    for t in range(T):
        argument = -6 + 12 * t / (T - 1)
        product *= 1 - ((beta_max - beta_min) / (1 + math.exp(-argument)) + beta_min)
        expected.append(product)
    expected = torch.tensor(expected, dtype=torch.float64)
    relative = ((alpha_bar.double() - expected) / expected).abs().max().item()
    assert relative < 1e-5, f"alpha_bar is off by {relative:.1e} (relative)"
    gap = (log_ratio.double() - torch.log(expected / (1 - expected))).abs().max().item()
    assert gap < 5e-3, f"log(alpha_bar / (1 - alpha_bar)) is off by {gap:.2g}"


check_schedule(schedule.alpha_bar, schedule.log_snr)
check_schedule(alpha_bar, torch.log(alpha_bar / (1 - alpha_bar)))

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
# ## How much of the data's variance is kept?
#
# The per-step noise variances sum to $\sum_t \beta_t \approx 0.25$ (not the noise in $\mathbf{x}_T$: that is $1 - \bar\alpha_T$, because each
# later step shrinks what the earlier ones added), and since $\log(1-\beta) \approx -\beta$ for small $\beta$,
#
# $$\bar\alpha_T = \prod_t (1 - \beta_t) \approx e^{-\sum_t \beta_t}.$$

# %%
sum_beta = beta.sum().item()
alpha_bar_T = alpha_bar[-1].item()
print(f"sum of beta       = {sum_beta:.4f}")
print(f"alpha_bar_T       = {alpha_bar_T:.3f}")
print(f"exp(-sum of beta) = {np.exp(-sum_beta):.3f}")

# %% [markdown]
# The two agree to within the second-order term $\tfrac12\sum_t\beta_t^2 < 10^{-3}$:

# %%
second_order = 0.5 * (beta**2).sum().item()
print(f"gap {abs(alpha_bar_T - np.exp(-sum_beta)):.1e} <= half the sum of beta^2 = {second_order:.1e}")
assert abs(alpha_bar_T - np.exp(-sum_beta)) < second_order + 1e-6

# %% [markdown] slideshow={"slide_type": "notes"}
# **Instructor's note.** Ask the students: x_T = 0.882 x_0 + 0.471 ε — is that noise? Most say no, "88 % of the signal". Then bring in the data's std (0.11) and show the data's SNR: the S can no longer be seen, and the real problem is the std of x_T, 0.48 instead of 1.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## So what is $\mathbf{x}_T$?
#
# Lesson 04 derives $\mathbf{x}_t = \sqrt{\bar\alpha_t}\,\mathbf{x}_0 + \sqrt{1-\bar\alpha_t}\,\boldsymbol\epsilon$.
# With the reference schedule that is, at the last step,

# %%
print(f"x_T = {np.sqrt(alpha_bar_T):.3f} * x_0 + {np.sqrt(1 - alpha_bar_T):.3f} * eps")

# %% [markdown]
# The coefficient 0.882 says nothing on its own: it multiplies data whose std is only about 0.1 (lesson 01),
# while the noise has std 1. Compare the two terms by their **variances**. Their ratio is the signal-to-noise
# ratio (Kingma et al. 2021 define the SNR as the squared ratio of the coefficients of the data and of the noise in
# $\mathbf{x}_t$; Karras et al. 2022 make the data's std $\sigma_\text{data}$ explicit):
#
# $$\mathrm{SNR}^\text{data}_t = \frac{\bar\alpha_t\,\sigma_\text{data}^2}{1-\bar\alpha_t}.$$
#
# This is **the data's SNR**. For data of unit variance it is $\bar\alpha_t/(1-\bar\alpha_t)$, whose log is the log-SNR
# $\lambda_t$ of later lessons (`schedule.log_snr`); the data's log-SNR is $\lambda_t + \log\sigma_\text{data}^2$.
# Per coordinate, and pooled ($\sigma_\text{data}^2$ = the mean of the two variances):

# %%
x0 = helpers.s_curve(10_000)
data_var = x0.var(dim=0)
pooled_var = data_var.mean()


def snr(alpha_bar, data_var):
    """SNR_t = alpha_bar_t sigma_data^2 / (1 - alpha_bar_t), one row per step, one column per entry of data_var."""
    return alpha_bar[:, None] * data_var / (1 - alpha_bar[:, None])


snr_T, snr_T_pooled = snr(alpha_bar, data_var)[-1], snr(alpha_bar, pooled_var[None])[-1, 0]
print("sigma_data per coordinate:     ", np.round(data_var.sqrt().numpy(), 3), f"| pooled: {pooled_var.sqrt():.3f}")
print("data's SNR at T per coordinate:", np.round(snr_T.numpy(), 3), f"| pooled: {snr_T_pooled:.3f}")
print(f"data's log-SNR at T, pooled:   {snr_T_pooled.log():.2f}")
print(f"share of x_T's variance that comes from the data: {snr_T_pooled / (1 + snr_T_pooled):.3f}")

# %% [markdown]
# At $t = T$ the signal's variance is 0.043 times the noise's: only 4 % of the variance of $\mathbf{x}_T$
# comes from the data, and the S is no longer visible (figure below). The "88 %" reading ignored the data's
# scale.
#
# **A check that would fail if the formula were wrong.** $\mathrm{SNR}^\text{data}_t/(1+\mathrm{SNR}^\text{data}_t)$ is the squared correlation between a coordinate of
# $\mathbf{x}_0$ and the same coordinate of $\mathbf{x}_t$, whatever the data's shape. So run the forward chain
# step by step (`helpers.q_step`, built in lesson 03) and measure $\log\frac{r^2}{1-r^2}$ at every step. Its
# standard error is about $2/(r\sqrt n)$; allow 5 of them.

# %%
def check_snr(snr_t, x0, states):
    """snr_t (T, 2) against the correlation r of x_0 and x_t in a run of the chain: log(r^2 / (1 - r^2)) = log SNR."""
    n = x0.shape[0]
    centred_x0 = x0.double() - x0.double().mean(dim=0)
    for t in range(len(states) - 1):
        xt = states[t + 1].double() - states[t + 1].double().mean(dim=0)
        r = (centred_x0 * xt).sum(dim=0) / (centred_x0.norm(dim=0) * xt.norm(dim=0))
        measured, predicted = torch.log(r**2 / (1 - r**2)), snr_t[t].double().log()
        z = ((measured - predicted).abs() * r * math.sqrt(n) / 2).max().item()
        assert z < 5, f"log-SNR at t = {t + 1}: measured {measured.numpy().round(2)}, formula {predicted.numpy().round(2)}"


states = [x0]
for step in range(T):
    states.append(helpers.q_step(states[-1], step, schedule))
check_snr(snr(alpha_bar, data_var), x0, states)

# %% [markdown]
# Does it catch the easy mistakes, forgetting the data's variance (the SNR of unit-variance data) or leaving
# $\sigma_\text{data}$ unsquared?

# %%
for name, wrong in {"unit variance": torch.ones(2), "sigma_data not squared": data_var.sqrt()}.items():
    try:
        check_snr(snr(alpha_bar, wrong), x0, states)
        print(f"{name}: passes (not caught)")
    except AssertionError as error:
        print(f"{name}: caught, {error}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The real flaw: prior mismatch
#
# So $\mathbf{x}_T$ is nearly noise. But noise of which size? Each coordinate of $\mathbf{x}_T$ has variance
# $\bar\alpha_T\sigma_{\text{data},i}^2 + 1 - \bar\alpha_T$ ($\sigma_{\text{data},i}$ the data's std in coordinate $i$), and sampling (lesson 07) starts from $\mathcal{N}(0, I)$, std 1:

# %%
std_T = (alpha_bar[-1] * data_var + 1 - alpha_bar[-1]).sqrt()
print("std of x_T per coordinate:", np.round(std_T.numpy(), 3), f"| N(0, I) is {1 / std_T.mean():.2f} times wider")

# %% [markdown]
# The forward process never produces the distribution sampling starts from: the sampler begins with a cloud
# about twice as wide as anything the network saw at $t = T$. This **prior mismatch** is the recipe's first
# flaw. Side by side, with the measured std in each title:

# %%
eps = torch.randn_like(x0)
x_T = alpha_bar[-1].sqrt() * x0 + (1 - alpha_bar[-1]).sqrt() * eps
start = torch.randn(10_000, 2)
fig, axes = plt.subplots(1, 2, figsize=(8, 4))
helpers.plot_points(x_T, ax=axes[0], title=f"$x_T$ of the recipe, std {x_T.std():.2f}", limit=3)
helpers.plot_points(start, ax=axes[1], title=rf"$\mathcal{{N}}(0, I)$: where sampling starts, std {start.std():.2f}", limit=3)
plt.show()

# %% [markdown]
# The sample's std must match the formula within 5 standard errors ($\approx\mathrm{std}/\sqrt{2n}$ each):

# %%
def check_std(points, predicted_std):
    """Each coordinate's sample std within 5 standard errors of predicted_std."""
    n = points.shape[0]
    z = ((points.std(dim=0) - predicted_std).abs() / (predicted_std / math.sqrt(2 * n))).max().item()
    assert z < 5, f"std {points.std(dim=0).numpy().round(3)} vs predicted {predicted_std.numpy().round(3)}"


check_std(x_T, std_T)
print("sample std of x_T:", np.round(x_T.std(dim=0).numpy(), 3))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Two schedules from the literature
#
# - **Linear** (Ho et al., 2020, §4): $\beta_t$ evenly spaced from $10^{-4}$ to $0.02$ over $T = 1000$ steps.
# - **Cosine** (Nichol & Dhariwal, 2021, eq. 17): define $\bar\alpha_t = f(t)/f(0)$ with
#   $f(t) = \cos^2\!\big(\tfrac{t/T + s}{1 + s}\cdot\tfrac{\pi}{2}\big)$, with the small offset $s = 0.008$ that keeps $\beta_t$ from being too small near $t = 0$, and
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
# ## Four views of a schedule, for these data
#
# On a common axis $t/T$: $\beta_t$; $\bar\alpha_t$; the std of $\mathbf{x}_t$,
# $\sqrt{\bar\alpha_t\sigma_\text{data}^2 + 1 - \bar\alpha_t}$, against the std 1 where sampling starts; and
# $\log\mathrm{SNR}^\text{data}_t$ with the data's pooled variance. Dots mark where each schedule ends, at $t = T$.

# %%
def draw_schedules(schedules, data_var):
    fig, axes = plt.subplots(2, 2, figsize=(10, 6.4))
    axes = axes.ravel()
    for name, sch in schedules.items():
        frac = (torch.arange(sch.T) + 1) / sch.T
        std = (sch.alpha_bar * data_var + 1 - sch.alpha_bar).sqrt()
        log_snr = sch.log_snr + math.log(data_var)
        axes[0].plot(frac, sch.beta, label=name)
        axes[1].plot(frac, sch.alpha_bar, label=name)
        for ax, y in ((axes[2], std), (axes[3], log_snr)):
            line, = ax.plot(frac, y, label=name)
            ax.plot(1.0, y[-1], "o", color=line.get_color())
    axes[2].axhline(1.0, color="grey", linestyle="--", linewidth=1)
    axes[0].set(title=r"$\beta_t$", xlabel="t / T", yscale="log")
    axes[1].set(title=r"$\bar\alpha_t$", xlabel="t / T", ylim=(0, 1.02))
    axes[2].set(title=r"std of $x_t$ (dashed: $\mathcal{N}(0, I)$)", xlabel="t / T", ylim=(0, 1.05))
    axes[3].set(title=rf"$\log\,\mathrm{{SNR}}^{{data}}_t$, $\sigma_{{data}}$ = {math.sqrt(data_var):.3f}", xlabel="t / T")
    axes[0].legend()
    fig.tight_layout()
    return fig


schedules = {"sigmoid (recipe, T=100)": schedule, "linear (T=1000)": linear, "cosine (T=1000)": cosine}
draw_schedules(schedules, pooled_var.item())
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Where does each schedule end?

# %%
for name, sch in schedules.items():
    a = sch.alpha_bar[-1].double()
    end_std = (a * pooled_var + 1 - a).sqrt().item()
    print(f"{name:24s} alpha_bar_T = {a:.2e}   data's log-SNR_T = {(sch.log_snr[-1] + pooled_var.log()).item():6.1f}   std of x_T = {end_std:.3f}")

# %% [markdown]
# All three end with little of the S left (the data's log-SNR below −3). Linear and cosine end with std 1.000, where
# sampling starts; the recipe ends at 0.48.

# %%
end_stds = {name: (sch.alpha_bar[-1] * pooled_var + 1 - sch.alpha_bar[-1]).sqrt().item() for name, sch in schedules.items()}
assert abs(end_stds["linear (T=1000)"] - 1) < 1e-3 and abs(end_stds["cosine (T=1000)"] - 1) < 1e-3
assert end_stds["sigmoid (recipe, T=100)"] < 0.5

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Explore
#
# Change the schedule and its length; the figure and the end point follow. How large must `beta_max` be for the
# sigmoid schedule's $\mathbf{x}_T$ to have a std close to 1 in 100 steps? (Exercise 2 asks for one such value.)

# %%
def explore(name="sigmoid", T=100, beta_max=5e-3):
    kwargs = {"beta_max": beta_max} if name == "sigmoid" else {}
    sch = helpers.make_schedule(name, T, **kwargs)
    draw_schedules({f"{name}, T={T}": sch}, pooled_var.item())
    # An interact callback runs outside a cell's execution, so nothing draws the figure unless we show it here.
    plt.show()
    a = sch.alpha_bar[-1].item()
    print(f"alpha_bar_T = {a:.2e}, std of x_T = {math.sqrt(a * pooled_var.item() + 1 - a):.3f}")


explore("sigmoid", 100, 5e-3)

# %% slideshow={"slide_type": "slide"} tags=["nbval-ignore-output"] nbval_why="the sliders render as a widget, stored in notebook metadata rather than as a comparable output."
widgets.interact(
    explore,
    name=widgets.Dropdown(options=["sigmoid", "linear", "cosine"], value="sigmoid"),
    T=widgets.IntSlider(value=100, min=10, max=1000, step=10, continuous_update=False),
    beta_max=widgets.FloatLogSlider(value=5e-3, base=10, min=-4, max=-0.5, continuous_update=False),
);

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - $\beta_t$: the noise variance added at step $t$; $\alpha_t = 1 - \beta_t$; $\bar\alpha_t = \prod_{k=1}^{t}\alpha_k$.
# - Judge what is left of the data by the data's SNR, $\bar\alpha_t\sigma_\text{data}^2/(1-\bar\alpha_t)$, not by $\sqrt{\bar\alpha_t}$:
#   the recipe's $\mathbf{x}_T = 0.882\,\mathbf{x}_0 + 0.471\,\boldsymbol\epsilon$ has the data's SNR 0.043 (log −3.15): the S can no longer be seen.
# - The recipe's flaw is a prior mismatch: $\mathbf{x}_T$ has std 0.48 per coordinate, sampling starts from std 1.
#   Linear and cosine schedules end at std 1.000.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises (solutions: `%load solutions/02_1.py`, `02_2.py`, `02_3.py`; each ends with its check)
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

# %% [markdown]
# **3. Predict first.** The recipe divides the S-curve by 10. Without that division, what would the data's pooled
# SNR at $t = T$ be? Write your number, then run the cell; the check computes it and says whether you were
# within 10 %.

# %%
prediction = None  # your number

helpers.check_exercise("02.3", prediction)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## References
#
# - J. Ho, A. Jain, P. Abbeel (2020). *Denoising Diffusion Probabilistic Models.* NeurIPS. §4: the linear schedule;
#   eq. 4: $q(\mathbf{x}_t\mid\mathbf{x}_0)$, used above for $\mathbf{x}_T$.
# - A. Nichol, P. Dhariwal (2021). *Improved Denoising Diffusion Probabilistic Models.* ICML. Eq. 17: the cosine schedule.
# - D. Kingma, T. Salimans, B. Poole, J. Ho (2021). *Variational Diffusion Models.* NeurIPS. The signal-to-noise
#   ratio of the forward process, α_t²/σ_t² in their notation (ᾱ_t/(1 − ᾱ_t) in this course's).
# - T. Karras, M. Aittala, T. Aila, S. Laine (2022). *Elucidating the Design Space of Diffusion-Based Generative
#   Models.* NeurIPS. The data's std $\sigma_\text{data}$ in the preconditioning (their Table 1).
# - The reference recipe (the blog tutorial of lesson 01) takes its sigmoid schedule from P. Esling's
#   `diffusion_models` notebooks (ACIDS, IRCAM, 2021; github.com/acids-ircam/diffusion_models,
#   `diffusion_02_model.ipynb`), which use $T = 100$ and $\beta$ from $10^{-5}$ to $10^{-2}$; the recipe ends at $5\cdot10^{-3}$.
