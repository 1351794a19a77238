# %% [markdown] slideshow={"slide_type": "slide"} translates="3ede8f647425"
# # 第 06 课——损失：从 ELBO 到 $L_\text{simple}$
#
# **目标。** 推导第 05 课的网络应该用什么来训练。我们简要说明 Ho 等人（2020，式 3–12）的证据下界（evidence lower bound，ELBO）如何变成一串高斯分布之间的 KL 散度之和，每个 KL 项如何化为噪声预测的平方误差，以及为什么去掉其中的 ELBO 权重（ELBO weight）就得到简单损失 $L_\text{simple} = \mathbb{E}\,\lVert\boldsymbol\epsilon - \boldsymbol\epsilon_\theta(\mathbf{x}_t, t)\rVert^2$。然后实现这个损失，看看参考方案（reference recipe）抽取时间步的方式——批量大小为奇数时它会出错，而参考方案从不会遇到这种情况——再分别查看未训练和训练好的网络在每一步上的损失，其中也包括损失为什么永远到不了 0。
#
# **预备知识。** 学过第 04 课的闭式（closed form）和第 05 课的网络；知道什么是 KL 散度。

# %% slideshow={"slide_type": "subslide"}
import math

import matplotlib.pyplot as plt
import torch
from torch.distributions import MultivariateNormal, Normal, kl_divergence

import helpers

torch.manual_seed(0)
schedule = helpers.sigmoid_schedule(100)
T, beta, alpha, alpha_bar = schedule.T, schedule.beta, schedule.alpha, schedule.alpha_bar
x0 = helpers.s_curve(10_000)

# %% [markdown] slideshow={"slide_type": "slide"} translates="fa4040df4c64"
# ## 1. 下界
#
# 我们希望似然 $p_\theta(\mathbf{x}_0)$ 尽量大。取前向过程（forward process）$q$ 作为 $\mathbf{x}_{1:T}$ 上的变分分布，由 Jensen 不等式得 $-\log p_\theta(\mathbf{x}_0) \le L$（$L$ 是 ELBO 的相反数），再重新整理 $L$ 的各项（Ho 等人，式 5），得到
#
# $$L = \mathbb{E}_q\Big[\underbrace{D_\mathrm{KL}\big(q(\mathbf{x}_T\mid\mathbf{x}_0)\,\|\,p(\mathbf{x}_T)\big)}_{L_T\text{：无参数}}
#   + \sum_{t=2}^{T}\underbrace{D_\mathrm{KL}\big(q(\mathbf{x}_{t-1}\mid\mathbf{x}_t,\mathbf{x}_0)\,\|\,p_\theta(\mathbf{x}_{t-1}\mid\mathbf{x}_t)\big)}_{L_{t-1}}
#   \underbrace{-\log p_\theta(\mathbf{x}_0\mid\mathbf{x}_1)}_{L_0}\Big].$$
#
# 每个 $L_{t-1}$ 都在比较两个高斯分布：一个是前向过程的后验（posterior）$q(\mathbf{x}_{t-1}\mid\mathbf{x}_t,\mathbf{x}_0) =
# \mathcal{N}(\tilde{\boldsymbol\mu}_t, \tilde\beta_t I)$（Ho 等人，式 6–7；第 07 课推导），另一个是模型的反向过程（reverse process）中的一步 $p_\theta = \mathcal{N}(\boldsymbol\mu_\theta, \sigma_t^2 I)$，其中 $\sigma_t^2$ 是固定的。最后一项 $L_0$（论文中的 $t = 1$）不是 KL：它是数据在模型最后一步下的负对数似然。
#
# 只有当 $q(\mathbf{x}_T\mid\mathbf{x}_0)$ 接近 $\mathcal{N}(0, I)$ 时，$L_T$ 才小。参考方案的噪声调度（noise schedule）不满足这一点——这正是第 02 课的先验失配（prior mismatch），现在以下界中一项的形式出现：

