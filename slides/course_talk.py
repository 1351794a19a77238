# %% [markdown] slideshow={"slide_type": "slide"}
# # S-Curve Diffusion
# ## Denoising diffusion from scratch, on a 2-D toy, in eight notebooks
#
# A 20-minute tour of the course: what a DDPM does, the reference recipe it starts from, what that recipe gets
# wrong, and how the same network trains to the same quality about 50× sooner.

# %% [markdown] slideshow={"slide_type": "notes"}
# Welcome. Everything on these slides is computed by this notebook from the course's own `helpers` package and
# its committed checkpoint, so the talk is tested like the lessons. Budget: ~2 minutes per section.

# %% slideshow={"slide_type": "skip"}
import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch

import helpers

torch.manual_seed(0)
schedule = helpers.sigmoid_schedule(100)
T = schedule.T
x0 = helpers.s_curve(10_000)
model = helpers.build_model(helpers.DEFAULT, schedule, x0)
helpers.load_weights(model, "../notebooks/checkpoints/ddpm_scurve.pt")
benchmark = json.loads(Path("../benchmarks/results/cpu-2core.json").read_text())

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The data (lesson 01)
#
# `make_s_curve(10_000, noise=0.1)`, columns 0 and 2, divided by 10: a thin "S" with std ≈ (0.07, 0.14).
# Small enough to train in seconds, big enough to use exactly the maths of image models.

# %%
helpers.plot_points(x0, title="10 000 points of the S-curve")
plt.show()

# %% [markdown] slideshow={"slide_type": "notes"}
# Why 2-D: we can plot the entire distribution at every step of the process, which you can never do for images.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Destroying data, one step at a time (lessons 02–03)
#
# $$q(\mathbf{x}_t\mid\mathbf{x}_{t-1}) = \mathcal{N}\big(\sqrt{1-\beta_t}\,\mathbf{x}_{t-1},\ \beta_t I\big),\qquad t = 1, \dots, T = 100$$

# %%
states = [x0]
for t in range(T):
    states.append(helpers.q_step(states[-1], t, schedule))
shown = list(range(0, T + 1, 20))
helpers.plot_strip([states[k] for k in shown], [f"t = {k}" for k in shown], limit=1.5)
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Jumping to any step (lesson 04)
#
# Variances of independent Gaussians add, so $t$ steps collapse into one:
#
# $$\mathbf{x}_t = \sqrt{\bar\alpha_t}\,\mathbf{x}_0 + \sqrt{1-\bar\alpha_t}\,\boldsymbol\epsilon,\qquad \bar\alpha_t = \prod_{s\le t}(1-\beta_s)$$
#
# One noise draw per training example instead of $t$, and a known target $\boldsymbol\epsilon$.

# %%
closed = helpers.q_sample(x0, T - 1, schedule)
print("std at t = 100, loop vs closed form:", np.round(states[-1].std(0).numpy(), 2), np.round(closed.std(0).numpy(), 2))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. The recipe's first flaw: it never reaches noise (lesson 02)

# %%
a = schedule.alpha_bar[-1].item()
print(f"alpha_bar_T = {a:.3f}:  x_T = {np.sqrt(a):.3f} x_0 + {np.sqrt(1 - a):.3f} eps")

# %% [markdown]
# Sampling starts from $\mathcal{N}(0, I)$, a distribution the forward process never produces: a third of the
# starting points lie where training put almost no $\mathbf{x}_T$ (lesson 07).

# %% [markdown] slideshow={"slide_type": "notes"}
# Linear (Ho et al.) and cosine (Nichol & Dhariwal) schedules end at alpha_bar_T ~ 4e-5 and below. The course keeps
# the recipe's schedule so every comparison is against the recipe, and discusses the fix.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. The model and the loss (lessons 05–06)
#
# A 2→128→128→128→2 MLP, the step added as a learned 128-vector before each ReLU; 72 066 parameters.
# From the ELBO, with fixed variances each KL term is a weighted squared error on the noise; drop the weights:
#
# $$L_\text{simple} = \mathbb{E}_{t,\mathbf{x}_0,\boldsymbol\epsilon}\big\lVert\boldsymbol\epsilon - \boldsymbol\epsilon_\theta\big(\sqrt{\bar\alpha_t}\mathbf{x}_0 + \sqrt{1-\bar\alpha_t}\boldsymbol\epsilon,\ t\big)\big\rVert^2$$

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Sampling: the chain run backwards (lesson 07)
#
# $$\mathbf{x}_{t-1} = \frac{1}{\sqrt{\alpha_t}}\Big(\mathbf{x}_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\boldsymbol\epsilon_\theta(\mathbf{x}_t, t)\Big) + \sigma_t\mathbf{z},\qquad \mathbf{z} = 0 \text{ at the last step}$$

# %%
chain = helpers.sample(model, schedule, 10_000, generator=torch.Generator().manual_seed(0), keep_chain=True)
quality = helpers.sample_quality(chain[-1])
helpers.plot_strip([chain[k] for k in shown], [f"t = {T - k}" for k in shown], suptitle=f"samples of p_θ; energy distance ×10³ = {quality:.2f}")
plt.show()

# %% [markdown] slideshow={"slide_type": "notes"}
# The quality number: energy distance between 10 000 samples and 10 000 fresh data points, x1000. Two samples of
# the data themselves score 0 +- 0.04.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. What the recipe gets wrong, and where the course fixes it
#
# | recipe | course |
# |---|---|
# | $\bar\alpha_T = 0.778$, yet sampling starts at $\mathcal{N}(0, I)$ | shown, measured as $L_T$, discussed (02, 07) |
# | noise added at the last reverse step | $\mathbf{z} = 0$ at $t = 1$ (07) |
# | `cat([t, T-1-t])` breaks odd batches | $\lceil B/2\rceil$ draws, cut to $B$ (06) |
# | blog prints $(1-\sqrt{1-\beta_t})$ for $1/\sqrt{1-\beta_t}$ | run on purpose: everything collapses (07) |
# | sampling builds a 100-step autograd graph | `no_grad()` and `eval()` (07) |
# | seed never applied, EMA never used, CPU only | seeded, EMA used, any device (all) |

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. Training ≥ 50× faster (lesson 08)

# %%
fig, ax = plt.subplots(figsize=(8, 4))
for run in benchmark["default"]:
    ax.plot([p["train_seconds"] for p in run["curve"]], [p["quality"] for p in run["curve"]], color="C0", alpha=0.7)
ref = benchmark["reference"]["curve"]
ax.plot([p["train_seconds"] for p in ref], [p["quality"] for p in ref], "o-", color="C1", markersize=3)
ax.axhline(benchmark["target"], color="gray", linestyle="--")
ax.set(xscale="log", yscale="log", xlabel="training time (s), 2-core CPU", ylabel="energy distance ×10³",
       title="blue: course default (3 seeds), orange: reference recipe")
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# Same network, same schedule, same loss. Batch 1024 at a peak learning rate of $10^{-2}$ with warm-up and
# cosine decay; inputs scaled to unit variance per step, $c_\text{in}(t) = 1/\sqrt{\bar\alpha_t\sigma^2 + 1-\bar\alpha_t}$;
# an EMA of the weights.

# %%
for row in benchmark["ablation"]:
    print(f"{row['name']:42s} quality {row['quality']:.2f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - A DDPM: noise data step by step, learn to predict the noise, run the chain backwards.
# - Every identity in the course is checked numerically where it is stated; every notebook is a test.
# - The recipe's flaws are shown, measured and fixed; the default recipe trains live in class.
#
# `python3 course.py lab` to start.
