# %% [markdown] slideshow={"slide_type": "slide"}
# # Lesson 19 — Discrete diffusion: masking the digits' 17 grey levels, scored against the exact predictor
#
# **Goal.** The 8×8 digits are not real numbers: each pixel is one of 17 grey levels, and lesson 17 had to spread
# them over bins before a Gaussian diffusion could model them. Here we keep them as tokens. The forward process hides
# tokens behind a mask (or redraws them at random), the network predicts the hidden ones, and lesson 06's bound becomes
# a weighted cross-entropy: the recipe of today's masked-diffusion language models. Because the training set is
# finite, the exact prediction of the hidden pixels is known (lesson 09's finite-set optimum, with agreement in place of
# Gaussian weights), so we can say what a sampler with fewer steps loses even when its predictor is perfect. We measure
# the network in bits per dimension against lesson 17's continuous model and against models with no network.
#
# **Assumes.** Lesson 06's ELBO as a sum of KL divergences; lesson 09's finite-set optimum; lesson 17's digits, its
# split and its judge (Fréchet distance, confident share, copies). Symbols: `docs/notation.md`; here steps count as the
# papers count, $t = 0$ is the data and $t = T$ all masks.

# %% slideshow={"slide_type": "subslide"}
import json
import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from ipywidgets import Dropdown, IntSlider, interact

import helpers

torch.manual_seed(0)
x_train, labels, x_test, labels_test = helpers.digits_split()
tokens, tokens_test = helpers.to_levels(x_train), helpers.to_levels(x_test)  # integers 0 .. 16
K, d = 17, 64
MASK = K
results = json.loads(Path("../benchmarks/results/discrete-cpu-2core.json").read_text())
CHECKPOINTS = helpers.COMMITTED_CHECKPOINT.parent
continuous = json.loads(Path("../benchmarks/results/digits-cpu-2core.json").read_text())


def seeded(k):
    return torch.Generator().manual_seed(k)


TOKEN_COLOURS = plt.get_cmap("gray_r").copy()
TOKEN_COLOURS.set_bad("tab:orange")


def draw_token(ax, row):
    """One 8 x 8 token image: grey levels 0 (white) to 16 (black), the mask in orange."""
    ax.axis("off")
    return ax.imshow(np.ma.masked_equal(row.reshape(8, 8).numpy(), MASK), cmap=TOKEN_COLOURS, vmin=0, vmax=K - 1)


def colour_bar(fig, axes, image):
    bar = fig.colorbar(image, ax=axes, ticks=[0, K - 1], fraction=0.03, pad=0.02)
    bar.ax.tick_params(labelsize=10)
    bar.set_label("grey level (orange: mask)", fontsize=10)