# %%
def prior_term(schedule, x0):
    """L_T = KL(N(sqrt(alpha_bar_T) x0, (1 - alpha_bar_T) I) || N(0, I)) in nats, averaged over the points x0."""
    a = schedule.alpha_bar[-1].double()
    return kl_divergence(Normal(a.sqrt() * x0.double(), (1 - a).sqrt()), Normal(0.0, 1.0)).sum(dim=1).mean().item()


print(f"L_T, recipe: {prior_term(schedule, x0):.2f} nats | linear schedule (T = 1000): {prior_term(helpers.linear_schedule(1000), x0):.0e} nats")

# %% [markdown] slideshow={"slide_type": "notes"} translates="164575ca9faf"
# **讲师提示。** 不要现场推导 ELBO：直接给出它，把时间花在讲清每个 KL 为什么会变成关于 ε 的平方误差。

# %% [markdown] slideshow={"slide_type": "slide"} translates="7728bff4adc3"
# ## 2. 方差相同的高斯分布之间的 KL
#
# 对两个方差相同的 $d$ 维高斯分布 $\mathcal{N}(\boldsymbol\mu_1, \sigma_t^2 I)$ 和 $\mathcal{N}(\boldsymbol\mu_2, \sigma_t^2 I)$（当 $\sigma_t^2 = \tilde\beta_t$ 时，$L_{t-1}$ 就是这种情形），对数行列式项和迹项相互抵消，只剩下
#
# $$D_\mathrm{KL} = \frac{\lVert\boldsymbol\mu_1 - \boldsymbol\mu_2\rVert^2}{2\sigma_t^2}.$$
#
# 当两个方差不同（$\tilde\beta_t$ 与 $\sigma_t^2$）时，KL 会多出一些只含这两个方差的项，它们与 $\theta$ 无关。下面与 PyTorch 的一般公式对照检查：

# %%
mu1, mu2, var = torch.tensor([0.3, -0.1]), torch.tensor([0.1, 0.2]), torch.tensor(0.05)
general = kl_divergence(MultivariateNormal(mu1, var * torch.eye(2)), MultivariateNormal(mu2, var * torch.eye(2)))
torch.testing.assert_close(general, ((mu1 - mu2) ** 2).sum() / (2 * var))

# %% [markdown] slideshow={"slide_type": "slide"} translates="c5a9ed8f5937"
# ## 3. 用噪声表示均值
#
# 把 $\mathbf{x}_0 = (\mathbf{x}_t - \sqrt{1-\bar\alpha_t}\,\boldsymbol\epsilon)/\sqrt{\bar\alpha_t}$（第 04 课）代入第 07 课的后验均值 $\tilde{\boldsymbol\mu}_t = \frac{\sqrt{\bar\alpha_{t-1}}\beta_t}{1-\bar\alpha_t}\mathbf{x}_0 + \frac{\sqrt{\alpha_t}(1-\bar\alpha_{t-1})}{1-\bar\alpha_t}\mathbf{x}_t$（Ho 等人，式 7），化简后得到（式 10）
#
# $$\tilde{\boldsymbol\mu}_t = \frac{1}{\sqrt{\alpha_t}}\Big(\mathbf{x}_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\,\boldsymbol\epsilon\Big),$$
#
# 因此把模型的均值也取成同样的形式，只是其中的噪声换成*预测的*噪声：$\boldsymbol\mu_\theta = \frac{1}{\sqrt{\alpha_t}}\big(\mathbf{x}_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\boldsymbol\epsilon_\theta(\mathbf{x}_t, t)\big)$（式 11）。下面在真实数据上对每一步都检查这一点，并且用 float64 计算，因为在 $t = 1$ 附近，用 float32 算出的差 $1 - \bar\alpha_t$ 只保留大约三位有效数字：

