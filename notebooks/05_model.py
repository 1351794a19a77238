# %% [markdown] slideshow={"slide_type": "slide"}
# # Lesson 05 — The model $\boldsymbol\epsilon_\theta(\mathbf{x}_t, t)$
#
# **Goal.** Build the network that will learn to undo the noise: given a noisy point $\mathbf{x}_t$ and its step
# $t$, predict the noise $\boldsymbol\epsilon$ that was added. We write the reference recipe's small MLP with
# learned step embeddings, walk a batch through it shape by shape, count its parameters, see why it must be
# told $t$, and meet the sinusoidal embedding that frees the network from a fixed $T$.
#
# **Assumes.** Lessons 02–04 (ᾱ, the closed form $\mathbf{x}_t = \sqrt{\bar\alpha_t}\mathbf{x}_0 + \sqrt{1-\bar\alpha_t}\boldsymbol\epsilon$)
# and `torch.nn` basics (`nn.Linear`, `nn.Embedding`, `forward`).

# %% slideshow={"slide_type": "skip"}
import matplotlib.pyplot as plt
import torch
from torch import nn

import helpers

torch.manual_seed(0)
schedule = helpers.sigmoid_schedule(100)
T = schedule.T

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Why the network needs $t$
#
# The same noisy point means different things at different steps. Take Gaussian "data"
# $\mathbf{x}_0 \sim \mathcal{N}(0, s^2 I)$, where the best possible prediction has a closed form:
# $\mathbf{x}_t$ is Gaussian with variance $v_t = \bar\alpha_t s^2 + 1 - \bar\alpha_t$, and
#
# $$\mathbb{E}[\boldsymbol\epsilon \mid \mathbf{x}_t] = \frac{\sqrt{1-\bar\alpha_t}}{v_t}\,\mathbf{x}_t .$$
#
# Near $t = 0$ almost nothing of $\mathbf{x}_t$ is noise; near $t = T$ much more is. A network that is not told
# $t$ would have to give one answer for both.

# %%
s = 0.1
x0 = s * torch.randn(200_000, 2)
for t in (0, 50, 99):
    eps = torch.randn_like(x0)
    xt = helpers.q_sample(x0, t, schedule, eps=eps)
    slope_fit = (xt * eps).sum() / (xt * xt).sum()
    v = schedule.alpha_bar[t] * s**2 + 1 - schedule.alpha_bar[t]
    slope_formula = schedule.sqrt_one_minus_alpha_bar[t] / v
    print(f"t = {t:2d}: best eps-prediction = {slope_formula:.3f} * x_t  (least-squares fit: {slope_fit:.3f})")
    assert abs(slope_fit - slope_formula) < 0.02 * slope_formula

# %% [markdown]
# The best slope changes nine-fold across steps (and not even monotonically), and a least-squares fit on
# 200 000 samples confirms the formula within 2 % at each step.

# %% [markdown] slideshow={"slide_type": "notes"}
# The Gaussian-data example is the whole argument for conditioning on t: same input, nine-fold different answer.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The reference network
#
# Three hidden layers of width 128, each followed by a ReLU. The step enters through three learned tables
# $E^{(i)} \in \mathbb{R}^{T \times 128}$: row $t$ is added to the output of the $i$-th linear layer, before its ReLU.
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

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Shapes, one layer at a time
#
# A batch of 5 points, each with its own step:

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

# %% [markdown]
# `helpers.NoisePredictor` is the same network with its layers in lists. Copy the weights across and both must
# give the same prediction:

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

# %% [markdown] slideshow={"slide_type": "slide"}
# ## How many parameters?
#
# Each `Linear(a, b)` has $ab + b$ parameters, each table $T \cdot 128$:
#
# $$\underbrace{(2\cdot128 + 128)}_{W_1,b_1} + 2\,\underbrace{(128^2 + 128)}_{W_2,b_2 \text{ and } W_3,b_3}
#   + \underbrace{(128\cdot2 + 2)}_{W_4,b_4} + \underbrace{3\cdot T\cdot128}_{\text{embeddings}}$$

