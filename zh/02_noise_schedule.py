# %% [markdown] slideshow={"slide_type": "slide"} translates="625f57a10253"
# # 第 02 课——噪声调度
#
# **目标。** 扩散模型（diffusion model）分 $T$ 步破坏数据，每步加入一点高斯噪声。第 $t$ 步加入多少噪声，由*噪声调度*（noise schedule）$\beta_t$ 决定。本课构建参考方案（reference recipe）的 sigmoid 调度，由它推出 $\alpha_t$ 和 $\bar\alpha_t$，用信噪比（signal-to-noise ratio，SNR）衡量数据还剩下多少，与文献中的线性调度和余弦调度比较，并找出参考方案的第一个缺陷：走完全部 $T = 100$ 步之后，$\mathbf{x}_T$ 的分布不同于采样（sampling）出发时的 $\mathcal{N}(0, I)$。
#
# **预备知识。** 第 01 课：数据，其标准差（standard deviation，std）≈ 0.1。

# %% slideshow={"slide_type": "subslide"}
import math

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch

import helpers

_ = torch.manual_seed(0)

# %% [markdown] slideshow={"slide_type": "slide"} translates="6a2933cf57b8"
# ## 参考调度
#
# 共 $T = 100$ 步，$\beta_t$ 沿一条 sigmoid 曲线从约 $2\cdot10^{-5}$ 升到 $5\cdot10^{-3}$：
#
# $$\beta_t = \operatorname{sigmoid}\Big(-6 + 12\,\tfrac{t-1}{T-1}\Big)\,(5\cdot10^{-3} - 10^{-5}) + 10^{-5},\qquad t = 1, \dots, T,$$
#
# 其中 $\operatorname{sigmoid}(g) = 1/(1 + e^{-g})$（这里不把它记作 $\sigma$：本课程中的 $\sigma$ 表示标准差）。
#
# 于是 $\alpha_t = 1 - \beta_t$ 是第 $t$ 步保留下来的信号*方差*的比例，而 $\bar\alpha_t = \prod_{k=1}^{t} \alpha_k$ 是前 $t$ 步之后保留下来的比例。
#
# *下标约定。* 论文把步记为 $t = 1 \dots T$；张量的下标从 0 开始。在代码中，`beta[t]` 是论文中的 $\beta_{t+1}$，`alpha_bar[T - 1]` 是 $\bar\alpha_T$。

# %%
T = 100
beta = torch.sigmoid(torch.linspace(-6, 6, T)) * (5e-3 - 1e-5) + 1e-5
alpha = 1 - beta
alpha_bar = torch.cumprod(alpha, dim=0)

# %% [markdown] translates="d4cb41c56f3c"
# `helpers.sigmoid_schedule` 实现了同样的计算（用 float64 计算，最后舍入为 float32），返回一个 `helpers.Schedule` 对象；它存放 `beta`、`alpha` 和 `alpha_bar`，并由它们推出其余的量：

# %%
schedule = helpers.sigmoid_schedule(T)
assert isinstance(schedule, helpers.Schedule)
torch.testing.assert_close(schedule.beta, beta)
torch.testing.assert_close(schedule.alpha_bar, alpha_bar)
print(f"beta from {beta[0]:.2e} to {beta[-1]:.2e}")

# %% [markdown] translates="55e85ab77984"
# 这两个张量出自同样的几行 torch 代码，所以它们彼此一致说明不了多少。做一个独立的检查：按参考方案的公式，用 Python 浮点数（float64）逐个重新算出 $\bar\alpha_t$ 和 $\log\frac{\bar\alpha_t}{1-\bar\alpha_t}$，再作比较。容差按 float32 的舍入误差来定：$\bar\alpha_t$ 的相对容差为 $10^{-5}$；对数比的容差为 $5\cdot10^{-3}$，因为在代码中的步 0（step 0 in code，即论文中的 $t = 1$）附近，float32 算出的差 $1 - \bar\alpha_t$ 只剩大约三位有效数字。

