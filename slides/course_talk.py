# %% [markdown] slideshow={"slide_type": "slide"}
# # S-Curve Diffusion
# ## Denoising diffusion from scratch, on a 2-D toy, measured against the exact answer
#
# A 25-minute tour of the course: what a DDPM does, the reference recipe it starts from, what that recipe gets
# wrong, how the same network reaches the recipe's final quality in 5–7 s of training instead of about 11 minutes, the
# exact S-curve that every claim is measured against, and a slide each for Parts II, III and IV.

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker's note.** Welcome. Everything on these slides is computed by this notebook from the course's own `helpers` package and
# its committed checkpoint, so the talk is tested like the lessons. Budget: ~2 minutes per section, 12 sections.

# %% slideshow={"slide_type": "subslide"}
import json
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.ticker import ScalarFormatter
import numpy as np
import torch

import helpers

torch.manual_seed(0)
schedule = helpers.sigmoid_schedule(100)
T = schedule.T
x0 = helpers.s_curve(10_000)
model = helpers.load_model(helpers.COMMITTED_CHECKPOINT)
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
# **Speaker's note.** Why 2-D: we can plot the entire distribution at every step of the process, which you can never do for images.

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
# ## 4. The recipe's first flaw: the wrong scale at $T$ (lesson 02)
#
# The signal-to-noise ratio of $\mathbf{x}_t$ is $\bar\alpha_t\sigma_\text{data}^2/(1-\bar\alpha_t)$ (Kingma et al. 2021), with the data's own variance.

# %%
a = schedule.alpha_bar[-1].item()
sigma_data = x0.std().item()
print(f"alpha_bar_T = {a:.3f}, sigma_data = {sigma_data:.3f}: SNR at T = {a * sigma_data**2 / (1 - a):.3f}")
print(f"std of x_T per coordinate: {closed.std(0).numpy().round(2)}; sampling starts from std 1")

# %% [markdown]
# The S is gone at $\mathbf{x}_T$, but $\mathbf{x}_T$ is not $\mathcal{N}(0, I)$: its std is about half of 1. Sampling starts from a
# cloud twice as wide as anything training produced (lessons 02 and 07). Over five seeds the
# stochastic sampler forgets it (lesson 09); the deterministic ones do not (lesson 10).

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker's note.** Linear (Ho et al.) and cosine (Nichol & Dhariwal) schedules end at alpha_bar_T ~ 4e-5 and below. The course keeps
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
quality = helpers.sharp_quality(chain[-1], energy=False)
helpers.plot_strip([chain[k] for k in shown], [f"t = {T - k}" for k in shown], suptitle=f"samples of p_θ; {quality}")
plt.show()

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker's note.** The quality numbers, measured against the known curve: off-curve RMS x1000 (data: 10.0), coverage gap in % (data:
# about 0.9), strays in % (data: 0). Lesson 09 shows why the energy distance of lesson 07 is not sharp enough.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. What the recipe gets wrong, and where the course fixes it
#
# | recipe | course |
# |---|---|
# | $\mathbf{x}_T$ has std ≈ 0.48, yet sampling starts at $\mathcal{N}(0, I)$ | shown, measured as $L_T$ (07), cost measured (09) |
# | noise added at the last reverse step | $\mathbf{z} = 0$ at $t = 1$ (07) |
# | `cat([t, T-1-t])` would break odd batches (latent: never met) | $\lceil B/2\rceil$ draws, cut to $B$, as upstream (06) |
# | blog prints $(1-\sqrt{1-\beta_t})$ for $1/\sqrt{1-\beta_t}$ | run on purpose: everything collapses (07) |
# | sampling builds a 100-step autograd graph | `no_grad()` and `eval()` (07) |
# | seed never applied, EMA never used, CPU only | seeded, EMA used, any device (all) |

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. Training to the recipe's quality in seconds (lesson 08)

# %%
fig, ax = plt.subplots(figsize=(8, 4))
for run in benchmark["default"]:
    ax.plot([p["train_seconds"] for p in run["curve"]], [p["off_curve"] for p in run["curve"]], color="C0", alpha=0.7)
