# %% [markdown] slideshow={"slide_type": "slide"}
# # Lesson 22 — Scale: one recipe on many processes, in bfloat16, resumable
#
# **Goal.** Everything so far trained in one process on a laptop's CPU. The next model is bigger, and its training runs
# on several GPUs, in lower precision, for longer than a machine stays up. Each of those three changes can quietly turn
# the run into another run. We take lesson 17's digits recipe and prove, each with an identity we can check, that: two
# processes (PyTorch's `DistributedDataParallel`) train the steps of one process on the whole batch; so does one process
# that accumulates gradients over micro-batches; a run stopped and resumed is the run that never stopped, bit for bit.
# Then we measure what bfloat16 changes over ten seeds and what two processes buy on two cores.
#
# **Assumes.** Lesson 08's training loop (`helpers.train`, the EMA of the weights); lesson 17's digits recipe
# (`helpers.train_digits`) and measures (test bits per dimension by lesson 13's ELBO, the Fréchet distance); lesson 07's
# paired intervals. Symbols: `docs/notation.md`; here $B$ is the batch's size, $R$ the number of processes, $k$ the
# micro-batches per step, $L_i$ the loss of row $i$ of a batch.

# %% slideshow={"slide_type": "subslide"}
import contextlib
import dataclasses
import json
import math
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from scipy import stats

import helpers
from helpers.data.digits import Dequantised

x_train = helpers.digits_split()[0]
digits_schedule = helpers.digits_schedule()
results = json.loads(Path("../benchmarks/results/scale-cpu-2core.json").read_text())
# The lesson's run: the digits recipe's first 20 steps, its warm-up shortened in proportion (100 of 5 000 -> 2).
run = dataclasses.replace(helpers.DIGITS, steps=20, warmup_steps=2)


def seeded(k):
    return torch.Generator().manual_seed(k)


def below(value):
    """A rounding-level difference as the power of ten it stays under: its own digits depend on the CPU's kernels."""
    return "0 (equal)" if value == 0 else f"< 1e{math.floor(math.log10(value)) + 1}"


def largest(a, b):
    """The largest absolute difference between two state dicts' tensors, or two tensors."""
    if isinstance(a, dict):
        return max((a[name] - b[name]).abs().max().item() for name in a)
    return (a - b).abs().max().item()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. One step, split
#
# A step's loss is the mean over its batch, $L = \frac1B\sum_{i=1}^B L_i$. Cut the batch into shares $S_1, \dots, S_R$ with
# means $L_{S_r} = \frac1{\lvert S_r\rvert}\sum_{i\in S_r} L_i$; then $L = \sum_r \frac{\lvert S_r\rvert}{B} L_{S_r}$, and since a gradient is linear,
# $$\nabla L = \sum_{r=1}^R \frac{\lvert S_r\rvert}{B}\,\nabla L_{S_r} .$$
#
# `DistributedDataParallel` (DDP; Li et al. 2020) adds the $R$ processes' gradients during the backward pass and divides
# by $R$, so process $r$ must backpropagate $R\,\frac{\lvert S_r\rvert}{B}\,L_{S_r}$ (exercise 22.1). This holds only if row $i$ gets the
# same randomness, its $t$, its $\boldsymbol\epsilon$ and its dequantisation, whichever share it lands in. So `helpers.train`
# draws the whole batch's randomness first, from one stream seeded alike in every process (`objective.draw`), and
# each process scores its own rows (`objective.loss`). Here is one step, written out, on an epoch's last batch: the
# 1 347 training images leave $1347 - 10\cdot128 = 67$, split 34 and 33.

# %%
objective = Dequantised(helpers.Denoising(digits_schedule, run))
torch.manual_seed(0)
model = helpers.digits_network(x_train)
batch = x_train[:67]
rows = objective.draw(batch, seeded(0))  # the dequantised images, t and eps: one row per image


def gradient(loss):
    model.zero_grad()
    loss.backward()
    return torch.cat([p.grad.flatten() for p in model.parameters()])