# %%
def check_schedule(alpha_bar, log_ratio, T=100, beta_min=1e-5, beta_max=5e-3):
    """alpha_bar and log(alpha_bar / (1 - alpha_bar)) against a float64 product of (1 - beta_t) from the formula."""
    product, expected = 1.0, []
    for t in range(T):
        argument = -6 + 12 * t / (T - 1)
        product *= 1 - ((beta_max - beta_min) / (1 + math.exp(-argument)) + beta_min)
        expected.append(product)
    expected = torch.tensor(expected, dtype=torch.float64)
    relative = ((alpha_bar.double() - expected) / expected).abs().max().item()
    assert relative < 1e-5, f"alpha_bar is off by {relative:.1e} (relative)"
    gap = (log_ratio.double() - torch.log(expected / (1 - expected))).abs().max().item()
    assert gap < 5e-3, f"log(alpha_bar / (1 - alpha_bar)) is off by {gap:.2g}"


check_schedule(schedule.alpha_bar, schedule.log_snr)
check_schedule(alpha_bar, torch.log(alpha_bar / (1 - alpha_bar)))

# %% [markdown] translates="1ffd59b9fe26"
# 任何严格介于 0 和 1 之间的 $\beta_t$ 都构成一个调度；`helpers.schedule_from_beta` 由它推出其余的量，并拒绝其他任何取值，因为 $\beta_t = 1$ 会在一步之内抹掉数据，而 $\beta_t = 0$ 什么也不加：

# %%
torch.testing.assert_close(helpers.schedule_from_beta(beta).alpha_bar, alpha_bar)
try:
    helpers.schedule_from_beta(torch.tensor([0.1, 1.0]))
except ValueError as error:
    print("ValueError:", error)

# %% [markdown] slideshow={"slide_type": "slide"} translates="25bfd3869dbe"
# ## 数据的方差保留了多少？
#
# 各步噪声方差之和为 $\sum_t \beta_t \approx 0.25$（这并不是 $\mathbf{x}_T$ 中的噪声：那是 $1 - \bar\alpha_T$，因为后面的每一步都会缩小前面各步加入的噪声）；又因为 $\beta$ 很小时 $\log(1-\beta) \approx -\beta$，所以
#
# $$\bar\alpha_T = \prod_t (1 - \beta_t) \approx e^{-\sum_t \beta_t}.$$

# %%
sum_beta = beta.sum().item()
alpha_bar_T = alpha_bar[-1].item()
print(f"sum of beta       = {sum_beta:.4f}")
print(f"alpha_bar_T       = {alpha_bar_T:.3f}")
print(f"exp(-sum of beta) = {np.exp(-sum_beta):.3f}")

# %% [markdown] translates="2b4ba641fb1d"
# 两者之差在二阶项 $\tfrac12\sum_t\beta_t^2 < 10^{-3}$ 以内：

# %%
second_order = 0.5 * (beta**2).sum().item()
print(f"gap {abs(alpha_bar_T - np.exp(-sum_beta)):.1e} <= half the sum of beta^2 = {second_order:.1e}")
assert abs(alpha_bar_T - np.exp(-sum_beta)) < second_order + 1e-6

# %% [markdown] slideshow={"slide_type": "notes"} translates="c6b52ef56810"
# **讲师提示。** 问学生：x_T = 0.882 x_0 + 0.471 ε，这是噪声吗？多数人会说不是，“还有 88% 的信号”。然后引入数据的标准差（0.11），展示数据的信噪比（the data's SNR）：S 形已经看不出来了，而真正的问题在于 x_T 的标准差是 0.48，而不是 1。

# %% [markdown] slideshow={"slide_type": "slide"} translates="ec6de4eabd57"
# ## 那么 $\mathbf{x}_T$ 是什么？
#
# 第 04 课将推导出 $\mathbf{x}_t = \sqrt{\bar\alpha_t}\,\mathbf{x}_0 + \sqrt{1-\bar\alpha_t}\,\boldsymbol\epsilon$。对参考调度而言，最后一步的这个式子是：

# %%
print(f"x_T = {np.sqrt(alpha_bar_T):.3f} * x_0 + {np.sqrt(1 - alpha_bar_T):.3f} * eps")

