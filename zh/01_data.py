# %% [markdown] slideshow={"slide_type": "slide"} translates="30df94d07c11"
# # 第 01 课——数据：二维 S 形曲线
#
# **目标。** 构建整个课程要学习生成的数据集：平面上排成“S”形的 10 000 个点，生成方式与参考方案（reference recipe）完全相同。学完本课，你将能够生成这个数据集，用几个统计量描述它，把它画出来，并把它转成张量、放到合适的设备上，交给后面各课。
#
# **预备知识。** 会 Python，习惯 NumPy 式的数组思维，知道 PyTorch 张量是什么。本课还不涉及扩散。

# %% slideshow={"slide_type": "subslide"}
import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import make_s_curve

import helpers

_ = torch.manual_seed(0)

# %% [markdown] slideshow={"slide_type": "slide"} translates="e1b3f5a6c724"
# ## 为什么用二维的玩具数据？
#
# 扩散模型（diffusion model）从样本中学习一个概率分布 $p(\mathbf{x})$，再从中抽取新的样本。用图像来做，这个过程既慢，又难以看清。在二维情形下，我们能在每一步都**画出整个分布**，在笔记本电脑上几秒钟就能训练完，用的数学却与图像模型完全相同（Ho 等人，2020）。S 形曲线（S-curve）是个好目标：它细而弯曲，还有两处拐弯，所以模型如果只学对了大致形状，一眼就能看出来。

# %% [markdown] slideshow={"slide_type": "notes"} translates="7498f100fc54"
# **讲师提示。** 问问学生：要检查一个*图像*生成模型是否正确，他们会怎么做？而在二维情形下，直接看整个分布就行；这正是采用这个二维例子的原因。

# %% [markdown] slideshow={"slide_type": "slide"} translates="f657f0faaf93"
# ## 参考方案的做法
#
# scikit-learn 的 `make_s_curve` 在三维空间中一张“S”形的曲面上取点，再加上标准差（standard deviation，std）为 `noise` 的高斯噪声。参考方案保留 $x$ 和 $z$ 两个坐标，并把它们除以 10：
#
# $$\mathbf{x}_0 = \tfrac{1}{10}\,(s_x, s_z), \qquad (s_x, s_y, s_z) \sim \texttt{make\_s\_curve}(n, \text{noise}=0.1).$$

# %%
points, _ = make_s_curve(10_000, noise=0.1, random_state=0)
x0 = torch.tensor(points[:, [0, 2]] / 10, dtype=torch.float32)
x0.shape, x0.dtype

# %% [markdown] translates="31b2882b5d84"
# 本课程把这段代码统一放在 `helpers.s_curve` 中，只写这一处。它给出的张量必须与上面的完全相同：

# %%
assert torch.equal(x0, helpers.s_curve(10_000, noise=0.1, seed=0))

# %% [markdown] slideshow={"slide_type": "slide"} translates="67faa61956f2"
# ## 看看这些数
#
# 均值接近 0；$z$ 方向的散布约为 $x$ 方向的两倍（下面会打印两者的标准差之比）。请记住这个尺度：采样（sampling）从 $\mathcal{N}(0, I)$ 噪声出发，其标准差为 1；而数据的合并标准差（即两个方差的均值的平方根，输出中记作 pooled）只有它的九分之一左右。第 02 课会说明这一点为什么重要。

# %%
mean = points[:, [0, 2]].mean(axis=0) / 10
std = points[:, [0, 2]].std(axis=0) / 10
pooled_std = np.sqrt((std**2).mean())
print("mean:", np.round(mean, 3))
print("std: ", np.round(std, 3), f"| z/x ratio {std[1] / std[0]:.2f} | pooled {pooled_std:.3f}, 1/pooled = {1 / pooled_std:.1f}")
print("x from", round(float(x0[:, 0].min()), 2), "to", round(float(x0[:, 0].max()), 2))
print("z from", round(float(x0[:, 1].min()), 2), "to", round(float(x0[:, 1].max()), 2))

