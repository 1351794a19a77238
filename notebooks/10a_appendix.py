# %% [markdown] slideshow={"slide_type": "slide"}
# # Lesson 10, appendix — the full sweep, inversion and `diffusers`
#
# Side results of [lesson 10](10_fewer_steps.ipynb), which samples the committed network with DDIM and Heun in fewer
# steps and decides, over ten seeds, the fewest evaluations as good as the 100-step DDPM. Here: the one-draw table of
# all twenty runs behind that decision, one row of the ten-seed study that runs backwards, DDIM inversion (data back to
# noise), and a check that Hugging Face `diffusers` computes the same samples.

# %% slideshow={"slide_type": "subslide"}
import json
from pathlib import Path

import matplotlib.pyplot as plt
import torch

import helpers

torch.manual_seed(0)
schedule = helpers.sigmoid_schedule(100)
T, beta, alpha_bar = schedule.T, schedule.beta, schedule.alpha_bar
x0, u0 = helpers.s_curve(10_000, return_u=True)
model = helpers.load_model(helpers.COMMITTED_CHECKPOINT)
oracle = helpers.s_curve_oracle(schedule)


def seeded(k):
    return torch.Generator().manual_seed(k)


# Lesson 10's start for every sampler: a Gaussian with q(x_T)'s mean and covariance.
start_matched = helpers.gaussian_prior(x0, schedule, 10_000, generator=seeded(2))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The one-draw table
#
# The same network, start and noise seed for every sampler, as in lesson 10: DDPM on a step subsequence, DDIM with
# $\eta = 0$ and $\eta = 1$, and Heun ($N$ steps cost $2N - 1$ evaluations). The runs are lesson 10's own sweep as
# `benchmarks/sample_speed.py` recorded it (seed 0 of the ten-seed study below), read from its file: lesson 10 runs them
# live and checks them against it.
# docs/benchmarks.md ("Sampling in fewer steps") adds the times and the exact network's columns.

# %%
bench = json.loads(Path("../benchmarks/results/sampling-cpu-2core.json").read_text())
sweep = {(row["sampler"], row["nfe"]): row["network"] for row in bench["rows"]}
print(f"{'sampler':15s} {'NFE':>4s} {'off-curve':>10s} {'stray %':>8s} {'gap %':>7s} {'NLL':>7s}")
for (name, nfe), q in sweep.items():
    print(f"{name:15s} {nfe:4d} {q['off_curve']:10.2f} {q['stray']:8.2f} {q['coverage_gap']:7.2f} {q['nll']:7.3f}")

# %% [markdown]
# Read it against the 100-step DDPM row. At 5 evaluations every sampler is far from the curve; at 10, DDIM (either
# $\eta$) is closest to it. At 20 (19 for Heun) DDIM and Heun get below the 100-step DDPM's off-curve of 12.25, DDIM with
# $\eta = 1$ lowest (11.43), but it covers the curve unevenly until 50 steps (gap 3.41 % at 20); and off-curve below the
# data's 10 is not better. One draw decides nothing: lesson 10's verdicts come from ten seeds.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## More steps, worse coverage
#
# In the ten-seed study (`benchmarks/sample_seeds.py`, whose seed 0 is the table above), one row runs backwards:
# **Heun's coverage gap is larger at 99 evaluations than at 49.**

# %%
seeds_run = json.loads(Path("../benchmarks/results/sampling-seeds-cpu-2core.json").read_text())
per_seed = {(r["sampler"], r["nfe"], r["seed"]): r for r in seeds_run["rows"]}
SEEDS = seeds_run["seeds"]


def heun_gap_change(who):
    return helpers.compare(lambda k: per_seed["Heun", 99, k][who]["coverage_gap"], lambda k: per_seed["Heun", 49, k][who]["coverage_gap"],
                           SEEDS, names=("Heun 99", "Heun 49"))


print(f"coverage gap, Heun 99 minus Heun 49, over {len(SEEDS)} seeds: mean difference, 95 % interval, verdict")
for who in ("network", "oracle"):
    print(f"  {who:8s} {heun_gap_change(who).brief()}")
