"""Figures: scatter plots, strips of scatter plots and animations of point clouds."""

import base64
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import animation

LIMIT = 0.35
POINT_STYLE = {"s": 1.5, "alpha": 0.5, "linewidths": 0}


def _numpy(x):
    return x.detach().cpu().numpy() if hasattr(x, "detach") else np.asarray(x)


def plot_points(x, ax=None, title=None, limit=LIMIT, color="C0"):
    """Scatter plot of (N, 2) points on a fixed square window, equal aspect.

    Defined in lesson 01 (data).
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    points = _numpy(x)
    ax.scatter(points[:, 0], points[:, 1], color=color, **POINT_STYLE)
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-limit, limit)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title)
    return ax


def plot_strip(states, titles, limit=LIMIT, suptitle=None):
    """A 1 x K strip of scatter plots, one per state. Defined in lesson 03 (forward process)."""
    if len(states) != len(titles):
        raise ValueError(f"states and titles must have the same length, got {len(states)} and {len(titles)}")
    fig, axes = plt.subplots(1, len(states), figsize=(1.6 * len(states), 1.9))
    for ax, state, title in zip(np.atleast_1d(axes), states, titles):
        plot_points(state, ax=ax, title=title, limit=limit)
    if suptitle is not None:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


class GifAnimation:
    """An animated GIF that JupyterLab plays inline; its text form names what it shows."""

    def __init__(self, gif_bytes, frames, description):
        self.gif_bytes = gif_bytes
        self.frames = frames
        self.description = description

    def __repr__(self):
        return f"<animation: {self.frames} frames of {self.description}>"

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"image/gif": base64.b64encode(self.gif_bytes).decode("ascii"), "text/plain": repr(self)}


def animate_states(states, titles, description, limit=LIMIT, fps=12, dpi=60):
    """Play states one after another, every frame (the last included) as an animated GIF.

    A GIF needs no player script, fonts or network, so it plays in JupyterLab and in offline decks alike.
    Defined in lesson 03 (forward process).
    """
    if len(states) != len(titles):
        raise ValueError(f"states and titles must have the same length, got {len(states)} and {len(titles)}")
    fig, ax = plt.subplots(figsize=(4, 4))
    plot_points(states[0], ax=ax, title=titles[0], limit=limit)
    cloud = ax.collections[0]

    def draw(frame):
        cloud.set_offsets(_numpy(states[frame]))
        ax.set_title(titles[frame])
        return (cloud,)

    anim = animation.FuncAnimation(fig, draw, frames=len(states))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "animation.gif"
        anim.save(path, writer=animation.PillowWriter(fps=fps), dpi=dpi)
        plt.close(fig)
        return GifAnimation(path.read_bytes(), len(states), description)
