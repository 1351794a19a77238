# %% [markdown] slideshow={"slide_type": "slide"} translates="762383237412"
# # 第 08 课——训练，以及快速训练
#
# **目标。** 把第 01–07 课合在一起：以 $L_\text{simple}$ 为损失、用 Adam 训练噪声预测网络（noise predictor），看着损失、反向链（reverse chain）和样本质量逐步改善，并保存结果。参考方案（reference recipe）需要约 316 000 步，在笔记本电脑上要跑好几分钟；我们要找出哪些改动能让*同一个网络*在远不到一分钟的时间内达到同样的质量，并测量每项改动各带来多少收益。
#
# **预备知识。** 第 05 课（模型）和第 06 课（损失）；第 07 课：采样（sampling），以及对照曲线衡量样本。

# %% slideshow={"slide_type": "subslide"}
import json
import statistics
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.ticker import ScalarFormatter
import numpy as np
import torch

import helpers

torch.manual_seed(0)
device = helpers.default_device()
schedule = helpers.sigmoid_schedule(100)
T = schedule.T
x0 = helpers.s_curve(10_000, device=device)

# %% [markdown] slideshow={"slide_type": "slide"} translates="297ecc5214e1"
# ## 训练循环
#
# 反复执行：取一个打乱后的数据小批量，抽取对偶时间步（antithetic steps）和噪声，计算 $L_\text{simple}$，把梯度范数裁剪到 1（参考方案用它防范偶发的巨大梯度），再做一步 Adam 更新。Adam 的融合算子（`fused=True`）在对全部权重的一次遍历中完成同样的更新，而不是每个权重张量各遍历一次。下面是参考方案，训练 300 步：

# %% translates="6b79f8a7ad90"
config = helpers.TrainConfig(steps=300, batch_size=128, lr=1e-3, seed=0)
torch.manual_seed(0)
model = helpers.NoisePredictor(T).to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, fused=True)
generator = torch.Generator().manual_seed(config.seed)  # 在 CPU 上生成随机数：换到任何设备上，运行过程都完全相同
batch_indices = helpers.training.loop.Batches(x0.shape[0], config.batch_size, generator, device)
losses = []
for _ in range(config.steps):
    batch = x0[next(batch_indices)]
    loss = helpers.eps_loss(model, batch, schedule, generator=generator)
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip_norm)
    optimizer.step()
    losses.append(loss.item())
print(f"loss: first 20 steps {np.mean(losses[:20]):.2f}, last 20 steps {np.mean(losses[-20:]):.2f}")

# %% [markdown] translates="7b7bd07d247a"
# `helpers.train` 就是这个循环外加一些选项：学习率调度、权重的指数移动平均（EMA of the weights，下文简称 EMA）、检查点和进度条；它适用于任何*目标函数*（objective）：一个接收网络、小批量和随机数生成器（generator）并返回损失的函数。`helpers.Denoising(schedule, config)` 就是 $L_\text{simple}$，时间步按配置中的方式抽取；后面的课会把各自的目标函数传给同一个循环。随机种子相同、配置相同：得到的权重也完全相同。

# %%
torch.manual_seed(0)
same = helpers.NoisePredictor(T).to(device)
result = helpers.train(same, x0, helpers.Denoising(schedule, config), config, progress=False)
for p, q in zip(model.parameters(), same.parameters()):
    torch.testing.assert_close(p, q)
torch.testing.assert_close(result["losses"], torch.tensor(losses))

# %% [markdown] slideshow={"slide_type": "slide"} translates="ffb2a04403d6"
# ## 快在哪里
#
# `benchmarks/train_speed.py` 在同一台机器上训练参考方案和本课程的默认方案，并记录第 07 课的曲线指标（10 000 个样本，每个方案用它自己的 σ² 采样）与训练墙钟时间的关系。它还用一个随机种子做了一组累积的消融实验（ablation）：先用参考方案的设置，再按下面的顺序逐项加入默认方案的改动。它提交在仓库中的结果来自一台 2 核 CPU：