def split_gradient(rows, shares):
    """The gradient of the whole batch's mean loss from its shares' mean losses, each weighted by its rows."""
    n = rows[0].shape[0]
    return sum(gradient(objective.loss(model, *(r[share] for r in rows))) * len(share) / n for share in shares)


whole = gradient(objective.loss(model, *rows))
shares = torch.tensor_split(torch.arange(67), 2)
split = split_gradient(rows, shares)
alike = sum(gradient(objective.loss(model, *(r[share] for r in rows))) / 2 for share in shares)
relative = {name: ((g - whole).norm() / whole.norm()).item() for name, g in (("rows", split), ("alike", alike))}
print(f"shares of {[len(s) for s in shares]} rows; gradient's relative difference from the whole batch's:\n"
      f"  weighted by rows           {below(relative['rows'])}\n  weighted alike (1/2 each)  {relative['alike']:.2f}")

# %% [markdown]
# **Check 1: the split gradient is the whole batch's**, to float32's rounding (summing in another order): a relative
# difference below 1e-5. Weighting the shares alike is the mistake that passes unseen on full batches (two shares of 64
# rows) and shows on this one.

# %%
assert ((split - whole).norm() / whole.norm()).item() < 1e-5
assert ((alike - whole).norm() / whole.norm()).item() > 1e-3

# %% [markdown]
# What breaks it: **randomness that is not the same in every process.** If process $r$ seeds its stream with
# `seed + r` (a common habit), its rows get another $t$ and $\boldsymbol\epsilon$ than in the one-process run: the
# gradient is another draw's, as far from the whole batch's as a second seed would be.

# %%
by_own_seed = sum(gradient(objective.loss(model, *(r[share] for r in objective.draw(batch, seeded(0 + rank)))))
                  * len(share) / 67 for rank, share in enumerate(shares))
print(f"seeds 0 and 1 in the two processes: relative difference {((by_own_seed - whole).norm() / whole.norm()).item():.2f}")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Instructor's note.** Ask first: what must be the same in every process for the split step to be the whole batch's?
# Most answer "the weights"; the randomness is the part people miss. The 67-row batch is chosen so that the weighting
# mistake shows: on full batches of 128 it is invisible.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Two processes, and micro-batches
#
# `helpers.launch` starts $R$ fresh processes on this machine, joins them in one process group with the **gloo** backend
# (the one that runs on CPUs; NCCL is the GPUs'), runs a function in each and gathers what each returns. In a process group
# `helpers.train` wraps the network in DDP and splits every step as in section 1. `config.accumulate = k` splits each
# step into $k$ micro-batches in one process, summing their gradients before the one update: the same identity with
# $R = 1$, and the way to train a batch whose activations do not fit in memory at once. We train the lesson's 20 steps
# four ways and compare each with one process on the whole batch:

# %%
one = helpers.train_digits_member(x_train, run)
two = helpers.launch(helpers.train_digits_member, 2, x_train, run)
runs = {"2 processes (rank 0)": two[0], "2 processes (rank 1)": two[1],
        "1 process, 2 micro-batches": helpers.train_digits_member(x_train, dataclasses.replace(run, accumulate=2)),
        "1 process, 4 micro-batches": helpers.train_digits_member(x_train, dataclasses.replace(run, accumulate=4))}
torch.manual_seed(0)  # train_digits's initialisation: how far the 20 steps moved the weights
moved = largest(one["online"], helpers.digits_network(x_train).state_dict())
print(f"{'largest difference from one process':<36} {'losses':>9} {'weights':>9} {'EMA':>9}")
for name, other in runs.items():
    print(f"{name:<36} {below(largest(other['losses'], one['losses'])):>9} "
          f"{below(largest(other['online'], one['online'])):>9} {below(largest(other['ema'], one['ema'])):>9}")
print(f"(the 20 steps moved the weights by up to {moved:.3f})")

