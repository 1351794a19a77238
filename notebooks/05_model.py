# %% [markdown] slideshow={"slide_type": "slide"}
# # Lesson 05 — The model $\boldsymbol\epsilon_\theta(\mathbf{x}_t, t)$
#
# **Goal.** Build the network that will learn to undo the noise: given a noisy point $\mathbf{x}_t$ and its step
# $t$, predict the noise $\boldsymbol\epsilon$ that was added. We write the reference recipe's small MLP with
# learned step embeddings, walk a batch through it shape by shape, count its parameters, see why it must be
# told $t$, and meet the sinusoidal embedding, whose parameter count does not depend on $T$ (and what it does
# not change: the network still takes the integer steps $0 \dots T-1$ of one schedule).
#
# **Assumes.** Lessons 02–04 (ᾱ, the closed form $\mathbf{x}_t = \sqrt{\bar\alpha_t}\mathbf{x}_0 + \sqrt{1-\bar\alpha_t}\boldsymbol\epsilon$)
# and `torch.nn` basics (`nn.Linear`, `nn.Embedding`, `forward`).

# %% slideshow={"slide_type": "subslide"}
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
# $\mathbf{x}_0 \sim \mathcal{N}(0, \sigma_\text{data}^2 I)$ with $\sigma_\text{data} = 0.1$. Then $\boldsymbol\epsilon$ and $\mathbf{x}_t$ are jointly Gaussian with mean 0, and the best
# possible prediction of $\boldsymbol\epsilon$ from $\mathbf{x}_t$ is a multiple of it, $\mathbb{E}[\boldsymbol\epsilon \mid \mathbf{x}_t] = k_t\,\mathbf{x}_t$,
# whose slope $k_t$ a least-squares fit through the origin measures (lesson 14's exercise 2 derives it).
# Near $t = 0$ almost nothing of $\mathbf{x}_t$ is noise; near $t = T$ much more is. A network that is not told
# $t$ would have to give one answer for both.

# %%
sigma_data = 0.1
x0 = sigma_data * torch.randn(200_000, 2)
slopes, errors = {}, {}
for t in (0, 50, 99):
    eps = torch.randn_like(x0)
    xt = helpers.q_sample(x0, t, schedule, eps=eps)
    slopes[t] = ((xt * eps).sum() / (xt * xt).sum()).item()
    # The standard error of a least-squares slope through the origin, from the residuals.
    errors[t] = ((eps - slopes[t] * xt).pow(2).mean() / (xt * xt).sum()).sqrt().item()
    print(f"t = {t:2d}: best eps-prediction = {slopes[t]:.3f} * x_t  (± s.e. {errors[t]:.3f}, least squares)")
print(f"largest / smallest slope: {max(slopes.values()) / min(slopes.values()):.1f}")
# Any two slopes differ by far more than their standard errors: the best answer depends on t.
assert all(abs(slopes[a] - slopes[b]) > 5 * (errors[a] ** 2 + errors[b] ** 2) ** 0.5 for a in slopes for b in slopes if a < b)

# %% [markdown]
# The best slope changes nine-fold across these steps, and not monotonically (of the three, it is largest at
# $t = 50$). Each is fitted on 200 000 samples, and any two differ by more than 5 standard errors of their difference (each
# slope's standard error is printed after ± s.e., largest at $t = 0$, where $\mathbf{x}_t$ holds almost no noise to fit).

# %% [markdown] slideshow={"slide_type": "notes"}
# **Instructor's note.** The Gaussian-data example is the whole argument for conditioning on t: same input, nine-fold different answer.

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
# Each `Linear(n_in, n_out)` has $n_\text{in} n_\text{out} + n_\text{out}$ parameters (weights and biases), each table $T \cdot 128$:
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
# The alternative from the Transformer (Vaswani et al., 2017): describe $t$ by fixed waves of geometrically spaced
# frequencies (Ho et al.'s code uses the same idea with $\omega_j = 10000^{-j/(d_\text{emb}/2-1)}$),
#
# $$\mathrm{PE}(t) = \big[\sin(t\,\omega_j),\ \cos(t\,\omega_j)\big]_{j = 0}^{d_\text{emb}/2 - 1},\qquad \omega_j = 10000^{-j/(d_\text{emb}/2)},$$
#
# with $d_\text{emb}$ features, as many as the hidden width (128), and let a learned `Linear(128, 128)` per layer turn
# them into what the layer needs. The features have no
# parameters, and the formula gives a value for any step, so no table of $T$ rows is needed.

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