# %% translates="fca2abfa4328"
results = json.loads(Path("../benchmarks/results/cpu-2core.json").read_text())
print(results["machine"])
for row in results["ablation"]:
    print(f"{row['name']:52s} {row['steps']:5d} steps {row['train_seconds']:5.1f} s   off-curve {row['off_curve']:6.2f}, "
          f"gap {row['coverage_gap']:4.1f}%, stray {row['stray']:5.2f}%")
# 第 2–7 行都用大小为 1024 的小批量训练；它们耗时的中位数比单独一行的耗时更稳定（噪声更小）。
per_step = statistics.median(row["train_seconds"] for row in results["ablation"][1:]) / results["ablation"][0]["train_seconds"]
print(f"a step on 1024 points costs {per_step:.1f}x a step on 128 points (8x the data)")

# %% [markdown] translates="7a1a57fb5b4b"
# 每项改动及其作用：
#
# 1. **批量大小 1024，峰值学习率 $10^{-2}$。** 批量大小为 128 时，时间主要耗在 Python 的开销上，两个 CPU 核大多空闲：点数是原来的 8 倍，每步的耗时却只是上面打印的那个倍数；梯度的噪声也小得多，经得起大 10 倍的步长。
# 2. **预热与余弦衰减。** 100 步线性预热让 Adam 最初那几步（估计得还很差）保持很小；衰减到 0 让权重稳定下来，而不是在大学习率下来回摆动。这组单种子消融无法判定它的效果：在这个种子上，偏离曲线均方根（off-curve RMS）和离群点比例（strays）变差，覆盖缺口（coverage gap）变好。本课程保留它，是因为它是使用大学习率时的常用调度（Goyal 等人，2017），尽管在这里没有测到明确的收益。
# 3. **输入缩放** $c_\text{in}(t) = 1/\sqrt{\bar\alpha_t\sigma_\text{data}^2 + 1 - \bar\alpha_t}$（Karras 等人，2022，表 1）。S 形曲线（S-curve）两个坐标合并计算的标准差（standard deviation，std）$\sigma_\text{data} \approx 0.11$，所以在 $t$ 较小时，网络的输入很小，第一层必须学出很大的权重。把 $\mathbf{x}_t$ 除以它在步 $t$ 的标准差，就让每一步的输入都大致处于单位尺度。两个坐标的标准差不同（0.071 和 0.139），却共用一个合并的 $\sigma_\text{data}$，因此在 $t$ 较小时，缩放后的两个输入并非各自方差为 1，只有合并起来才是（见下面的输出；练习 3 要求算出第一个坐标的）；网络也不需要它们各自为 1。扩散本身没有变：同样的 $q$，同样的损失，同样的采样器。
# 4. **权重的 EMA**（衰减率 0.995，记忆约 200 步）：从权重的移动平均中采样，平滑掉最后几步的噪声。学习率已经衰减到 0 时，这组单种子消融看不出明确的效果；我们预计，若在衰减结束之前就停止训练，它的作用会更大（这里没有测量）。这个平均做了*偏差修正*（`helpers.ema_weight`，即 Adam 对其矩估计所做的修正：Kingma 和 Ba，2015，算法 1）：从初始权重开始的普通 EMA 在 300 步之后，仍有 $0.995^{300} = 22\%$ 的份额来自那个随机初始化的网络；修正后的平均只包含训练得到的权重 $\theta_1, \dots, \theta_n$，各自的份额与 $0.995^{n-k}$ 成正比。
# 5. **靠近数据的步。** 均匀抽取时，100 步中的每一步各占训练的 1%。但样本最终离曲线多远，取决于反向链的最后几步：在那里，网络必须把数据自身的噪声（标准差 0.01）与扩散加入的噪声区分开。把代码中的步（step t in code，从 0 数起）取为 $\lfloor T u^3 \rfloor$，$u \sim U[0, 1)$，抽到的步就有超过五分之一落在第一步上（见下面的输出）。这相当于按每一步被抽中的频率，给 $L_\text{simple}$ 的各项重新加权，就像 Karras 等人（2022，§5）选择训练所用的噪声水平、第 12 课平移流匹配（flow matching）的时间那样。每一步上理论上最优的预测不变（第 09 课把它算出来）；变的只是一个容量有限的网络在各步之间的取舍。
# 6. **用 $\sigma_t^2 = \tilde\beta_t$ 采样**（第 07 课），即后验（posterior）自身的方差，而不是用 $\beta_t$：凡是加噪声的步，$\beta_t$ 加入的噪声都比后验的多。Ho 等人（2020，§3.2）发现两者在图像上效果相近；在 S 形曲线上，消融显示出了差别。采样器也是方案的一部分。
#
# 上面每一行都只有一个种子。数据下限（data floor）本身有波动：数据样本之间，偏离曲线均方根的标准差约为 0.06–0.09，不同训练种子之间更大；小于这一波动的差异不构成证据。docs/benchmarks.md 给出了默认方案五个种子的结果。
#
# **线程。** torch 每个核运行一个线程；OpenMP 线程发现自己的核被占用时，会一直轮询，而不是让出这个核。基准测试在这台 2 核机器上训练默认方案，分别在机器空闲时和旁边有一个繁忙进程时，每种设置计时一次（见下面的输出）：用 2 个线程时，繁忙的进程让训练慢了好几倍；用 1 个线程时几乎没有影响。所以 `course.py lab` 给 Jupyter 内核（kernel）分配的 CPU 核数比机器的核数少一个，留一个核给浏览器。

