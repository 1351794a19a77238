# %% [markdown] slideshow={"slide_type": "slide"} translates="6b35e41318ef"
# # 第 04 课——跳到任意 $t$：$q(\mathbf{x}_t \mid \mathbf{x}_0)$ 的闭式表达式
#
# **目标。** 推导出 $t$ 个前向步可以合并成一个高斯分布：$q(\mathbf{x}_t \mid \mathbf{x}_0) = \mathcal{N}(\sqrt{\bar\alpha_t}\,\mathbf{x}_0, (1-\bar\alpha_t) I)$。我们对照第 03 课的循环对它做精确检查（并说明这项检查能发现 1% 的误差），再从统计上比较两者，并弄清为什么正是这个闭式表达式（closed form）让训练的开销变得很小。
#
# **预备知识。** 学过第 03 课，即单步形式的前向过程（forward process）；知道相互独立的高斯变量之和仍服从高斯分布。

# %% slideshow={"slide_type": "subslide"}
import matplotlib.pyplot as plt
import numpy as np
import torch
from scipy import stats

import helpers

torch.manual_seed(0)
x0 = helpers.s_curve(10_000)
schedule = helpers.sigmoid_schedule(100)
T, alpha, alpha_bar = schedule.T, schedule.alpha, schedule.alpha_bar

# %% [markdown] slideshow={"slide_type": "slide"} translates="5927c0296e0a"
# ## 两步合成一步
#
# 把一步写成 $\mathbf{x}_t = \sqrt{\alpha_t}\,\mathbf{x}_{t-1} + \sqrt{1-\alpha_t}\,\boldsymbol\epsilon_t$，再代入它的前一步：
#
# $$\mathbf{x}_t = \sqrt{\alpha_t\alpha_{t-1}}\,\mathbf{x}_{t-2}
#    + \underbrace{\sqrt{\alpha_t(1-\alpha_{t-1})}\,\boldsymbol\epsilon_{t-1} + \sqrt{1-\alpha_t}\,\boldsymbol\epsilon_t}_{\text{相互独立的高斯变量}}.$$
#
# 相互独立、均值为零的高斯变量之和，仍是均值为零的高斯变量，其方差等于各项方差之和：
#
# $$\alpha_t(1-\alpha_{t-1}) + (1-\alpha_t) = 1 - \alpha_t\alpha_{t-1},$$
#
# 所以 $\mathbf{x}_t = \sqrt{\alpha_t\alpha_{t-1}}\,\mathbf{x}_{t-2} + \sqrt{1-\alpha_t\alpha_{t-1}}\,\bar{\boldsymbol\epsilon}$，其中只有一个 $\bar{\boldsymbol\epsilon} \sim \mathcal{N}(0, I)$。（方差那一行只是代数运算；下面的检查验证的是由它推出的结果。）

# %% [markdown] slideshow={"slide_type": "notes"} translates="7ec0069ff3dc"
# **讲师提示。** 先当着全班的面手算两步的情形；归纳步是同一个计算，只是把 α_{t-1} 换成 ᾱ_{t-1}。

# %% [markdown] slideshow={"slide_type": "slide"} translates="8943c94ed6cb"
# ## 数学归纳法
#
# 设 $\mathbf{x}_{t-1} = \sqrt{\bar\alpha_{t-1}}\,\mathbf{x}_0 + \sqrt{1-\bar\alpha_{t-1}}\,\bar{\boldsymbol\epsilon}$。再走一步，得到 $\sqrt{\alpha_t\bar\alpha_{t-1}}\,\mathbf{x}_0$，外加方差为 $\alpha_t(1-\bar\alpha_{t-1}) + (1-\alpha_t) = 1 - \bar\alpha_t$ 的独立噪声。由于 $\bar\alpha_1 = \alpha_1$，命题在 $t = 1$ 时成立，因此对每个 $t$ 都成立（Ho 等人，2020，式 4）：
#
# $$\boxed{\;q(\mathbf{x}_t \mid \mathbf{x}_0) = \mathcal{N}\big(\sqrt{\bar\alpha_t}\,\mathbf{x}_0,\ (1-\bar\alpha_t) I\big),
# \qquad \mathbf{x}_t = \sqrt{\bar\alpha_t}\,\mathbf{x}_0 + \sqrt{1-\bar\alpha_t}\,\boldsymbol\epsilon\;}$$
#
# 归纳用到了 $\bar\alpha_t = \alpha_t\bar\alpha_{t-1}$；噪声调度（noise schedule）的 `alpha_bar` 必须在每一步都满足它（`alpha_bar` 的下标若错开一位，就不满足）：