assert heun_gap_change("network").b_better and heun_gap_change("oracle").verdict == "undecided"

# %% [markdown]
# With the network, Heun's coverage gap grows from 49 to 99 evaluations (the interval lies above 0); with the exact
# network the interval holds 0 and is a few hundredths wide. As the steps shrink, Heun converges to the *network's own*
# ODE map, and the coverage of that map is the network's. At 49 evaluations Heun's discretisation error partly offsets
# the network's error along the curve; at 99 it is too small to. Convergence to the network's ODE is not convergence to
# the data.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Inversion: from data back to noise
#
# The ODE runs both ways. DDIM with $\eta = 0$, stepped *up* the grid ($\bar\alpha$ decreasing), maps a data point to its latent
# $\mathbf{x}_T$; running down again should return it. `helpers.invert` does the first half; its first move, from $\mathbf{x}_0$ itself,
# uses the prediction at the smallest step, since the network has no input for $\nu = 0$. The round trip is exact only in the
# limit of small steps: an explicit Euler step backwards does not undo one forwards. Its RMS error, on 2 000 data points:

# %%
points = x0[:2000]
round_trip = {}
for n_steps in (5, 20, 100):
    for who, net in (("oracle", oracle), ("network", model)):
        latent = helpers.invert(net, schedule, points, n_steps)
        back = helpers.sample_steps(net, schedule, len(points), n_steps, "ddim", x_T=latent)
        round_trip[who, n_steps] = (back - points).norm(dim=1).pow(2).mean().sqrt().item()
    print(f"{n_steps:3d} steps: RMS round-trip error, oracle {round_trip['oracle', n_steps]:.4f}, network {round_trip['network', n_steps]:.4f}")
assert round_trip["oracle", 5] > round_trip["oracle", 20] > round_trip["oracle", 100]

# %%
latent = helpers.invert(model, schedule, points, T)
fig, (ax_data, ax_latent) = plt.subplots(1, 2, figsize=(9.6, 4.4), layout="constrained")
ax_data.scatter(*points.T, c=u0[:2000], cmap="viridis", s=3)
ax_latent.scatter(*start_matched[:2000].T, color="0.8", s=3, label="Gaussian start with x_T's moments")
coloured = ax_latent.scatter(*latent.T, c=u0[:2000], cmap="viridis", s=3, label="latents of the data")
ax_data.set(title=r"data $\mathbf{x}_0$, coloured by $u$", aspect="equal")
ax_latent.set(title=r"their DDIM latents $\mathbf{x}_T$", aspect="equal")
ax_latent.legend(loc="lower right")
fig.colorbar(coloured, ax=[ax_data, ax_latent], label="position along the curve, $u$", fraction=0.03)
plt.show()

# %% [markdown]
# The latents keep the order along the curve: a smooth, one-to-one deformation of the S into a blob. The round trip's error
# is discretisation error, and it falls with the number of steps. At 100 steps the trained network's round trip is *more*
# accurate than the oracle's, as printed above; this lesson does not establish why. Either way, a good round trip shows
# that a sampler is consistent with itself, not that its samples are right.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Bridge: Hugging Face `diffusers` does the same arithmetic
#
# `diffusers` ships these samplers as schedulers. Give its `DDPMScheduler` and `DDIMScheduler` our $\beta_t$, no clipping, and
# our network, and run their loop: `scheduler.step(eps, t, x)` moves $\mathbf{x}$ one step. Their noise comes from the same CPU
# generator in the same order. Two details matter: `DDPMScheduler`'s `"fixed_large"` variance is our $\sigma^2 = \beta$, and
# `DDIMScheduler.step` finds the previous step as $t - T/N$. Its default "leading" steps run 95, 90, …, 0, so its first step
# is step 96 while our start is matched to $\mathbf{x}_T$ at step 100; the "trailing" steps 99, 94, …, 4 start where our
# start belongs. We use those, and hand our sampler the scheduler's own steps.

# %%
from diffusers import DDIMScheduler, DDPMScheduler  # noqa: E402  (imported here: only this section needs it)