# %%
def mean_from_x0(x0, xt, t, beta):
    """Posterior mean of x_{t-1} (paper's step t + 1, code step t >= 1) from x_0 and x_t."""
    alpha_bar = torch.cumprod(1 - beta, dim=0)
    return (alpha_bar[t - 1].sqrt() * beta[t] * x0 + (1 - beta[t]).sqrt() * (1 - alpha_bar[t - 1]) * xt) / (1 - alpha_bar[t])


def mean_from_eps(xt, eps, t, beta):
    """The same mean from x_t and the noise that made it."""
    alpha_bar = torch.cumprod(1 - beta, dim=0)
    return (xt - beta[t] / (1 - alpha_bar[t]).sqrt() * eps) / (1 - beta[t]).sqrt()


def check_means(mean_from_x0, mean_from_eps, x0, beta):
    """Both forms of the posterior mean agree for x_t drawn by the closed form, at every code step t = 1 .. T-1."""
    alpha_bar = torch.cumprod(1 - beta, dim=0)
    eps = torch.randn_like(x0)
    for t in range(1, len(beta)):
        xt = alpha_bar[t].sqrt() * x0 + (1 - alpha_bar[t]).sqrt() * eps
        gap = (mean_from_eps(xt, eps, t, beta) - mean_from_x0(x0, xt, t, beta)).abs().max().item()
        assert gap < 1e-9, f"the two means differ by {gap:.1e} at code step t = {t}"


check_means(mean_from_x0, mean_from_eps, x0.double(), beta.double())

# %% [markdown] translates="4a845dfbbf15"
# 在 $\mathbf{x}_0$ 形式中把 $\bar\alpha_{t-1}$ 错写成 $\bar\alpha_t$ 的差一错误（off-by-one），或者在 $\boldsymbol\epsilon$ 形式中漏掉一个平方根，检查都能发现：

# %%
def mean_from_x0_off_by_one(x0, xt, t, beta):
    alpha_bar = torch.cumprod(1 - beta, dim=0)
    return (alpha_bar[t].sqrt() * beta[t] * x0 + (1 - beta[t]).sqrt() * (1 - alpha_bar[t]) * xt) / (1 - alpha_bar[t])


def mean_from_eps_no_square_root(xt, eps, t, beta):
    alpha_bar = torch.cumprod(1 - beta, dim=0)
    return (xt - beta[t] / (1 - alpha_bar[t]) * eps) / (1 - beta[t]).sqrt()


slips = {"off-by-one in alpha_bar_{t-1}": (mean_from_x0_off_by_one, mean_from_eps),
         "no square root in the eps form": (mean_from_x0, mean_from_eps_no_square_root)}
for name, (x0_form, eps_form) in slips.items():
    try:
        check_means(x0_form, eps_form, x0.double(), beta.double())
        print(f"{name}: passes (not caught)")
    except AssertionError as error:
        print(f"{name}: caught, {error}")

# %% [markdown] slideshow={"slide_type": "slide"} translates="d69709745081"
# ## 4. 权重，以及去掉权重
#
# 两个均值相减后，只剩下噪声项（Ho 等人，式 12）：
#
# $$L_{t-1} = \frac{\lVert\tilde{\boldsymbol\mu}_t - \boldsymbol\mu_\theta\rVert^2}{2\sigma_t^2} + C
#   = \underbrace{\frac{\beta_t^2}{2\sigma_t^2\,\alpha_t\,(1-\bar\alpha_t)}}_{w_t}\,\lVert\boldsymbol\epsilon - \boldsymbol\epsilon_\theta(\mathbf{x}_t, t)\rVert^2 + C.$$
#
# 其他文献把这个权重记作 λ_t；而在本课程中，λ 只表示对数信噪比（log-SNR），它在第 02 课命名，从第 13 课起使用。Ho 等人试过 $\sigma_t^2$ 的两种取法（§3.2）：$\beta_t$，以及前向过程后验的方差 $\tilde\beta_t = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\beta_t$（第 07 课推导）。取 $\sigma_t^2 = \beta_t$ 时，$w_t = \beta_t / (2\alpha_t(1-\bar\alpha_t))$。下面的检查取随机的噪声，在每一步上比较两个均值之间的 KL（第 2 节）和 $w_t$ 与平方误差的乘积：