# %%
load = {(row["threads"], row["load"]): row["train_seconds"] for row in results["under_load"]}
for threads in sorted({threads for threads, _ in load}, reverse=True):
    quiet, busy = load[threads, "quiet"], load[threads, "busy"]
    print(f"{threads} torch thread{'s' if threads > 1 else ''}: {quiet:.1f} s quiet, {busy:.1f} s beside a busy process ({busy / quiet:.1f}x)")
assert load[2, "busy"] > 2 * load[2, "quiet"] and load[1, "busy"] < 1.2 * load[1, "quiet"]

# %%
c_in = helpers.input_scale(schedule, x0.std().item())
for t in (0, T // 2, T - 1):
    xt = helpers.q_sample(x0, t, schedule, generator=torch.Generator().manual_seed(t))
    print(f"t = {t + 1:3d}: std of c_in(t) x_t, both coordinates pooled: {(c_in[t] * xt).std().item():.2f}")

# %% [markdown] translates="d79af5644ad0"
# 把靠近数据的步用易读的写法实现一遍，并与 `helpers.skewed_steps` 对照（下标 0 是第一步，即 $t = 1$）：

# %%
u = torch.rand(100_000, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
t_drawn = (T * u ** helpers.DEFAULT.t_power).long().clamp(max=T - 1)
assert torch.equal(t_drawn, helpers.skewed_steps(100_000, T, helpers.DEFAULT.t_power, torch.Generator().manual_seed(0)))
share = torch.bincount(t_drawn, minlength=T).double() / len(t_drawn)
print(f"code step 0 (the paper's t = 1): {share[0]:.1%} of the draws (uniform: 1 %); code steps 0-7: {share[:8].sum():.1%}; 50 and above: {share[50:].sum():.1%}")

# %% [markdown] translates="5cee8362783b"
# 用记账的办法检查偏差修正的 EMA：在 `helpers.ema_weight` 的 300 次更新中，跟踪每组权重在平均中所占的份额，再与闭式（closed form）$0.995^{n-k}(1 - 0.995)/(1 - 0.995^n)$ 比较；按照这个闭式，初始权重完全不占份额。

# %% translates="ac7e26e1468e"
decay, n = helpers.DEFAULT.ema_decay, 300
shares = torch.ones(1, dtype=torch.float64)  # 任何更新之前：只有初始权重
for k in range(1, n + 1):
    w = helpers.ema_weight(decay, k)
    shares = torch.cat([(1 - w) * shares, torch.tensor([w], dtype=torch.float64)])
closed = decay ** torch.arange(n - 1, -1, -1, dtype=torch.float64) * (1 - decay) / (1 - decay**n)
assert shares[0] == 0 and torch.allclose(shares[1:], closed, rtol=1e-12, atol=0)
print(f"after {n} updates: initial weights' share {shares[0]:.0f} (a plain EMA: {decay**n:.1%}); the last update's "
      f"{shares[-1]:.4f}, the first's {shares[1]:.5f}")

# %% [markdown] translates="596ba0327793"
# 自己运行：`.venv/bin/python benchmarks/train_speed.py --help`。
#
# 默认方案整个运行过程中的学习率，由 `helpers.learning_rate` 给出：

# %%
steps = np.arange(helpers.DEFAULT.steps)
lr = [helpers.learning_rate(helpers.DEFAULT, step) for step in steps]
assert lr[0] == helpers.DEFAULT.lr / helpers.DEFAULT.warmup_steps and max(lr) == helpers.DEFAULT.lr and lr[-1] < 1e-6
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(steps, lr)
ax.set(xlabel="step", ylabel="learning rate", title="warm-up, then cosine decay")
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"} translates="ab1de5da9091"
# ## 训练
#
# 一个开关选择方案。`"reference"` 是那篇博客教程的方案：批量大小 128，Adam 学习率 $10^{-3}$，316 000 步——在 2 核 CPU 上要训练十多分钟（docs/benchmarks.md），不适合现场运行。默认方案训练 1 500 步；下面的单元格会打印这些步在这里花了多长时间。

# %% translates="810d217a4f82"
RECIPE = "default"  # 或 "reference"
config = {"default": helpers.DEFAULT, "reference": helpers.REFERENCE}[RECIPE]
print("helpers.TrainConfig(" + ", ".join(f"{k}={v!r}" for k, v in config.as_dict().items()) + ")")

# %% [markdown] translates="7283d57814c6"
# 训练过程中，每 250 步采 2 000 个样本，用于动画；每 500 步记录反向链并计算曲线指标（10 000 个样本）；全部用该方案的 σ² 采样。

# %% tags=["nbval-ignore-output"] nbval_why="the only output is the live progress bar, a widget, which a saved lesson cannot keep (JupyterLab 4 cannot draw it)."
frames, chains, qualities = [], {}, {}


def on_checkpoint(step, sampler_model):
    generator = torch.Generator().manual_seed(0)
    samples = helpers.sample(sampler_model, schedule, 2_000, generator=generator, sigma=config.sigma)
    frames.append((step, samples.cpu(), helpers.sharp_quality(samples, energy=False)))
    if step % 500 == 0:
        chain = helpers.sample(sampler_model, schedule, 10_000, generator=torch.Generator().manual_seed(1), sigma=config.sigma,
                               keep_chain=True)
        chains[step] = chain[:: T // 10].cpu()
        qualities[step] = helpers.sharp_quality(chain[-1], energy=step == config.steps)


torch.manual_seed(config.seed)
model = helpers.build_model(config, schedule, x0)
result = helpers.train(model, x0, helpers.Denoising(schedule, config), config, on_checkpoint=on_checkpoint, every=250)

# %% [markdown] translates="b02a0454f17b"
# 在另一块 CPU 或 GPU 上训练，舍入方式不同，最后的数字会略有差别，所以测试不比较这个单元格的确切输出；但它下面的检查会由测试执行。

# %% tags=["nbval-ignore-output"] nbval_why="wall time and the last digits of training results differ between machines."
final_quality = qualities[config.steps]
print(f"{config.steps} steps in {result['seconds']:.1f} s on {device.type}; final: {final_quality}, energy ×10³ {final_quality.energy:.3f}")

# %% [markdown] translates="00c0e98c1330"
# 目标是参考方案跑完全部 316 000 步之后的质量：由基准测试在 2 核 CPU 上测得，用该方案的 $\sigma_t^2 = \beta_t$ 通过 `helpers.sample` 采样（与该方案不同，`helpers.sample` 在最后一步不加噪声，见第 07 课）。一次运行若偏离曲线均方根至少与参考方案一样接近数据的值，并且覆盖缺口最多比参考方案差 0.5 个百分点（docs/decisions.md），就算达到了目标。基准测试用五个种子运行默认方案，并找出达到目标的第一个检查点（每 125 步一个）：

# %%
floor = results["data_floor"]["off_curve"]["mean"]
target, target_tilde = results["reference"]["final"], results["reference_final_beta_tilde"]


def reaches(quality, goal):
    return (abs(quality["off_curve"] - floor) <= abs(goal["off_curve"] - floor)
            and quality["coverage_gap"] <= goal["coverage_gap"] + results["gap_slack"])


mine = {"off_curve": final_quality.off_curve, "coverage_gap": final_quality.coverage_gap, "stray": final_quality.stray}
rows = {"reference, 316 000 steps, σ² = β": target, "reference, 316 000 steps, σ² = β̃": target_tilde,
        f"this run, {config.steps} steps, σ² = β̃": mine}
rows.update({f"benchmark, seed {r['config']['seed']}, σ² = β̃": r["final"] for r in results["default"]})
for name, quality in rows.items():
    print(f"{name:36s} off-curve {quality['off_curve']:6.2f}  gap {quality['coverage_gap']:4.2f} %  stray {quality['stray']:.2f} %")
print(f"{'data (mean of 10 samples)':36s} off-curve {floor:6.2f}  gap {results['data_floor']['coverage_gap']['mean']:4.2f} %")
reach = results["time_to_reference_final_default"]
print(f"training seconds to the reference's final quality, per seed: {reach['per_seed']}; worst {reach['worst']}")
assert reaches(mine, target) and reach["worst"] is not None and reach["worst"] <= 10
assert not any(reaches(r["final"], target_tilde) for r in results["default"])

# %% [markdown] translates="2321fb67c215"
# 下面的结论都在基准测试的五个训练种子上比较，用的是第 07 课的 `helpers.compare`：由差值均值的 95% 区间作出判定（verdict）。参考方案只有一次 316 000 步的运行，所以与它比较时，默认方案的每个种子都与这一次运行相比；更长的运行（三倍的步数）与默认方案的运行共用种子，所以这些比较是配对的。偏离曲线均方根按与数据的值之间的距离来比较。

# %%
seeds = sorted(r["config"]["seed"] for r in results["default"])


def final(runs, metric):
    values = {r["config"]["seed"]: r["final"][metric] for r in runs}
    return lambda seed: abs(values[seed] - floor) if metric == "off_curve" else values[seed]


def reference(quality, metric):
    return lambda seed: abs(quality[metric] - floor) if metric == "off_curve" else quality[metric]


claims = {
    "off-curve error, default vs reference (beta)": helpers.compare(final(results["default"], "off_curve"), reference(target, "off_curve"), seeds, ("default", "reference")),
    "coverage gap, default vs reference (beta)": helpers.compare(final(results["default"], "coverage_gap"), reference(target, "coverage_gap"), seeds, ("default", "reference")),
    "coverage gap, default vs reference (beta~)": helpers.compare(final(results["default"], "coverage_gap"), reference(target_tilde, "coverage_gap"), seeds, ("default", "reference")),
    "stray, default vs reference (beta)": helpers.compare(final(results["default"], "stray"), reference(target, "stray"), seeds, ("default", "reference")),
    "stray, 3x longer vs default": helpers.compare(final(results["long"], "stray"), final(results["default"], "stray"), seeds, ("longer", "default")),
    "coverage gap, 3x longer vs default": helpers.compare(final(results["long"], "coverage_gap"), final(results["default"], "coverage_gap"), seeds, ("longer", "default")),
}
for name, claim in claims.items():
    print(f"{name:44s} {claim.summary()}")
below = [r["final"]["off_curve"] - floor for r in results["long"]]
print(f"3x longer: off-curve minus the data's, per seed: {' '.join(f'{b:+.2f}' for b in below)}")
assert claims["off-curve error, default vs reference (beta)"].a_better and claims["coverage gap, default vs reference (beta)"].a_better
assert claims["coverage gap, default vs reference (beta~)"].a_better and claims["stray, default vs reference (beta)"].b_better
assert claims["stray, 3x longer vs default"].a_better and claims["coverage gap, 3x longer vs default"].b_better and max(below) < 0

# %% [markdown] translates="847bb2374cdc"
# 这些区间只计入了默认方案的五个训练种子：参考方案只有一次训练运行、一次抽样。同一个网络的质量在不同的抽样之间会变动多少？下面取提交在仓库中的网络（用本方案训练），像参考方案那样用 $\sigma_t^2 = \beta_t$ 做六次抽样：

# %%
committed = helpers.load_model()
draws = [helpers.sharp_quality(helpers.sample(committed, schedule, 10_000, generator=torch.Generator().manual_seed(40 + k)),
                               energy=False) for k in range(6)]
print(f"off-curve {min(q.off_curve for q in draws):.2f} to {max(q.off_curve for q in draws):.2f}, "
      f"coverage gap {min(q.coverage_gap for q in draws):.2f} to {max(q.coverage_gap for q in draws):.2f} %, "
      f"stray {min(q.stray for q in draws):.2f} to {max(q.stray for q in draws):.2f} %")

# %% [markdown] translates="2cd8edacf855"
# 同一个网络的不同抽样之间，覆盖缺口会变动约一个百分点，与默认方案领先参考方案那一次抽样的幅度（0.9）相当，所以对参考方案的覆盖缺口判定算不上结论：参考方案换一次抽样，就可能推翻它们；离群点比例的判定也一样（+0.12，而抽样之间的变动比这更大）。偏离曲线均方根上的领先（以与数据的值之间的距离计为 1.1，而同一个网络的抽样之间只变动约 0.3：这里是 12.01–12.22，第 07 课是 12.33）则是结论。因此，默认方案在每个种子上都能在 10 秒的训练之内达到参考方案的最终质量，而且最终的偏离曲线均方根更接近数据的值。但有两点需要说明（数字见上面的输出）。第一，它在精确度（precision）上的领先很大一部分来自采样器：参考方案的网络若也用 $\tilde\beta_t$ 采样，其偏离曲线均方根就落在数据的值上，与最好的默认方案种子一样接近（参考方案只有一次抽样，无法给两者排序）。第二，默认方案的离群点（远离曲线的点）比例为 0.17–0.39%，并不比参考方案那一次抽样（0.13%）低。把默认方案训练三倍长，离群点会减少，但训练过了头：在它五个种子中的每一个上，样本都变得*比数据更集中*（sharper than the data）——这并不是更好——而且对曲线的覆盖更不均匀（docs/benchmarks.md）。

# %% [markdown] slideshow={"slide_type": "notes"} translates="66b14b55924d"
# **讲师提示。** 先启动训练单元格，再讲解方案：训练完成后它会打印自己的训练时间；在笔记本电脑上，你讲解这六项改动的工夫，它就跑完了。

# %% [markdown] slideshow={"slide_type": "slide"} translates="ee8da97d82e7"
# ## 损失曲线
#
# 每一步的损失噪声很大（每个小批量都重新抽取时间步和噪声）；100 步移动平均显示出趋势。

# %% translates="f710c960f19f"
losses = result["losses"].numpy()
smooth = np.convolve(losses, np.ones(100) / 100, mode="valid")
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(losses, alpha=0.3, label="per step")
ax.plot(np.arange(99, len(losses)), smooth, label="100-step mean")
ax.set(xlabel="step", ylabel=r"$L_\mathrm{simple}$", yscale="log", title="training loss")
ax.yaxis.set_major_formatter(ScalarFormatter())  # 对数坐标轴上显示普通数字
ax.yaxis.set_minor_formatter(ScalarFormatter())
ax.legend()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"} translates="6f390ce12dd8"
# ## 训练过程中的反向链
#
# 参考方案中的那种反向链图：每个检查点画一排 $p_\theta$ 样本的快照，$t = 100 \to 0$。

# %%
for step, chain in chains.items():
    helpers.plot_strip(list(chain), [f"t = {T - 10 * i}" for i in range(len(chain))],
                       suptitle=f"after {step} steps: samples of p_θ(x_t); final {qualities[step]}")
    plt.show()

# %% [markdown] slideshow={"slide_type": "slide"} translates="8599c8c2b4ea"
# ## 训练过程中逐步改善的样本
#
# 每一帧的标题给出它的偏离曲线均方根 ×10³（2 000 个样本，所以比 10 000 个样本时噪声更大）。

# %%
helpers.animate_states([x for _, x, _ in frames], [f"after {step} steps: off-curve ×10³ {q.off_curve:.1f}" for step, _, q in frames],
                       f"2 000 samples at {len(frames)} checkpoints", limit=0.35, fps=4)

# %% translates="c0cf15a467b5"
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(list(qualities), [q.off_curve for q in qualities.values()], "o-", label="this run")
ax.axhline(target["off_curve"], color="C1", linestyle="--", label="reference recipe, 316 000 steps")
ax.axhline(results["data_floor"]["off_curve"]["mean"], color="gray", linestyle=":", label="data")
ax.set(xlabel="step", ylabel="off-curve RMS ×10³", yscale="log", title="sample quality during training")
ax.yaxis.set_major_formatter(ScalarFormatter())  # 对数坐标轴上显示普通数字
ax.yaxis.set_minor_formatter(ScalarFormatter())
ax.legend()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"} translates="97441e007122"
# ## 保存与加载
#
# `helpers.save_weights` 保存配置、张量以及二者的 SHA-256 校验和；`load_weights` 用 `torch.load(weights_only=True)` 读取它们（这会拒绝任何会执行代码的文件），检查该文件是为同一个网络生成的（决定网络形状的那些 `TrainConfig` 字段相同，例如 `T` 和 `scaled_input`），并重新计算校验和。文件先以临时名称写入，再重命名，所以中途失败的保存（如磁盘已满）会让之前的文件保持完整。你这次运行的结果保存到 `checkpoints/my_ddpm.pt`（被 git 忽略）；第 06、07 课和之后的大多数课用 `helpers.load_model` 加载 `helpers.COMMITTED_CHECKPOINT`（`notebooks/checkpoints/ddpm_scurve.pt`），它由 `python tools/make_checkpoint.py` 用本方案生成。

# %%
helpers.save_weights(result["model"], "checkpoints/my_ddpm.pt")
reloaded = helpers.load_weights(helpers.build_model(config, schedule, x0), "checkpoints/my_ddpm.pt")
for p, q in zip(result["model"].state_dict().values(), reloaded.state_dict().values()):
    assert torch.equal(p, q)

# %%
try:
    helpers.load_weights(helpers.NoisePredictor(50), "checkpoints/my_ddpm.pt")
except ValueError as error:
    print("ValueError:", error)

# %% [markdown] translates="ded610d85809"
# 权重中任意一个字节被改动（就像下载损坏或磁盘损坏时那样），校验和就不再匹配：

# %%
damaged = bytearray(Path("checkpoints/my_ddpm.pt").read_bytes())
damaged[len(damaged) // 2] ^= 0xFF
Path("checkpoints/damaged.pt").write_bytes(bytes(damaged))
try:
    helpers.load_weights(helpers.build_model(config, schedule, x0), "checkpoints/damaged.pt")
    raise AssertionError("a damaged file should have been refused")
except ValueError as error:
    print("ValueError:", error)
Path("checkpoints/damaged.pt").unlink()

# %% [markdown] slideshow={"slide_type": "slide"} translates="e16b1ae63c46"
# ## 小结
#
# - 训练：数据小批量、时间步和噪声，$L_\text{simple}$，带梯度裁剪的 Adam。
# - 在单种子消融中，参考方案之所以慢，大部分原因在于：在尺度不当的输入上，用小批量和低学习率训练。
# - 默认方案——批量大小 1024，学习率 $10^{-2}$ 并带预热和余弦衰减，输入缩放，权重的 EMA，靠近数据抽取时间步，用 $\tilde\beta_t$ 采样——在基准测试的 2 核 CPU 上，用五个训练种子中的任何一个，都能在 10 秒的训练之内达到参考方案的最终质量，而参考方案要训练十多分钟。精确度上的收益很大一部分来自采样器；在覆盖度（coverage）和离群点比例上，参考方案只有一次抽样，无法判定。
# - 检查点只保存权重、配置和校验和；加载时会拒绝不匹配的网络和损坏的文件。
#
# **参考文献。** Ho, Jain & Abbeel 2020，算法 1 和 §3.2（$\sigma_t^2 = \beta_t$ 或 $\tilde\beta_t$）；Kingma & Ba 2015（Adam）；Loshchilov & Hutter 2017（余弦衰减，SGDR）；Goyal et al. 2017（大批量下的预热）；Karras et al. 2022，表 1（$c_\text{in}$）和 §5（训练在各噪声水平上如何分配）；Polyak & Juditsky 1992（权重平均）；参考方案：acids-ircam `diffusion_models`（2021）。

# %% [markdown] slideshow={"slide_type": "slide"} translates="22d2f15813de"
# ## 练习（解答：`%load ../notebooks/solutions/08_1.py`、`08_2.py`、`08_3.py`，每个解答都以相应的检查结尾；解答文件中的注释为英文）
#
# **1.** 编写函数 `lr_at(step, steps, peak, warmup)`：在 `warmup` 步内线性预热到 `peak`（第 0 步取 `peak / warmup`），然后从 `peak` 余弦衰减，到第 `steps` 步时降为 0。

# %% translates="e439ea0f8e67"
def lr_at(step, steps, peak, warmup):
    return None  # 在这里写你的代码


helpers.check_exercise("08.1", lr_at)

# %% [markdown] translates="b8b35da7ce11"
# **2. 先推导，再编写。** 经过 $n$ 次更新之后，偏差修正的 EMA 为 $\sum_k \text{decay}^{n-k}\theta_k \big/
# \sum_k \text{decay}^{n-k}$，其中求和遍及权重组 $\theta_1, \dots, \theta_n$。最近的多少次更新占了这个平均的一半？编写函数 `recent_half(decay, n)`：返回最小的 $m$，使最近 $m$ 次更新的份额之和至少为一半（一个 int）。（在默认方案的衰减率 0.995 和 1 500 步下，采样用的网络主要是最后几百步的权重，还是大半个运行过程的平均？）

# %% translates="f73c9213e84e"
def recent_half(decay, n):
    return None  # 在这里写你的代码


helpers.check_exercise("08.2", recent_half)

# %% [markdown] translates="5e89bf58605d"
# **3. 先预测，再检查。** 在第一步，网络看到的是 $c_\text{in}(t)\,\mathbf{x}_t$。它的*第一个*坐标在数据上的标准差是多少？根据第 01 课的统计量做出预测，再填入你预测的数值；检查会实际测量它，并看你的预测是否在 5% 以内。

# %% translates="93850ff1bc37"
predicted_std = None  # 你预测的数值

helpers.check_exercise("08.3", predicted_std)

# %% [markdown] translates="22bde15eafe7"
# **更进一步**（没有检查：这是一个实验）。用终点是纯噪声的 `helpers.cosine_schedule(100)` 代替参考方案的噪声调度（noise schedule）来训练。修正第 07 课的先验失配（prior mismatch），在相同的训练预算下，会改变偏离曲线均方根和覆盖缺口吗？（这是一个开放问题：第 09 课用一个完美的网络衡量先验的代价；而用 `cosine_schedule` 时，网络要学的也是另一个问题。）