def diffusers_loop(scheduler, net, x_T, generator, **step_kwargs):
    x = x_T.clone()
    for t in scheduler.timesteps:
        x = scheduler.step(net(x, t), t, x, generator=generator, **step_kwargs).prev_sample
    return x


def make_schedulers(dtype):
    common = dict(num_train_timesteps=T, trained_betas=beta.numpy(), clip_sample=False)
    ddpm_scheduler = DDPMScheduler(variance_type="fixed_large", **common)
    ddpm_scheduler.set_timesteps(timesteps=helpers.timesteps(20, T).tolist())
    ddim_scheduler = DDIMScheduler(set_alpha_to_one=True, timestep_spacing="trailing", **common)
    ddim_scheduler.set_timesteps(20)
    for scheduler in (ddpm_scheduler, ddim_scheduler):
        # The same alpha_bar values; only the precision of the scheduler's arithmetic on them changes.
        scheduler.alphas_cumprod = scheduler.alphas_cumprod.to(dtype)
    return ddpm_scheduler, ddim_scheduler


model64 = helpers.load_model(helpers.COMMITTED_CHECKPOINT).double()
ddpm_scheduler, ddim_scheduler = make_schedulers(torch.float32)
print("diffusers' DDIM steps:", ddim_scheduler.timesteps[:4].tolist(), "...", ddim_scheduler.timesteps[-2:].tolist())

# %%
tolerance = {torch.float64: 1e-12, torch.float32: 1e-3}
with torch.no_grad():
    for net, dtype in ((model64, torch.float64), (model, torch.float32)):
        ddpm_scheduler, ddim_scheduler = make_schedulers(dtype)
        x_T = start_matched[:2000].to(dtype)
        runs = {
            "DDPM, 20 steps": (diffusers_loop(ddpm_scheduler, net, x_T, seeded(7)),
                               helpers.sample_steps(net, schedule, 2000, ddpm_scheduler.timesteps, "ddpm", generator=seeded(7), x_T=x_T)),
            "DDIM, eta = 0.5": (diffusers_loop(ddim_scheduler, net, x_T, seeded(7), eta=0.5),
                                helpers.sample_steps(net, schedule, 2000, ddim_scheduler.timesteps, "ddim", eta=0.5, generator=seeded(7), x_T=x_T)),
        }
        for name, (theirs, ours) in runs.items():
            gap = (theirs - ours).abs().max().item()
            print(f"{str(dtype):14s} {name:16s} max |diffusers - ours| = {gap:.0e} (tolerance {tolerance[dtype]:.0e})")
            assert gap < tolerance[dtype]

# %% [markdown]
# In float64 the two agree to rounding in the last digits: the same arithmetic. In float32 they differ by rounding, and
# more than the 7 digits of float32 suggest: `diffusers` computes $\beta' = 1 - \bar\alpha_t/\bar\alpha_s$ from float32 $\bar\alpha$ values, and
# where $\beta'$ is about $10^{-4}$ that subtraction keeps only 3–4 significant digits (our sampler does it in float64).
# Handing the scheduler float64 $\bar\alpha$ (same values) is what makes the float64 run agree. `DDIMScheduler` with
# `timestep_spacing="linspace"` would not agree: its `step` still subtracts $T/N$ to find the previous step, so it would
# jump between steps the schedule did not choose. What you built is what the library does; from here, a `diffusers`
# pipeline can take over.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - One draw of twenty runs: the table above; the verdicts need ten seeds (lesson 10).
# - Heun's coverage gap with the network is larger at 99 evaluations than at 49: convergence to the network's ODE is not
#   convergence to the data.
# - DDIM inversion maps data to latents and back, with a round-trip error that falls with the number of steps.
# - `diffusers`' `DDPMScheduler` and `DDIMScheduler`, given our $\beta_t$ and the "trailing" steps, compute the same samples.
#
# **References.** Song, Meng & Ermon 2021 (DDIM, whose deterministic sampler makes the inversion possible); Lin et al. 2024, "Common diffusion noise schedules
# and sample steps are flawed" (step spacings); the `diffusers` library, von Platen et al.