# %%
def check_weights(w, beta):
    """w[t] ||eps - eps_pred||^2 equals ||mu_q - mu_p||^2 / (2 beta_t) at every code step t = 1 .. T-1."""
    alpha_bar = torch.cumprod(1 - beta, dim=0)
    xt, eps, eps_pred = torch.randn(3, 2, dtype=beta.dtype)
    for t in range(1, len(beta)):
        mu_q = (xt - beta[t] / (1 - alpha_bar[t]).sqrt() * eps) / (1 - beta[t]).sqrt()
        mu_p = (xt - beta[t] / (1 - alpha_bar[t]).sqrt() * eps_pred) / (1 - beta[t]).sqrt()
        kl = ((mu_q - mu_p) ** 2).sum() / (2 * beta[t])
        gap = abs(kl / (w[t] * ((eps - eps_pred) ** 2).sum()) - 1).item()
        assert gap < 1e-9, f"w_t is off by {gap:.1e} (relative) at code step t = {t}"


beta64 = beta.double()
w = beta64 / (2 * (1 - beta64) * (1 - torch.cumprod(1 - beta64, dim=0)))
check_weights(w, beta64)

# %% [markdown] translates="09fcaea13666"
# 论文中的 $t = 1$ 是代码中的步 0（step 0 in code），它没有 KL 项：这一步是 $L_0$，Ho 等人用一个离散解码器来计算它（式 13）；$L_\text{simple}$ 中 $t = 1$ 的那一项取代了它，这是一种去掉了权重的近似（论文 §3.4）。在各个 KL 项上，即代码中的步 1 … 99，权重最大与最小之比为：

# %%
kl_w = w[1:]
print(f"w_t over code steps 1..{T - 1}: from {kl_w.min():.2e} (t = {kl_w.argmin().item() + 1}) "
      f"to {kl_w.max():.2e} (t = {kl_w.argmax().item() + 1}), a factor of {kl_w.max() / kl_w.min():.0f}")

# %%
fig, ax = plt.subplots(figsize=(6, 3))
ax.semilogy(torch.arange(1, T), kl_w)
ax.set(xlabel="code step t (paper's t + 1)", ylabel=r"$w_t$", title=r"the ELBO's weights that $L_\mathrm{simple}$ drops")
plt.show()

# %% [markdown] translates="170d7fec0663"
# 最大是最小的 23 倍，而不是相差几个数量级：取 $\sigma_t^2 = \beta_t$ 时，ELBO 给第一个 KL 项的权重是最后一个的 23 倍。在 CIFAR-10 上，Ho 等人发现，去掉 $w_t$、让每一步以相同的权重训练，得到的样本更好（论文表 2）；本课程在第 14 课用自己的数据来衡量不同的加权方式。

# %% [markdown] slideshow={"slide_type": "slide"} translates="e7055c27a7aa"
# ## 代码中的损失
#
# $$L_\text{simple} = \mathbb{E}_{t, \mathbf{x}_0, \boldsymbol\epsilon}\,\big\lVert\boldsymbol\epsilon - \boldsymbol\epsilon_\theta(\sqrt{\bar\alpha_t}\mathbf{x}_0 + \sqrt{1-\bar\alpha_t}\boldsymbol\epsilon,\ t)\big\rVert^2$$
#
# （Ho 等人，式 14；和参考方案一样，还对两个坐标取平均。）在一个小批量上计算：

