# %% [markdown] slideshow={"slide_type": "slide"} translates="33eddf8ca02a"
# # 第 07 课——采样：让链反向运行
#
# **目标。** 把训练好的噪声预测网络（noise predictor）变成生成器。我们推导前向过程（forward process）的后验（posterior）$q(\mathbf{x}_{t-1}\mid\mathbf{x}_t,\mathbf{x}_0)$，说明反向过程（reverse process）每一步的均值就是这个后验在模型对 $\mathbf{x}_0$ 的猜测处的取值；然后选定每一步的方差，写出采样（sampling）循环（最后一步不加噪声，不计算梯度），再度量样本：看它们到已知曲线的距离和对曲线的覆盖，再看一个与分布形式无关的指标。最后看参考方案（reference recipe）错在哪里：它的先验失配（prior mismatch），以及那篇博客教程中印错的均值公式。
#
# **预备知识。** 第 04–06 课。按第 08 课的方案训练好的网络已随本课程一起提交，所以本课不需要先运行第 08 课。

# %% slideshow={"slide_type": "subslide"}
import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch

import helpers

torch.manual_seed(0)
device = helpers.default_device()
schedule = helpers.sigmoid_schedule(100)
T, beta, alpha, alpha_bar = schedule.T, schedule.beta, schedule.alpha, schedule.alpha_bar
x0 = helpers.s_curve(10_000)
model = helpers.load_model(helpers.COMMITTED_CHECKPOINT).to(device)

# %% [markdown] slideshow={"slide_type": "slide"} translates="902692bff94e"
# ## 前向过程的后验
#
# 由贝叶斯公式，$q(\mathbf{x}_{t-1}\mid\mathbf{x}_t,\mathbf{x}_0) \propto q(\mathbf{x}_t\mid\mathbf{x}_{t-1})\,q(\mathbf{x}_{t-1}\mid\mathbf{x}_0)$，它是关于 $\mathbf{x}_{t-1}$ 的两个高斯分布之积：$\mathcal{N}(\mathbf{x}_t;\sqrt{\alpha_t}\mathbf{x}_{t-1}, \beta_t I)$ 和 $\mathcal{N}(\mathbf{x}_{t-1};\sqrt{\bar\alpha_{t-1}}\mathbf{x}_0, (1-\bar\alpha_{t-1})I)$。精度（precision，即方差的倒数）相加，均值是按精度加权的组合：
#
# $$\frac{1}{\tilde\beta_t} = \frac{\alpha_t}{\beta_t} + \frac{1}{1-\bar\alpha_{t-1}},\qquad
#   \tilde{\boldsymbol\mu}_t = \tilde\beta_t\Big(\frac{\sqrt{\alpha_t}}{\beta_t}\mathbf{x}_t + \frac{\sqrt{\bar\alpha_{t-1}}}{1-\bar\alpha_{t-1}}\mathbf{x}_0\Big).$$
#
# 用 $\bar\alpha_t = \alpha_t\bar\alpha_{t-1}$ 化简，就得到 Ho 等人（2020，式 7）给出的形式：
#
# $$\tilde\beta_t = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\beta_t,\qquad
#   \tilde{\boldsymbol\mu}_t = \frac{\sqrt{\bar\alpha_{t-1}}\,\beta_t}{1-\bar\alpha_t}\mathbf{x}_0 + \frac{\sqrt{\alpha_t}(1-\bar\alpha_{t-1})}{1-\bar\alpha_t}\mathbf{x}_t.$$

# %% translates="8edcdd2642fe"
# 由 beta 以 float64 计算：在 t = 0 附近，float32 下的差 1 - alpha_bar 只剩约 3 位有效数字。
alpha_bar64 = torch.cumprod(1 - beta.double(), dim=0)
ab, ab_prev, b = alpha_bar64[1:], alpha_bar64[:-1], beta[1:].double()
a = 1 - b
beta_tilde = 1 / (a / b + 1 / (1 - ab_prev))
torch.testing.assert_close(beta_tilde, (1 - ab_prev) / (1 - ab) * b)
xt, x0_ = torch.randn(2, dtype=torch.float64), torch.randn(2, dtype=torch.float64)
mean_precision_form = beta_tilde[:, None] * (a.sqrt()[:, None] / b[:, None] * xt + ab_prev.sqrt()[:, None] / (1 - ab_prev[:, None]) * x0_)
mean_eq7 = (ab_prev.sqrt() * b / (1 - ab))[:, None] * x0_ + (a.sqrt() * (1 - ab_prev) / (1 - ab))[:, None] * xt
torch.testing.assert_close(mean_precision_form, mean_eq7)