# %%
by_formula = (2 * 128 + 128) + 2 * (128 * 128 + 128) + (128 * 2 + 2) + 3 * T * 128
counted = sum(p.numel() for p in net.parameters())
print(f"{counted:,} parameters, {3 * T * 128:,} of them in the step embeddings")
assert counted == by_formula == sum(p.numel() for p in model.parameters())

# %% [markdown]
# Over half the parameters sit in tables with exactly $T$ rows. Train with $T = 100$ and the network cannot even
# be *asked* about $T = 1000$ or $t = 100$:

# %%
try:
    net(xt, torch.tensor([0, 0, 0, 0, 100]))
except ValueError as error:
    print("ValueError:", error)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A sinusoidal step embedding
#
# The alternative from the Transformer (Vaswani et al., 2017), used by Ho et al. (2020): describe $t$ by fixed
# waves of geometrically spaced frequencies,
#
# $$\mathrm{PE}(t) = \big[\sin(t\,\omega_k),\ \cos(t\,\omega_k)\big]_{k = 0}^{d/2 - 1},\qquad \omega_k = 10000^{-k/(d/2)},$$
#
# and let a learned `Linear(d, 128)` per layer turn that into what the layer needs. Nothing depends on $T$.

# %%
dim = 128
freqs = 10_000 ** (-torch.arange(dim // 2) / (dim // 2))
steps = torch.arange(T)
pe = torch.cat([torch.sin(steps[:, None] * freqs), torch.cos(steps[:, None] * freqs)], dim=1)
torch.testing.assert_close(helpers.sinusoidal_embedding(steps, dim), pe)

# %%
fig, ax = plt.subplots(figsize=(9, 3.5))
ax.imshow(pe.T, aspect="auto", cmap="RdBu", interpolation="nearest")
ax.set(xlabel="step t", ylabel="feature", title="sinusoidal embedding: each column describes one step")
plt.show()

# %% [markdown]
# Every sine has its cosine, so each pair lies on the unit circle, and no two steps share an embedding:

# %%
torch.testing.assert_close(pe[:, : dim // 2] ** 2 + pe[:, dim // 2 :] ** 2, torch.ones(T, dim // 2))
assert torch.cdist(pe, pe).add(torch.eye(T) * 10).min() > 0.1

# %% [markdown]
# With `embedding="sinusoidal"` the parameter count no longer grows with $T$:

# %%
for steps_T in (100, 1000):
    sinus = helpers.NoisePredictor(steps_T, embedding="sinusoidal")
    learned = helpers.NoisePredictor(steps_T)
    print(f"T = {steps_T:4d}: learned {sum(p.numel() for p in learned.parameters()):7,d} | sinusoidal {sum(p.numel() for p in sinus.parameters()):,d}")
assert sum(p.numel() for p in helpers.NoisePredictor(7, embedding="sinusoidal").parameters()) == sum(p.numel() for p in sinus.parameters())

# %% [markdown] slideshow={"slide_type": "slide"}
# ## On the device
#
# The model's weights and its inputs must live on the same device; the output follows them.

# %%
device = helpers.default_device()
net = net.to(device)
out = net(xt.to(device), t.to(device))
assert out.device.type == device.type and out.shape == (5, 2)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - $\boldsymbol\epsilon_\theta(\mathbf{x}_t, t)$: a 2→128→128→128→2 MLP; the step enters as a learned vector added before each ReLU.
# - It must know $t$: the best prediction for the same $\mathbf{x}_t$ changes nine-fold across steps.
# - 72 066 parameters, 38 400 of them in three $T \times 128$ tables that tie the model to $T = 100$.
# - A sinusoidal embedding describes any step with fixed waves: no table, no dependence on $T$.
#
# ## Exercises (solutions: `%load solutions/05_1.py`, `05_2.py`)
#
# **1.** Write `count_parameters(T, hidden)`: the parameter count of the reference network for any `T` and width.

# %%
def count_parameters(T, hidden):
    return None  # your code here


helpers.check_exercise("05.1", count_parameters)

# %% [markdown]
# **2.** Write `embed_step(t, dim)` returning the sinusoidal embedding of a single integer step `t` as a 1-d tensor
# of length `dim` (sines first, then cosines).

# %%
def embed_step(t, dim):
    return None  # your code here


helpers.check_exercise("05.2", embed_step)