ref = benchmark["reference"]["curve"]
ax.plot([p["train_seconds"] for p in ref], [p["off_curve"] for p in ref], "o-", color="C1", markersize=3)
ax.axhline(benchmark["data_floor"]["off_curve"]["mean"], color="gray", linestyle=":")
ax.set(xscale="log", yscale="log", xlabel="training time (s), 2-core CPU", ylabel="off-curve RMS ×10³",
       title=f"blue: default recipe, {helpers.DEFAULT.steps} steps ({len(benchmark['default'])} seeds); orange: reference; dotted: data")
ax.yaxis.set_major_formatter(ScalarFormatter())  # plain numbers on the log axis
fig.tight_layout()
plt.show()
reach = benchmark["time_to_reference_final_default"]
print(f"reference: {benchmark['reference']['steps']} steps, {benchmark['reference']['train_seconds']:.0f} s of training; "
      f"the default reaches its final quality in {reach['median']:.2f} s (median), {reach['worst']:.2f} s (worst seed)")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Same network, same schedule, same loss terms. Batch 1024 at a peak learning rate of $10^{-2}$ with warm-up and
# cosine decay; inputs divided by their std at each step, $c_\text{in}(t) = 1/\sqrt{\bar\alpha_t\sigma^2 + 1-\bar\alpha_t}$;
# an EMA of the weights; training steps drawn near the data, $t = \lfloor T u^3\rfloor$; sampling with $\sigma_t^2 = \tilde\beta_t$.

# %%
for row in benchmark["ablation"]:
    print(f"{row['name']:52s} off-curve {row['off_curve']:6.2f}, gap {row['coverage_gap']:4.1f}%")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 9. The exact answer (lesson 09)
#
# The S-curve is a known curve plus Gaussian noise, so $q_t(\mathbf{x}) = \mathbb{E}_u\,\mathcal N(\mathbf{x}; \sqrt{\bar\alpha_t}\mathbf{c}(u), s_t^2 I)$ is a
# one-dimensional integral: exact densities, scores, the best noise predictor $\boldsymbol\epsilon^*$ and the loss floor.

# %%
oracle = helpers.s_curve_oracle(schedule)
gen = torch.Generator().manual_seed(1)
eps = torch.randn(x0.shape, generator=gen)
steps = helpers.antithetic_steps(len(x0), T, generator=gen)
xt = helpers.q_sample(x0, steps, schedule, eps=eps)
with torch.no_grad():
    floor, network = ((eps - oracle(xt, steps)) ** 2).mean().item(), ((eps - model(xt, steps)) ** 2).mean().item()
print(f"L_simple over all steps: exact floor {floor:.4f}, trained network {network:.4f}")
exact = helpers.sharp_quality(helpers.sample(oracle, schedule, 10_000, generator=torch.Generator().manual_seed(0)), energy=False)
print(f"samples with the exact eps*: {exact}\nsamples with the network:    {quality}")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker's note.** The network is within 2 % of the floor on average, yet its samples sit measurably off the curve (both
# sampled here with $\sigma_t^2 = \beta_t$, the reference's choice): the sharp metrics see what the loss and the energy distance
# average away.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 10. Part II: fewer steps, guidance, flow matching (lessons 09–12)
#
# With lesson 09's exact answer as the ruler: DDIM, the probability-flow ODE and Heun sample the same network in fewer
# steps (lesson 10); guidance is measured against exact conditional densities (11); flow matching's ODE turns out to be
# DDPM's in other coordinates, and its Euler sampler DDIM (12).

# %%
sampling = json.loads(Path("../benchmarks/results/sampling-cpu-2core.json").read_text())
fig, ax = plt.subplots(figsize=(7, 3.6))
for name in dict.fromkeys(row["sampler"] for row in sampling["rows"]):
    rows = [row for row in sampling["rows"] if row["sampler"] == name]
    ax.plot([row["nfe"] for row in rows], [row["network"]["off_curve"] for row in rows], "o-", label=name)
ax.axhline(sampling["lesson_07_sampler"]["quality"]["off_curve"], color="0.3", linestyle="--", label="lesson 07, 100 steps")
ax.axhline(sampling["data_floor"]["off_curve"]["mean"], color="0.6", linestyle=":", label="the data")
ax.set(xscale="log", yscale="log", xlabel="network evaluations", ylabel="off-curve (x 1000)", title="the same network, four samplers")
ax.minorticks_off()
ax.set_xticks([5, 10, 20, 50, 100], ["5", "10", "20", "50", "100"])
ax.set_yticks([10, 20, 50, 100], ["10", "20", "50", "100"])
ax.legend()
plt.show()
fewest = json.loads(Path("../benchmarks/results/sampling-seeds-cpu-2core.json").read_text())["fewest_as_good"]
row = next(r for r in sampling["rows"] if (r["sampler"], r["nfe"]) == (fewest["sampler"], fewest["nfe"]))
print(f"fewest evaluations as good as lesson 07's sampler (10 seeds, 95 % intervals): {fewest['sampler']}, {fewest['nfe']}, "
      f"{sampling['lesson_07_sampler']['seconds_quiet'] / row['seconds_quiet']:.1f}x faster")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker's note.** One minute on the plot: the deterministic samplers need the right start, then Heun is as good as the