# %% [markdown]
# **Check 2: the same run.** Two processes are one process accumulating the same two shares, **bit for bit**: the
# same products in the same order (DDP's sum of two gradients, each doubled and then halved, is exact). Against the
# whole batch in one pass they agree within rounding: `TOLERANCE` on the weights and the EMA is ten times the largest
# difference over seeds 0–4 of the benchmark (`benchmarks/scale.py`, the same 20 steps, two processes and 2 or 4
# micro-batches); seeds 5–9, which set nothing, stay inside it. And every process keeps its own EMA, updated from the
# same weights: the ranks' EMAs must be equal bit for bit.

# %%
identity = results["identity"]["20"]
chosen = max(max(row[way][part] for way in ("two processes", "accumulate 2", "accumulate 4") for part in ("online", "ema"))
             for row in identity[:5])
TOLERANCE = 10 * chosen
confirmed = max(max(row[way][part] for way in ("two processes", "accumulate 2", "accumulate 4") for part in ("online", "ema"))
                for row in identity[5:])
print(f"TOLERANCE = 10 x {chosen:.1e} = {TOLERANCE:.1e}; seeds 5-9's largest {confirmed:.1e}")
for rank in (0, 1):
    assert all(torch.equal(two[rank][part][name], runs["1 process, 2 micro-batches"][part][name])
               for part in ("online", "ema") for name in one["online"])
for name, other in runs.items():
    assert largest(other["online"], one["online"]) < TOLERANCE and largest(other["ema"], one["ema"]) < TOLERANCE, name
assert all(torch.equal(two[0]["ema"][name], two[1]["ema"][name]) for name in two[0]["ema"])

# %% [markdown]
# The last line is the check that catches the best-known distributed EMA bug (diffusers issue 1895 and its relatives):
# **an EMA updated in one process only** (`if rank == 0: update_ema(...)`), so that the network another process samples
# or saves is its initial one. The course's tests plant exactly that and see this check fail.
#
# The third thing that breaks the identity is a layer whose output depends on the other rows of its batch:
# **batch normalisation** divides by the mean and variance of each process's share, not of the batch.

# %%
norm = torch.nn.BatchNorm1d(64)
whole_batch = norm(x_train[:128])
by_share = torch.cat([norm(share) for share in x_train[:128].chunk(2)])
print(f"BatchNorm1d on the batch against on two shares of 64: largest difference {largest(by_share, whole_batch):.2f}")

# %% [markdown]
# The fix is `torch.nn.SyncBatchNorm`, which all-reduces the statistics (on GPUs only), or a normalisation of each row
# alone: lesson 20's U-Net uses GroupNorm and its DiT LayerNorm; our MLP has none.
#
# How long does "the same run" last? Over the benchmark's 200-step runs, most seeds stay within rounding of the
# one-process run, and a few drift apart (table below): float32 rounding differs between the two, and training is
# chaotic. Adam divides each gradient entry by its own running size, so an entry that is only rounding noise still
# moves its weight by about the learning rate. A run on another CPU's kernels drifts the same way. The drift stays well
# below another seed's difference.