# %% [markdown] translates="f9376a6b84fe"
# 系数 0.882 本身说明不了什么：它乘的是标准差只有约 0.1 的数据（第 01 课），而噪声的标准差是 1。应该用**方差**来比较这两项。Kingma 等人（2021）把 SNR 定义为 $\mathbf{x}_t$ 中数据的系数与噪声的系数之比的平方，Karras 等人（2022）则把数据的标准差 $\sigma_\text{data}$ 明确写进了公式。两项的方差之比就是信噪比：
#
# $$\mathrm{SNR}^\text{data}_t = \frac{\bar\alpha_t\,\sigma_\text{data}^2}{1-\bar\alpha_t}.$$
#
# 这就是**数据的信噪比**。对方差为 1 的数据，它等于 $\bar\alpha_t/(1-\bar\alpha_t)$，其对数就是后面各课中的对数信噪比（log-SNR）$\lambda_t$（`schedule.log_snr`）；数据的对数信噪比是 $\lambda_t + \log\sigma_\text{data}^2$。下面既按坐标分别计算，也用合并方差计算（$\sigma_\text{data}^2$ 取两个坐标方差的平均）：

# %%
x0 = helpers.s_curve(10_000)
data_var = x0.var(dim=0)
pooled_var = data_var.mean()


def snr(alpha_bar, data_var):
    """SNR_t = alpha_bar_t sigma_data^2 / (1 - alpha_bar_t), one row per step, one column per entry of data_var."""
    return alpha_bar[:, None] * data_var / (1 - alpha_bar[:, None])


snr_T, snr_T_pooled = snr(alpha_bar, data_var)[-1], snr(alpha_bar, pooled_var[None])[-1, 0]
print("sigma_data per coordinate:     ", np.round(data_var.sqrt().numpy(), 3), f"| pooled: {pooled_var.sqrt():.3f}")
print("data's SNR at T per coordinate:", np.round(snr_T.numpy(), 3), f"| pooled: {snr_T_pooled:.3f}")
print(f"data's log-SNR at T, pooled:   {snr_T_pooled.log():.2f}")
print(f"share of x_T's variance that comes from the data: {snr_T_pooled / (1 + snr_T_pooled):.3f}")

# %% [markdown] translates="63d69604efc2"
# 在 $t = T$ 时，信号的方差是噪声方差的 0.043 倍：$\mathbf{x}_T$ 的方差中只有 4% 来自数据，S 形已经看不见了（见下图）。“还剩 88% 的信号”这种解读忽略了数据的尺度。
#
# **一个能发现公式错误的检查。** 无论数据是什么形状，$\mathrm{SNR}^\text{data}_t/(1+\mathrm{SNR}^\text{data}_t)$ 都等于 $\mathbf{x}_0$ 的一个坐标与 $\mathbf{x}_t$ 的同一坐标之间相关系数的平方。所以我们逐步运行前向链（`helpers.q_step`，在第 03 课中构建），在每一步测量 $\log\frac{r^2}{1-r^2}$。它的标准误约为 $2/(r\sqrt n)$；允许偏差至多为 5 个标准误。

# %%
def check_snr(snr_t, x0, states):
    """snr_t (T, 2) against the correlation r of x_0 and x_t in a run of the chain: log(r^2 / (1 - r^2)) = log SNR."""
    n = x0.shape[0]
    centred_x0 = x0.double() - x0.double().mean(dim=0)
    for t in range(len(states) - 1):
        xt = states[t + 1].double() - states[t + 1].double().mean(dim=0)
        r = (centred_x0 * xt).sum(dim=0) / (centred_x0.norm(dim=0) * xt.norm(dim=0))
        measured, predicted = torch.log(r**2 / (1 - r**2)), snr_t[t].double().log()
        z = ((measured - predicted).abs() * r * math.sqrt(n) / 2).max().item()
        assert z < 5, f"log-SNR at t = {t + 1}: measured {measured.numpy().round(2)}, formula {predicted.numpy().round(2)}"


states = [x0]
for step in range(T):
    states.append(helpers.q_step(states[-1], step, schedule))
check_snr(snr(alpha_bar, data_var), x0, states)

# %% [markdown] translates="4b8b8aabb8a0"
# 这个检查能否发现这些容易犯的错误：忘了乘数据的方差（即算成方差为 1 的数据的信噪比），或者 $\sigma_\text{data}$ 忘了平方？

# %%
for name, wrong in {"unit variance": torch.ones(2), "sigma_data not squared": data_var.sqrt()}.items():
    try:
        check_snr(snr(alpha_bar, wrong), x0, states)
        print(f"{name}: passes (not caught)")
    except AssertionError as error:
        print(f"{name}: caught, {error}")

