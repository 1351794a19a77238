# %% [markdown]
# # Lesson 22, appendix — Scale: batch statistics, how long "within rounding" lasts, throughput and torchrun
#
# Side results of [lesson 22](22_scale.ipynb), moved here so that the lesson keeps to its main line (a step split,
# checked three ways, bfloat16 and resuming). Here: what batch normalisation does to the split, how far the split run
# and the one-pass run drift apart over 200 steps, what the throughput table says, and the `torchrun` commands that
# start `tools/train_scale.py` on one machine or several (`benchmarks/scale.py`; `docs/benchmarks.md`, "Scale (lesson
# 22)", has the same tables).

# %%
import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch

import helpers

x_train = helpers.digits_split()[0]
results = json.loads(Path("../benchmarks/results/scale-cpu-2core.json").read_text())


def largest(a, b):
    """The largest absolute difference between two tensors."""
    return (a - b).abs().max().item()

# %% [markdown]
# ## Batch statistics
#
# A layer whose output depends on the other rows of its batch breaks the identity: **batch normalisation** subtracts the
# mean and divides by the standard deviation of each process's share (or micro-batch), not of the batch.

# %%
norm = torch.nn.BatchNorm1d(64)
whole_batch = norm(x_train[:128])
by_share = torch.cat([norm(share) for share in x_train[:128].chunk(2)])
print(f"BatchNorm1d on the batch against on two shares of 64: largest difference {largest(by_share, whole_batch):.2f}")

# %% [markdown]
# `torch.nn.SyncBatchNorm` all-reduces the statistics between processes (torch runs it on GPU-like devices and refuses
# CPU tensors; it does not help micro-batches); a normalisation of each row alone has no such problem: lesson 20's U-Net
# uses GroupNorm, its DiT LayerNorm, our MLP none. (Goyal et al. 2017 keep per-process statistics on purpose.)
#
# ## How long "within rounding" lasts
#
# The benchmark's 20- and 200-step runs of lesson 22's comparison, seeds 0–9, the largest weight difference between
# two processes and one process on the whole batch:

# %%
for steps, rows_of_steps in results["identity"].items():
    drift = [row["two processes"]["online"] for row in rows_of_steps]
    print(f"{steps:>4} steps, two processes against one, weights: median {np.median(drift):.1e}, largest "
          f"{max(drift):.1e} (over 1e-3 on {sum(d > 1e-3 for d in drift)} of 10 seeds); moved by training: "
          f"{np.median([row['moved'] for row in rows_of_steps]):.3f}; another seed's network: "
          f"{np.median([row['another seed']['online'] for row in rows_of_steps]):.2f}")

# %%
fig, ax = plt.subplots(figsize=(10, 3.4))
for steps, rows_of_steps in results["identity"].items():
    seeds = [row["seed"] for row in rows_of_steps]
    ax.semilogy(seeds, [row["two processes"]["online"] for row in rows_of_steps], "o-", label=f"{steps} steps: two processes - one")
    ax.semilogy(seeds, [row["moved"] for row in rows_of_steps], "--", color=ax.lines[-1].get_color(),
                label=f"{steps} steps: how far training moved the weights")
ax.set(xlabel="seed", ylabel="largest weight difference", xticks=range(10))
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=10)
fig.tight_layout()
plt.show()

# %% [markdown]
# By 200 steps four seeds of ten have drifted past 1e-3, the largest to 0.074: 40 % of how far training moved the
# weights, a seventh of the distance to another seed's network (another initialisation too). Training amplifies
# rounding; a likely route is Adam, which divides each gradient entry by its own running size, so an entry that is
# only rounding noise still moves its weight.

# %% [markdown]
# ## Throughput
#
# Lesson 22's table, images per second of the whole batch, median of three runs:

# %%
for setting, row in results["throughput"]["images per second"].items():
    print(f"{setting}: " + "; ".join(f"{name} {rate:,.0f}" for name, rate in row.items()))

# %% [markdown]
# At batch 128 a step takes about 5 ms, and two processes train at 39 % of one process's rate:
# each step waits for the communication (the gradients' all-reduce, DDP's broadcast of the network's buffers, the
# loss's all-reduce), while the same two processes without a group keep pace with one. At 1 024 one process's two
# threads win (1.8 times one thread), and DDP's two processes are about one thread's rate, communication costing 30 %
# of theirs. Beside a busy process one thread is fastest. DDP pays off when each process has its own device and a fast
# link, as GPUs do. `tools/train_scale.py` is lesson 17's recipe under `torchrun`, which starts the processes, sets each
# one's rank and meets them at a rendezvous address; run from the repository's folder (`--steps 200` for a first try;
# it writes `build/scale/digits_ema.pt`; its docstring explains the flags):
#
# ```
# torchrun --standalone --nproc_per_node=2 tools/train_scale.py --out build/scale          # two CPU processes here
# torchrun --standalone --nproc_per_node=gpu tools/train_scale.py --out build/scale        # every GPU of a machine
# torchrun --nnodes=2 --nproc_per_node=8 --rdzv_backend=c10d --rdzv_endpoint=HOST:29400 \
#          --rdzv_id=digits tools/train_scale.py --out build/scale                         # on each of two machines
# ```
#
# The last command runs on each of the two machines, the same there; torchrun sets RANK, LOCAL_RANK and WORLD_SIZE in each process,
# and the script joins the group with NCCL when CUDA is there, gloo otherwise. No GPU was available to this course's
# measurements.