# %%
for steps, rows_of_steps in results["identity"].items():
    drift = [row["two processes"]["online"] for row in rows_of_steps]
    print(f"{steps:>4} steps, two processes against one, weights: median {np.median(drift):.1e}, largest "
          f"{max(drift):.1e} (over 1e-3 on {sum(d > 1e-3 for d in drift)} of 10 seeds); moved by training: "
          f"{np.median([row['moved'] for row in rows_of_steps]):.3f}; another seed's network: "
          f"{np.median([row['another seed']['online'] for row in rows_of_steps]):.2f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. bfloat16
#
# bfloat16 keeps float32's 8 exponent bits and 7 of its 23 fraction bits: the same range, about 2–3 significant digits
# (a relative spacing of $2^{-7}$ to $2^{-8}$, exercise 22.2). `torch.autocast` runs the matrix products of the forward pass
# in it and keeps the weights, their gradients, Adam's moments and the EMA in float32 (Micikevicius et al. 2018's
# recipe; Kalamkar et al. 2019 for bfloat16). `config.precision = "bfloat16"` puts each step's forward pass and loss
# under autocast. Where the `with` goes matters: autocast keeps one low-precision copy of each weight and drops it only
# when the outermost autocast block ends, so **a block around the whole loop trains every step with the first step's
# weights**. The same 100 Adam steps, autocast around each forward pass, with and without a block around the loop:

# %%
def adam_step(net, optimizer, draws):
    images = x_train[torch.randint(0, len(x_train), (128,), generator=draws)]
    with torch.autocast("cpu", torch.bfloat16):
        loss = objective(net, images, draws)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def adam_steps(block_around_loop, steps=100):
    torch.manual_seed(0)
    net = helpers.digits_network(x_train)
    optimizer, draws = torch.optim.Adam(net.parameters(), lr=2e-3), seeded(0)
    with torch.autocast("cpu", torch.bfloat16) if block_around_loop else contextlib.nullcontext():
        return [adam_step(net, optimizer, draws) for _ in range(steps)]


curves = {"autocast around each forward pass": adam_steps(False),
          "the same, inside one block around the loop": adam_steps(True)}
fig, ax = plt.subplots(figsize=(7, 3))
for label, losses in curves.items():
    ax.plot(losses, label=f"{label} (last 20 steps: {np.mean(losses[-20:]):.2f})")
ax.set(xlabel="Adam step", ylabel="loss (bfloat16 forward pass)", ylim=(0, 1.3))
ax.legend(loc="lower left")
plt.show()

# %% [markdown]
# With the block, the loss stays at the untrained network's, about 1.0: each step's gradient was computed for the
# first step's weights. A *disabled* block around the loop (`torch.autocast(..., enabled=False)`) does the same, since it
# too is the outermost. So `helpers.train` drops the copies after every step itself, and refuses to run inside an
# enabled block, which would silently train a float32 recipe in bfloat16. Over ten seeds of the full recipe (5 000 steps;
# `benchmarks/scale.py`), bfloat16 against float32 on this CPU, which multiplies bfloat16 in hardware (AVX512-BF16), each
# seed's two runs paired:

# %%
precision = results["precision"]
seeds = [row["seed"] for row in precision]
by_seed = {row["seed"]: row for row in precision}
for measure, label in (("train_seconds", "training seconds"), ("last_loss", "last 500 steps' loss"),
                       ("elbo_bpd", "test bits/dim"), ("frechet", "Fréchet (450 samples)")):
    verdict = helpers.compare(lambda s: by_seed[s]["bfloat16"][measure], lambda s: by_seed[s]["float32"][measure],
                              seeds=seeds, names=("bfloat16", "float32"))
    print(f"{label:<24} float32 {np.mean([by_seed[s]['float32'][measure] for s in seeds]):8.3f}   bfloat16 - float32: "
          f"{verdict.brief(3)}")

# %% [markdown]
# On this CPU bfloat16 trained 4 s faster of 24 s, and no quality measure tells the two apart over ten seeds.
#
# **Where not to use it: the likelihood.** The ELBO sums the network's error over 1 000 steps and 64 coordinates, in
# float64 (which autocast leaves alone). The same float32 networks, with every network call under autocast, on the same
# 150 test images and draws:

# %%
under = [by_seed[s]["float32"]["elbo_bpd_under_autocast"] - by_seed[s]["float32"]["elbo_bpd"] for s in seeds]
half = stats.t.ppf(0.975, len(under) - 1) * np.std(under, ddof=1) / np.sqrt(len(under))
print(f"test bits/dim under autocast - in float32: {np.mean(under):+.5f} ± {half:.5f} (ten seeds; from "
      f"{min(under):+.5f} to {max(under):+.5f})")
digits_model = helpers.load_model(helpers.COMMITTED_CHECKPOINT.parent / "digits_n1347.pt")
try:
    with torch.autocast("cpu", torch.bfloat16):
        helpers.elbo(digits_model, digits_schedule, x_train[:2])
except RuntimeError as error:
    print(error)

# %% [markdown]
# Here the bias is small, +0.0006 bits per dimension, but it has the same sign on every seed, it is a bias and not noise,
# and it sits in the last digit the course prints. `helpers.elbo` and `helpers.ode_log_likelihood` refuse to run inside
# autocast rather than round silently.

# %% [markdown] slideshow={"slide_type": "notes"}
# **Instructor's note.** The block around the loop is the bug to show live: the loss curve flattens and no error is
# raised. Then the disabled block (`enabled=False`), which looks harmless and does the same. The ten-seed table answers
# "does bfloat16 hurt?" only for this small network on this CPU; say so.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Stop and resume
#
# A long run is stopped: a time limit, a preempted machine. To resume it as if it never stopped, the file must hold
# everything the next step reads: the weights, Adam's two moments and step counts, the EMA, the random stream's state,
# the epoch's order and the place in it. `helpers.train(..., state=path, every=n)` writes all of it every $n$ steps,
# through a temporary file renamed over the last one and with a checksum (lesson 08's `save_weights`, so a crash
# mid-write leaves the last state); if the file exists when `train` starts, it resumes. We stop a run at step 10 of 20
# (`on_checkpoint` returning True) and resume it:

# %%
def digits_run(state=None, stop_at=None):
    torch.manual_seed(0)
    return helpers.train(helpers.digits_network(x_train), x_train, objective, run, state=state, every=5,
                         on_checkpoint=lambda step, sampler: step == stop_at, progress=False)


uninterrupted = digits_run()
state_file = Path(tempfile.mkdtemp()) / "digits_run.pt"
stopped = digits_run(state_file, stop_at=10)
resumed = digits_run(state_file)
saved = torch.load(state_file, weights_only=True)
print(f"stopped after {len(stopped['losses'])} steps; resumed to {len(resumed['losses'])}; the file holds "
      f"{sorted(saved)}")

# %% [markdown]
# **Check 3: bit for bit.** The losses, the weights, the EMA and Adam's state of the resumed run are the uninterrupted
# run's exactly (`torch.equal`), on this machine: a resumed run is the same computation in the same order.

# %%
assert torch.equal(resumed["losses"], uninterrupted["losses"])
for a, b in ((resumed["online"], uninterrupted["online"]), (resumed["model"], uninterrupted["model"])):
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))
print("equal, every bit")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. What two processes buy on two cores
#
# Images per second of the training loop (start-up excluded), the recipe's batch of 128 and a batch of 1 024, median of
# three runs timed in turns, on a quiet machine and beside one busy process (`benchmarks/scale.py`). "No group" is two
# processes that each train half the batch without talking: the same work without the all-reduce, so its gap to DDP is
# what the communication costs.