# %% [markdown] slideshow={"slide_type": "slide"} translates="69b9ca10d043"
# ## 真正的缺陷：先验失配
#
# 所以 $\mathbf{x}_T$ 几乎就是噪声。但它是多大的噪声？$\mathbf{x}_T$ 每个坐标的方差为 $\bar\alpha_T\sigma_{\text{data},i}^2 + 1 - \bar\alpha_T$（$\sigma_{\text{data},i}$ 是数据在坐标 $i$ 上的标准差），而采样（第 07 课）从标准差为 1 的 $\mathcal{N}(0, I)$ 出发：

# %%
std_T = (alpha_bar[-1] * data_var + 1 - alpha_bar[-1]).sqrt()
print("std of x_T per coordinate:", np.round(std_T.numpy(), 3), f"| N(0, I) is {1 / std_T.mean():.2f} times wider")

# %% [markdown] translates="63455be9da4a"
# 前向过程（forward process）永远产生不出采样的起始分布：采样器起步时的点云，宽度约为网络在 $t = T$ 时见过的任何输入的两倍。这种**先验失配**（prior mismatch）就是参考方案的第一个缺陷。下面把两者并排画出，每幅图的标题中给出测得的标准差：

# %%
eps = torch.randn_like(x0)
x_T = alpha_bar[-1].sqrt() * x0 + (1 - alpha_bar[-1]).sqrt() * eps
start = torch.randn(10_000, 2)
fig, axes = plt.subplots(1, 2, figsize=(8, 4))
helpers.plot_points(x_T, ax=axes[0], title=f"$x_T$ of the recipe, std {x_T.std():.2f}", limit=3)
helpers.plot_points(start, ax=axes[1], title=rf"$\mathcal{{N}}(0, I)$: where sampling starts, std {start.std():.2f}", limit=3)
plt.show()

# %% [markdown] translates="5e586851deb1"
# 样本的标准差必须与公式相符，相差不超过 5 个标准误（每个标准误 $\approx\mathrm{std}/\sqrt{2n}$）：

# %%
def check_std(points, predicted_std):
    """Each coordinate's sample std within 5 standard errors of predicted_std."""
    n = points.shape[0]
    z = ((points.std(dim=0) - predicted_std).abs() / (predicted_std / math.sqrt(2 * n))).max().item()
    assert z < 5, f"std {points.std(dim=0).numpy().round(3)} vs predicted {predicted_std.numpy().round(3)}"


check_std(x_T, std_T)
print("sample std of x_T:", np.round(x_T.std(dim=0).numpy(), 3))

# %% [markdown] slideshow={"slide_type": "slide"} translates="1d27478edaff"
# ## 文献中的两种调度
#
# - **线性调度**（Ho 等人，2020，§4）：$\beta_t$ 在 $T = 1000$ 步中从 $10^{-4}$ 到 $0.02$ 等间距取值。
# - **余弦调度**（Nichol 和 Dhariwal，2021，式 17）：定义 $\bar\alpha_t = f(t)/f(0)$，其中 $f(t) = \cos^2\!\big(\tfrac{t/T + s}{1 + s}\cdot\tfrac{\pi}{2}\big)$，小偏移 $s = 0.008$ 使 $\beta_t$ 在 $t = 0$ 附近不至于太小；再令 $\beta_t = 1 - \bar\alpha_t / \bar\alpha_{t-1}$，并在 0.999 处截断。

# %%
linear = helpers.linear_schedule(1000)
cosine = helpers.cosine_schedule(1000)
torch.testing.assert_close(linear.beta, torch.linspace(1e-4, 0.02, 1000))

# %% [markdown] translates="83891f221f73"
# 在截断没有起作用的每一步，按定义检查余弦调度：

# %%
s = 0.008
steps = torch.arange(1, 1001, dtype=torch.float64)
f = lambda t: torch.cos((t / 1000 + s) / (1 + s) * torch.pi / 2) ** 2
unclipped = cosine.beta < 0.999
torch.testing.assert_close(cosine.alpha_bar[unclipped].double(), (f(steps) / f(torch.zeros(1)))[unclipped], rtol=1e-4, atol=1e-6)
print("steps where the clip acts:", int((~unclipped).sum()))

# %% [markdown] slideshow={"slide_type": "slide"} translates="3736cb2665d0"
# ## 调度的四种视图（针对这份数据）
#
# 横轴统一为 $t/T$，四幅图依次是：$\beta_t$；$\bar\alpha_t$；$\mathbf{x}_t$ 的标准差 $\sqrt{\bar\alpha_t\sigma_\text{data}^2 + 1 - \bar\alpha_t}$，并与采样起点的标准差 1 对照；以及用数据的合并方差算出的 $\log\mathrm{SNR}^\text{data}_t$。圆点标出每个调度在 $t = T$ 处的终点。