# %%
a_t, ab_t, ab_prev = alpha[1:].double(), alpha_bar[1:].double(), alpha_bar[:-1].double()
torch.testing.assert_close(a_t * (1 - ab_prev) + (1 - a_t), 1 - ab_t)
torch.testing.assert_close(alpha_bar[0], alpha[0])

# %% [markdown] slideshow={"slide_type": "slide"} translates="8388bff341e4"
# ## 噪声从哪里来：逐项来看
#
# 这次不合并，而是把循环展开：记 $\boldsymbol\epsilon_s$ 为第 $s$ 步抽取的噪声，则 $t$ 步之后
#
# $$\mathbf{x}_t - \sqrt{\bar\alpha_t}\,\mathbf{x}_0 = \sum_{s=1}^{t} c_s\,\boldsymbol\epsilon_s,\qquad
#   c_s = \sqrt{1-\alpha_s}\prod_{k=s+1}^{t}\sqrt{\alpha_k} = \sqrt{\beta_s\,\bar\alpha_t/\bar\alpha_s}.$$
#
# 各项的方差加起来恰好等于闭式给出的方差，因为这个和可以裂项相消：
#
# $$\sum_{s=1}^{t} c_s^2 = \bar\alpha_t\sum_{s=1}^{t}\frac{1-\alpha_s}{\bar\alpha_s}
#   = \bar\alpha_t\sum_{s=1}^{t}\Big(\frac{1}{\bar\alpha_s} - \frac{1}{\bar\alpha_{s-1}}\Big) = 1 - \bar\alpha_t
#   \qquad(\bar\alpha_0 = 1).$$
#
# 由此可以对任何一个声称成立的闭式做**精确**检查，完全不需要统计方法：把循环运行一次（用 float64），保留它抽取的每个 $\boldsymbol\epsilon_s$，然后在每个 $t$ 上验证命题的两部分。

# %%
def loop_with_noises(x0, beta):
    """Lesson 03's loop in float64: every state x_0 .. x_T, and the eps_s drawn at each step, stacked."""
    x, loop, noises = x0.double(), [x0.double()], []
    for step in range(len(beta)):
        eps_step = torch.randn_like(x)
        x = (1 - beta[step]).sqrt() * x + beta[step].sqrt() * eps_step
        loop.append(x)
        noises.append(eps_step)
    return loop, torch.stack(noises)


beta64 = schedule.beta.double()
loop, noises = loop_with_noises(x0, beta64)

# %% [markdown] translates="5b484dded22a"
# `closed_form(x0, t, eps)` 声称 $\mathbf{x}_t = \sqrt{\bar\alpha_t}\,\mathbf{x}_0 + \sqrt{1-\bar\alpha_t}\,\boldsymbol\epsilon$：取 $\boldsymbol\epsilon = 0$，它给出其中的 $\mathbf{x}_0$ 部分；取 $\mathbf{x}_0 = 0, \boldsymbol\epsilon = 1$，它给出噪声系数。容差按 float32 的舍入误差设定：相对容差 $10^{-5}$，方差上另加绝对容差 $10^{-6}$，因为在论文记法的 $t = 1$ 附近，用 float32 算出的差 $1 - \bar\alpha_t$ 只剩大约三位有效数字。

# %%
def check_closed_form(closed_form, x0, loop, noises, beta):
    """closed_form(x0, t, eps) against the loop: x_0 part = loop[t + 1] - sum_s c_s eps_s, and b_t^2 = sum_s c_s^2."""
    alpha_bar = torch.cumprod(1 - beta, dim=0)
    zeros, ones = torch.zeros_like(x0), torch.ones_like(x0)
    for t in range(len(beta)):
        c = (beta[: t + 1] * alpha_bar[t] / alpha_bar[: t + 1]).sqrt()
        signal = loop[t + 1] - torch.einsum("s,snd->nd", c, noises[: t + 1])
        gap = ((closed_form(x0, t, zeros).double() - signal).abs().max() / signal.abs().max()).item()
        assert gap < 1e-5, f"t = {t + 1}: the x_0 part is off by {gap:.1e} (relative)"
        gap = (closed_form(zeros, t, ones).double() ** 2 - (c**2).sum()).abs().max().item()
        assert gap < 1e-6 + 1e-5 * (c**2).sum(), f"t = {t + 1}: the noise variance is off by {gap:.1e}"