# %%
rates = results["throughput"]["images per second"]
columns = {"1 process, 1 thread": "1 process", "1 process, 2 threads": "1 process, 2 thr.",
           "2 processes, 1 thread each": "2 processes, DDP", "2 processes, half the batch each, no group": "2, no group"}
print(f"{'images per second':<18}" + "".join(f"{short:>19}" for short in columns.values()))
for setting, row in rates.items():
    print(f"{setting:<18}" + "".join(f"{row[name]:>19,.0f}" for name in columns))
print(f"each step's all-reduce: the gradients of {sum(p.numel() for p in model.parameters()):,} weights, "
      f"{4 * sum(p.numel() for p in model.parameters()) / 1e6:.2f} MB in float32")

# %% [markdown]
# Two cores are two cores. At the recipe's batch of 128 a step takes about 5 ms, and two processes train at 39 % of one
# process's rate: each step waits for the all-reduce of every gradient, while the same two processes without a group
# (the last column) keep pace with one. At a batch of 1 024 the arithmetic is large enough that one process's two
# threads win (1.8 times one thread); two processes with DDP beat one thread only slightly, the all-reduce costing about
# a third of their rate. Beside a busy process, two threads (or two processes) share one free core: one thread is the
# fastest there. DDP pays off when each process has its own device and the gradients travel over a fast link, as on
# GPUs; there the same script runs one process per GPU. `tools/train_scale.py` is lesson 17's recipe under `torchrun`,
# which starts the processes, sets each one's rank and meets them at a rendezvous address:
#
# ```
# torchrun --standalone --nproc_per_node=2 tools/train_scale.py --out build/scale          # two CPU processes here
# torchrun --standalone --nproc_per_node=gpu tools/train_scale.py --out build/scale        # every GPU of a machine
# torchrun --nnodes=2 --nproc_per_node=8 --rdzv_backend=c10d --rdzv_endpoint=HOST:29400 \
#          --rdzv_id=digits tools/train_scale.py --out build/scale                         # on each of two machines
# ```
#
# No GPU was available to this course's measurements; the tests that need one say so when they are skipped.