# 100-step sampler with a fifth of the evaluations. Guidance (lesson 11) stops leakage into other pieces of the S but squeezes coverage, and how much
# depends on the sampler; flow matching (lesson 12) wins or loses against DDPM depending on where its training times fall.
# The README's sections give the measured numbers.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 11. Part III: what the trained network believes (lessons 13–17)
#
# Part III evaluates the models of Parts I and II against the exact density: the ELBO term by term and the probability-flow ODE's
# exact log-likelihood (lesson 13), in nats per point on held-out data; then what the network should predict (lesson 14),
# five seeds per target, how few evaluations a solver needs (lesson 15), what one step costs (lesson 16), and whether it all
# carries over to 8×8 digits (lesson 17). Part III's lessons:

# %%
def title(path):
    """A lesson's title: its first heading, after the dash."""
    source = json.loads(path.read_text())["cells"][0]["source"]
    return ("".join(source) if isinstance(source, list) else source).splitlines()[0].split(" — ", 1)[-1]


for path in sorted(Path("../notebooks").glob("[0-9][0-9]_*.ipynb")):
    if 13 <= int(path.name[:2]) <= 17:
        print(f"lesson {path.name[:2]}: {title(path)}")
likelihood = json.loads(Path("../benchmarks/results/likelihood-cpu-2core.json").read_text())
print(f"\nentropy of the held-out data       {likelihood['held_out_entropy']:7.3f} nats")
for name in ("exact", "committed"):
    row = likelihood[name]
    print(f"{name + ' network':18s} ODE {row['ode_nll']:7.3f}   ELBO bound {row['elbo_nll']:7.3f}")
targets = json.loads(Path("../benchmarks/results/targets-cpu-2core.json").read_text())["grid"]["runs"]
for target in ("eps", "x0", "v", "edm"):
    runs = [r for r in targets if r["recipe"] == f"{target}/own"]
    print(f"predicting {target:4s}    ODE {np.mean([r['cross_entropy'] for r in runs]):7.3f}   strays "
          f"{np.mean([r['stray'] for r in runs]):.2f} %   (5 seeds)")
fast = json.loads(Path("../benchmarks/results/fast-solvers-cpu-2core.json").read_text())
fewest_nfe, fewest_solver = fast["fewest_as_good"]
print(f"\nas good as the 100-step DDPM ({len(fast['race_seeds'])} seeds, 95 % intervals) from {fewest_nfe} evaluations ({fewest_solver})")
one_step = json.loads(Path("../benchmarks/results/one-step-cpu-2core.json").read_text())
pd_1 = [r for r in one_step["rows"] if r["sampler"] == "progressive distillation 1"]
ddpm_off = np.mean([v["off_curve"] for v in one_step["ddpm_100"].values()])
print(f"one step, progressive distillation: off-curve {np.mean([r['off_curve'] for r in pd_1]):.1f} against the 100-step "
      f"DDPM's {ddpm_off:.1f} ({len(one_step['seeds'])} seeds), 10 000 points in "
      f"{1e3 * one_step['speed']['seconds']['1 thread, quiet']['progressive distillation, 1 step(s), FastEps']:.0f} ms")
digits = json.loads(Path("../benchmarks/results/digits-cpu-2core.json").read_text())
by_size = {n: np.mean([r["test"]["elbo_bpd"] - r["train"]["elbo_bpd"] for r in digits["memorisation"] if r["n"] == n])
           for n in (50, 1000)}
print(f"8x8 digits: test {np.mean([r['ode_bpd'] for r in digits['quality']]):.2f} bits/dim (ODE); test minus own images "
      f"(ELBO): {by_size[50]:.2f} bits with 50 training images, {by_size[1000]:.2f} with 1 000 ({len(digits['seeds'])} seeds)")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker's note.** The exact network's ODE returns the data's entropy; the ELBO stays above it even for the exact