def closed_form(x0, t, eps):
    return alpha_bar[t].sqrt() * x0 + (1 - alpha_bar[t]).sqrt() * eps


check_closed_form(closed_form, x0.double(), loop, noises, beta64)

# %% [markdown] translates="72f4cce9046a"
# **能发现小错误吗？** 对一个 $\sqrt{\bar\alpha_t}$ 大了 1% 的闭式，以及一个忘了给噪声方差开平方根的闭式，做同样的检查：

# %%
def one_percent_off(x0, t, eps):
    return 1.01 * alpha_bar[t].sqrt() * x0 + (1 - alpha_bar[t]).sqrt() * eps


def no_square_root(x0, t, eps):
    return alpha_bar[t].sqrt() * x0 + (1 - alpha_bar[t]) * eps


for wrong in (one_percent_off, no_square_root):
    try:
        check_closed_form(wrong, x0.double(), loop, noises, beta64)
        print(f"{wrong.__name__}: passes (not caught)")
    except AssertionError as error:
        print(f"{wrong.__name__}: caught, {error}")

# %% [markdown] slideshow={"slide_type": "slide"} translates="c664fefb3909"
# ## 代码
#
# 一行就够，适用于任意一步 $t$。代码中的步 $t$（step t in code）从 0 数起，所以 `t = T - 1` 对应 $\mathbf{x}_T$：

# %%
t = T - 1
eps = torch.randn_like(x0)
xt = alpha_bar[t].sqrt() * x0 + (1 - alpha_bar[t]).sqrt() * eps

# %% [markdown] translates="fd9119be06a8"
# `helpers.q_sample` 做的是同一件事，也能通过精确检查；它还允许每个点取各自不同的步 $t$，训练时会用到这一点：

# %%
torch.testing.assert_close(helpers.q_sample(x0, t, schedule, eps=eps), xt)
check_closed_form(lambda x, step, e: helpers.q_sample(x, step, schedule, eps=e), x0.double(), loop, noises, beta64)
steps = torch.randint(0, T, (x0.shape[0],))
per_point = alpha_bar[steps].sqrt().unsqueeze(1) * x0 + (1 - alpha_bar[steps]).sqrt().unsqueeze(1) * eps
torch.testing.assert_close(helpers.q_sample(x0, steps, schedule, eps=eps), per_point)

# %% [markdown] slideshow={"slide_type": "slide"} translates="2d9505d6c560"
# ## 统计比较及其局限
#
# 换用样本来回答同一个问题：第 03 课的循环从第 01 课的数据集出发，闭式则从**独立**抽取的另一份 S 形曲线（S-curve）数据出发（随机种子为 1）。两者在每一步给出的分布是否相同？两份数据独立抽取，两团点云也就相互独立，所以下面的标准误是正确的。

# %%
x0_other = helpers.s_curve(10_000, seed=1)
chain = [x0]
for step in range(T):
    chain.append(helpers.q_step(chain[-1], step, schedule))
closed = [x0_other] + [helpers.q_sample(x0_other, step, schedule) for step in range(T)]

# %% [markdown] translates="e2db73bb8ee0"
# **均值与协方差。** 对大小均为 $n$ 的两组独立样本 $a$ 和 $b$，两个均值之差的标准误是 $\sqrt{(\mathrm{sd}_a^2 + \mathrm{sd}_b^2)/n}$，其中 $\mathrm{sd}_a, \mathrm{sd}_b$ 是它们的标准差（standard deviation，std）。协方差矩阵的一个元素是乘积 $(a_i - \bar a_i)(a_j - \bar a_j)$ 的均值，所以它的标准误由这些乘积的方差得出，不需要假设高斯分布。在 100 步中的每一步，我们都允许 5 个标准误的偏差（共 200 个均值、300 个协方差矩阵元素）：若闭式正确，每一项超限的概率约为 $6\cdot10^{-7}$。
#
# **整个分布。** 即使均值和协方差都一致，分布的形状也可能不同。双样本 Kolmogorov–Smirnov（KS）检验比较的是完整的一维分布；我们在 $t = 10, 20, \dots, 100$ 时，把它用于两个坐标和 8 个随机方向。对独立样本而言，两个分布一致时，每个 p 值都在 [0, 1] 上均匀分布；共做 100 次检验，我们要求每个 p 值都高于 $10^{-4}$（按 Bonferroni 校正，总的显著性水平为 1%）。

