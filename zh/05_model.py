# %% [markdown] slideshow={"slide_type": "slide"} translates="f5410a8d8cf3"
# # 第 05 课——模型 $\boldsymbol\epsilon_\theta(\mathbf{x}_t, t)$
#
# **目标。** 搭建一个学习去噪的网络：给定带噪声的点 $\mathbf{x}_t$ 和它所处的步 $t$，预测当初加入的噪声 $\boldsymbol\epsilon$。我们写出参考方案（reference recipe）中的小型多层感知机（multilayer perceptron，MLP），它带有可学习的时间步嵌入（step embedding）；让一个小批量逐层通过它，逐一查看形状；数一数它的参数；看清为什么必须告诉它 $t$；最后认识正弦嵌入，它的参数量与 $T$ 无关，但有一点它没有改变：网络接受的仍然只是某一个噪声调度（noise schedule）的整数步 $0 \dots T-1$。
#
# **预备知识。** 第 02–04 课：ᾱ，以及闭式（closed form）$\mathbf{x}_t = \sqrt{\bar\alpha_t}\mathbf{x}_0 + \sqrt{1-\bar\alpha_t}\boldsymbol\epsilon$；还有 `torch.nn` 的基础知识（`nn.Linear`、`nn.Embedding`、`forward`）。

# %% slideshow={"slide_type": "subslide"}
import matplotlib.pyplot as plt
import torch
from torch import nn

import helpers

torch.manual_seed(0)
schedule = helpers.sigmoid_schedule(100)
T = schedule.T

# %% [markdown] slideshow={"slide_type": "slide"} translates="c6c7b6dedcb2"
# ## 为什么网络需要知道 $t$
#
# 同一个带噪声的点，在不同的步有不同的含义。取高斯分布的“数据” $\mathbf{x}_0 \sim \mathcal{N}(0, \sigma_\text{data}^2 I)$，其中 $\sigma_\text{data} = 0.1$。这时 $\boldsymbol\epsilon$ 与 $\mathbf{x}_t$ 服从均值为 0 的联合高斯分布；用 $\mathbf{x}_t$ 预测 $\boldsymbol\epsilon$，最好的预测是 $\mathbf{x}_t$ 的某个倍数：$\mathbb{E}[\boldsymbol\epsilon \mid \mathbf{x}_t] = k_t\,\mathbf{x}_t$，其斜率 $k_t$ 可以用过原点的最小二乘拟合测出（第 14 课的练习 2 会推导它）。在 $t = 0$ 附近，$\mathbf{x}_t$ 中几乎没有噪声；在 $t = T$ 附近，噪声所占的部分要多得多。一个不知道 $t$ 的网络，只能对两者给出同一个答案。

# %% translates="b5683f303d9a"
sigma_data = 0.1
x0 = sigma_data * torch.randn(200_000, 2)
slopes, errors = {}, {}
for t in (0, 50, 99):
    eps = torch.randn_like(x0)
    xt = helpers.q_sample(x0, t, schedule, eps=eps)
    slopes[t] = ((xt * eps).sum() / (xt * xt).sum()).item()
    # 过原点的最小二乘斜率的标准误，由残差算出。
    errors[t] = ((eps - slopes[t] * xt).pow(2).mean() / (xt * xt).sum()).sqrt().item()
    print(f"t = {t:2d}: best eps-prediction = {slopes[t]:.3f} * x_t  (± s.e. {errors[t]:.3f}, least squares)")
print(f"largest / smallest slope: {max(slopes.values()) / min(slopes.values()):.1f}")
# 任意两个斜率之差都远大于它们的标准误：最佳答案取决于 t。
assert all(abs(slopes[a] - slopes[b]) > 5 * (errors[a] ** 2 + errors[b] ** 2) ** 0.5 for a in slopes for b in slopes if a < b)

