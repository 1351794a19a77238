"""Lesson 20's backbones for the 8 x 8 digits: the same job as lesson 17's MLP (eps_theta(x_t, t), 64 numbers in and out,
lesson 08's input scaling c_in), done by a U-Net that sees the image as a grid and by a transformer that sees it as
patches. Both are trained by helpers.train and sampled by the course's samplers, like the MLP."""

import math

import torch
from torch import nn

from .._checks import check_int, check_points, check_steps
from .mlp import sinusoidal_embedding

SIDE = 8


class _Backbone(nn.Module):
    """What the two share: T steps, 64 pixels, the input scale c_in (a buffer of shape (T,)), sinusoidal step features of
    `width` numbers, and the course's checks of x_t and t."""

    d = SIDE * SIDE
    predicts = "eps"

    def __init__(self, c_in, width):
        super().__init__()
        if not isinstance(c_in, torch.Tensor) or c_in.ndim != 1 or len(c_in) < 1:
            raise ValueError(f"c_in must be a 1-d tensor of one input scale per step, got {getattr(c_in, 'shape', c_in)!r}")
        self.T, self.width = len(c_in), check_int("width", width, 2)
        if width % 2:
            raise ValueError(f"width must be even for sinusoidal step features, got {width}")
        self.register_buffer("c_in", c_in.detach().float().clone())
        self.embed_step = nn.Sequential(nn.Linear(width, width), nn.SiLU(), nn.Linear(width, width))

    def inputs(self, xt, t):
        """x_t scaled by c_in[t], in the network's dtype, and the step's embedding, one row per image."""
        xt = check_points("xt", xt, self.d)
        if xt.device != self.c_in.device:
            raise ValueError(f"xt is on {xt.device} but the network is on {self.c_in.device}: move one of them (.to(device))")
        t = check_steps("t", t, self.T, n=xt.shape[0], device=xt.device)
        return xt.float() * self.c_in[t].unsqueeze(1), self.embed_step(sinusoidal_embedding(t, self.width))


class UNet(_Backbone):
    """eps_theta(x_t, t) by convolutions: the image as one channel on its 8 x 8 grid, two residual blocks at 8 x 8, a
    strided convolution to 4 x 4, two blocks there, a transposed convolution back to 8 x 8 where the 8 x 8 features are
    joined on (the skip connection of Ronneberger et al. 2015), two blocks, and a convolution to one channel. Every block
    adds a linear projection of the step's embedding to its features (as Ho et al. 2020, appendix B, who also put a SiLU
    before that projection). Defined in lesson 20 (backbones)."""

    def __init__(self, c_in, channels=32, width=128):
        super().__init__(c_in, width)
        self.channels = c = check_int("channels", channels, 8)
        if c % 8:
            raise ValueError(f"channels must be a multiple of 8 (GroupNorm's 8 groups), got {channels}")
        self.first = nn.Conv2d(1, c, 3, padding=1)
        self.down = nn.ModuleList([ResBlock(c, c, width), ResBlock(c, 2 * c, width)])
        self.shrink = nn.Conv2d(2 * c, 2 * c, 3, stride=2, padding=1)
        self.middle = nn.ModuleList([ResBlock(2 * c, 2 * c, width), ResBlock(2 * c, 2 * c, width)])
        self.grow = nn.ConvTranspose2d(2 * c, 2 * c, 2, stride=2)
        self.up = nn.ModuleList([ResBlock(4 * c, c, width), ResBlock(c, c, width)])
        self.last = nn.Sequential(nn.GroupNorm(8, c), nn.SiLU(), nn.Conv2d(c, 1, 3, padding=1))

    def config(self):
        return {"kind": "unet", "T": self.T, "channels": self.channels, "width": self.width}

    def forward(self, xt, t):
        dtype = xt.dtype if isinstance(xt, torch.Tensor) else torch.float32
        h, e = self.inputs(xt, t)
        h = self.first(h.reshape(-1, 1, SIDE, SIDE))
        for block in self.down:
            h = block(h, e)
        skip = h
        h = self.shrink(h)
        for block in self.middle:
            h = block(h, e)
        h = torch.cat([self.grow(h), skip], dim=1)
        for block in self.up:
            h = block(h, e)
        return self.last(h).reshape(-1, self.d).to(dtype)


class ResBlock(nn.Module):
    """h + conv(SiLU(GroupNorm(conv(SiLU(GroupNorm(h))) + W e))), with a 1 x 1 convolution on the way round when the
    channels change. Defined in lesson 20 (backbones)."""

    def __init__(self, c_from, c_to, width):
        super().__init__()
        self.before = nn.Sequential(nn.GroupNorm(8, c_from), nn.SiLU(), nn.Conv2d(c_from, c_to, 3, padding=1))
        self.step = nn.Linear(width, c_to)
        self.after = nn.Sequential(nn.GroupNorm(8, c_to), nn.SiLU(), nn.Conv2d(c_to, c_to, 3, padding=1))
        self.around = nn.Identity() if c_from == c_to else nn.Conv2d(c_from, c_to, 1)

    def forward(self, h, e):
        return self.around(h) + self.after(self.before(h) + self.step(e)[:, :, None, None])