# %%
def moment_gaps(a, b):
    """Largest gap, in standard errors, between the means and between the covariance entries of a and b."""
    a, b, n, m = a.double(), b.double(), a.shape[0], b.shape[0]
    mean_z = ((a.mean(0) - b.mean(0)).abs() / (a.var(0) / n + b.var(0) / m).sqrt()).max().item()

    def products(x):
        c = x - x.mean(0)
        return torch.stack([c[:, 0] ** 2, c[:, 1] ** 2, c[:, 0] * c[:, 1]], dim=1)

    pa, pb = products(a), products(b)
    cov_z = ((pa.mean(0) - pb.mean(0)).abs() / (pa.var(0) / n + pb.var(0) / m).sqrt()).max().item()
    return mean_z, cov_z


def check_same_distribution(chain, closed, directions):
    """Means and covariances within 5 standard errors at every step; KS p-values above 1e-4 at every 10th."""
    for step in range(1, len(chain)):
        mean_z, cov_z = moment_gaps(chain[step], closed[step])
        assert mean_z < 5 and cov_z < 5, f"t = {step}: means {mean_z:.1f}, covariances {cov_z:.1f} standard errors apart"
    for step in range(10, len(chain), 10):
        for d in directions:
            p = stats.ks_2samp((chain[step] @ d).numpy(), (closed[step] @ d).numpy()).pvalue
            assert p > 1e-4, f"t = {step}: KS p-value {p:.1e}"


generator = torch.Generator().manual_seed(1)
directions = torch.cat([torch.eye(2), torch.nn.functional.normalize(torch.randn(8, 2, generator=generator), dim=1)])
check_same_distribution(chain, closed, directions)
gaps = [moment_gaps(chain[step], closed[step]) for step in range(1, T + 1)]
print(f"largest gaps: means {max(g[0] for g in gaps):.1f}, covariances {max(g[1] for g in gaps):.1f} standard errors")

# %% [markdown] translates="85a5687309fb"
# **它的局限。** 把它用在偏差 1% 的闭式和缺了平方根的闭式上：

# %%
for wrong in (one_percent_off, no_square_root):
    wrong_closed = [x0_other] + [wrong(x0_other, step, torch.randn_like(x0_other)) for step in range(T)]
    try:
        check_same_distribution(chain, wrong_closed, directions)
        print(f"{wrong.__name__}: passes (not caught)")
    except AssertionError as error:
        print(f"{wrong.__name__}: caught, {error}")

# %% [markdown] translates="d7daeeec9db4"
# $\sqrt{\bar\alpha_t}$ 上 1% 的误差，最多让 $\mathbf{x}_t$ 的分散程度大 1%（这发生在前面几步，那时 $\mathbf{x}_t$ 几乎就是 $\mathbf{x}_0$）；比较两团各有 10 000 个点的点云时，这大约只相当于一个标准误：统计比较看不出它，上面的精确检查却能看出。严重的错误（比如缺了平方根）两项检查都通不过。
#
# 再看图：选两个时间步，把两者并排画出来。

# %%
fig, axes = plt.subplots(2, 2, figsize=(7.5, 7.5))
for row, step in zip(axes, (30, 100)):
    helpers.plot_points(chain[step], ax=row[0], title=f"loop, t = {step}", limit=1.5)
    helpers.plot_points(closed[step], ax=row[1], title=f"closed form, t = {step}", limit=1.5, color="C1")
fig.tight_layout()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"} translates="c615f4c9054c"
# ## 闭式为什么重要
#
# 训练（第 06 课）需要在随机抽取的时间步上取训练样本 $(\mathbf{x}_t, t)$。这些训练样本之所以代价很低，是因为 $q(\mathbf{x}_t \mid \mathbf{x}_0)$ 有闭式（Ho 等人，2020，式 4）。写成 $\mathbf{x}_t = \sqrt{\bar\alpha_t}\,\mathbf{x}_0 + \sqrt{1-\bar\alpha_t}\,\boldsymbol\epsilon$ 后，它带来两点好处：
#
# 1. **代价。** 步 $t$ 上的一个训练样本只需抽一次噪声，而不必把循环运行 $t$ 步。
# 2. **目标值。** 生成 $\mathbf{x}_t$ 的那个 $\boldsymbol\epsilon$ 是已知的，所以可以训练一个网络去预测它。
#
# 把随机的 $\mathbf{x}_t$ 写成 $\mathbf{x}_0$ 与一个服从标准正态分布的 $\boldsymbol\epsilon$ 的确定函数，叫作**重参数化**（reparameterisation）。梯度不需要穿过 $\mathbf{x}_t$ 传播：在去噪扩散概率模型（DDPM）中，噪声调度是固定的，$\mathbf{x}_0$ 是数据，所以 $\mathbf{x}_t$ 的上游没有任何需要学习的量。（在变分自编码器（VAE）中，正是同样的改写让梯度能传到编码器；这里并不需要它起这个作用。）