# %% [markdown]
# What the waves give: the distance between two steps' embeddings depends only on how far apart the steps are,
#
# $$\lVert\mathrm{PE}(t+\Delta) - \mathrm{PE}(t)\rVert^2 = \sum_j \big(2 - 2\cos(\Delta\,\omega_j)\big),$$
#
# because each sine and cosine pair shares its frequency. So nearby steps get nearby embeddings at every $t$, while
# the rows of a learned table start unrelated. The check compares the helper's embedding with this formula, for
# every pair of steps, and also asks that no two steps share an embedding:

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

# %% [markdown]
# It catches embeddings whose cosines are one frequency off, or whose base is 1000 instead of 10 000:

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

# %% [markdown]
# With `embedding="sinusoidal"` the parameter count no longer grows with $T$ (it has more parameters than the
# learned tables at $T = 100$: three `Linear(128, 128)` cost more than three tables of 100 rows):

# %%
for steps_T in (100, 1000):
    sinus = helpers.NoisePredictor(steps_T, embedding="sinusoidal")
    learned = helpers.NoisePredictor(steps_T)
    print(f"T = {steps_T:4d}: learned {sum(p.numel() for p in learned.parameters()):7,d} | sinusoidal {sum(p.numel() for p in sinus.parameters()):,d}")
assert sum(p.numel() for p in helpers.NoisePredictor(7, embedding="sinusoidal").parameters()) == sum(p.numel() for p in sinus.parameters())

# %% [markdown]
# Those two things are what it gains. The network is still built for the integer steps $0 \dots T-1$ of one
# schedule: it refuses any other step, and what it learns at "step 50" belongs to the noise level
# $\bar\alpha_{50}$ of *this* schedule; another $T$ or schedule gives step 50 another meaning. (Karras et al. 2022
# instead feed the network the noise level itself, $c_\text{noise} = \tfrac14\ln\sigma$ in their Table 1; this
# course does not.)

# %%
try:
    helpers.NoisePredictor(T, embedding="sinusoidal")(xt, torch.tensor([0, 0, 0, 0, 100]))
except ValueError as error:
    print("ValueError:", error)

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
# - A sinusoidal embedding describes each step with fixed waves, with distances that depend only on the step
#   difference: the parameter count no longer depends on $T$, but the network still takes the steps $0 \dots T-1$
#   of one schedule and rejects $t \ge T$.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises (solutions: `%load solutions/05_1.py`, `05_2.py`, `05_3.py`; each ends with its check)
#
# **1.** Write `count_parameters(hidden, d)`: the parameter count of the network with the sinusoidal embedding
# (`helpers.NoisePredictor(T, hidden, "sinusoidal", d=d)`) for any width and data dimension `d` (lesson 17's digits have
# $d = 64$).

# %%
def count_parameters(hidden, d):
    return None  # your code here


helpers.check_exercise("05.1", count_parameters)

# %% [markdown]
# **2.** Write `embed_step(t, dim)` returning the sinusoidal embedding of a single integer step `t` as a 1-d tensor
# of length `dim` (sines first, then cosines).

# %%
def embed_step(t, dim):
    return None  # your code here


helpers.check_exercise("05.2", embed_step)


# %% [markdown]
# **3. Predict first.** Two networks with the sinusoidal embedding, one built for $T = 100$ and one for $T = 1000$, each
# made right after `torch.manual_seed(0)`, are asked about the same points at step $t = 50$. Do they return (a) the same
# prediction, or (b) different predictions? Write your letter, then run the cell; the check tries it.

# %%
prediction = None  # "a" or "b"

helpers.check_exercise("05.3", prediction)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## References
#
# - J. Ho, A. Jain, P. Abbeel (2020). *Denoising Diffusion Probabilistic Models.* NeurIPS. §3.2 and eq. 11: the
#   ε-prediction parameterisation; Appendix B: the sinusoidal step embedding of their U-Net.
# - A. Vaswani et al. (2017). *Attention Is All You Need.* NeurIPS. §3.5: sinusoidal position encodings.
# - T. Karras, M. Aittala, T. Aila, S. Laine (2022). *Elucidating the Design Space of Diffusion-Based Generative
#   Models.* NeurIPS. Table 1: the network conditioned on the noise level, $c_\text{noise}(\sigma)$.
# - The reference recipe's MLP, three learned `nn.Embedding(T, 128)` tables added before each ReLU: the blog
#   tutorial of lesson 01. P. Esling's `diffusion_models` notebooks (ACIDS, IRCAM, 2021), which its code descends
#   from, also condition on the step with learned `nn.Embedding(n_steps, 128)` tables, there multiplied into two layers.