# %% [markdown] translates="e75d821f2b39"
# `helpers.posterior` 对一个小批量实现式 7（第一步之前取 $\bar\alpha_0 = 1$）。再做一个蒙特卡洛检查：从 $q(\mathbf{x}_{t-1}\mid\mathbf{x}_0)$ 抽取 $\mathbf{x}_{t-1}$，再走一步前向过程得到 $\mathbf{x}_t$。残差 $\mathbf{x}_{t-1} - \tilde{\boldsymbol\mu}_t$ 必须均值为 0、方差为 $\tilde\beta_t$，并且对 $\mathbf{x}_t$ 没有斜率：把残差对 $\mathbf{x}_t$ 做回归，$\tilde{\boldsymbol\mu}_t$ 中 $\mathbf{x}_t$ 的系数只要有误差，就会表现为斜率。

# %%
def posterior_check(mean_fn, t=60, n=200_000):
    """Largest |z| of the residual's mean, slope on x_t and variance against eq. 7; about N(0, 1) each if eq. 7 holds."""
    gen = torch.Generator().manual_seed(t)
    point = x0[:1].double().repeat(n, 1)
    x_prev = helpers.q_sample(point, t - 1, schedule, generator=gen)
    x_t = helpers.q_step(x_prev, t, schedule, generator=gen)
    mean, var = mean_fn(point, x_t, t)
    residual, centred = x_prev - mean, x_t - x_t.mean(0)
    slope = (residual * centred).sum(0) / (centred**2).sum(0)
    z_mean = residual.mean(0) / (var[0].sqrt() / np.sqrt(n))
    z_slope = slope / (var[0].sqrt() / (centred.std(0) * np.sqrt(n)))
    z_var = (residual.var(0) / var[0] - 1) / np.sqrt(2 / n)
    return torch.cat([z_mean, z_slope, z_var]).abs().max().item()


def mean_off_by_one_percent(x0_, xt_, t):
    mean, var = helpers.posterior(x0_, xt_, t, schedule)
    return mean + 0.01 * (mean - helpers.posterior(x0_, torch.zeros_like(xt_), t, schedule)[0]), var


print(f"eq. 7: largest |z| = {posterior_check(lambda a, b, t: helpers.posterior(a, b, t, schedule)):.1f}")
print(f"coefficient of x_t 1 % too large: largest |z| = {posterior_check(mean_off_by_one_percent):.0f}")
assert posterior_check(lambda a, b, t: helpers.posterior(a, b, t, schedule)) < 4.5 < posterior_check(mean_off_by_one_percent)

# %% [markdown] slideshow={"slide_type": "slide"} translates="29d8a5f2a09b"
# ## 反向步就是在预测的 $\mathbf{x}_0$ 处取值的后验
#
# 模型预测 $\boldsymbol\epsilon$，由此得到一个猜测 $\hat{\mathbf{x}}_0 = (\mathbf{x}_t - \sqrt{1-\bar\alpha_t}\,\boldsymbol\epsilon_\theta)/\sqrt{\bar\alpha_t}$。第 06 课的反向均值 $\boldsymbol\mu_\theta = \frac{1}{\sqrt{\alpha_t}}\big(\mathbf{x}_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\boldsymbol\epsilon_\theta\big)$ 对*任意* $\boldsymbol\epsilon_\theta$ 都恰好等于 $\tilde{\boldsymbol\mu}_t(\mathbf{x}_t, \hat{\mathbf{x}}_0)$：这是一个代数恒等式，不是网络的性质。所以在每一步都用任意向量代替网络的输出来检查它：