# %%
print("noise draws to reach t = 100: loop", T, "| closed form", 1)

# %% [markdown] slideshow={"slide_type": "slide"} translates="37bd64c4ec37"
# ## 小结
#
# - $t$ 个高斯步可以合成一步：$\mathbf{x}_t = \sqrt{\bar\alpha_t}\,\mathbf{x}_0 + \sqrt{1-\bar\alpha_t}\,\boldsymbol\epsilon$，因为 $\mathbf{x}_t - \sqrt{\bar\alpha_t}\mathbf{x}_0 = \sum_s c_s\boldsymbol\epsilon_s$，且 $\sum_s c_s^2 = 1 - \bar\alpha_t$。
# - 用循环自己抽取的噪声做精确检查，能发现 $\sqrt{\bar\alpha_t}$ 上 1% 的误差；对 10 000 个点做统计比较（两份独立抽取的数据）则发现不了，但能发现严重的错误。
# - 有了闭式，一个训练样本只需抽一次噪声，而且闭式给出了回归目标 $\boldsymbol\epsilon$。

# %% [markdown] slideshow={"slide_type": "slide"} translates="74e7023ec44c"
# ## 练习（解答：`%load ../notebooks/solutions/04_1.py`、`04_2.py`、`04_3.py`，每个解答都以相应的检查结尾；解答文件中的注释为英文）
#
# **1.** 一个噪声调度每一步的方差都是同一个常数 $\beta$：走多少步之后，$\bar\alpha$ 会降到某个目标值或更低？编写函数 `steps_to_reach(beta, alpha_bar_target)`（输入浮点数，输出一个整数），不要对各步做循环。（取 $\beta = 0.01$，走多少步之后，数据的方差至多保留 1%？）

# %% translates="a35a2516ab47"
def steps_to_reach(beta, alpha_bar_target):
    return None  # 在这里写你的代码


helpers.check_exercise("04.1", steps_to_reach)

# %% [markdown] translates="8fb87f814692"
# **2.** 反解闭式：已知 $\mathbf{x}_t$、噪声 $\boldsymbol\epsilon$ 和 $\bar\alpha_t$，求出 $\mathbf{x}_0$。编写函数 `x0_from_eps(xt, eps, alpha_bar_t)`。（第 07 课用的正是这个式子，只是其中的 ε 是*预测*出来的。）

# %% translates="4404cf20356c"
def x0_from_eps(xt, eps, alpha_bar_t):
    return None  # 在这里写你的代码


helpers.check_exercise("04.2", x0_from_eps)

# %% [markdown] translates="540952ff24b5"
# **3. 先预测。** $\mathbf{x}_T = 0.882\,\mathbf{x}_0 + 0.471\,\boldsymbol\epsilon$。一个数据点的第二个坐标（$z$）与它的 $\mathbf{x}_T$ 的第二个坐标之间的相关系数是多少？先写下你预测的数值，再运行这个单元格；检查会为 10 000 个点抽取 $\mathbf{x}_T$，并告诉你预测是否在 10% 以内。

# %% translates="67814e1134e3"
prediction = None  # 你预测的数值

helpers.check_exercise("04.3", prediction)

# %% [markdown] slideshow={"slide_type": "slide"} translates="6ba979f1bbb8"
# ## 参考文献
#
# - J. Ho, A. Jain, P. Abbeel (2020). *Denoising Diffusion Probabilistic Models.* NeurIPS. 式 2：前向过程的一步；式 4：$q(\mathbf{x}_t\mid\mathbf{x}_0) = \mathcal{N}(\sqrt{\bar\alpha_t}\mathbf{x}_0, (1-\bar\alpha_t)I)$。
# - D. Kingma, M. Welling (2014). *Auto-Encoding Variational Bayes.* ICLR. 重参数化技巧，在那里它是求梯度所必需的。
# - 参考方案（reference recipe，即第 01 课那篇博客教程中的方案）一步就从 $\mathbf{x}_0$ 抽出 $\mathbf{x}_t$，与 P. Esling 的 `diffusion_models` 笔记本（ACIDS，IRCAM，2021）中 `q_sample` 的做法相同。
