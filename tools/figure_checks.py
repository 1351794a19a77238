"""Checks on every figure a lesson draws, run inside the lesson's kernel when the course builds or tests it.

tools/build_notebooks.py and tests/conftest.py start kernels with matplotlib's `figure.hooks` pointing at `install`,
so each figure is checked when it is drawn. A problem is written to stderr as "figure check: ...": the build refuses a
notebook with such a line, and nbval sees an output the committed notebook does not have. What is caught:
- a legend that floats away from its axes, or hides data points or curves inside its axes;
- colours that stand for numbers (a colour-mapped scatter, stream plot, mesh or image) without a colour bar on the
  same scale;
- a log axis with fewer than two labelled ticks (one "10¹" under a range of 3 to 50 names no other value);
- measured points (a curve drawn with markers) outside the axes' limits, cut off where the reader cannot see them;
- text with a combining mark (the tilde of "β̃" typed as U+0303): matplotlib lays out one glyph per character, so the
  mark lands beside its letter or vanishes, and "σ² = β̃" reads as "σ² = β". Mathtext ($\tilde\beta$) draws it.
"""

import os
import sys
import unicodedata
from pathlib import Path

import numpy as np
from matplotlib.collections import LineCollection, PathCollection, QuadMesh
from matplotlib.lines import Line2D
from matplotlib.text import Text

MARKER = "figure check:"
# A legend placed just outside its axes (beside them, or under the tick labels) is attached to them; one further
# away than this, in pixels, reads as belonging to nothing.
MAX_LEGEND_GAP_PX = 60
# Share of an artist's points a legend may hide: a few stray points under a corner legend are acceptable.
MAX_HIDDEN_SHARE = 0.005


def environment():
    """Environment variables that make a kernel started with them run these checks on every figure."""
    rc = Path(__file__).resolve().parent / "figure_checks.rc"
    path = os.pathsep.join(p for p in (str(rc.parent), os.environ.get("PYTHONPATH", "")) if p)
    return {"MATPLOTLIBRC": str(rc), "PYTHONPATH": path}


def install(fig):
    fig.canvas.mpl_connect("draw_event", lambda event: report(event.canvas.figure, event.renderer))


def report(fig, renderer):
    for problem in problems(fig, renderer):
        print(f"{MARKER} {problem}", file=sys.stderr)


def _label(ax):
    return repr(ax.get_title() or ax.get_xlabel() or "untitled axes")


def _gap(a, b):
    """Distance in pixels between two boxes (0 where they touch or overlap)."""
    return max(0.0, a.x0 - b.x1, b.x0 - a.x1, a.y0 - b.y1, b.y0 - a.y1)


def _points(artist):
    """An artist's data points in pixels: a scatter's offsets or a curve's vertices; None for anything else."""
    if isinstance(artist, PathCollection):
        return artist.get_offset_transform().transform(artist.get_offsets())
    if hasattr(artist, "get_xydata") and len(artist.get_xydata()) > 10:
        return artist.get_transform().transform(artist.get_xydata())
    return None


def problems(fig, renderer):
    found = []
    for ax in fig.axes:
        legend = ax.get_legend()
        if not ax.get_visible() or legend is None or not legend.get_visible():
            continue
        box, frame = legend.get_window_extent(renderer), ax.get_window_extent(renderer)
        if _gap(box, frame) > MAX_LEGEND_GAP_PX:
            found.append(f"the legend of {_label(ax)} is {_gap(box, frame):.0f} px away from its axes")
        for artist in list(ax.collections) + list(ax.lines):
            points = _points(artist)
            if points is None or not len(points) or not artist.get_visible():
                continue
            inside = (points[:, 0] > box.x0) & (points[:, 0] < box.x1) & (points[:, 1] > box.y0) & (points[:, 1] < box.y1)
            if inside.mean() > MAX_HIDDEN_SHARE:
                found.append(f"the legend of {_label(ax)} hides {inside.mean():.1%} of {artist.get_label()!r}")
    found += _colour_scales(fig)
    found += _combining_marks(fig)
    found += _log_ticks(fig)
    found += _clipped_markers(fig)
    return found


def _log_ticks(fig):
    """A log axis needs two labelled values for a reader to place anything on it."""
    found = []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for name, axis, (low, high) in (("x", ax.xaxis, ax.get_xlim()), ("y", ax.yaxis, ax.get_ylim())):
            if axis.get_scale() != "log" or not axis.get_visible():
                continue
            low, high = sorted((low, high))
            shown = [tick for tick in axis.get_major_ticks() + axis.get_minor_ticks()
                     if tick.label1.get_visible() and tick.label1.get_text()]
            labelled = {tick.get_loc() for tick in shown if low <= tick.get_loc() <= high}
            # No label at all is an axis shared with its neighbour's (sharex): that one carries the labels.
            if shown and len(labelled) < 2:
                found.append(f"the log {name} axis of {_label(ax)} labels {len(labelled)} value(s); set its ticks")
    return found


def _clipped_markers(fig):
    """Markers mark measured values: one outside the limits is a measurement the figure hides."""
    found = []
    for ax in fig.axes:
        (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
        for line in ax.lines:
            if not isinstance(line, Line2D) or not line.get_visible() or line.get_marker() in (None, "", "None", " "):
                continue
            xy = np.asarray(line.get_xydata(), dtype=float)
            if line.get_transform() != ax.transData or not len(xy):
                continue
            outside = np.isfinite(xy).all(1) & ((xy[:, 0] < x0) | (xy[:, 0] > x1) | (xy[:, 1] < y0) | (xy[:, 1] > y1))
            if outside.any():
                found.append(f"{outside.sum()} marked point(s) of {line.get_label()!r} in {_label(ax)} lie outside its limits")
    return found


def _combining_marks(fig):
    """Text that relies on a combining mark, which matplotlib cannot place on its letter."""
    return [f"the text {text.get_text()!r} has a combining mark; write it in mathtext, e.g. $\\tilde\\beta$"
            for text in fig.findobj(Text) if text.get_visible()
            and any(unicodedata.combining(c) for c in text.get_text())]


def _colour_scales(fig):
    """Every colour-mapped artist needs a colour bar in its figure whose range is its own."""
    mapped = [(ax, a) for ax in fig.axes for a in list(ax.collections) + list(ax.images)
              if isinstance(a, (PathCollection, LineCollection, QuadMesh)) or a in ax.images]
    # An RGB(A) image carries its own colours; only a 2-d array goes through a colour map.
    mapped = [(ax, a) for ax, a in mapped
              if a.get_array() is not None and a.get_visible() and not (a in ax.images and a.get_array().ndim == 3)]
    ranges = {(a.norm.vmin, a.norm.vmax) for _, a in mapped if getattr(a, "colorbar", None) is not None}
    found = []
    for ax, artist in mapped:
        limits = (artist.norm.vmin, artist.norm.vmax)
        if not any(np.allclose(limits, r) for r in ranges):
            found.append(f"the colours of {_label(ax)} stand for numbers but no colour bar shows their scale {limits}")
    return found