# %% [markdown] translates="8b78dd82e5e4"
# 在这几步之间，最大斜率约是最小斜率的 9 倍，而且变化并不单调（三者中 $t = 50$ 处最大）。每个斜率都用 200 000 个样本拟合，任意两个斜率之差都超过该差值标准误的 5 倍（每个斜率的标准误打印在“± s.e.”之后；它在 $t = 0$ 处最大，那里的 $\mathbf{x}_t$ 几乎不含可供拟合的噪声）。

# %% [markdown] slideshow={"slide_type": "notes"} translates="5f69f7a3420a"
# **讲师提示。** 高斯数据这个例子就是让网络以 t 为条件的全部理由：输入相同，最佳答案的斜率最大约是最小的 9 倍。

# %% [markdown] slideshow={"slide_type": "slide"} translates="135061c33bc3"
# ## 参考方案的网络
#
# 三个宽度为 128 的隐藏层，每层之后接一个 ReLU。时间步经由三张可学习的嵌入表 $E^{(i)} \in \mathbb{R}^{T \times 128}$ 进入网络：第 $t$ 行加到第 $i$ 个线性层的输出上，再送入该层的 ReLU。
#
# $$\mathbf{h}_1 = \mathrm{ReLU}(W_1\mathbf{x}_t + b_1 + E^{(1)}_t),\quad
#   \mathbf{h}_2 = \mathrm{ReLU}(W_2\mathbf{h}_1 + b_2 + E^{(2)}_t),\quad
#   \mathbf{h}_3 = \mathrm{ReLU}(W_3\mathbf{h}_2 + b_3 + E^{(3)}_t),\quad
#   \boldsymbol\epsilon_\theta = W_4\mathbf{h}_3 + b_4$$

# %%
class RecipeMLP(nn.Module):
    def __init__(self, T, hidden=128):
        super().__init__()
        self.layer1, self.layer2, self.layer3 = nn.Linear(2, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, 2)
        self.embed1, self.embed2, self.embed3 = nn.Embedding(T, hidden), nn.Embedding(T, hidden), nn.Embedding(T, hidden)

    def forward(self, xt, t):
        h = torch.relu(self.layer1(xt) + self.embed1(t))
        h = torch.relu(self.layer2(h) + self.embed2(t))
        h = torch.relu(self.layer3(h) + self.embed3(t))
        return self.out(h)

# %% [markdown] slideshow={"slide_type": "subslide"} translates="165175179a6a"
# ## 逐层查看形状
#
# 一个由 5 个点组成的小批量，每个点各有自己的步：

# %%
model = RecipeMLP(T)
xt = torch.randn(5, 2)
t = torch.tensor([0, 10, 50, 98, 99])
h = xt
print("x_t        ", tuple(h.shape))
for i, (layer, embed) in enumerate([(model.layer1, model.embed1), (model.layer2, model.embed2), (model.layer3, model.embed3)], 1):
    print(f"E{i}[t]      ", tuple(embed(t).shape))
    h = torch.relu(layer(h) + embed(t))
    print(f"h{i}         ", tuple(h.shape))
print("eps_theta  ", tuple(model.out(h).shape))

# %% [markdown] translates="d8cc7c46dc34"
# `helpers.NoisePredictor` 是同一个网络，只是把各层放在列表里。把权重复制过去之后，两者必须给出相同的预测：

# %%
net = helpers.NoisePredictor(T, hidden=128)
renames = {"layer1": "linears.0", "layer2": "linears.1", "layer3": "linears.2", "out": "out",
           "embed1": "step_embeddings.0", "embed2": "step_embeddings.1", "embed3": "step_embeddings.2"}
state = {}
for key, value in model.state_dict().items():
    module, param = key.split(".")
    state[f"{renames[module]}.{param}"] = value
net.load_state_dict(state)
torch.testing.assert_close(net(xt, t), model(xt, t))

