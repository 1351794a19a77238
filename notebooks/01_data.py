# %% [markdown] slideshow={"slide_type": "slide"}
# # Lesson 01 — The data: a 2-D S-curve
#
# **Goal.** Build the data set the whole course learns to generate: 10 000 points on an "S" in the plane,
# made exactly as the reference recipe makes it. By the end you can create it, describe it with a few
# numbers, plot it, and pass it to the later lessons as a tensor on the right device.
#
# **Assumes.** Python, NumPy-style array thinking, and what a PyTorch tensor is. No diffusion yet.

# %% slideshow={"slide_type": "subslide"}
import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import make_s_curve

import helpers

_ = torch.manual_seed(0)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Why a 2-D toy?
#
# A diffusion model learns a probability distribution $p(\mathbf{x})$ from samples, then draws new samples
# from it. Images make that slow and hard to see. In two dimensions we can **plot the whole distribution**
# at every step, train in seconds on a laptop, and still use exactly the maths of image models
# (Ho et al., 2020). The S-curve is a good target: thin, curved and with two bends, so a model that only
# gets the rough shape right is easy to spot.

# %% [markdown] slideshow={"slide_type": "notes"}
# **Instructor's note.** Ask the students how they would check that a generative model of *images* is right. In 2-D we can simply look at the whole distribution; that is the reason for this 2-D example.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The recipe
#
# scikit-learn's `make_s_curve` draws points on a 3-D "S"-shaped sheet plus Gaussian noise of standard
# deviation `noise`. The reference recipe keeps the $x$ and $z$ coordinates and shrinks them by 10:
#
# $$\mathbf{x}_0 = \tfrac{1}{10}\,(s_x, s_z), \qquad (s_x, s_y, s_z) \sim \texttt{make\_s\_curve}(n, \text{noise}=0.1).$$

# %%
points, _ = make_s_curve(10_000, noise=0.1, random_state=0)
x0 = torch.tensor(points[:, [0, 2]] / 10, dtype=torch.float32)
x0.shape, x0.dtype

# %% [markdown]
# The course keeps this once, in `helpers.s_curve`. It must give the very same tensor:

# %%
assert torch.equal(x0, helpers.s_curve(10_000, noise=0.1, seed=0))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A look at the numbers
#
# The mean is near 0, and $z$ spreads about twice as far as $x$ (the ratio of their standard deviations is
# printed). Keep the scale in mind: the pooled standard deviation (the root of the mean of the two variances)
# is about one ninth of the standard deviation 1 of the $\mathcal{N}(0, I)$ noise that sampling will
# start from. Lesson 02 shows why that matters.

# %%
mean = points[:, [0, 2]].mean(axis=0) / 10
std = points[:, [0, 2]].std(axis=0) / 10
pooled_std = np.sqrt((std**2).mean())
print("mean:", np.round(mean, 3))
print("std: ", np.round(std, 3), f"| z/x ratio {std[1] / std[0]:.2f} | pooled {pooled_std:.3f}, 1/pooled = {1 / pooled_std:.1f}")
print("x from", round(float(x0[:, 0].min()), 2), "to", round(float(x0[:, 0].max()), 2))
print("z from", round(float(x0[:, 1].min()), 2), "to", round(float(x0[:, 1].max()), 2))

# %% [markdown]
# Check against the figures the reference recipe reports, std ≈ (0.071, 0.139), mean ≈ 0. For Gaussian data
# the standard error of a sample std from $n$ points is about $\mathrm{std}/\sqrt{2n}$: 0.0005 for $x$ and 0.001 for
# $z$ at $n = 10\,000$. The tolerance, 0.003, is three times the larger one, and the reference figures are
# themselves rounded to 0.001.

# %%
def check_data_stats(x):
    """The reference recipe's figures: std (0.071, 0.139) within 0.003, mean 0 within 0.005."""
    std, mean = x.std(dim=0), x.mean(dim=0)
    assert (std - torch.tensor([0.071, 0.139])).abs().max() <= 0.003, f"std {std.numpy().round(3)}"
    assert mean.abs().max() <= 0.005, f"mean {mean.numpy().round(3)}"


check_data_stats(x0)

# %% [markdown]
# Does the check catch the two likeliest slips, keeping the wrong column or forgetting the division by 10?