# network: that gap is the bound's own slack. Lesson 14's lines: an x0-network is worse on every metric, v against eps is undecided
# on this schedule, and EDM's preconditioning lowers the cross-entropy by 0.03 nats.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 12. Part IV: inverse problems, discrete diffusion, backbones, latent diffusion, scale (lessons 18–22)
#
# Measure part of a point, $\mathbf{o} = A\mathbf{x}_0 + \sigma_o\mathbf{z}$, and sample $p(\mathbf{x}_0\mid\mathbf{o})$ with a network that learned only $p(\mathbf{x}_0)$.
# The S-curve's posterior is a mixture in closed form, so every published sampler is scored against the truth: energy
# distance to exact posterior draws, ×10³, ten seeds, the exact prior (the method's own error) and the trained network.

# %%
inverse = json.loads(Path("../benchmarks/results/inverse-cpu-2core.json").read_text())
for measurement in ("coordinate", "noisy point"):
    rows = [r for r in inverse["distances"] if r["measurement"] == measurement]
    cells = [f"floor {np.mean([r['floor'] for r in rows]):.2f}"]
    cells += [f"{method} {np.mean([r[f'exact {method}'] for r in rows]):.2f} / {np.mean([r[f'trained {method}'] for r in rows]):.2f}"
              for method in ("dps", "pigdm", "smc")]
    print(f"{measurement:12s} " + ", ".join(cells) + "   (exact prior / trained network)")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker's note.** DPS replaces p(o | x_t) by a point and needs a hand-tuned step; ΠGDM by a Gaussian; the twisted
# SMC sampler reweights particles to correct that approximation and is the one that reaches the floor with the exact prior.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Discrete diffusion (lesson 19)
#
# Keep the digits' 17 grey levels as tokens: hide pixels behind a mask, predict them, and lesson 06's bound becomes a
# cross-entropy on the masked pixels. Test bits per dimension on 150 test digits, ten seeds each, against lesson 17's
# dequantised model and models with no network:

# %%
discrete = json.loads(Path("../benchmarks/results/discrete-cpu-2core.json").read_text())
digits_bits = json.loads(Path("../benchmarks/results/digits-cpu-2core.json").read_text())
print(f"masked diffusion {np.mean([r['test_150_bpd'] for r in discrete['network']]):.2f} | lesson 17 (dequantised ELBO) "
      f"{np.mean([r['elbo_bpd'] for r in digits_bits['quality']]):.2f} | per-digit pixels "
      f"{discrete['baselines']['per-digit pixels']['test_150']:.2f} | independent pixels "
      f"{discrete['baselines']['independent pixels']['test_150']:.2f} bits/dim")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The same bound on text (appendix 19a)
#
# One small transformer, trained with one recipe for the same steps on PyTorch's own source, 96 characters: bidirectional
# on the masked bound, or causal on the next character. Test bits per character, ten seeds each:

# %%
text = json.loads(Path("../benchmarks/results/text-cpu-2core.json").read_text())
print(f"autoregressive (exact) {np.mean([r['autoregressive_bpc'] for r in text['models']]):.2f} | masked diffusion "
      f"(bound) {np.mean([r['masked_bpc'] for r in text['models']]):.2f} | bigram {text['baselines']['bigram']:.2f} | "
      f"character shares {text['baselines']['character shares']:.2f} bits/char")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker's note.** The exact predictor of a finite training set is known here too: uniform over the training
# images that agree with the visible pixels. Sampled one pixel at a time it returns training images; pixels revealed
# together are drawn independently, which is what fewer steps cost. On text, at this scale, the autoregressive model
# wins by a wide margin; say so, and say that the scale cannot tell how the gap behaves for large models.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Backbones (lesson 20)
#
# The digits' MLP against a small U-Net, each trained for the same time on one core (1 and 4 times lesson 17's recipe), ten
# seeds each, paired: test bits per dimension and the Fréchet distance of 450 samples (the training images score 0.23).