# %% [markdown] slideshow={"slide_type": "slide"} translates="3fdd24858363"
# ## 有多少参数？
#
# 每个 `Linear(n_in, n_out)` 有 $n_\text{in} n_\text{out} + n_\text{out}$ 个参数（权重和偏置），每张表有 $T \cdot 128$ 个：
#
# $$\underbrace{(2\cdot128 + 128)}_{W_1,b_1} + 2\,\underbrace{(128^2 + 128)}_{W_2,b_2 \text{ 和 } W_3,b_3}
#   + \underbrace{(128\cdot2 + 2)}_{W_4,b_4} + \underbrace{3\cdot T\cdot128}_{\text{嵌入}}$$

# %%
by_formula = (2 * 128 + 128) + 2 * (128 * 128 + 128) + (128 * 2 + 2) + 3 * T * 128
counted = sum(p.numel() for p in net.parameters())
print(f"{counted:,} parameters, {3 * T * 128:,} of them in the step embeddings")
assert counted == by_formula == sum(p.numel() for p in model.parameters())

# %% [markdown] translates="a06ced371b11"
# 超过一半的参数位于恰好有 $T$ 行的表中。用 $T = 100$ 训练之后，连拿 $T = 1000$ 或 $t = 100$ 去*问*网络都做不到：

# %%
try:
    net(xt, torch.tensor([0, 0, 0, 0, 100]))
except ValueError as error:
    print("ValueError:", error)

# %% [markdown] slideshow={"slide_type": "slide"} translates="a74cb7f4ba0f"
# ## 正弦时间步嵌入
#
# 另一种做法来自 Transformer（Vaswani 等人，2017）：用一组固定的波来描述 $t$，波的频率成等比数列（Ho 等人的代码用的是同一思路，取 $\omega_j = 10000^{-j/(d_\text{emb}/2-1)}$），
#
# $$\mathrm{PE}(t) = \big[\sin(t\,\omega_j),\ \cos(t\,\omega_j)\big]_{j = 0}^{d_\text{emb}/2 - 1},\qquad \omega_j = 10000^{-j/(d_\text{emb}/2)},$$
#
# 共 $d_\text{emb}$ 个特征，与隐藏层宽度（128）相同；再由每层一个可学习的 `Linear(128, 128)` 把这些特征变换成该层所需的形式。这些特征没有参数，而且公式对任何步都能给出值，所以不需要一张 $T$ 行的表。