# %%
def draw_schedules(schedules, data_var):
    fig, axes = plt.subplots(2, 2, figsize=(10, 6.4))
    axes = axes.ravel()
    for name, sch in schedules.items():
        frac = (torch.arange(sch.T) + 1) / sch.T
        std = (sch.alpha_bar * data_var + 1 - sch.alpha_bar).sqrt()
        log_snr = sch.log_snr + math.log(data_var)
        axes[0].plot(frac, sch.beta, label=name)
        axes[1].plot(frac, sch.alpha_bar, label=name)
        for ax, y in ((axes[2], std), (axes[3], log_snr)):
            line, = ax.plot(frac, y, label=name)
            ax.plot(1.0, y[-1], "o", color=line.get_color())
    axes[2].axhline(1.0, color="grey", linestyle="--", linewidth=1)
    axes[0].set(title=r"$\beta_t$", xlabel="t / T", yscale="log")
    axes[1].set(title=r"$\bar\alpha_t$", xlabel="t / T", ylim=(0, 1.02))
    axes[2].set(title=r"std of $x_t$ (dashed: $\mathcal{N}(0, I)$)", xlabel="t / T", ylim=(0, 1.05))
    axes[3].set(title=rf"$\log\,\mathrm{{SNR}}^{{data}}_t$, $\sigma_{{data}}$ = {math.sqrt(data_var):.3f}", xlabel="t / T")
    axes[0].legend()
    fig.tight_layout()
    return fig


schedules = {"sigmoid (recipe, T=100)": schedule, "linear (T=1000)": linear, "cosine (T=1000)": cosine}
draw_schedules(schedules, pooled_var.item())
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"} translates="236ab271147e"
# ## 各个调度的终点在哪里？

# %%
for name, sch in schedules.items():
    a = sch.alpha_bar[-1].double()
    end_std = (a * pooled_var + 1 - a).sqrt().item()
    print(f"{name:24s} alpha_bar_T = {a:.2e}   data's log-SNR_T = {(sch.log_snr[-1] + pooled_var.log()).item():6.1f}   std of x_T = {end_std:.3f}")

# %% [markdown] translates="02d69e82fc48"
# 三者结束时 S 形都所剩无几（数据的对数信噪比低于 −3）。线性调度和余弦调度结束时标准差为 1.000，正是采样的起点；参考方案则止于 0.48。

# %%
end_stds = {name: (sch.alpha_bar[-1] * pooled_var + 1 - sch.alpha_bar[-1]).sqrt().item() for name, sch in schedules.items()}
assert abs(end_stds["linear (T=1000)"] - 1) < 1e-3 and abs(end_stds["cosine (T=1000)"] - 1) < 1e-3
assert end_stds["sigmoid (recipe, T=100)"] < 0.5

# %% [markdown] slideshow={"slide_type": "slide"} translates="68bba87f1197"
# ## 动手探索
#
# 改变调度及其长度，图和终点会随之变化。sigmoid 调度的 `beta_max` 要多大，才能在 100 步内使 $\mathbf{x}_T$ 的标准差接近 1？（练习 2 要求找出一个这样的值。）

# %% translates="69a7e9320bbe"
def explore(name="sigmoid", T=100, beta_max=5e-3):
    kwargs = {"beta_max": beta_max} if name == "sigmoid" else {}
    sch = helpers.make_schedule(name, T, **kwargs)
    draw_schedules({f"{name}, T={T}": sch}, pooled_var.item())
    # interact 的回调不在单元格执行期间运行，所以必须在这里显式地显示图，否则图不会出现。
    plt.show()
    a = sch.alpha_bar[-1].item()
    print(f"alpha_bar_T = {a:.2e}, std of x_T = {math.sqrt(a * pooled_var.item() + 1 - a):.3f}")


explore("sigmoid", 100, 5e-3)