# %%
slips = {
    "columns 0 and 1": torch.tensor(points[:, [0, 1]] / 10, dtype=torch.float32),
    "no division by 10": torch.tensor(points[:, [0, 2]], dtype=torch.float32),
}
for name, x in slips.items():
    try:
        check_data_stats(x)
        print(f"{name}: passes (not caught)")
    except AssertionError as error:
        print(f"{name}: caught, {error}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The picture

# %%
fig, ax = plt.subplots(figsize=(5, 5))
ax.scatter(x0[:, 0], x0[:, 1], s=1.5, alpha=0.5, linewidths=0)
ax.set_aspect("equal")
ax.set_title("10 000 points of the S-curve")
plt.show()

# %% [markdown]
# Later lessons draw many such clouds on the same fixed window, so the course keeps the drawing in
# `helpers.plot_points`:

# %%
helpers.plot_points(x0, title="helpers.plot_points")
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Change the settings
#
# How many points does the eye need to see the "S"? How much noise before the shape blurs? The function
# below draws one setting; the sliders call it for you. (The sliders need a live kernel; the checked call
# underneath shows one setting.)

# %%
def draw_s_curve(n, noise):
    x = helpers.s_curve(n, noise=noise, seed=0)
    helpers.plot_points(x, title=f"n = {n}, noise = {noise:.2f}")
    plt.show()


draw_s_curve(1000, 0.3)

# %% slideshow={"slide_type": "slide"} tags=["nbval-ignore-output"] nbval_why="the sliders render as a widget, stored in notebook metadata rather than as a comparable output."
widgets.interact(
    draw_s_curve,
    n=widgets.IntSlider(value=10_000, min=100, max=20_000, step=100, continuous_update=False),
    noise=widgets.FloatSlider(value=0.1, min=0.0, max=1.0, step=0.05, continuous_update=False),
);

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The tensor the course uses
#
# Every later lesson starts from `helpers.s_curve(10_000)` placed on the fastest device this machine
# has: a CUDA GPU, Apple's MPS, or the CPU. Nothing in the course hard-codes the CPU.

# %%
device = helpers.default_device()
x0 = helpers.s_curve(10_000, device=device)
assert x0.device.type == device.type
print(tuple(x0.shape), x0.dtype)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - The data: `make_s_curve(10_000, noise=0.1)`, columns 0 and 2, divided by 10 → a float32 tensor of shape (10 000, 2).
# - Mean ≈ 0, std ≈ (0.071, 0.139), pooled 0.111: about one ninth of the std 1 of $\mathcal{N}(0, I)$.
# - `helpers.s_curve`, `helpers.plot_points` and `helpers.default_device` keep this for later lessons.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# Each exercise has a check below it. Replace the body of the function (or write your prediction), run the
# cell, and the check says "correct!" or gives a hint. Stuck? Load the worked solution into a new cell with
# `%load solutions/01_1.py` (or `01_2.py`, `01_3.py`) and run it: it ends with the same check.
#
# **1.** Many diffusion codes first rescale data to unit standard deviation per coordinate. Write
# `to_unit_std(x)` that returns `x` divided by its per-coordinate standard deviation (either convention,
# dividing by $n$ or by $n-1$, is accepted).

# %%
def to_unit_std(x):
    return None  # your code here


helpers.check_exercise("01.1", to_unit_std)

# %% [markdown]
# **2.** The same recipe works for scikit-learn's Swiss roll. Write `swiss_roll(n, seed)` that returns
# `make_swiss_roll(n, noise=0.1, random_state=seed)`, columns 0 and 2, divided by 10, as a float32 tensor.

# %%
def swiss_roll(n, seed):
    return None  # your code here


helpers.check_exercise("01.2", swiss_roll)


# %% [markdown]
# **3. Predict first.** The recipe keeps columns 0 and 2 of `make_s_curve`. What would columns 0 and 1 look
# like: (a) an S, (b) a filled rectangle, or (c) a thin line? Write your letter, then run the cell. The check
# measures how much of a 10 × 10 grid over the points' bounding box the points fill, and says whether your
# prediction held; then draw it with `helpers.plot_points` to see.

# %%
prediction = None  # "a", "b" or "c"

helpers.check_exercise("01.3", prediction)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## References
#
# - J. Ho, A. Jain, P. Abbeel (2020). *Denoising Diffusion Probabilistic Models.* NeurIPS. arXiv:2006.11239.
# - F. Pedregosa et al. (2011). *Scikit-learn: Machine Learning in Python.* JMLR 12 — `sklearn.datasets.make_s_curve`.
# - The reference recipe: a Chinese-language blog tutorial (the write-up of a video lecture) that trains a
#   100-step DDPM on this S-curve. Its code descends from P. Esling's `diffusion_models` notebooks (ACIDS,
#   IRCAM, 2021; github.com/acids-ircam/diffusion_models, `diffusion_02_model.ipynb`), which use the Swiss roll.
#   Coming from the blog? Its names (`MLPDiffusion`, `q_x`, `p_sample_loop`, …) and the course's are side by side in
#   `docs/glossary.md`, with every term the lessons use.