# %% [markdown] slideshow={"slide_type": "notes"}
# **Instructor's note.** The throughput table is the honest part: on one 2-core machine DDP is slower than one process.
# Run `tools/train_scale.py` under torchrun in a terminal to show the same training started from a shell.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - A step's gradient is a sum over its rows: split between processes or micro-batches, each share weighted by its rows
#   over the batch's (times $R$ under DDP's average), it is the whole batch's, provided each row keeps its randomness.
#   Two processes were one process accumulating the same two shares bit for bit, and the whole batch's 20 steps within
#   rounding (below 1e-5 here; tolerance 1.8e-3, ten times seeds 0–4's largest); over 200 steps the runs drifted apart
#   by more than 1e-3 on 4 seeds of 10, still less than another seed's network.
# - Three things break it: randomness seeded per process, an EMA updated in one process, batch statistics.
# - bfloat16: autocast around each forward pass, never a block around the loop. Over ten seeds it trained 4.0 s faster
#   of 24.2 s on this CPU, with test bits and Fréchet distance undecided against float32; a likelihood is computed
#   outside it (+0.0006 bits/dim under it, on every seed).
# - A resumable run saves everything the next step reads, and resumes bit for bit.
# - On two cores two processes are slower than one (39 % of its rate at batch 128): DDP is for separate devices.
#
# ## References
#
# - S. Li et al. (2020). *PyTorch Distributed: Experiences on Accelerating Data Parallel Training*. VLDB. DDP's gradient
#   buckets, the all-reduce overlapped with the backward pass, `no_sync` for accumulation.
# - P. Goyal et al. (2017). *Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour*. Section 2.3: the batch
#   statistics of batch normalisation per process; the loss normalised by the whole batch.
# - P. Micikevicius et al. (2018). *Mixed Precision Training*. ICLR. A float32 master copy of the weights, loss scaling
#   for float16.
# - D. Kalamkar et al. (2019). *A Study of BFLOAT16 for Deep Learning Training*. bfloat16's format and training without
#   loss scaling.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises (solutions: `%load solutions/22_1.py`, `22_2.py`; each ends with its check)
#
# **1. Each process's factor.** DDP divides the sum of $R$ processes' gradients by $R$. Write `share_weights(sizes)`:
# given the rows of each process's share of one batch, the number each process must multiply its share's mean loss by
# so that the averaged gradient is the whole batch's. What are they for 67 rows over two processes?

# %%
def share_weights(sizes):
    return None  # your code here


helpers.check_exercise("22.1", share_weights)

# %% [markdown]
# **2. bfloat16's spacing.** Write `bf16_spacing(x)`: the gap between neighbouring bfloat16 numbers near $x$. Then
# predict: a weight of 0.5 stored in bfloat16 and moved by Adam by 0.001, where does it end up?

# %%
def bf16_spacing(x):
    return None  # your code here


helpers.check_exercise("22.2", bf16_spacing)