# %% [markdown] translates="f264359eba09"
# 对照参考方案报告的数值来检查：标准差 ≈ (0.071, 0.139)，均值 ≈ 0。对于高斯数据，由 $n$ 个点算出的样本标准差，其标准误约为 $\mathrm{std}/\sqrt{2n}$：在 $n = 10\,000$ 时，$x$ 为 0.0005，$z$ 为 0.001。容差取 0.003，是其中较大者的三倍；而且参考数值本身就四舍五入到了 0.001。

# %%
def check_data_stats(x):
    """The reference recipe's figures: std (0.071, 0.139) within 0.003, mean 0 within 0.005."""
    std, mean = x.std(dim=0), x.mean(dim=0)
    assert (std - torch.tensor([0.071, 0.139])).abs().max() <= 0.003, f"std {std.numpy().round(3)}"
    assert mean.abs().max() <= 0.005, f"mean {mean.numpy().round(3)}"


check_data_stats(x0)

# %% [markdown] translates="a56678440f49"
# 这个检查能否发现两种最可能犯的错误：取错了列，或者忘了除以 10？

# %%
slips = {
    "columns 0 and 1": torch.tensor(points[:, [0, 1]] / 10, dtype=torch.float32),
    "no division by 10": torch.tensor(points[:, [0, 2]], dtype=torch.float32),
}
for name, x in slips.items():
    try:
        check_data_stats(x)
        print(f"{name}: passes (not caught)")
    except AssertionError as error:
        print(f"{name}: caught, {error}")

# %% [markdown] slideshow={"slide_type": "slide"} translates="f0c49b378936"
# ## 画出来看看

# %%
fig, ax = plt.subplots(figsize=(5, 5))
ax.scatter(x0[:, 0], x0[:, 1], s=1.5, alpha=0.5, linewidths=0)
ax.set_aspect("equal")
ax.set_title("10 000 points of the S-curve")
plt.show()

# %% [markdown] translates="b7f35b59ba6a"
# 后面各课会在同一个固定的显示窗口（即固定的坐标范围）里画许多这样的点云，所以本课程把画图的代码放在 `helpers.plot_points` 中：

# %%
helpers.plot_points(x0, title="helpers.plot_points")
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"} translates="7b8766bb5192"
# ## 改变设置
#
# 肉眼要看到多少个点才能认出这个“S”？噪声加到多大，形状就会变模糊？下面的函数按一组设置作图；滑块会替你调用它。（滑块只有在内核运行时才能使用；紧接着的代码单元格里那次直接调用的输出会由测试核对，它只展示一组设置。）

# %%
def draw_s_curve(n, noise):
    x = helpers.s_curve(n, noise=noise, seed=0)
    helpers.plot_points(x, title=f"n = {n}, noise = {noise:.2f}")
    plt.show()


draw_s_curve(1000, 0.3)

# %% slideshow={"slide_type": "slide"} tags=["nbval-ignore-output"] nbval_why="the sliders render as a widget, stored in notebook metadata rather than as a comparable output."
widgets.interact(
    draw_s_curve,
    n=widgets.IntSlider(value=10_000, min=100, max=20_000, step=100, continuous_update=False),
    noise=widgets.FloatSlider(value=0.1, min=0.0, max=1.0, step=0.05, continuous_update=False),
);

# %% [markdown] slideshow={"slide_type": "slide"} translates="7f3600552dac"
# ## 本课程使用的张量
#
# 后面每一课都从 `helpers.s_curve(10_000)` 出发，并把它放到本机最快的设备上：CUDA GPU、Apple 的 MPS 或 CPU。本课程中没有任何地方把 CPU 写死。

# %%
device = helpers.default_device()
x0 = helpers.s_curve(10_000, device=device)
assert x0.device.type == device.type
print(tuple(x0.shape), x0.dtype)

