"""Figures: scatter plots, strips of scatter plots and animations of point clouds."""

import base64
import io

import matplotlib.pyplot as plt
from matplotlib.colors import LinearSegmentedColormap, Normalize
import numpy as np
import torch
from PIL import Image

from ._checks import check_points

LIMIT = 0.35
POINT_STYLE = {"s": 1.5, "alpha": 0.5, "linewidths": 0}
# The course's text sizes, in points: readable on a 1280 x 720 projector once a figure is fitted to the notebook's
# column (tests/test_plotting.py checks every helper's figure). A strip wraps after STRIP_COLUMNS panels so that it
# is never shrunk to fit.
TITLE_SIZE = 12
TICK_SIZE = 10
STRIP_COLUMNS = 6
# Viridis without its palest fifth: every streamline stays visible on a white background, whatever its length.
FIELD_COLOURS = LinearSegmentedColormap.from_list("field", plt.get_cmap("viridis")(np.linspace(0, 0.8, 256)))


def _numpy(x):
    return x.detach().cpu().numpy() if hasattr(x, "detach") else np.asarray(x)


def plot_points(x, ax=None, title=None, limit=LIMIT, color="C0"):
    """Scatter plot of (N, 2) points on a fixed square window, equal aspect.

    Defined in lesson 01 (data).
    """
    points = _numpy(check_points("x", x))
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    ax.scatter(points[:, 0], points[:, 1], color=color, **POINT_STYLE)
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-limit, limit)
    ax.set_aspect("equal")
    # Three ticks show the window's scale, so that clouds drawn in different windows can be compared.
    ticks = [-limit, 0, limit]
    ax.set_xticks(ticks, [f"{v:g}" for v in ticks])
    ax.set_yticks(ticks, [f"{v:g}" for v in ticks])
    ax.tick_params(labelsize=TICK_SIZE)
    if title is not None:
        ax.set_title(title, fontsize=TITLE_SIZE)
    return ax


def plot_strip(states, titles, limit=LIMIT, suptitle=None):
    """Scatter plots of the states in rows of at most STRIP_COLUMNS panels, one per state, all in one window.

    Defined in lesson 03 (forward process).
    """
    if len(states) != len(titles):
        raise ValueError(f"states and titles must have the same length, got {len(states)} and {len(titles)}")
    columns = min(STRIP_COLUMNS, len(states))
    rows = -(-len(states) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(1.5 * columns, 1.9 * rows + (0.3 if suptitle else 0)), squeeze=False)
    for index, (ax, state, title) in enumerate(zip(axes.flat, states, titles)):
        plot_points(state, ax=ax, title=title, limit=limit)
        # One window for all: its y scale is printed once per row.
        ax.tick_params(labelleft=index % columns == 0)
    for ax in axes.flat[len(states):]:
        ax.set_visible(False)
    if suptitle is not None:
        fig.suptitle(suptitle, fontsize=TITLE_SIZE + 1)
    fig.tight_layout()
    return fig


class Animation:
    """An animated PNG that JupyterLab and browsers play inline; its text form names what it shows.

    Shown as image/png, so offline decks embed it like any figure and nbval compares only the text form.
    """

    def __init__(self, png_bytes, frames, description):
        self.png_bytes = png_bytes
        self.frames = frames
        self.description = description

    def __repr__(self):
        return f"<animation: {self.frames} frames of {self.description}>"

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"image/png": base64.b64encode(self.png_bytes).decode("ascii"), "text/plain": repr(self)}


def animate_states(states, titles, description, limit=LIMIT, fps=12, dpi=100):
    """Play states one after another, every frame (the last included), as a looping animated PNG.

    An animated PNG needs no player script, fonts or network, so it plays in JupyterLab and in offline
    decks alike. Defined in lesson 03 (forward process).
    """
    if len(states) != len(titles):
        raise ValueError(f"states and titles must have the same length, got {len(states)} and {len(titles)}")
    states = [check_points("states", state) for state in states]
    fig, ax = plt.subplots(figsize=(4.5, 4.5), dpi=dpi)
    plot_points(states[0], ax=ax, title=titles[0], limit=limit)
    cloud = ax.collections[0]
    rgb = []
    for state, title in zip(states, titles):
        cloud.set_offsets(_numpy(state))
        ax.set_title(title)
        fig.canvas.draw()
        rgb.append(Image.fromarray(np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()))
    plt.close(fig)
    # One 64-colour palette for every frame keeps the file small. It must be shared: the PNG writer keeps the first
    # frame's palette, so frames quantised on their own palettes would come out in the wrong colours.
    strip = Image.new("RGB", (rgb[0].width * 3, rgb[0].height))
    for i, frame in enumerate((rgb[0], rgb[len(rgb) // 2], rgb[-1])):
        strip.paste(frame, (i * frame.width, 0))
    palette = strip.quantize(64)
    frames = [frame.quantize(palette=palette, dither=Image.Dither.NONE) for frame in rgb]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="PNG", save_all=True, append_images=frames[1:], duration=int(1000 / fps), loop=0)
    return Animation(buffer.getvalue(), len(frames), description)


def plot_field(field, ax=None, title=None, limit=LIMIT, n=41, scale=None, colorbar=True, label="log$_{10}$ length"):
    """Stream plot of a vector field over the plotting window, coloured by log10 of its length.

    field maps a float64 tensor of points (N, 2) to vectors (N, 2). scale = (low, high) fixes the colour range in
    log10 units, so that panels drawn with one scale can be compared (default: this field's own range); colorbar
    adds the bar that says what the colours mean. Returns the axes. Defined in lesson 09 (the exact S-curve).
    """
    made_here = ax is None
    if made_here:
        _, ax = plt.subplots(figsize=(5, 4.2))
    grid = np.linspace(-limit, limit, n)
    xx, yy = np.meshgrid(grid, grid)
    points = np.stack([xx.ravel(), yy.ravel()], axis=1)
    vectors = _numpy(check_points("field(points)", field(torch.as_tensor(points)))).reshape(n, n, 2)
    length = np.log10(np.linalg.norm(vectors, axis=-1) + 1e-12)
    # The default range leaves out the extreme 1 % at each end: a zero of the field (log10 of 0) would stretch it.
    low, high = np.percentile(length, [1, 99]) if scale is None else scale
    if not low < high:
        raise ValueError(f"scale must be (low, high) with low < high, got {(low, high)}")
    stream = ax.streamplot(xx, yy, vectors[..., 0], vectors[..., 1], color=length, cmap=FIELD_COLOURS,
                           norm=Normalize(low, high), density=1.3, linewidth=1.0)
    if colorbar:
        bar = ax.figure.colorbar(stream.lines, ax=ax, fraction=0.046, pad=0.03)
        bar.set_label(label, fontsize=TICK_SIZE)
        bar.ax.tick_params(labelsize=TICK_SIZE)
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-limit, limit)
    ax.set_aspect("equal")
    ax.tick_params(labelsize=TICK_SIZE)
    if title is not None:
        ax.set_title(title, fontsize=TITLE_SIZE)
    if made_here:
        ax.figure.tight_layout()
    return ax