def _check_patch(patch):
    patch = check_int("patch", patch, 1)
    if SIDE % patch:
        raise ValueError(f"patch must divide the image's side of {SIDE} (1, 2, 4 or 8), got {patch}")
    return patch


def to_patches(x, patch):
    """Images (N, 64) as (N, tokens, patch^2): the patches read row by row, each patch's pixels row by row (the order of
    torch.nn.functional.unfold with stride = kernel = patch). Defined in lesson 20 (backbones)."""
    patch, x = _check_patch(patch), check_points("x", x, SIDE * SIDE)
    return _to_patches(x, patch)


def from_patches(tokens, patch):
    """The inverse of to_patches: (N, tokens, patch^2) back to images (N, 64). Defined in lesson 20 (backbones)."""
    patch = _check_patch(patch)
    shape = ((SIDE // patch) ** 2, patch * patch)
    if not isinstance(tokens, torch.Tensor) or tokens.ndim != 3 or tuple(tokens.shape[1:]) != shape:
        raise ValueError(f"tokens must be a tensor of shape (N, {shape[0]}, {shape[1]}) for patch {patch}, got "
                         f"{tuple(getattr(tokens, 'shape', ())) or type(tokens).__name__}")
    return _from_patches(tokens, patch)


def _to_patches(x, patch):
    n = SIDE // patch
    return x.reshape(-1, n, patch, n, patch).permute(0, 1, 3, 2, 4).reshape(-1, n * n, patch * patch)


def _from_patches(tokens, patch):
    n = SIDE // patch
    return tokens.reshape(-1, n, n, patch, patch).permute(0, 1, 3, 2, 4).reshape(-1, SIDE * SIDE)


class DiT(_Backbone):
    """eps_theta(x_t, t) by a transformer (Peebles & Xie 2023): the image cut into patch x patch pieces (16 tokens of 4
    pixels for patch 2), each embedded linearly with a learned position, `depth` blocks of attention and MLP, and a
    final layer back to pixels. The step enters through adaLN-zero (their section 3.2): each block's layer norms are
    shifted and scaled, and each branch's output gated, by numbers computed from the step's embedding, and those start
    at zero, so every block starts as the identity and the network's first output is 0.
    Defined in lesson 20 (backbones)."""

    def __init__(self, c_in, width=96, depth=4, heads=4, patch=2):
        super().__init__(c_in, width)
        self.depth, self.heads = check_int("depth", depth, 1), check_int("heads", heads, 1)
        self.patch = patch = _check_patch(patch)
        tokens, size = (SIDE // patch) ** 2, patch * patch
        self.embed_patch = nn.Linear(size, width)
        self.position = nn.Parameter(torch.randn(tokens, width) / math.sqrt(width))
        self.blocks = nn.ModuleList([DiTBlock(width, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(width, elementwise_affine=False)
        self.modulate = _zero(nn.Linear(width, 2 * width))
        self.last = _zero(nn.Linear(width, size))

    def config(self):
        return {"kind": "dit", "T": self.T, "width": self.width, "depth": self.depth, "heads": self.heads, "patch": self.patch}

    def forward(self, xt, t):
        dtype = xt.dtype if isinstance(xt, torch.Tensor) else torch.float32
        x, e = self.inputs(xt, t)
        c = nn.functional.silu(e)
        h = self.embed_patch(_to_patches(x, self.patch)) + self.position
        for block in self.blocks:
            h = block(h, c)
        shift, scale = self.modulate(c).unsqueeze(1).chunk(2, dim=-1)
        return _from_patches(self.last(self.norm(h) * (1 + scale) + shift), self.patch).to(dtype)


class DiTBlock(nn.Module):
    """h + gate1 * attention(LN(h) (1 + scale1) + shift1), then h + gate2 * MLP(LN(h) (1 + scale2) + shift2), the six
    modulations a linear function of the step's features c, zero at the start. Defined in lesson 20 (backbones)."""

    def __init__(self, width, heads):
        super().__init__()
        width, self.heads = check_int("width", width, 1), check_int("heads", heads, 1)
        if width % heads:
            raise ValueError(f"width ({width}) must be a multiple of heads ({heads}): each head takes width / heads numbers")
        self.norm = nn.LayerNorm(width, elementwise_affine=False)
        self.qkv = nn.Linear(width, 3 * width)
        self.project = nn.Linear(width, width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(approximate="tanh"), nn.Linear(4 * width, width))
        self.modulate = _zero(nn.Linear(width, 6 * width))

    def forward(self, h, c):
        shift1, scale1, gate1, shift2, scale2, gate2 = self.modulate(c).unsqueeze(1).chunk(6, dim=-1)
        a = self.norm(h) * (1 + scale1) + shift1
        q, k, v = self.qkv(a).reshape(*a.shape[:2], 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        a = nn.functional.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(h.shape)
        h = h + gate1 * self.project(a)
        return h + gate2 * self.mlp(self.norm(h) * (1 + scale2) + shift2)


def _zero(layer):
    nn.init.zeros_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer
