# %% [markdown] slideshow={"slide_type": "slide"} translates="68d368cf8f81"
# # 第 03 课——前向过程
#
# **目标。** 一步一步地运行加噪链，看着 S 形曲线（S-curve）逐渐消散。我们把单步 $q(\mathbf{x}_t \mid \mathbf{x}_{t-1})$ 写成遍历全部 $T$ 步的循环，对照一个公式检查它的方差，画出参考方案（reference recipe）中的那一排快照，用滑块沿时间轴前后移动，最后把它播放成动画。
#
# **预备知识。** 第 01 课（数据）和第 02 课（β、α、ᾱ 以及代码中从 0 开始的下标）。

# %% slideshow={"slide_type": "subslide"}
import math

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch

import helpers

torch.manual_seed(0)
x0 = helpers.s_curve(10_000)
schedule = helpers.sigmoid_schedule(100)
T, beta = schedule.T, schedule.beta

# %% [markdown] slideshow={"slide_type": "slide"} translates="ce32a4ef9705"
# ## 单步
#
# 每一步都把当前的点稍稍收缩，再加上少许高斯噪声：
#
# $$q(\mathbf{x}_t \mid \mathbf{x}_{t-1}) = \mathcal{N}\big(\sqrt{1-\beta_t}\,\mathbf{x}_{t-1},\ \beta_t I\big),
# \qquad \mathbf{x}_t = \sqrt{1-\beta_t}\,\mathbf{x}_{t-1} + \sqrt{\beta_t}\,\boldsymbol\epsilon_t,\quad \boldsymbol\epsilon_t \sim \mathcal{N}(0, I).$$
#
# 收缩因子取 $\sqrt{1-\beta_t}$，是为了让方差为 1 的数据保持方差为 1。把这一步连续运行全部 $T$ 步，并保留从 $\mathbf{x}_0$ 到 $\mathbf{x}_T$ 的每一个状态：

# %%
x = x0
states = [x0]
for t in range(T):
    x = (1 - beta[t]).sqrt() * x + beta[t].sqrt() * torch.randn_like(x)
    states.append(x)
len(states)

# %% [markdown] translates="a8d60227b245"
# `helpers.q_step` 执行的是同样的一步。给定同一个 $\boldsymbol\epsilon$，它必须给出同一个点：

# %%
eps = torch.randn_like(x0)
torch.testing.assert_close(helpers.q_step(x0, 42, schedule, eps=eps), (1 - beta[42]).sqrt() * x0 + beta[42].sqrt() * eps)

# %% [markdown] slideshow={"slide_type": "slide"} translates="206836357718"
# ## 检查方差
#
# 每一步加入的噪声是独立的，所以方差相加：对每个坐标，$\mathrm{Var}(x_t) = (1-\beta_t)\,\mathrm{Var}(x_{t-1}) + \beta_t$。从数据的方差出发迭代这个递推式，并在每一步与链的经验方差比较。

# %%
var = x0.var(dim=0)
predicted_std = [var.sqrt()]
for t in range(T):
    var = (1 - beta[t]) * var + beta[t]
    predicted_std.append(var.sqrt())
predicted_std = torch.stack(predicted_std)
empirical_std = torch.stack([state.std(dim=0) for state in states])
print("predicted std at T:", np.round(predicted_std[-1].numpy(), 3))
print("empirical std at T:", np.round(empirical_std[-1].numpy(), 3))

# %% [markdown] translates="1d6f2ccb4f32"
# 由 $n$ 个点算出的样本标准差（standard deviation，std），其标准误约为 $\mathrm{std}/\sqrt{2n}$（对近似高斯的数据而言）；$n = 10\,000$ 时，它是 σ 的 0.7%。在全部 100 步、每步 2 个坐标上，我们都允许 5 个标准误的偏差；若链是正确的，每一处超限的概率约为 $6\cdot10^{-7}$。

# %%
def check_variance(states, beta):
    """Every state's std per coordinate within 5 standard errors of the variance recursion started at states[0]."""
    var, n = states[0].var(dim=0), states[0].shape[0]
    for t in range(len(beta)):
        var = (1 - beta[t]) * var + beta[t]
        z = ((states[t + 1].std(dim=0) - var.sqrt()).abs() / (var.sqrt() / math.sqrt(2 * n))).max().item()
        assert z < 5, f"std at t = {t + 1} is {z:.1f} standard errors from the recursion"


check_variance(states, beta)

# %% [markdown] translates="ecdbdda4a5ff"
# 这个检查能发现写错的一步吗？把这一步分别写成三种看似合理的错误形式，各运行一次链，再逐一检查：

# %%
def run_chain(x0, beta, step):
    """All states of a chain that applies step(x, beta_t, eps) T times."""
    x, chain = x0, [x0]
    for t in range(len(beta)):
        x = step(x, beta[t], torch.randn_like(x))
        chain.append(x)
    return chain


slips = {
    "no shrink:          x + sqrt(b) eps": lambda x, b, e: x + b.sqrt() * e,
    "shrink 1 - b:       (1 - b) x + sqrt(b) eps": lambda x, b, e: (1 - b) * x + b.sqrt() * e,
    "noise without sqrt: sqrt(1 - b) x + b eps": lambda x, b, e: (1 - b).sqrt() * x + b * e,
}
for name, step in slips.items():
    try:
        check_variance(run_chain(x0, beta, step), beta)
        print(f"{name}: passes (not caught)")
    except AssertionError as error:
        print(f"{name}: caught, {error}")

# %% [markdown] slideshow={"slide_type": "slide"} translates="eec53da5228d"
# ## 一排快照
#
# 这是参考方案中展示前向过程（forward process）的图：每 10 步一张快照。我们把两端 $\mathbf{x}_0$ 和 $\mathbf{x}_{100}$ 都画出来，所以这一排共有 11 个子图。注意坐标范围：显示窗口在两个坐标上都固定为 ±0.35，而到 $t = 100$ 时，大多数点已经离开了窗口。

# %%
shown = list(range(0, T + 1, 10))
helpers.plot_strip([states[k] for k in shown], [f"t = {k}" for k in shown], suptitle="q(x_t): the reference schedule")
plt.show()
print(f"share of x_T outside the ±0.35 window: {(states[T].abs() > 0.35).any(dim=1).float().mean():.2f}")

# %% [markdown] translates="68fad6b38ef7"
# 同一条链，换到更宽的 ±2 窗口上：S 形模糊成一团圆形的点云，标准差 ≈ 0.48（见上面的输出），而不是 1（第 02 课）。

# %%
helpers.plot_strip([states[k] for k in shown], [f"t = {k}" for k in shown], limit=2, suptitle="the same, window ±2")
plt.show()

# %% [markdown] slideshow={"slide_type": "notes"} translates="e0d2355ba8c7"
# **讲师提示。** 向学生指出固定的 ±0.35 窗口：到 t = 100 时，大多数点已经离开了它。宽窗口的那一排快照显示了它们去了哪里。

# %% [markdown] slideshow={"slide_type": "slide"} translates="47bfc6931b92"
# ## 沿时间轴移动
#
# `draw_step(k)` 在宽窗口上画出 $\mathbf{x}_k$；拖动滑块，就会对所选的 $k$ 调用它。

# %%
def draw_step(k, limit=2.0):
    helpers.plot_points(states[k], title=f"x_t at t = {k}, std = {states[k].std().item():.2f}", limit=limit)
    plt.show()


draw_step(50)

# %% tags=["nbval-ignore-output"] nbval_why="the slider renders as a widget, stored in notebook metadata rather than as a comparable output."
widgets.interact(draw_step, k=widgets.IntSlider(value=0, min=0, max=T, step=1), limit=widgets.fixed(2.0));

# %% [markdown] slideshow={"slide_type": "slide"} translates="977c4719b863"
# ## 动画
#
# 每隔一个状态取一帧（最后一个状态也包括在内），做成循环播放的动画（一张动态 PNG）。

# %%
frames = list(range(0, T + 1, 2))
assert frames[-1] == T
helpers.animate_states([states[k] for k in frames], [f"t = {k}" for k in frames], "q(x_t), t = 0 to 100", limit=2)

# %% [markdown] slideshow={"slide_type": "slide"} translates="4049398d3459"
# ## 小结
#
# - 前向过程的一步：$\mathbf{x}_t = \sqrt{1-\beta_t}\,\mathbf{x}_{t-1} + \sqrt{\beta_t}\,\boldsymbol\epsilon_t$。
# - 方差服从 $\mathrm{Var}_t = (1-\beta_t)\mathrm{Var}_{t-1} + \beta_t$，链与它的偏差在 5 个标准误以内；缺了收缩因子或收缩因子写错，或者噪声漏了平方根，都通不过这项检查。
# - 用参考方案的噪声调度（noise schedule），点云最终的标准差 ≈ 0.48：已经模糊，但还不是采样（sampling）将要出发的 $\mathcal{N}(0, I)$。
# - 要得到 $\mathbf{x}_t$，循环需要 $t$ 步和 $t$ 次噪声抽取。第 04 课一步就跳到那里。

# %% [markdown] slideshow={"slide_type": "slide"} translates="e7112d7ac5a6"
# ## 练习（解答：`%load ../notebooks/solutions/03_1.py`、`03_2.py`、`03_3.py`，每个解答都以相应的检查结尾；解答文件中的注释为英文）
#
# **1. 先推导，再编写。** 某个坐标初始的均值为 `mean0`、方差为 `var0`（数据没有中心化）。编写函数 `second_moment_after(mean0, var0, beta)`，返回走完 `beta` 的全部步之后的 $\mathbb{E}[x_T^2]$（一个 Python 浮点数）：用一个关于 $\prod_t (1 - \beta_t)$ 的公式计算，不要对各步做循环。（从远离 0 处出发的链，最终是否接近采样所假设的 $\mathbb{E}[x_T^2] = 1$？）

# %% translates="2570bf4ab428"
def second_moment_after(mean0, var0, beta):
    return None  # 在这里写你的代码


helpers.check_exercise("03.1", second_moment_after)

# %% [markdown] translates="97015c6eb489"
# **2.** 没有收缩因子时，链 $\mathbf{x}_t = \mathbf{x}_{t-1} + \sqrt{\beta_t}\,\boldsymbol\epsilon_t$ 会*增加*方差。编写函数 `std_without_shrink(var0, beta)`，返回这条链从方差 `var0`（一个浮点数）出发、走完 `beta` 的全部步之后一个坐标的标准差（一个 Python 浮点数）。

# %% translates="31ba2db867bb"
def std_without_shrink(var0, beta):
    return None  # 在这里写你的代码


helpers.check_exercise("03.2", std_without_shrink)


# %% [markdown] translates="067c43ac67b5"
# **3. 先预测。** 让链从原点出发，即每个点都取 $\mathbf{x}_0 = 0$，运行全部 100 步。$\mathbf{x}_T$ 每个坐标的标准差是多少？先写下你预测的数值，再运行这个单元格；检查会运行这条链，并告诉你预测是否在 5% 以内。

# %% translates="c062351f7a0f"
prediction = None  # 你预测的数值

helpers.check_exercise("03.3", prediction)

# %% [markdown] slideshow={"slide_type": "slide"} translates="a943485346fc"
# ## 参考文献
#
# - J. Ho, A. Jain, P. Abbeel (2020). *Denoising Diffusion Probabilistic Models.* NeurIPS. 式 2：前向过程的一步 $q(\mathbf{x}_t\mid\mathbf{x}_{t-1}) = \mathcal{N}(\sqrt{1-\beta_t}\,\mathbf{x}_{t-1}, \beta_t I)$。
# - J. Sohl-Dickstein, E. Weiss, N. Maheswaranathan, S. Ganguli (2015). *Deep Unsupervised Learning using
#   Nonequilibrium Thermodynamics.* ICML. 把前向扩散写成一串小的高斯步。
# - 参考方案中那排 1 × 10 的前向链快照：出自第 01 课的那篇博客教程，该教程仿照 P. Esling 的 `diffusion_models` 笔记本（ACIDS，IRCAM，2021）。