# %%
backbones = json.loads(Path("../benchmarks/results/backbones-cpu-2core.json").read_text())
runs = {(r["budget"], r["network"], r["seed"]): r for r in backbones["rows"]}
for budget in backbones["budgets"]:
    cells = [helpers.compare(lambda s: runs[budget, "unet", s][m], lambda s: runs[budget, "mlp", s][m],
                             seeds=backbones["seeds"], names=("U-Net", "MLP")).brief(2) for m in ("elbo_bpd", "frechet")]
    print(f"{budget:.0f}x, U-Net - MLP: bits/dim {cells[0]}; Fréchet {cells[1]}")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker's note.** Equal time, not equal steps: a U-Net step costs 26 MLP steps on this CPU. At 1x the MLP's samples
# are still closer to the data than the U-Net's; at 4x the U-Net wins both measures, near the training images' floor. The
# DiT trails the U-Net at this size; Peebles & Xie's case for it is at ImageNet scale, which this machine cannot test.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Latent diffusion (lesson 21)
#
# Diffuse an autoencoder's 8 numbers per digit instead of its 64 pixels, then decode: lesson 20's MLP recipe on the codes
# against the same recipe and the U-Net on pixels, ten seeds each, paired.

# %%
latent = json.loads(Path("../benchmarks/results/latent-cpu-2core.json").read_text())
codes = {r["seed"]: r for r in latent["rows"] if r["model"] == "latent, scaled"}
for key, name in (("mlp", "MLP"), ("unet", "U-Net")):
    cells = [helpers.compare(lambda s: codes[s][m], lambda s: runs[1.0, key, s][m], seeds=latent["seeds"],
                             names=("latent", name)).brief(2) for m in ("elbo_bpd", "frechet")]
    print(f"latent - pixel {name}: bits/dim {cells[0]}; Fréchet {cells[1]}")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker's note.** Better samples, worse likelihood: the bound through the autoencoder cannot go below its decoder
# term, which alone (3.33 bits/dim) is behind the U-Net's whole bound (3.02). On this scale the latent model is no faster
# (an MLP's cost is its hidden layers); Stable Diffusion's saving is a U-Net on 64 × 64 codes instead of 512 × 512 images.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Scale (lesson 22)
#
# Lesson 17's recipe in two processes (PyTorch's DDP on gloo), in one process accumulating micro-batches, and in
# bfloat16. Each share of a step is weighted by its rows and every row keeps its randomness, so the split runs are the
# whole batch's run: the largest weight difference after 20 steps, ten seeds, against how far the steps moved the
# weights; then bfloat16 against float32 over ten seeds of the full recipe, paired.

# %%
scale = json.loads(Path("../benchmarks/results/scale-cpu-2core.json").read_text())
first = scale["identity"]["20"]
exact = max(r["two processes against accumulate 2"]["online"] for r in first) == 0
print(f"two processes - one: largest {max(r['two processes']['online'] for r in first):.1e}; two processes - two micro-batches: "
      f"{'equal bit for bit' if exact else 'not equal'} on every seed; moved by training: "
      f"{np.median([r['moved'] for r in first]):.3f}")
low = {r["seed"]: r for r in scale["precision"]}
for measure, label in (("train_seconds", "training s"), ("elbo_bpd", "bits/dim"), ("frechet", "Fréchet")):
    print(f"bfloat16 - float32, {label}: " + helpers.compare(lambda s: low[s]["bfloat16"][measure],
                                                            lambda s: low[s]["float32"][measure], seeds=sorted(low),
                                                            names=("bfloat16", "float32")).brief(3))

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker's note.** Two processes are one process accumulating the same two shares bit for bit; against the whole
# batch in one pass they differ by rounding, which training amplifies (by 200 steps past 1e-3 on 4 seeds of 10, the
# largest 0.074 against 0.50 for another seed's network). autocast goes around each forward pass: a block around the
# loop, even a disabled one, trains with the first step's weights. bfloat16 was faster here only because this CPU has
# bfloat16 instructions; with AVX2 kernels it was 5.7 times slower.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - A DDPM: noise data step by step, learn to predict the noise, run the chain backwards.
# - Formulas are checked numerically where they are stated, by checks that fail when a formula is broken (the test
#   suite plants such errors); the one exception is the ELBO of lesson 06, stated but not evaluated. Every notebook is
#   a test.
# - The recipe's flaws are shown, measured and fixed; the default recipe trains live in class.
# - Part II samples in fewer steps, guides and flows, Part III scores the models' likelihood, and Part IV samples posteriors of
#   measurements and models tokens, all against the exact answer, and takes a recipe to many processes by identities.
#
# `python3 course.py lab` to start.