# %% [markdown] slideshow={"slide_type": "slide"} translates="334dae26c81c"
# ## 小结
#
# - 数据：`make_s_curve(10_000, noise=0.1)`，取第 0 列和第 2 列，除以 10 → 形状为 (10 000, 2) 的 float32 张量。
# - 均值 ≈ 0，标准差 ≈ (0.071, 0.139)，合并标准差 0.111，约为 $\mathcal{N}(0, I)$ 的标准差（1）的九分之一。
# - `helpers.s_curve`、`helpers.plot_points` 和 `helpers.default_device` 封装了这些步骤，供后面各课使用。

# %% [markdown] slideshow={"slide_type": "slide"} translates="87e490e1fa74"
# ## 练习
#
# 每道练习下方都有一个检查。替换函数体（或写下你的预测），运行该单元格，检查会输出“correct!”（正确）或者给出提示。卡住了？用 `%load ../notebooks/solutions/01_1.py`（或 `01_2.py`、`01_3.py`）把完整的解答载入一个新单元格并运行：它也以同样的检查结尾。（解答文件中的注释为英文。）
#
# **1.** 许多扩散模型的代码会先把数据缩放到每个坐标的标准差都为 1。编写函数 `to_unit_std(x)`，返回 `x` 除以其各坐标标准差的结果（除以 $n$ 和除以 $n-1$ 两种约定都可以接受）。

# %% translates="5f53d3d579a8"
def to_unit_std(x):
    return None  # 在这里写你的代码


helpers.check_exercise("01.1", to_unit_std)

# %% [markdown] translates="210dd3465c3f"
# **2.** 同样的方案也适用于 scikit-learn 的瑞士卷（Swiss roll）。编写函数 `swiss_roll(n, seed)`：取 `make_swiss_roll(n, noise=0.1, random_state=seed)` 的第 0 列和第 2 列，除以 10，以 float32 张量返回。

# %% translates="6d37778afcf4"
def swiss_roll(n, seed):
    return None  # 在这里写你的代码


helpers.check_exercise("01.2", swiss_roll)


# %% [markdown] translates="5455f0024dbe"
# **3. 先预测。** 参考方案保留的是 `make_s_curve` 的第 0 列和第 2 列。如果取第 0 列和第 1 列，会是什么样子：(a) 一个 S，(b) 一个填满的矩形，还是 (c) 一条细线？先写下你选的字母，再运行该单元格。检查会在这些点的外接矩形上划出 10 × 10 的网格，测量点填满了其中多大一部分，并告诉你预测是否成立；然后用 `helpers.plot_points` 把它画出来看看。

# %% translates="ab6a32cb8d0e"
prediction = None  # "a"、"b" 或 "c"

helpers.check_exercise("01.3", prediction)

# %% [markdown] slideshow={"slide_type": "slide"} translates="a7d107c0710c"
# ## 参考文献
#
# - J. Ho, A. Jain, P. Abbeel (2020). *Denoising Diffusion Probabilistic Models.* NeurIPS. arXiv:2006.11239.
# - F. Pedregosa et al. (2011). *Scikit-learn: Machine Learning in Python.* JMLR 12 — `sklearn.datasets.make_s_curve`.
# - 参考方案：一篇中文博客教程（一次视频课程的文字整理），在这条 S 形曲线上训练一个 100 步的去噪扩散概率模型（denoising diffusion probabilistic model，DDPM）。它的代码源自 P. Esling 的 `diffusion_models` 笔记本（ACIDS，IRCAM，2021；github.com/acids-ircam/diffusion_models，`diffusion_02_model.ipynb`），那些笔记本用的是瑞士卷数据。如果你是从那篇博客过来的：博客中的名称（`MLPDiffusion`、`q_x`、`p_sample_loop`……）与本课程的名称在 `docs/glossary.md` 中逐一对照，那里还收录了各课用到的所有术语。