# %%
model = helpers.NoisePredictor(T)
batch = x0[:128]
t = torch.randint(0, T, (128,))
eps = torch.randn_like(batch)
xt = alpha_bar[t].sqrt()[:, None] * batch + (1 - alpha_bar[t]).sqrt()[:, None] * eps
loss = ((eps - model(xt, t)) ** 2).mean()
torch.testing.assert_close(helpers.eps_loss(model, batch, schedule, t=t, eps=eps), loss)
print(f"untrained loss on one batch: {loss.item():.2f}")

# %% [markdown] slideshow={"slide_type": "slide"} translates="52a59820461b"
# ## 对偶时间步（antithetic steps）：一个潜伏的 bug
#
# 参考方案先为半个小批量抽取时间步，再取它们的镜像 `cat([t, T-1-t])`，让每个小批量都均衡地覆盖早期和晚期的步。用 `B // 2` 次抽取时，大小为奇数的小批量会少一个时间步，损失计算随之失败。这里捕获并打印了这个错误，好让“Run All”（全部运行）能继续执行：

# %%
B = 127
t_half = torch.randint(0, T, (B // 2,))
t_recipe = torch.cat([t_half, T - 1 - t_half])
print("steps for a batch of", B, "points:", len(t_recipe))
try:
    helpers.eps_loss(model, x0[:B], schedule, t=t_recipe)
    raise AssertionError("an odd batch should have failed")
except ValueError as error:
    print("ValueError:", error)

# %% [markdown] translates="0805ae2ab45c"
# 参考方案本身从不会遇到奇数大小的小批量：它的 10 000 个点分成 78 个大小为 128 的小批量，外加最后一个大小为 16 的小批量。这个 bug 处于潜伏状态；换一个批量大小或数据量就会触发它。

# %%
full_batches, last_batch = divmod(x0.shape[0], 128)
print(f"10 000 points in batches of 128: {full_batches} full batches and a last one of {last_batch}")

# %% [markdown] translates="8eb8eb53b04f"
# 上游代码里本来就有修复：参考方案源自 P. Esling 的 `diffusion_models` 笔记本（2021），这个笔记本抽取 `batch_size // 2 + 1` 个时间步，并保留镜像后列表的前 `batch_size` 个。参考方案照搬这段代码时，丢掉了 `+ 1` 和截取这一步。`helpers.antithetic_steps` 把两者补了回来，抽取 $\lceil B/2\rceil$ 个时间步（$B$ 为奇数时与 `B // 2 + 1` 相同，$B$ 为偶数时少一个）。每个时间步仍服从 $0 \dots T-1$ 上的均匀分布，所以 $L_\text{simple}$ 的各步权重依然相同；下面的检查要求长度和取值范围正确、后一半是前一半的镜像，并且在 100 001 个时间步中，各步的计数与均匀分布的偏差都在 5 个标准误以内。

# %% translates="5987ccfda46b"
def check_antithetic(antithetic_steps, T=100):
    """Length B and range [0, T) for odd and even B; second half mirrors the first; uniform counts."""
    for B in (1, 2, 127, 128):
        steps = antithetic_steps(B, T)
        assert steps.shape == (B,), f"{steps.shape[0]} steps for a batch of {B}"
        assert 0 <= steps.min() and steps.max() < T, f"steps from {steps.min()} to {steps.max()}"
        drawn = (B + 1) // 2
        assert torch.equal(steps[drawn:], T - 1 - steps[: B - drawn]), "the second half is not the mirror"
    n = 100_001
    counts = torch.bincount(antithetic_steps(n, T), minlength=T).double()
    # ceil(n/2) 次抽取中的每一次，都以概率 2/T 落在镜像对 {t, T-1-t} 中。
    se = math.sqrt((n + 1) // 2 * (2 / T) * (1 - 2 / T))
    z = ((counts - n / T).abs().max() / se).item()
    assert z < 5, f"a step's count is {z:.1f} standard errors from uniform"


check_antithetic(helpers.antithetic_steps)
print("loss on a batch of 127:", round(helpers.eps_loss(model, x0[:127], schedule).item(), 2))

# %% [markdown] translates="0fcf5d69ca5d"
# 这个检查能发现参考方案的版本、差一的镜像（$T - t$），以及永远抽不到 $T - 1$ 的抽取方式：

# %%
def recipe_steps(n, T):
    t_half = torch.randint(0, T, (n // 2,))
    return torch.cat([t_half, T - 1 - t_half])


def mirror_off_by_one(n, T):
    t_half = torch.randint(0, T, ((n + 1) // 2,))
    return torch.cat([t_half, T - t_half])[:n]


def draws_miss_last(n, T):
    t_half = torch.randint(0, T - 1, ((n + 1) // 2,))
    return torch.cat([t_half, T - 1 - t_half])[:n]


for wrong in (recipe_steps, mirror_off_by_one, draws_miss_last):
    try:
        check_antithetic(wrong)
        print(f"{wrong.__name__}: passes (not caught)")
    except AssertionError as error:
        print(f"{wrong.__name__}: caught, {error}")

# %% [markdown] slideshow={"slide_type": "slide"} translates="2dd96dca2170"
# ## 每一步上的损失
#
# 去噪难在哪些步？在全部 10 000 个点上，对每个 $t$ 计算 $L_\text{simple}$，分别针对未训练的网络和按第 08 课的方案训练好的网络。后者是随本课程一同提交的检查点，位于 `helpers.COMMITTED_CHECKPOINT`；`helpers.load_model` 根据与它一起保存的配置重建网络。我们保留每个点的平方误差，以便同时得到标准误。

# %%
trained = helpers.load_model(helpers.COMMITTED_CHECKPOINT)
eps = torch.randn_like(x0)
with torch.no_grad():
    errors = {name: torch.stack([((eps - net(helpers.q_sample(x0, t, schedule, eps=eps), t)) ** 2).mean(dim=1) for t in range(T)])
              for name, net in (("untrained", model), ("trained (lesson 08)", trained))}
per_step = {name: e.mean(dim=1) for name, e in errors.items()}
with torch.no_grad():
    torch.testing.assert_close(helpers.eps_loss(trained, x0, schedule, t=50, eps=eps), per_step["trained (lesson 08)"][50])

# %% [markdown] translates="6046456cbbb5"
# 训练之后，损失在晚期的步最低，在早期的步最高：

# %%
late, early = per_step["trained (lesson 08)"][-10:].mean().item(), per_step["trained (lesson 08)"][:10].mean().item()
print(f"trained: first 10 steps {early:.2f}, last 10 steps {late:.2f}; untrained: {per_step['untrained'].mean().item():.1f} on average")
assert late < early < per_step["untrained"].min().item()

# %% [markdown] slideshow={"slide_type": "slide"} translates="280c40daa09a"
# ## 为什么损失到不了 0
#
# $\boldsymbol\epsilon$ 不是 $\mathbf{x}_t$ 的函数：许多对 $(\mathbf{x}_0, \boldsymbol\epsilon)$ 都给出同一个 $\mathbf{x}_t$。即使是理论上最好的网络 $\boldsymbol\epsilon^*(\mathbf{x}_t, t) = \mathbb{E}[\boldsymbol\epsilon\mid\mathbf{x}_t]$，在每一步也会留下误差 $\mathbb{E}\,\lVert\boldsymbol\epsilon - \mathbb{E}[\boldsymbol\epsilon\mid\mathbf{x}_t]\rVert^2 > 0$。第 09 课会精确计算这个损失下限（loss floor）。一个简单的**下界**：如果网络还知道 $\mathbf{x}_0$ 是围绕曲线上哪个点抽取的，它只会做得更好。`make_s_curve` 给每个坐标加上标准差（standard deviation，std）为 0.1 的高斯噪声，除以 10 之后就是 $\delta = 0.01$（数据自身的噪声，本课程中始终记作 $\delta$）；给定曲线上的点，$\mathbf{x}_0$ 服从高斯分布，对 $\boldsymbol\epsilon$ 的最佳预测是线性的，它在每个坐标上的误差为
#
# $$\frac{\bar\alpha_t \delta^2}{\bar\alpha_t \delta^2 + 1 - \bar\alpha_t} \;\le\; \text{第 } t \text{ 步的损失下限}.$$

# %%
delta = 0.01
bound = alpha_bar * delta**2 / (alpha_bar * delta**2 + 1 - alpha_bar)
trained_se = errors["trained (lesson 08)"].std(dim=1) / math.sqrt(x0.shape[0])
for t in (0, 9, T - 1):
    print(f"code step {t:2d}: loss floor >= {bound[t]:.4f}, trained {per_step['trained (lesson 08)'][t]:.4f} ± s.e. {trained_se[t]:.4f}")
print(f"averaged over steps: loss floor >= {bound.mean():.3f}, trained {per_step['trained (lesson 08)'].mean():.3f}")

# %% [markdown] translates="638f5cfac488"
# 在第一步，损失下限至少是 0.82：$\mathbf{x}_t$ 等于 $\mathbf{x}_0$ 加上标准差为 $\sqrt{\beta_1} \approx 0.005$ 的噪声，比数据自身围绕曲线的散布（0.01）还小，所以大部分噪声无法与数据区分开。训练好的网络在这一步的损失（见上面的输出）不到下界的 1.2 倍：其中大部分就是这个损失下限。下面这个检查在下界有误时会失败：任何网络在任何一步都不得比下界低 5 个以上的标准误（忘了除以 10、取 $\delta = 0.1$ 的下界就通不过它）。

# %%
def check_floor(losses, se, bound):
    """Per-step losses of a network at or above a lower bound on the loss floor, within 5 standard errors."""
    z = ((bound - losses) / se).max().item()
    assert z < 5, f"a loss lies {z:.1f} standard errors below the bound"


check_floor(per_step["trained (lesson 08)"], trained_se, bound)
assert per_step["trained (lesson 08)"][0] < 1.2 * bound[0]
wrong_bound = alpha_bar * 0.1**2 / (alpha_bar * 0.1**2 + 1 - alpha_bar)
try:
    check_floor(per_step["trained (lesson 08)"], trained_se, wrong_bound)
    print("delta = 0.1: passes (not caught)")
except AssertionError as error:
    print(f"delta = 0.1: caught, {error}")

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
for name, losses in per_step.items():
    ax.semilogy(torch.arange(T), losses, label=name)
ax.semilogy(torch.arange(T), bound, "k--", linewidth=1, label="lower bound on the loss floor")
ax.set(xlabel="step t (0-based)", ylabel=r"$L_\mathrm{simple}$ at step t", title="loss per step")
ax.legend()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"} translates="cee76b6d774e"
# ## 小结
#
# - ELBO 的相反数 $L$ 是三部分之和：$L_T$、一串高斯分布之间的 KL 之和，以及 $L_0$；方差固定时，每个 KL 都是 $w_t\lVert\boldsymbol\epsilon - \boldsymbol\epsilon_\theta\rVert^2 + C$，取 $\sigma_t^2 = \beta_t$ 时，$w_t$ 在 $t = 2 \dots T$ 上的最大值是最小值的 23 倍。
# - $L_\text{simple}$ 去掉了 $w_t$：它就是在均匀随机抽取的步上、对噪声计算的普通均方误差。
# - 参考方案的对偶时间步在奇数大小的小批量上会出错，而它从不会遇到这种小批量（10 000 = 78·128 + 16）：这是一个潜伏的 bug。像上游笔记本那样抽取 $\lceil B/2 \rceil$ 个时间步、再截取到 $B$ 个，就能修复它。
# - $L_\text{simple}$ 到不了 0：损失下限是 $\mathbb{E}\lVert\boldsymbol\epsilon - \mathbb{E}[\boldsymbol\epsilon\mid\mathbf{x}_t]\rVert^2$，对这份数据，第一步的损失下限至少为 0.82。对训练好的网络来说，晚期的步容易，早期的步难。

# %% [markdown] slideshow={"slide_type": "slide"} translates="0c3b95008e5f"
# ## 练习（解答：`%load ../notebooks/solutions/06_1.py`、`06_2.py`、`06_3.py`，每个解答都以相应的检查结尾；解答文件中的注释为英文）
#
# **1. 推导。** 编写函数 `elbo_weight(schedule, t)`：对第 4 节的另一种取法 $\sigma_t^2 = \tilde\beta_t$，以 Python 浮点数返回 $w_t$；`t` 是从 0 数起的步，从 1 开始取值（在步 0，$\tilde\beta$ 为 0）。先化简：有一个因子会约掉。

# %% translates="ee1b03b9d179"
def elbo_weight(schedule, t):
    return None  # 在这里写你的代码


helpers.check_exercise("06.1", elbo_weight)

# %% [markdown] translates="5433d42515e0"
# **2. 推导。** 对 $d$ 维空间中的两个高斯分布，$\mathrm{KL}(\mathcal N(\boldsymbol\mu_1, \Sigma_1)\,\|\,\mathcal N(\boldsymbol\mu_2, \Sigma_2)) =
# \tfrac12\big[\mathrm{tr}(\Sigma_2^{-1}\Sigma_1) + (\boldsymbol\mu_2 - \boldsymbol\mu_1)^\top\Sigma_2^{-1}(\boldsymbol\mu_2 - \boldsymbol\mu_1) - d + \ln(\det\Sigma_2/\det\Sigma_1)\big]$。把它特化到 $\Sigma_1 = v_1 I$ 和 $\Sigma_2 = v_2 I$ 的情形，编写函数 `kl_isotropic(mu1, var1, mu2, var2)`（各个 `mu` 是一维张量，各个 `var` 是浮点数），返回一个浮点数。

# %% translates="07411c09aa16"
def kl_isotropic(mu1, var1, mu2, var2):
    return None  # 在这里写你的代码


helpers.check_exercise("06.2", kl_isotropic)

# %% [markdown] translates="516f437773cf"
# **3. 先预测。** 最简单的网络总是预测 $\boldsymbol\epsilon_\theta = 0$。它在 S 形曲线（S-curve）上的 $L_\text{simple}$ 是多少？先写下你预测的数值，再运行这个单元格；检查会在 10 000 个点上、用对偶时间步测出这个值，并告诉你：你预测的数值与它相差是否在 10% 以内。

# %% translates="f0e9eb65048b"
prediction = None  # 你预测的数值

helpers.check_exercise("06.3", prediction)

# %% [markdown] slideshow={"slide_type": "slide"} translates="e09b5acc4f6a"
# ## 参考文献
#
# - J. Ho, A. Jain, P. Abbeel (2020). *Denoising Diffusion Probabilistic Models.* NeurIPS. 式 5：把下界写成 $L_T + \sum L_{t-1} + L_0$；式 6–7：前向过程的后验；式 10：用 ε 表示的后验均值；式 11：$\boldsymbol\mu_\theta$；式 12：加权的平方误差；式 13：解码器 $L_0$；式 14：$L_\text{simple}$；§3.4 和表 2：去掉权重。
# - 参考方案的对偶时间步：第 01 课介绍的那篇博客教程，其代码源自 P. Esling 的 `diffusion_models` 笔记本（ACIDS，IRCAM，2021；github.com/acids-ircam/diffusion_models，`diffusion_02_model.ipynb`），其中的损失函数抽取 `batch_size // 2 + 1` 个时间步，并把镜像后的列表截取到 `batch_size` 个。