# %%
dim = 128
freqs = 10_000 ** (-torch.arange(dim // 2) / (dim // 2))
steps = torch.arange(T)
pe = torch.cat([torch.sin(steps[:, None] * freqs), torch.cos(steps[:, None] * freqs)], dim=1)
torch.testing.assert_close(helpers.sinusoidal_embedding(steps, dim), pe)

# %%
fig, ax = plt.subplots(figsize=(9, 3.5))
image = ax.imshow(pe.T, aspect="auto", cmap="RdBu", interpolation="nearest", vmin=-1, vmax=1)
fig.colorbar(image, ax=ax, label="value")
ax.set(xlabel="step t", ylabel="feature", title="sinusoidal embedding: each column describes one step")
plt.show()

# %% [markdown] translates="ffdb3be1e516"
# 这些波带来的性质是：两步的嵌入之间的距离只取决于两步相隔多远，
#
# $$\lVert\mathrm{PE}(t+\Delta) - \mathrm{PE}(t)\rVert^2 = \sum_j \big(2 - 2\cos(\Delta\,\omega_j)\big),$$
#
# 因为每一对正弦和余弦共用同一个频率。所以在每个 $t$ 处，相邻的步都得到相近的嵌入；而可学习的表的各行一开始互不相关。下面的检查对每一对时间步，把辅助函数给出的嵌入与这个公式比较，并且要求任意两个时间步的嵌入都不相同：

# %%
def check_embedding(embed, T=100, dim=128):
    """Pairwise distances of embed(0..T-1) against sum_j (2 - 2 cos(Delta w_j)), w_j = 10000^(-j/(dim/2))."""
    steps = torch.arange(T)
    omega = 10_000 ** (-torch.arange(dim // 2, dtype=torch.float64) / (dim // 2))
    delta = (steps[:, None] - steps[None, :]).double()
    expected = (2 - 2 * torch.cos(delta[..., None] * omega)).sum(-1)
    measured = torch.cdist(embed(steps, dim).double(), embed(steps, dim).double()) ** 2
    gap = (measured - expected).abs().max().item()
    assert gap < 1e-3, f"squared distances differ from the formula by up to {gap:.2g}"
    assert measured.add(torch.eye(T) * 10).min() > 0.01, "two steps share an embedding"


check_embedding(helpers.sinusoidal_embedding)
print(f"distance between neighbouring steps: {pe[1:].sub(pe[:-1]).norm(dim=1).min():.3f} to {pe[1:].sub(pe[:-1]).norm(dim=1).max():.3f}")
print(f"distance between steps 0 and 50: {(pe[50] - pe[0]).norm():.3f}")

# %% [markdown] translates="29b5030d3068"
# 这个检查能发现余弦部分的频率错开了一位的嵌入，以及底数是 1000 而不是 10 000 的嵌入：

# %%
def shifted_cosines(t, dim):
    angles = t.double()[:, None] * 10_000 ** (-torch.arange(dim // 2 + 1) / (dim // 2))
    return torch.cat([angles[:, :-1].sin(), angles[:, 1:].cos()], dim=1)


def base_1000(t, dim):
    angles = t.double()[:, None] * 1_000 ** (-torch.arange(dim // 2) / (dim // 2))
    return torch.cat([angles.sin(), angles.cos()], dim=1)


for wrong in (shifted_cosines, base_1000):
    try:
        check_embedding(wrong)
        print(f"{wrong.__name__}: passes (not caught)")
    except AssertionError as error:
        print(f"{wrong.__name__}: caught, {error}")

# %% [markdown] translates="f98469be4cdd"
# 取 `embedding="sinusoidal"` 时，参数量不再随 $T$ 增长（在 $T = 100$ 时，它的参数反而比用可学习表的网络更多：三个 `Linear(128, 128)` 的参数比三张 100 行的表多）：

# %%
for steps_T in (100, 1000):
    sinus = helpers.NoisePredictor(steps_T, embedding="sinusoidal")
    learned = helpers.NoisePredictor(steps_T)
    print(f"T = {steps_T:4d}: learned {sum(p.numel() for p in learned.parameters()):7,d} | sinusoidal {sum(p.numel() for p in sinus.parameters()):,d}")
assert sum(p.numel() for p in helpers.NoisePredictor(7, embedding="sinusoidal").parameters()) == sum(p.numel() for p in sinus.parameters())

# %% [markdown] translates="b7fd35bd160d"
# 正弦嵌入的收获就是这两点。网络仍然是为某一个噪声调度的整数步 $0 \dots T-1$ 而建的：它拒绝其他任何步；它在“步 50”学到的内容属于*这个*噪声调度的噪声水平 $\bar\alpha_{50}$，换一个 $T$ 或噪声调度，步 50 的含义就不同了。Karras 等人（2022）的做法则是把噪声水平本身输入网络，即他们表 1 中的 $c_\text{noise} = \tfrac14\ln\sigma$；本课程不这样做。

# %%
try:
    helpers.NoisePredictor(T, embedding="sinusoidal")(xt, torch.tensor([0, 0, 0, 0, 100]))
except ValueError as error:
    print("ValueError:", error)

# %% [markdown] slideshow={"slide_type": "slide"} translates="070bdd1c0de9"
# ## 放到设备上
#
# 模型的权重和它的输入必须位于同一个设备上；输出也随之位于该设备上。

# %%
device = helpers.default_device()
net = net.to(device)
out = net(xt.to(device), t.to(device))
assert out.device.type == device.type and out.shape == (5, 2)

# %% [markdown] slideshow={"slide_type": "slide"} translates="1102652021c7"
# ## 小结
#
# - $\boldsymbol\epsilon_\theta(\mathbf{x}_t, t)$：一个 2→128→128→128→2 的多层感知机；时间步以可学习向量的形式在每个 ReLU 之前加入。
# - 它必须知道 $t$：对同一个 $\mathbf{x}_t$，各步的最佳预测差别很大，最大斜率约是最小斜率的 9 倍。
# - 共 72 066 个参数，其中 38 400 个在三张 $T \times 128$ 的表里，这些表把模型绑定在 $T = 100$ 上。
# - 正弦嵌入用固定的波描述每一步，嵌入之间的距离只取决于步之差：参数量不再依赖 $T$，但网络接受的仍然只是某一个噪声调度的步 $0 \dots T-1$，并拒绝 $t \ge T$。

# %% [markdown] slideshow={"slide_type": "slide"} translates="2d51c0912064"
# ## 练习（解答：`%load ../notebooks/solutions/05_1.py`、`05_2.py`、`05_3.py`，每个解答都以相应的检查结尾；解答文件中的注释为英文）
#
# **1.** 编写函数 `count_parameters(hidden, d)`：对任意宽度和数据维数 `d`，返回使用正弦嵌入的网络（`helpers.NoisePredictor(T, hidden, "sinusoidal", d=d)`）的参数量（第 17 课的手写数字数据维数为 $d = 64$）。

# %% translates="fe3005f9625b"
def count_parameters(hidden, d):
    return None  # 在这里写你的代码


helpers.check_exercise("05.1", count_parameters)

# %% [markdown] translates="79cb0b22ed98"
# **2.** 编写函数 `embed_step(t, dim)`，返回单个整数步 `t` 的正弦嵌入：一个长度为 `dim` 的一维张量（先是正弦，后是余弦）。

# %% translates="755eb5d8e866"
def embed_step(t, dim):
    return None  # 在这里写你的代码


helpers.check_exercise("05.2", embed_step)


# %% [markdown] translates="b6678f088482"
# **3. 先预测。** 两个使用正弦嵌入的网络，一个为 $T = 100$ 构建，一个为 $T = 1000$ 构建，各自都紧接在 `torch.manual_seed(0)` 之后创建，并在步 $t = 50$ 上对同样的点做预测。它们返回的是 (a) 相同的预测，还是 (b) 不同的预测？先写下你选的字母，再运行这个单元格；检查会实际试一试。

# %% translates="9332c32c88ac"
prediction = None  # "a" 或 "b"

helpers.check_exercise("05.3", prediction)

# %% [markdown] slideshow={"slide_type": "slide"} translates="e640718479e7"
# ## 参考文献
#
# - J. Ho, A. Jain, P. Abbeel (2020). *Denoising Diffusion Probabilistic Models.* NeurIPS. §3.2 和式 11：ε 预测的参数化；附录 B：其 U-Net 所用的正弦时间步嵌入。
# - A. Vaswani et al. (2017). *Attention Is All You Need.* NeurIPS. §3.5：正弦位置编码。
# - T. Karras, M. Aittala, T. Aila, S. Laine (2022). *Elucidating the Design Space of Diffusion-Based Generative
#   Models.* NeurIPS. 表 1：以噪声水平 $c_\text{noise}(\sigma)$ 为条件的网络。
# - 参考方案的多层感知机，在每个 ReLU 之前加上三张可学习的 `nn.Embedding(T, 128)` 表：见第 01 课介绍的那篇博客教程。该教程的代码源自 P. Esling 的 `diffusion_models` 笔记本（ACIDS，IRCAM，2021），那里同样用可学习的 `nn.Embedding(n_steps, 128)` 表让网络以步为条件，不过是乘到两个层上。