# %% slideshow={"slide_type": "slide"} tags=["nbval-ignore-output"] nbval_why="the sliders render as a widget, stored in notebook metadata rather than as a comparable output."
widgets.interact(
    explore,
    name=widgets.Dropdown(options=["sigmoid", "linear", "cosine"], value="sigmoid"),
    T=widgets.IntSlider(value=100, min=10, max=1000, step=10, continuous_update=False),
    beta_max=widgets.FloatLogSlider(value=5e-3, base=10, min=-4, max=-0.5, continuous_update=False),
);

# %% [markdown] slideshow={"slide_type": "slide"} translates="75395e53bf1b"
# ## 小结
#
# - $\beta_t$：第 $t$ 步加入的噪声方差；$\alpha_t = 1 - \beta_t$；$\bar\alpha_t = \prod_{k=1}^{t}\alpha_k$。
# - 数据还剩多少，要用数据的信噪比 $\bar\alpha_t\sigma_\text{data}^2/(1-\bar\alpha_t)$ 来判断，而不是看 $\sqrt{\bar\alpha_t}$：参考方案的 $\mathbf{x}_T = 0.882\,\mathbf{x}_0 + 0.471\,\boldsymbol\epsilon$，数据的信噪比为 0.043（对数为 −3.15），S 形已经看不出来了。
# - 参考方案的缺陷是先验失配：$\mathbf{x}_T$ 每个坐标的标准差为 0.48，而采样从标准差 1 出发。线性调度和余弦调度的终点标准差为 1.000。

# %% [markdown] slideshow={"slide_type": "slide"} translates="1fba9b29d63a"
# ## 练习（解答：`%load ../notebooks/solutions/02_1.py`、`02_2.py`、`02_3.py`，每个解答都以相应的检查结尾；解答文件中的注释为英文）
#
# **1.** 编写函数 `alpha_bar_last(beta)`：对一维张量 `beta` 返回 $\bar\alpha_T$（一个 Python 浮点数），不借助 `helpers`。

# %% translates="1ab160a59821"
def alpha_bar_last(beta):
    return None  # 在这里写你的代码


helpers.check_exercise("02.1", alpha_bar_last)

# %% [markdown] translates="5bdb62dcf907"
# **2.** 保持 sigmoid 形状和 $T = 100$ 不变，选一个 `beta_max`（一个数），使 $\bar\alpha_T$ 低于 0.01，且 `beta_max` 不大于 0.2。

# %% translates="e3b9d1e88a36"
beta_max = None  # 在这里填入你选的数值

helpers.check_exercise("02.2", beta_max)

# %% [markdown] translates="461695559e6e"
# **3. 先预测。** 参考方案把 S 形曲线（S-curve）除以了 10。如果不做这次除法，$t = T$ 时数据的合并信噪比会是多少？先写下你预测的数值，再运行单元格；检查会算出这个值，并告诉你，你的预测与它的偏差是否在 10% 以内。

# %% translates="176e50b7beca"
prediction = None  # 你预测的数值

helpers.check_exercise("02.3", prediction)

# %% [markdown] slideshow={"slide_type": "slide"} translates="3bc20358bbca"
# ## 参考文献
#
# - J. Ho, A. Jain, P. Abbeel (2020). *Denoising Diffusion Probabilistic Models.* NeurIPS. §4：线性调度；式 4：$q(\mathbf{x}_t\mid\mathbf{x}_0)$，上文用它求 $\mathbf{x}_T$。
# - A. Nichol, P. Dhariwal (2021). *Improved Denoising Diffusion Probabilistic Models.* ICML. 式 17：余弦调度。
# - D. Kingma, T. Salimans, B. Poole, J. Ho (2021). *Variational Diffusion Models.* NeurIPS. 前向过程的信噪比，在他们的记号中为 α_t²/σ_t²（在本课程的记号中为 ᾱ_t/(1 − ᾱ_t)）。
# - T. Karras, M. Aittala, T. Aila, S. Laine (2022). *Elucidating the Design Space of Diffusion-Based Generative
#   Models.* NeurIPS. 预条件化（preconditioning）中数据的标准差 $\sigma_\text{data}$（见其表 1）。
# - 参考方案（第 01 课中的那篇博客教程）的 sigmoid 调度取自 P. Esling 的 `diffusion_models` 笔记本（ACIDS，IRCAM，2021；github.com/acids-ircam/diffusion_models，`diffusion_02_model.ipynb`），其中 $T = 100$，$\beta$ 从 $10^{-5}$ 到 $10^{-2}$；参考方案则止于 $5\cdot10^{-3}$。