def show_tokens(rows, titles=None, ax_size=0.9, columns=None):
    """Token images in a grid, the mask in orange, one colour bar for all."""
    columns = columns or len(rows)
    grid_rows = -(-len(rows) // columns)
    fig, axes = plt.subplots(grid_rows, columns, figsize=(ax_size * columns + 1.2, (ax_size + 0.35) * grid_rows),
                             squeeze=False, layout="constrained")
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < len(rows):
            image = draw_token(ax, rows[k])
            if titles is not None:
                ax.set_title(titles[k], fontsize=10)
    colour_bar(fig, axes, image)
    plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. Forward processes on tokens
#
# A token $x$ takes one of $K = 17$ values. Write a step as a matrix $Q_t$ whose row $i$ is $q(x_t \mid x_{t-1} = i)$
# (Austin et al. 2021, D3PM). Two choices, with $\bar\alpha_t$ the probability that a token is still its data value:
#
# - **masked** (absorbing): one more state, the mask M; a visible token is masked with probability $\beta_t$, a mask
#   stays a mask: $Q_t = (1 - \beta_t) I + \beta_t\,\mathbf{1}\mathbf{e}_\text{M}^\top$, and after $t$ steps
#   $\bar Q_t = Q_1 Q_2 \cdots Q_t = \bar\alpha_t I + (1 - \bar\alpha_t)\,\mathbf{1}\mathbf{e}_\text{M}^\top$ ($\mathbf{e}_\text{M}$ the one-hot row of M).
# - **uniform**: with probability $\beta_t$ the token is redrawn uniformly (possibly as itself):
#   $Q_t = (1 - \beta_t) I + \beta_t\,\mathbf{1}\mathbf{1}^\top/K$ and $\bar Q_t = \bar\alpha_t I + (1 - \bar\alpha_t)\,\mathbf{1}\mathbf{1}^\top/K$.
#
# Every position of an image is noised independently by the same matrices. With the linear schedule
# $\bar\alpha_t = 1 - t/T$ (MDLM, Sahoo et al. 2024; MD4, Shi et al. 2024; Austin et al. use the same
# $\beta_t = 1/(T - t + 1)$ for their absorbing process), $\beta_t = 1 - \bar\alpha_t/\bar\alpha_{t-1} = 1/(T - t + 1)$, and
# $x_T$ is all masks, or uniform noise.

# %%
T = 8
process = {kind: helpers.TokenProcess(kind, K, T) for kind in ("masked", "uniform")}
for kind, proc in process.items():
    product, gap = torch.eye(proc.n_states, dtype=torch.float64), 0.0
    for t in range(1, T + 1):
        product = product @ proc.step_matrix(t)
        gap = max(gap, (product - proc.marginal_matrix(t)).abs().max().item())
    assert gap < 1e-12, (kind, gap)
    print(f"{kind:8s}: Q_1 ... Q_t equals the closed form at every t (largest gap below 1e-12: {gap < 1e-12}); rows sum to 1: "
          f"{bool(torch.allclose(proc.step_matrix(3).sum(1), torch.ones(proc.n_states, dtype=torch.float64)))}")

# %% [markdown]
# Check 1 is a matrix product; check 2 is a simulation. Noise one image 20 000 times at $t = 3$ of 8: under the masked
# process a pixel keeps its value with probability $\bar\alpha_3 = 0.625$; under the uniform one with probability
# $\bar\alpha_3 + (1 - \bar\alpha_3)/K$. The measured shares must lie within 5 standard errors.

# %%
x0 = tokens[:1].expand(20_000, d)
for kind, proc in process.items():
    xt = proc.noise(x0, 3, seeded(1))
    kept = (xt == x0).double().mean().item()
    expected = proc.marginal_matrix(3)[0, 0].item()
    se = math.sqrt(expected * (1 - expected) / xt.numel())
    print(f"{kind:8s}: kept {kept:.4f}, closed form {expected:.4f} (5 standard errors: {5 * se:.4f})")
    assert abs(kept - expected) < 5 * se

# %%
steps_shown = [0, 2, 4, 6, 8]
rows = [process[kind].noise(tokens[:1], t, seeded(t))[0] for kind in ("masked", "uniform") for t in steps_shown]
show_tokens(rows, [f"{kind} t={t}" for kind in ("masked", "uniform") for t in steps_shown], ax_size=1.1, columns=5)

# %% [markdown] slideshow={"slide_type": "notes"}
# **Instructor's note.** Put $Q_t$ for the masked process on the board as a 3 × 3 matrix (two values and the mask) and
# multiply two of them by hand: the students see $\bar\alpha$ multiply and the mask column fill up.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. The bound becomes a weighted cross-entropy
#
# Lesson 06's bound is a sum of $L_{t-1} = D_\mathrm{KL}\big(q(\mathbf{x}_{t-1}\mid \mathbf{x}_t, \mathbf{x}_0)\,\|\,p_\theta(\mathbf{x}_{t-1}\mid \mathbf{x}_t)\big)$,
# with $L_T = 0$ here because $\bar\alpha_T = 0$ (both ends are all masks) and $L_0$ the $t = 1$ term. The forward
# posterior factorises over positions, and so does the model's reverse step (each position's $x_{t-1}^i$ is drawn on its
# own given $\mathbf{x}_t$), so $L_{t-1}$ is a sum over positions. At one position, under the masked process, Bayes' rule
# gives the posterior in one line: a visible token stays; a mask is revealed as $x_0$'s value with
# probability $r_t = (\bar\alpha_{t-1} - \bar\alpha_t)/(1 - \bar\alpha_t) = 1/t$, else it stays masked. Let the network
# predict $x_0$, $p_\theta(x_0\mid x_t)$, and reveal with that same probability $r_t$ (D3PM's prediction of $x_0$). At a
# masked position the two distributions differ only in which value is revealed, so
#
# $$L_{t-1} = \sum_{i\ \text{masked}} r_t\,\big(-\log p_\theta(x_0^i \mid \mathbf{x}_t)\big), \qquad r_t = \tfrac{1}{t},$$
#
# and 0 at visible positions (MDLM; MD4; Austin et al. already note that this is a masked language model's loss
# reweighted by $1/t$). Check 3: the helper's posterior, by Bayes' rule on the matrices, against this
# closed form. Check 4: the KL computed from the matrices, for a predictor of random logits, against the weighted
# cross-entropy.

# %%
proc = process["masked"]
x0, t = tokens[:5], 3
xt = proc.noise(x0, t, seeded(2))
r = ((proc.alpha_bar[t - 1] - proc.alpha_bar[t]) / (1 - proc.alpha_bar[t])).item()
closed = torch.zeros(*x0.shape, proc.n_states, dtype=torch.float64)
masked = xt == MASK
closed[masked] = torch.nn.functional.one_hot(x0[masked], proc.n_states).double() * r
closed[..., MASK][masked] = 1 - r
closed[~masked] = torch.nn.functional.one_hot(xt[~masked], proc.n_states).double()
gap_posterior = (proc.posterior(xt, x0, t) - closed).abs().max().item()

logits = torch.randn(*x0.shape, K, generator=seeded(3), dtype=torch.float64)
p_x0 = logits.softmax(-1)
p_x0[~masked] = torch.nn.functional.one_hot(xt[~masked], K).double()  # visible tokens carried over
weighted_ce = r * (-(p_x0.gather(-1, x0.unsqueeze(-1)).squeeze(-1).log()) * masked).sum(1)
gap_kl = (proc.kl_terms(x0, xt, p_x0, t) - weighted_ce).abs().max().item()
print(f"r_3 = {r:.4f} (1/t = {1 / t:.4f}); posterior against the closed form, gap below 1e-12: {gap_posterior < 1e-12}; "
      f"KL from the matrices against r_t times the cross-entropy, gap below 1e-10: {gap_kl < 1e-10}")
assert gap_posterior < 1e-12 and gap_kl < 1e-10

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Many steps.** As $T$ grows the sum becomes an integral over continuous time $s \in (0, 1]$, each position masked with
# probability $s$ and weighted by $1/s$. Count the masks instead of the time: given $n$ masks they are a uniform subset,
# and $\int_0^1 \tfrac1s \binom{d}{n} s^n(1-s)^{d-n}\,ds = \tfrac1n$, so
#
# $$-\log p_\theta(\mathbf{x}_0) \le \sum_{n=1}^{d} \mathbb{E}\Big[\tfrac1n \textstyle\sum_{i\ \text{masked}} -\log p_\theta(x_0^i\mid \mathbf{x}_t)\ \Big|\ n \text{ masks}\Big],$$
#
# the bound of an autoregressive model that reveals the pixels in a random order (Hoogeboom et al. 2022's
# order-agnostic models; Ou et al. 2025 derive it for masked diffusion). It has no large weight, so we train and measure
# with it (`helpers.MaskedLoss`, `helpers.masked_elbo`). It is the bound of the model with infinitely many steps; a
# sampler with $T$ steps samples a coarser model (section 4).
#
# The network (`helpers.TokenPredictor`, lesson 05's MLP on the one-hot pixels) is not told the step: under the masked
# process the agreeing $\mathbf{x}_0$ all have the same probability of producing $\mathbf{x}_t$,
# $\bar\alpha_t^{\#\text{visible}}(1 - \bar\alpha_t)^{\#\text{masked}}$, so $q(\mathbf{x}_0\mid\mathbf{x}_t)$ does not depend on $t$, and
# the number of masks already says how far along $\mathbf{x}_t$ is (Ou et al. 2025). The lesson loads a network trained
# with `MaskedLoss` by `helpers.train_masked(tokens, K, seed=0)` (2 000 steps; run that line to train your own in 12–25
# s). Check 5 compares the counting form with the $1/s$ form by Monte Carlo, for this network on the same images.

# %%
# Trained by tools/make_masked.py: helpers.train_masked(tokens, K, seed=0), 2 000 steps, 12-25 s on 2 cores.
network = helpers.load_model(CHECKPOINTS / "digits_masked.pt")
recipe = helpers.MASKED
print(f"{type(network).__name__}, {sum(p.numel() for p in network.parameters()):,} parameters; recipe: {recipe.steps} steps "
      f"of {recipe.batch_size} images, Adam at {recipe.lr:g} with {recipe.warmup_steps} warm-up steps and cosine decay, "
      f"EMA {recipe.ema_decay}")

# %%
images = tokens_test[:150]
counted = helpers.masked_elbo(network, images, seeded(4))
draws = []
with torch.no_grad():
    for k in range(64):
        s = torch.rand(len(images), 1, generator=seeded(100 + k)).clamp(min=1e-3)
        masks = torch.rand(images.shape, generator=seeded(200 + k)) < s
        log_p = torch.log_softmax(network(torch.where(masks, MASK, images)), -1)
        ce = -log_p.gather(-1, images.unsqueeze(-1)).squeeze(-1)
        draws.append(((ce * masks).sum(1) / s[:, 0]).double())
by_time = torch.stack(draws).mean(0)
gap = (by_time - counted).mean().item() / (d * math.log(2))
se = (by_time - counted).std().item() / math.sqrt(len(images)) / (d * math.log(2))
print(f"counting masks: {counted.mean().item() / (d * math.log(2)):.3f} bits/dim; 1/s by Monte Carlo: "
      f"{by_time.mean().item() / (d * math.log(2)):.3f}; difference {gap:+.3f} ± s.e. {se:.3f}")
assert abs(gap) < 5 * se + 0.01

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Bits per dimension, with and without dequantisation
#
# A token model's bound is directly on $-\log_2 P$ of the integer images, so its bits per dimension compare with lesson
# 17's dequantised bound (an upper bound on the same quantity) and with models that need no network: independent pixels
# (each pixel's training shares, counted plus one), the same per digit mixed with the digits' shares, and the uniform
# $\log_2 17 = 4.09$. All on the first 150 test images, lesson 17's likelihood images; ten training seeds each.

# %%
network_rows = results["network"]
base = results["baselines"]
discrete_bits = [r["test_150_bpd"] for r in network_rows]
continuous_bits = [r["elbo_bpd"] for r in continuous["quality"]]


def interval(values):
    mean, half = np.mean(values), 2.262 * np.std(values, ddof=1) / math.sqrt(len(values))
    return f"{mean:.3f} [{mean - half:.3f}, {mean + half:.3f}]"


print(f"{'model, 150 test images':40s} bits/dim (95 % interval over seeds)")
print(f"{'masked diffusion, this lesson, 10 seeds':40s} {interval(discrete_bits)}")
print(f"{'lesson 17, dequantised ELBO, 10 seeds':40s} {interval(continuous_bits)}")
for name in ("per-digit pixels", "independent pixels", "uniform"):
    print(f"{name:40s} {base[name]['test_150']:.3f}")
print(f"{'the network above (seed 0)':40s} {counted.mean().item() / (d * math.log(2)):.3f}")
# Lesson 17's ten seeds against this benchmark's ten, in order: the two share nothing, so each pair is independent.
comparison = helpers.compare(lambda k: discrete_bits[k], lambda k: continuous_bits[k], seeds=range(10),
                             names=("masked", "lesson 17"))
print("masked - lesson 17:", comparison.brief(3))
assert comparison.verdict == "masked better" and max(discrete_bits) < base["per-digit pixels"]["test_150"]

# %% [markdown]
# The token model needs about 1.9 bits per dimension fewer than lesson 17's continuous one, and fewer than every model
# with no network, per-digit pixels (2.20) included. Two cautions. Most of that gap is lesson 17's model: its bound is
# above the independent pixels' 2.40, and so is its ODE likelihood (printed below), because a density of reals spread
# within bins is a harder thing to learn than 17 probabilities per pixel. And the network has seen 1 347 images: it gives
# 450 training images fewer bits than the 450 test images (printed below), so it overfits (docs/decisions.md).

# %%
train_bits = [r["train_bpd"] for r in network_rows]
test_bits = [r["test_bpd"] for r in network_rows]
print(f"450 training images {interval(train_bits)} | all 450 test images {interval(test_bits)} bits/dim")
print(f"lesson 17's ODE likelihood, 150 test images: {interval([r['ode_bpd'] for r in continuous['quality']])} bits/dim")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. The exact predictor, and what fewer steps cost
#
# Under the masked process $\mathbf{x}_t$ shows some of $\mathbf{x}_0$'s pixels, whatever the others are. So with the
# training set as the data, $p(\mathbf{x}_0\mid\mathbf{x}_t)$ is uniform over the training images that agree with the
# visible pixels (`helpers.TrainingSetUnmasker`): the exact predictor. Check 6: its prediction at a masked pixel is that
# pixel's share among the agreeing images, counted here directly, at the masked pixel where they differ most.

# %%
oracle = helpers.TrainingSetUnmasker(tokens, K)
xt = process["masked"].noise(tokens[7:8], 7, seeded(5))  # 7 of 8 steps: most pixels masked
visible = xt[0] != MASK
agree = (tokens[:, visible] == xt[0, visible]).all(1)
spread = tokens[agree].double().std(0).masked_fill(visible, -1)
pixel = int(spread.argmax())
shares = torch.bincount(tokens[agree, pixel], minlength=K).double() / agree.sum()
gap = (oracle.log_probs(xt)[0, pixel].exp() - shares).abs().max().item()
print(f"{int(visible.sum())} visible pixels, {int(agree.sum())} agreeing training images; at pixel {pixel} they hold "
      f"{int((shares > 0).sum())} different values, whose shares match (gap below 1e-12: {gap < 1e-12})")
assert gap < 1e-12

# %% [markdown]
# Sampling reverses the process: from all masks, at step $t$ each masked pixel is revealed with probability $1/t$, its
# value drawn from $p(x_0^i\mid\mathbf{x}_t)$ (`helpers.unmask_sample`). Pixels revealed in the same step are drawn
# independently of each other: the model's reverse step factorises over positions, while the data's does not (given
# $\mathbf{x}_t$, two masked pixels of a digit are not independent). So even with the exact predictor the sampler is
# exact only when every step reveals at most one pixel; when two pixels revealed together form a pair that no training
# image holds, the sample has left the data. The benchmark counts how many samples of the exact predictor are training
# images (450 samples, ten seeds):

# %%
steps_list = sorted(int(s) for s in results["oracle"][0] if s != "seed")
for steps in steps_list:
    copies = [r[str(steps)]["copies"] for r in results["oracle"]]
    print(f"exact predictor, {steps:3d} steps: {np.mean(copies):5.1f} % training images (seeds {min(copies):.1f}–{max(copies):.1f})")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **The network, step by step.** The same sampler with the trained network, scored by lesson 17's judge (450 samples,
# ten seeds; the training images' own scores in the last row). "confidence" reveals as many pixels per step as the
# random order would, but where the network is most sure, in the spirit of MaskGIT (Chang et al. 2022, which ranks by the
# drawn value's probability on a fixed schedule); it is no longer the reverse process.

# %%
keys = ("frechet", "kid", "confident", "copies")
formats = {"frechet": "{:6.3f} ± {:5.3f}", "kid": "{:6.1f} ± {:5.1f}", "confident": "{:6.1f} ± {:5.1f}", "copies": "{:6.1f} ± {:5.1f}"}


def row(name, values, seconds=""):
    cells = [formats[k].format(np.mean(values[k]), np.std(values[k], ddof=1)) if len(values[k]) > 1
             else f"{values[k][0]:6.3f}".ljust(14) for k in keys]
    print(f"{name:20s} " + "  ".join(cells) + f"  {seconds}")


print(f"{'sampler (steps)':20s} {'Fréchet':14s}  {'kernel ×10³':14s}  {'confident %':14s}  {'copies %':14s}  seconds")
for setting in network_rows[0]["samples"]:
    values = {k: [r["samples"][setting][k] * (1000 if k == "kid" else 1) for r in network_rows] for k in keys}
    row(setting, values, f"{np.mean([r['samples'][setting]['seconds'] for r in network_rows]):.2f}")
row("lesson 17, DDPM 1000", {k: [r["ddpm_1000"][k] * (1000 if k == "kid" else 1) for r in continuous["quality"]] for k in keys})
row("training images", {k: [f[k] * (1000 if k == "kid" else 1) for f in continuous["floor"]] for k in keys})


def frechet(setting):
    return lambda k: network_rows[k]["samples"][setting]["frechet"]


for setting in ("confidence 16", "confidence 64"):
    print(f"Fréchet, {setting} - random {setting.split()[1]}:",
          helpers.compare(frechet(setting), frechet("random " + setting.split()[1]), range(10), (setting, "random")).brief(3))
versus = helpers.compare(frechet("random 64"), lambda k: continuous["quality"][k]["ddpm_1000"]["frechet"], range(10),
                         ("masked, 64 steps", "lesson 17"))
print("Fréchet, masked 64 steps - lesson 17's 1 000:", versus.brief(3))
sure = helpers.compare(lambda k: network_rows[k]["samples"]["random 64"]["confident"],
                       lambda k: continuous["quality"][k]["ddpm_1000"]["confident"], range(10),
                       ("masked, 64 steps", "lesson 17"), lower_is_better=False)
print("confident %, masked 64 steps - lesson 17's 1 000:", sure.brief(1))

# %% [markdown]
# One step reveals all 64 pixels at once, each from its own marginal: independent pixels, which the judge reads as noise.
# The Fréchet distance falls fast up to 16 steps and little after; at 64 steps the masked model's samples are closer to
# the test digits than lesson 17's continuous model after 1 000, and the classifier is sure of about twice as many of them
# (the intervals above), though both stay far from the training images' own scores. The confidence order is worse than
# the random one at 16 and at 64 steps (intervals above); why was not measured. No sample copies a training image.

# %% [markdown] slideshow={"slide_type": "notes"}
# **Instructor's note.** Before showing the table, ask the students whether a perfect predictor sampled in 16 steps can
# produce anything but training images. The table's answer: at 16 steps four samples in five are not training images.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Try it: watch a digit unmask
#
# Choose the number of steps and the order; the strip shows six samples at up to eight moments of the reverse process,
# sampled live with the network trained above.

# %%
def watch(steps=16, order="random"):
    chain = helpers.unmask_sample(network, 6, steps, order, seeded(11), keep_chain=True)
    moments = sorted({round(steps * f) for f in (1, 0.8, 0.6, 0.45, 0.3, 0.15, 0.05, 0)}, reverse=True)
    # One picture of 6 x len(moments) digits, a blank line of pixels between them (drawn white).
    mosaic = np.full((6 * 9 - 1, len(moments) * 9 - 1), -1.0)
    for j, t in enumerate(moments):
        for i in range(6):
            mosaic[9 * i : 9 * i + 8, 9 * j : 9 * j + 8] = chain[steps - t][i].reshape(8, 8).numpy()
    fig, ax = plt.subplots(figsize=(0.8 * len(moments) + 1.6, 5.2), layout="constrained")
    colours = TOKEN_COLOURS.copy()
    colours.set_under("white")
    image = ax.imshow(np.ma.masked_equal(mosaic, MASK), cmap=colours, vmin=0, vmax=K - 1)
    ax.set_xticks([9 * j + 3.5 for j in range(len(moments))], [f"t={t}" for t in moments], fontsize=10)
    ax.xaxis.tick_top()
    ax.set_yticks([])
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    colour_bar(fig, ax, image)
    plt.show()


watch()

# %% slideshow={"slide_type": "slide"} tags=["nbval-ignore-output"] nbval_why="an interact widget's output lives in the notebook's widget state, which nbval does not compare."
interact(watch, steps=IntSlider(value=16, min=1, max=64, step=1, description="steps"),
         order=Dropdown(options=["random", "confidence"], value="random", description="order"));

# %% [markdown] slideshow={"slide_type": "subslide"}
# And the other direction: mask a share of a *test* digit's pixels and ask both predictors for the rest. Each panel shows
# the most likely value at every masked pixel. The exact predictor of the training set can only answer with
# training images (with many pixels visible, no training image agrees, and it takes the nearest ones); the network fills in.

# %%
order = torch.randperm(d, generator=seeded(12))


def fill(masked_share=0.5, image=0):
    x0 = tokens_test[image : image + 1]
    xt = x0.clone()
    xt[0, order[: round(masked_share * d)]] = MASK
    with torch.no_grad():
        by_network = network.log_probs(xt).argmax(-1)
    by_oracle = oracle.log_probs(xt).argmax(-1)
    show_tokens([x0[0], xt[0], by_network[0], by_oracle[0]], ["test digit", f"{masked_share:.0%} masked", "network",
                                                              "exact, training set"], ax_size=1.8)


fill()

# %% slideshow={"slide_type": "slide"} tags=["nbval-ignore-output"] nbval_why="an interact widget's output lives in the notebook's widget state, which nbval does not compare."
interact(fill, masked_share=Dropdown(options=[0.25, 0.5, 0.75, 0.9], value=0.5, description="masked"),
         image=IntSlider(value=0, min=0, max=9, description="test digit"));

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Try it: code, unmasked
#
# The same bound trains on text: [appendix 19a](19a_appendix.ipynb) trains one small transformer on PyTorch's source
# (`helpers.text_split`) as a masked-diffusion model and, with a causal mask, as an autoregressive one
# (`helpers.train_text`). Both committed networks' samples (AR: autoregressive), then a window unmasking live; masks in
# orange, a line break as ↵.

# %%
windows_test, characters = helpers.text_split("test")
masked_text = helpers.load_model(CHECKPOINTS / "text_masked.pt")
causal_text = helpers.load_model(CHECKPOINTS / "text_autoregressive.pt")
length = windows_test.shape[1]

# %%
def show_windows(rows, labels):
    """Windows of 128 characters, each in two rows of 64 (a line break drawn as ↵), masks in orange."""
    fig, ax = plt.subplots(figsize=(8.5, 0.75 * len(rows) + 0.3), layout="constrained")
    for k, (row, label) in enumerate(zip(rows, labels)):
        window = characters.decode(row, mask="\0").replace("\n", "↵")
        # Two layers of monospace text that line up: the visible characters, and a block where each mask is.
        shown = "".join(" " if c == "\0" else c for c in window)
        hidden = "".join("█" if c == "\0" else " " for c in window)
        for layer, colour in ((shown, "black"), (hidden, "tab:orange")):
            ax.text(0.1, 1 - k / len(rows), layer[:64] + "\n" + layer[64:], family="DejaVu Sans Mono", fontsize=11,
                    va="top", color=colour, transform=ax.transAxes)
        ax.text(0, 1 - k / len(rows), label, fontsize=10, va="top", transform=ax.transAxes)
    ax.axis("off")
    plt.show()


masked_samples = helpers.unmask_sample(masked_text, 2, length, "random", seeded(21))
causal_samples = helpers.autoregressive_sample(causal_text, 2, seeded(21))
show_windows([*masked_samples, *causal_samples], ["masked 1", "masked 2", "AR 1", "AR 2"])
# %%
def watch_text(steps=32, order="random"):
    chain = helpers.unmask_sample(masked_text, 1, steps, order, seeded(22), keep_chain=True)
    moments = sorted({round(steps * f) for f in (1, 0.75, 0.5, 0.25, 0)}, reverse=True)
    show_windows([chain[steps - t][0] for t in moments], [f"t = {t}" for t in moments])


watch_text()

# %% slideshow={"slide_type": "slide"} tags=["nbval-ignore-output"] nbval_why="an interact widget's output lives in the notebook's widget state, which nbval does not compare."
interact(watch_text, steps=IntSlider(value=32, min=1, max=128, step=1, description="steps"),
         order=Dropdown(options=["random", "confidence"], value="random", description="order"));

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - On tokens, the forward process is a matrix per step; masked and uniform diffusion have closed-form marginals
#   $\bar Q_t$ and posteriors, checked here by matrix products and simulation.
# - Under the masked process lesson 06's bound is a cross-entropy on the masked pixels weighted by
#   $(\bar\alpha_{t-1} - \bar\alpha_t)/(1 - \bar\alpha_t)$, $1/t$ for the linear schedule (checked against the KL from the
#   matrices); counting masks instead of time turns it into a bound with no large weight.
# - On the first 150 test digits the masked model needs about 2.0 bits per dimension, 1.9 fewer than lesson 17's
#   dequantised bound and fewer than every model with no network (ten seeds each, with intervals); its samples at 64
#   steps are closer to the test digits than lesson 17's at 1 000, and ordering the reveals by confidence made them worse.
# - With the exact predictor of the training set, a sampler that reveals one pixel at a time always produces training
#   images; pixels revealed together are drawn independently, and fewer steps leave the data more often (section 4).
# - The same bound trains on text (section 6; appendix 19a compares it with an autoregressive model of the same size).

# %% [markdown]
# ## References
#
# - J. Austin, D. D. Johnson, J. Ho, D. Tarlow, R. van den Berg (2021). *Structured Denoising Diffusion Models in
#   Discrete State-Spaces* (D3PM). NeurIPS. Transition matrices, the uniform and absorbing processes, the prediction of
#   $x_0$.
# - S. S. Sahoo et al. (2024). *Simple and Effective Masked Diffusion Language Models* (MDLM). NeurIPS.
# - J. Shi, K. Han, Z. Wang, A. Doucet, M. K. Titsias (2024). *Simplified and Generalized Masked Diffusion for Discrete
#   Data* (MD4). NeurIPS.
# - J. Ou et al. (2025). *Your Absorbing Discrete Diffusion Secretly Models the Conditional Distributions of Clean Data*.
#   ICLR. The time-free network and the random-order autoregressive form of the bound.
# - E. Hoogeboom et al. (2022). *Autoregressive Diffusion Models*. ICLR. Order-agnostic autoregressive models.
# - H. Chang, H. Zhang, L. Jiang, C. Liu, W. T. Freeman (2022). *MaskGIT: Masked Generative Image Transformer*. CVPR.
#   Revealing the most confident tokens first.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises (solutions: `%load solutions/19_1.py`, `19_2.py`; each ends with its check)
#
# **1. Derive, then write.** Under the **uniform** process, a token whose value at step $t$ is its data value,
# $x_t = x_0$: with what probability is it still $x_0$ at step $t - 1$? Write `stay_probability(alpha_bar_prev,
# alpha_bar_t, K)` from Bayes' rule with the closed forms $\bar Q_{t-1}$ and $Q_t$ of section 1 (floats and an int in, a
# float out).

# %%
def stay_probability(alpha_bar_prev, alpha_bar_t, K):
    return None  # your code here


helpers.check_exercise("19.1", stay_probability)

# %% [markdown]
# **2. Derive, then write.** Section 4's sampler is exact only if no step reveals two pixels. Write
# `shared_step_probability(d, T)`: the probability that in one run of $T$ steps at least two of the $d$ positions are
# revealed at the same step. (Then compute it for $d = 64$ and $T = 64$, 256 and 1 000: why are most of the exact
# predictor's samples training images all the same?)

# %%
def shared_step_probability(d, T):
    return None  # your code here


helpers.check_exercise("19.2", shared_step_probability)