# %% translates="bc1f00b8632c"
# 全程使用 float64：这个恒等式用到 alpha_bar_t = alpha_t alpha_bar_{t-1}，而 float32 的 cumprod 只能让它精确到约 1e-7，
# 并且 1 - alpha_bar_t 最小只有 2e-5。
schedule64 = helpers.schedule_from_beta(beta.double())
gen = torch.Generator().manual_seed(1)
for t in range(T):
    xt, eps_pred = torch.randn(2, 1000, 2, generator=gen, dtype=torch.float64)
    ab, a = schedule64.alpha_bar[t], schedule64.alpha[t]
    x0_hat = (xt - (1 - ab).sqrt() * eps_pred) / ab.sqrt()
    mu_theta = (xt - (1 - a) / (1 - ab).sqrt() * eps_pred) / a.sqrt()
    torch.testing.assert_close(mu_theta, helpers.posterior(x0_hat, xt, t, schedule64)[0], rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(mu_theta, helpers.reverse_mean(eps_pred, xt, t, schedule64), rtol=1e-12, atol=1e-14)

# %% [markdown] slideshow={"slide_type": "slide"} translates="35efcd05d0c4"
# ## 每一步的方差：$\beta_t$ 还是 $\tilde\beta_t$
#
# Ho 等人（2020，§3.2）报告，$\sigma_t^2 = \beta_t$ 与 $\sigma_t^2 = \tilde\beta_t$ 的结果相近：前者在 $\mathbf{x}_0 \sim \mathcal N(0, I)$ 时最优，后者在 $\mathbf{x}_0$ 是一个固定点时最优。我们的数据两者都不是：标准差（standard deviation，std）约 0.1，沿一条曲线散开。所以在这里哪个都不是最优的，下面对两者都做度量。两者在最前面的几步相差最大，那里 $\tilde\beta_1 = 0$：

# %%
sigma_beta = helpers.reverse_sigma(torch.arange(T), schedule, "beta") ** 2
sigma_tilde = helpers.reverse_sigma(torch.arange(T), schedule, "beta_tilde") ** 2
torch.testing.assert_close(sigma_tilde[1:], ((1 - alpha_bar[:-1]) / (1 - alpha_bar[1:]) * beta[1:]))
assert sigma_tilde[0] == 0 and (sigma_tilde <= sigma_beta).all()
fig, ax = plt.subplots(figsize=(6, 3))
ax.semilogy(torch.arange(1, T), sigma_beta[1:], label=r"$\beta_t$")
ax.semilogy(torch.arange(1, T), sigma_tilde[1:], label=r"$\tilde\beta_t$")
ax.set(xlabel="step t (0-based)", title=r"$\sigma_t^2$ of the reverse step")
ax.legend()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"} translates="3bdbe46035ec"
# ## 采样循环
#
# 从 $\mathbf{x}_T \sim \mathcal{N}(0, I)$ 出发，对 $t = T, \dots, 1$：
#
# $$\mathbf{x}_{t-1} = \frac{1}{\sqrt{\alpha_t}}\Big(\mathbf{x}_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\boldsymbol\epsilon_\theta(\mathbf{x}_t, t)\Big) + \sigma_t\mathbf{z},
#   \qquad \mathbf{z} \sim \mathcal{N}(0, I) \text{ 若 } t > 1, \text{ 否则 } \mathbf{z} = 0.$$
#
# 最后一步不加噪声（Ho 等人，2020，算法 2）：$\mathbf{x}_0$ 就是均值。采样不计算梯度，所以用 `torch.no_grad()`；而且 `helpers.load_model` 返回的网络处于 `eval()` 模式，这样训练时与推理时行为不同的层（dropout、批量归一化）会采用推理时的行为。噪声先在 CPU 上抽取再移到设备上，因此同一个随机种子在任何设备上都给出相同的样本。

# %%
def sample_loop(model, n, generator):
    x = torch.randn(n, 2, generator=generator).to(device)
    chain = [x]
    with torch.no_grad():
        for t in reversed(range(T)):
            eps_pred = model(x, torch.full((n,), t, device=device))
            x = (x - beta[t] / (1 - alpha_bar[t]).sqrt() * eps_pred) / alpha[t].sqrt()
            if t > 0:
                x = x + beta[t].sqrt() * torch.randn(n, 2, generator=generator).to(device)
            chain.append(x)
    return torch.stack(chain)


chain = sample_loop(model, 10_000, torch.Generator().manual_seed(0))
helper_chain = helpers.sample(model, schedule, 10_000, generator=torch.Generator().manual_seed(0), keep_chain=True)
torch.testing.assert_close(helper_chain, chain)
samples = chain[-1].cpu()
print("chain:", tuple(chain.shape), "= (T + 1 states, points, 2)")

# %% [markdown] slideshow={"slide_type": "slide"} translates="e01614640883"
# ## 用已知曲线度量样本
#
# S 形曲线（S-curve）是一条已知曲线 $\mathbf{c}(u) = (\sin u,\ \mathrm{sign}(u)(\cos u - 1))/10$，$u \in [-3\pi/2, 3\pi/2]$，再加上标准差为 $\delta = 0.01$ 的噪声（第 01 课的噪声；第 06 课把它记作 $\delta$）。因此每个样本都可以投影到曲线上（即离它最近的曲线点，参数为 $u$），并分别回答两个问题：
#
# - **精确度（precision）**：样本离曲线有多远？**偏离曲线均方根（off-curve RMS）**：样本到曲线距离的均方根 ×10³；数据本身约为 10。**离群点比例（strays）**：距曲线超过 $5\delta = 0.05$ 的样本（离群点）所占的百分比；数据为 0。
# - **覆盖度（coverage）**：样本是否均匀地分布在整条曲线上？**覆盖缺口（coverage gap）**：对任意点 $u$，样本中位于 $u$ 之前的份额与曲线位于 $u$ 之前的份额之差，取其中的最大值，以 % 计（一种 Kolmogorov–Smirnov 距离）；数据约为 1。
#
# `helpers.sharp_quality` 计算这些指标；第 09 课会把投影完整写出来，并在多份数据样本上度量每个指标的波动。它还返回一个 NLL（负对数似然），由第 09 课推导的精确密度算出；在那之前只看上面三个指标。

# %%
fresh = helpers.s_curve(10_000, seed=7)
quality = helpers.sharp_quality(samples)
print(f"data:          {helpers.sharp_quality(fresh)}")
print(f"model samples: {quality}")
assert helpers.sharp_quality(fresh).off_curve < 10.3 < quality.off_curve

# %% [markdown] slideshow={"slide_type": "slide"} translates="bdab3c3aa283"
# ## 与分布形式无关的指标：能量距离（energy distance）
#
# 曲线指标（偏离曲线均方根、离群点比例、覆盖缺口）都需要知道曲线。对分布 $P, Q$ 以及独立的 $X, X' \sim P$、$Y, Y' \sim Q$（Székely 和 Rizzo，2013）：
#
# $$\mathcal{E}(P, Q) = 2\,\mathbb{E}\lVert X - Y\rVert - \mathbb{E}\lVert X - X'\rVert - \mathbb{E}\lVert Y - Y'\rVert \;\ge 0,\quad = 0 \iff P = Q.$$
#
# 用所有点对来估计、并跳过每个点到自身的零距离（即无偏的 U 统计量）时，它在同一分布的两份样本之间平均为 0，因此单个值可能低于 0。本课程报告它的 **×10³** 值，对照的是一份同样大小的新 S 形曲线样本。下面是在 1 000 个点上的易读版本，以及在同样这些点上的辅助函数：

# %%
def energy_distance(x, y):
    n, m = len(x), len(y)
    xy = torch.cdist(x, y).mean()
    xx = torch.cdist(x, x).sum() / (n * (n - 1))
    yy = torch.cdist(y, y).sum() / (m * (m - 1))
    return (2 * xy - xx - yy).item()


a, b = samples[:1000].double(), helpers.s_curve(1000, seed=5).double()
assert abs(energy_distance(a, b) - helpers.energy_distance(a, b)) < 1e-12

# %% [markdown] translates="7f7ff4cac796"
# 它在 10 000 个点上的数据下限（data floor），即它在数据的两份样本之间的取值：先是基准测试中十次数据对数据的抽样（docs/benchmarks.md），然后是再抽样一次，接着是训练好的模型，以及平移了 0.01 的数据：

# %%
energy_floor = json.loads(Path("../benchmarks/results/cpu-2core.json").read_text())["data_floor"]["energy"]
print(f"data floor, ten draws: {energy_floor['mean']:6.3f} ± sd {energy_floor['sd']:.3f}")
print(f"data vs data:          {helpers.sample_quality(fresh):6.3f}")
print(f"model samples:         {quality.energy:6.3f}")
print(f"data shifted by 0.01:  {helpers.sample_quality(fresh + 0.01):6.3f}")
assert abs(helpers.sample_quality(fresh)) < 0.1 and quality.energy < 0.3 < helpers.sample_quality(fresh + 0.01)

# %% [markdown] translates="35dd334435dd"
# 按这个指标，模型的这一次抽样落在数据下限的波动范围之内（比数据下限的均值高约 1.3 个标准差）：仅凭一次抽样，无法把模型和数据区分开。上面的偏离曲线均方根则能清楚地区分它们（第 09 课的附录度量了区分得有多清楚）。从这里开始，曲线指标是主要指标，能量距离是次要指标。

# %% [markdown] slideshow={"slide_type": "slide"} translates="188bb5c3add2"
# ## 反向链
#
# 这些是 $p_\theta(\mathbf{x}_t)$ 的样本，不是 $q$ 的：它们来自模型。共 11 张快照，从 $t = 100$ 一直到最终的 $\mathbf{x}_0$，最终结果的质量写在标题中。

# %%
shown = list(range(0, T + 1, 10))
helpers.plot_strip([chain[k].cpu() for k in shown], [f"t = {T - k}" for k in shown],
                   suptitle=f"samples of p_θ(x_t), T → 0   (final: {quality})")
plt.show()

# %%
frames = list(range(0, T + 1, 2))
assert frames[-1] == T
titles = [f"p_θ: t = {T - k}" for k in frames[:-1]] + [f"p_θ: t = 0, off-curve ×10³ {quality.off_curve:.1f}"]
helpers.animate_states([chain[k].cpu() for k in frames], titles, "p_θ(x_t), t = 100 to 0", limit=1.5)

# %% [markdown] slideshow={"slide_type": "slide"} translates="49e7df96cd2e"
# ## 为什么 `no_grad` 和最后一步不加噪声很重要
#
# 参考方案采样时不用 `torch.no_grad()`，于是每一步都留在自动求导（autograd）的计算图中：对一个含 10 000 个点的小批量走 100 步，所有激活值都一直保留着。它还在最后一步加噪声，使结果模糊了 $\sqrt{\beta_1} \approx 0.005$，相当于数据自身噪声的一半。

# %%
x = torch.randn(1000, 2, generator=torch.Generator().manual_seed(2)).to(device)
for t in reversed(range(T)):
    x = helpers.reverse_mean(model(x, torch.tensor(t, device=device)), x, t, schedule)
print("without no_grad, the result carries a graph:", x.grad_fn is not None)
assert x.requires_grad and not helpers.sample(model, schedule, 10, generator=torch.Generator().manual_seed(0)).requires_grad

# %% [markdown] translates="b8cfcdd4fa19"
# 最后一步噪声的影响，在一次抽样上度量：同一批样本不加和加这个噪声时的偏离曲线均方根。这里一次抽样之所以够用，只是因为增幅是数据样本之间偏离曲线均方根波动的许多倍（其标准差约为 0.06–0.09，见第 09 课）；更小的差异该怎么判断，下一节给出规则。

# %%
last_noise = samples + beta[0].sqrt() * torch.randn(samples.shape, generator=torch.Generator().manual_seed(3))
noisy = helpers.sharp_quality(last_noise, energy=False)
print(f"off-curve without / with noise at the last step: {quality.off_curve:.2f} / {noisy.off_curve:.2f}")
print(f"energy distance without / with: {quality.energy:.3f} / {helpers.sample_quality(last_noise):.3f}")
assert noisy.off_curve > quality.off_curve + 0.3

# %% [markdown] slideshow={"slide_type": "slide"} translates="ec68f5096dc8"
# ## $\beta_t$ 还是 $\tilde\beta_t$：实测
#
# 一次抽样什么也决定不了。本课程的规则（见 docs/decisions.md 中的“Evidence: the calibrated rule”一节，即“证据：校准后的规则”）：在相同的种子上运行两种方法，每个种子给两种方法相同的噪声，再取差 $d_k = a_k - b_k$。这些配对差在 $n$ 个种子上的均值 $\bar d$ 和标准差 $s$ 给出 95% 置信区间
#
# $$\bar d \pm t_{0.975,\,n-1}\, \frac{s}{\sqrt n},$$
#
# 只有当区间不包含 0 时，判定（verdict）才是“better”（更好）；否则是“undecided”（未定）。只数种子是不够的：当 A 与 B 实际上一样好时，“A 在 5 个种子上全都更好”平均每 32 次就会偶然出现 1 次（A、B 任一方全胜，则是每 16 次 1 次）。`helpers.compare` 逐个种子运行两种方法，打印每个差值、区间和判定。这里用的是同一个网络、两种方差，十个种子中的每一个都让两者的起点和噪声相同。

# %%
def off_curve_with(sigma):
    def run(seed):
        cloud = helpers.sample(model, schedule, 2_500, generator=torch.Generator().manual_seed(seed), sigma=sigma).cpu()
        return helpers.sharp_quality(cloud, energy=False).off_curve
    return run


data_off_curve = helpers.sharp_quality(helpers.s_curve(10_000, seed=1), energy=False).off_curve
variances = helpers.compare(off_curve_with("beta_tilde"), off_curve_with("beta"), seeds=range(10),
                            names=("sigma^2 = beta~", "sigma^2 = beta"), target=data_off_curve)
print(f"the data's own off-curve: {data_off_curve:.2f}; the table holds each run's distance from it")
print(variances)
assert variances.a_better

# %% [markdown] translates="7b156e13840d"
# 偏离曲线均方根比较的是它与数据自身取值的距离（`target=`）：比数据更集中（sharper than the data）的曲线并不更好。对这个网络，$\tilde\beta_t$ 让偏离曲线均方根更接近数据的值：差值的区间落在 0 以下（见上面的输出）。它的样本加入的噪声更少，而网络自身的误差已经让样本变模糊了。第 09 课表明，换成*完美*的网络，情况正好相反：那时 $\tilde\beta_t$ 采出的曲线比数据更集中（偏离曲线均方根低于 10，这并不更好）。`helpers.sample` 默认保持 $\sigma_t^2 = \beta_t$，即参考方案的选择，以便各课的数字保持可比；第 08 课的默认方案用 $\tilde\beta_t$ 采样（即其中的 `sigma`），它的消融实验度量了这一选择。

# %% [markdown] slideshow={"slide_type": "slide"} translates="c06ae8b284ad"
# ## 先验失配
#
# 参考方案的 $\bar\alpha_T = 0.778$：训练时网络从未见过像 $\mathcal{N}(0, I)$ 那样分散的 $\mathbf{x}_T$，采样却偏偏从那里出发。改为从真实的 $q(\mathbf{x}_T)$ 出发再做比较——采样器没有数据是做不到这一点的：

# %%
x_T = helpers.q_sample(helpers.s_curve(10_000, seed=11), T - 1, schedule, generator=torch.Generator().manual_seed(11))
from_q = helpers.sample(model, schedule, 10_000, generator=torch.Generator().manual_seed(0), x_T=x_T).cpu()
quality_q = helpers.sharp_quality(from_q, energy=False)
fig, axes = plt.subplots(1, 2, figsize=(8, 4.4))
helpers.plot_points(samples, ax=axes[0], title=f"from N(0, I), σ² = β\noff-curve {quality.off_curve:.2f}, gap {quality.coverage_gap:.1f}%")
helpers.plot_points(from_q, ax=axes[1], title=f"from q(x_T), σ² = β\noff-curve {quality_q.off_curve:.2f}, gap {quality_q.coverage_gap:.1f}%")
fig.tight_layout()
plt.show()

# %% [markdown] translates="1f69c7ca3a3c"
# 单次运行不能定论：覆盖缺口的数据下限的标准差约为 0.3 个百分点。第 09 课用精确网络（exact network）在五个种子上给出了答案：对这个随机采样器，测不出起点带来的任何代价；而第 10 课表明，对确定性采样器，这个代价很大。尽管如此，失配是真实存在的。在第 06 课的证据下界（evidence lower bound，ELBO）中，它就是 $L_T = D_\mathrm{KL}(q(\mathbf{x}_T\mid\mathbf{x}_0)\,\|\,\mathcal{N}(0, I))$ 这一项，按第 06 课的做法计算（第 13 课会手工推导它），只有当 $q(\mathbf{x}_T\mid\mathbf{x}_0)$ 本身就是 $\mathcal{N}(0, I)$ 时才为 0；而且采样器的起点中有三分之一落在训练几乎从不放置 $\mathbf{x}_T$ 的地方：

# %%
q_T_given_x0 = torch.distributions.Normal(alpha_bar[-1].sqrt() * x0, (1 - alpha_bar[-1]).sqrt())
L_T = torch.distributions.kl_divergence(q_T_given_x0, torch.distributions.Normal(0.0, 1.0)).sum(1).mean()
start = torch.randn(10_000, 2, generator=torch.Generator().manual_seed(0))
far_start, far_q = (start.norm(dim=1) > 1.5).float().mean().item(), (x_T.norm(dim=1) > 1.5).float().mean().item()
print(f"L_T = {L_T:.2f} nats per point (≈ 0 for a schedule that ends in noise)")
print(f"starting points with |x_T| > 1.5: N(0, I) {far_start:.0%}, q(x_T) {far_q:.1%}")
assert L_T > 0.5 and far_start > 10 * far_q

# %% [markdown] translates="0c6e2a851512"
# 解决办法是换一个 $\bar\alpha_T \approx 0$ 的噪声调度（noise schedule，见第 02 课），代价是去噪问题更难；或者换一个与 $\mathbf{x}_T$ 的尺度相匹配的起点。第 09 课度量了每种起点的代价。

# %% [markdown] slideshow={"slide_type": "slide"} translates="a16b0abf2c76"
# ## 博客的笔误，故意运行一次
#
# 那篇中文博客教程把均值印成了 $(1 - \sqrt{1-\beta_t})\,(\mathbf{x}_t - \ldots)$，而不是 $\frac{1}{\sqrt{1-\beta_t}}(\mathbf{x}_t - \ldots)$。正确的系数约为 $1 + \beta_t/2$，略大于 1；笔误中的系数约为 $\beta_t/2 \le 2.5\cdot10^{-3}$。**下面这个单元格是故意写错的：**

# %% [markdown] slideshow={"slide_type": "notes"} translates="4a6de7b651f4"
# **讲师提示。** 运行这个笔误单元格之前，先请学生预测图会是什么样子。一个错误的系数就让 S 完全消失。

# %% translates="0b77834c9dc7"
def sample_with_typo(model, n, generator):
    x = torch.randn(n, 2, generator=generator).to(device)
    with torch.no_grad():
        for t in reversed(range(T)):
            eps_pred = model(x, torch.tensor(t, device=device))
            x = (1 - (1 - beta[t]).sqrt()) * (x - beta[t] / (1 - alpha_bar[t]).sqrt() * eps_pred)  # 故意写错
            if t > 0:
                x = x + beta[t].sqrt() * torch.randn(n, 2, generator=generator).to(device)
    return x.cpu()


typo = sample_with_typo(model, 10_000, torch.Generator().manual_seed(0))
quality_typo = helpers.sharp_quality(typo)
helpers.plot_points(typo, title=f"with the typo: {quality_typo}")
plt.show()

# %% [markdown] translates="e1ef39908c14"
# 每一步把点乘以至多 $2.5\cdot10^{-3}$；步与步之间加入的噪声随后也被压缩，而最后一步不加噪声。所有点都塌缩到原点：一个错误的系数就让 S 完全消失。
#
# 注意偏离曲线均方根这个数：曲线经过原点，所以塌缩后的点云恰好*在*曲线上。只看精确度指标，会认为这是一份好样本；覆盖缺口（所有 $u$ 都集中在一处：约 50%）和能量距离则不会。这就是本课程总是同时报告精确度和覆盖度的原因。

# %%
print(f"std of the typo's samples: {typo.std().item():.0e} (the data's: {x0.std().item():.2f})")
print(f"off-curve {quality_typo.off_curve:.2f}, coverage gap {quality_typo.coverage_gap:.0f}%, energy distance {quality_typo.energy:.0f}")
assert quality_typo.coverage_gap > 40 and quality_typo.energy > 100 * quality.energy

# %% [markdown] slideshow={"slide_type": "slide"} translates="3589a7a761d1"
# ## 小结
#
# - $q(\mathbf{x}_{t-1}\mid\mathbf{x}_t,\mathbf{x}_0) = \mathcal{N}(\tilde{\boldsymbol\mu}_t, \tilde\beta_t I)$；反向均值就是 $\tilde{\boldsymbol\mu}_t$ 在预测的 $\hat{\mathbf{x}}_0$ 处的取值。
# - 采样：从 $\mathcal{N}(0, I)$ 出发反向走 $T$ 步，最后一步不加噪声，在 `no_grad` 和 `eval()` 下进行。
# - 质量对照已知曲线来度量：偏离曲线均方根和离群点比例（精确度），覆盖缺口（覆盖度）；能量距离与分布形式无关，可作辅助参考，但它的数据下限太宽，看不出最后一步的噪声。
# - 参考方案的先验失配是证据下界中实实在在的一项（$L_T \approx 0.74$ nats）；第 09 课度量它的代价。博客的笔误让所有样本都塌缩到原点，而原点就在曲线上：偏离曲线均方根看不出问题，覆盖缺口和能量距离能看出来。
#
# **参考文献。** Ho, Jain & Abbeel 2020，式 6–7（后验）、式 11（反向均值）、§3.2（σ² 的选择）和算法 2；Székely & Rizzo 2013，*Energy statistics*；参考方案：acids-ircam 的 `diffusion_models` 笔记本（2021），以及复现它们的那篇中文博客教程。

# %% [markdown] slideshow={"slide_type": "slide"} translates="f74d47d93b13"
# ## 练习（解答：`%load ../notebooks/solutions/07_1.py`、`07_2.py`；每个解答都以相应的检查结尾；解答文件中的注释为英文）
#
# **1. 先预测，再检查。** 下面的单元格用 $\sigma_t^2 = \tilde\beta_t$（种子 0）采出 10 000 个样本，并打印它们的偏离曲线均方根。像参考方案的最后一步那样，给它们加上独立的 $\mathcal N(0, \beta_1 I)$ 噪声。在运行任何其他代码之前，先预测新的偏离曲线均方根 ×10³；检查会度量它，并告诉你：你的预测与实测值之差是否在 3% 以内。

# %% translates="d4bb69899e5f"
tilde = helpers.sample(model, schedule, 10_000, generator=torch.Generator().manual_seed(0), sigma="beta_tilde").cpu()
print(f"off-curve of these samples: {helpers.sharp_quality(tilde, energy=False).off_curve:.2f}")
predicted_off_curve = None  # 你预测的数值

helpers.check_exercise("07.1", predicted_off_curve)

# %% [markdown] translates="3181b9186958"
# **2. 先推导，再编写。** 跳步的采样器（第 10 课）一次后退两步，从 $\mathbf{x}_t$ 到 $\mathbf{x}_{t-2}$。编写函数 `two_step_variance(schedule)`：对论文中的 $t = 2, \dots, T$，返回 $q(\mathbf{x}_{t-2}\mid\mathbf{x}_t,\mathbf{x}_0)$ 的方差，一个形状为 `(T - 1,)` 的张量（取 $\bar\alpha_0 = 1$）。

# %% translates="e067156d7500"
def two_step_variance(schedule):
    return None  # 在这里写你的代码


helpers.check_exercise("07.2", two_step_variance)
