"""What the plotting helpers draw, checked on the pixels."""

import base64
import io
import re
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import nbformat
import pytest
import torch
from matplotlib.font_manager import FontProperties
from PIL import Image, ImageSequence

import helpers

# The lessons whose tests these are (`python3 course.py test --lesson NN`, tests/conftest.py): the plotting helpers
# of lessons 01, 03 and 09; each lesson's own figures are matched by their parameter.
LESSONS = ("01", "03", "09")


def data_coloured_pixels(frame):
    """Pixels tinted by the data's colour (matplotlib's C0, a blue, drawn translucent): blue well above red.

    Grey and black, what wrongly paletted frames show instead, have blue about equal to red."""
    pixels = frame.convert("RGB").tobytes()
    return sum(1 for i in range(0, len(pixels), 3) if pixels[i + 2] - pixels[i] > 15)


def test_animation_keeps_the_data_colour_in_every_frame_and_is_large_enough():
    cloud = helpers.s_curve(2000, seed=1) * 5
    states = [cloud + torch.tensor([0.02 * k, 0.0]) for k in range(8)]
    animation = helpers.animate_states(states, [f"frame {k}" for k in range(8)], "a shifted S")
    image = Image.open(io.BytesIO(animation.png_bytes))
    assert image.n_frames == 8 and min(image.size) >= 400
    counts = [data_coloured_pixels(frame) for frame in ImageSequence.Iterator(image)]
    # The same cloud, only moved: every frame shows about as many data-coloured pixels as the first.
    assert counts[0] > 1000 and min(counts) > 0.7 * counts[0], counts


# The notebook's output column at a 1280 x 720 window with the file browser open is about 900 px wide; a wider
# figure is shrunk to fit it, and its text with it.
COLUMN_PX = 900
SMALLEST_TEXT_PX = 12


def smallest_text_px(fig):
    """The smallest text in a figure, in screen pixels once the figure is fitted to the notebook's column."""
    fig.canvas.draw()
    scale = min(1.0, COLUMN_PX / (fig.get_figwidth() * fig.dpi))
    texts = [t for t in fig.findobj(matplotlib.text.Text)
             if t.get_visible() and t.get_text().strip() and (t.axes is None or t.axes.get_visible())]
    return min(t.get_fontsize() * fig.dpi / 72 * scale for t in texts)


CLOUD = helpers.s_curve(500, seed=2)
FIGURES = {
    "plot_points": lambda: helpers.plot_points(CLOUD, title="a cloud").figure,
    "plot_strip, 11 panels": lambda: helpers.plot_strip([CLOUD] * 11, [f"t = {k}" for k in range(11)], suptitle="a strip"),
    "plot_strip, 3 panels": lambda: helpers.plot_strip([CLOUD] * 3, ["a", "b", "c"]),
    "plot_field": lambda: helpers.plot_field(lambda x: -x, title="a field").figure,
}


@pytest.mark.parametrize("name", FIGURES)
def test_helper_figures_are_readable_on_a_projector(name):
    fig = FIGURES[name]()
    try:
        assert smallest_text_px(fig) >= SMALLEST_TEXT_PX
        # Every panel shows its scale.
        panels = [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]
        assert all(len(ax.get_xticklabels()) >= 3 for ax in panels)
        assert all(len(ax.get_yticklabels()) >= 3 for ax in fig.axes if ax.get_label() == "<colorbar>")
    finally:
        plt.close(fig)


# Figures drawn inside the lessons. The inline backend saves 100 px per inch (a 16-inch figure came out 1 589 px wide
# after tight cropping), and the smallest text matplotlib draws at the course's settings is 10 pt (ticks and legends,
# checked below; no lesson asks for less, also checked): 13.9 px, which stays >= 12 px once a figure is fitted to the
# 900 px column if the figure is at most 900 * 13.9 / 12 = 1 042 px wide.
INLINE_DPI = 100
SMALLEST_POINTS = 10
WIDEST_PX = COLUMN_PX * (SMALLEST_POINTS * INLINE_DPI / 72) / SMALLEST_TEXT_PX
ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = (sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")) + sorted((ROOT / "notebooks").glob("[0-9][0-9]a_*.ipynb"))
             + [ROOT / "slides" / "course_talk.ipynb"])


def test_matplotlib_text_is_at_least_the_course_minimum():
    for key in ("font.size", "axes.titlesize", "axes.labelsize", "xtick.labelsize", "ytick.labelsize", "legend.fontsize",
                "figure.titlesize"):
        assert FontProperties(size=matplotlib.rcParams[key]).get_size_in_points() >= SMALLEST_POINTS, key


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_lesson_figures_are_readable_on_a_projector(notebook):
    cells = nbformat.read(notebook, as_version=4).cells
    widths = [Image.open(io.BytesIO(base64.b64decode(output["data"]["image/png"]))).width
              for cell in cells if cell.cell_type == "code" for output in cell.outputs if "image/png" in output.get("data", {})]
    assert widths, "no figure found"
    assert max(widths) <= WIDEST_PX, f"a figure {max(widths)} px wide is shrunk below {SMALLEST_TEXT_PX} px text"
    source = notebook.with_suffix(".py").read_text()
    sizes = re.findall(r"(?:fontsize|labelsize)=([^,)]+)", source)
    assert all(size.strip("'\" ").replace(".", "", 1).isdigit() and float(size.strip("'\" ")) >= SMALLEST_POINTS
               for size in sizes), sizes


# A deck (slides/build.py) fits each figure into 1 180 x 480 px of its 1 280 x 720 slide: a tall figure shrinks with
# its text (lesson 17's guidance grid showed 7-px labels). On a projector a deck's 9 px is about the site's 12.
DECK_TEXT_WIDTH, DECK_FIGURE_HEIGHT, SMALLEST_DECK_TEXT_PX = 1180, 480, 9


def deck_text_px(width, height):
    """The smallest text of a lesson's figure, in px of the deck, once the deck has fitted the figure."""
    return SMALLEST_POINTS * INLINE_DPI / 72 * min(1.0, DECK_TEXT_WIDTH / width, DECK_FIGURE_HEIGHT / height)


@pytest.mark.parametrize("notebook", [p for p in NOTEBOOKS if "a_" not in p.stem], ids=lambda p: p.stem)
def test_deck_figures_keep_readable_text(notebook):
    sizes = [Image.open(io.BytesIO(base64.b64decode(output["data"]["image/png"]))).size
             for cell in nbformat.read(notebook, as_version=4).cells if cell.cell_type == "code"
             for output in cell.outputs if "image/png" in output.get("data", {})]
    small = [(w, h, round(deck_text_px(w, h), 1)) for w, h in sizes if deck_text_px(w, h) < SMALLEST_DECK_TEXT_PX]
    assert not small, f"figures (width, height, text px) whose text the deck shrinks below {SMALLEST_DECK_TEXT_PX} px: {small}"


def test_deck_text_check_fails_on_a_tall_grid():
    """Planted: a grid of digits 1 000 px tall, as lesson 17's guidance grid was, at 10-pt labels."""
    assert deck_text_px(900, 1000) < SMALLEST_DECK_TEXT_PX <= deck_text_px(900, 480)


# The figure checks every lesson's kernel runs under the build and the tests (tools/figure_checks.py).

def figure_problems(draw):
    from figure_checks import problems

    fig, ax = plt.subplots(figsize=(4, 4))
    draw(ax)
    fig.canvas.draw()
    try:
        return problems(fig, fig.canvas.get_renderer())
    finally:
        plt.close(fig)


def test_figure_checks_pass_a_legend_in_an_empty_corner_and_a_bar_on_the_scale():
    def draw(ax):
        ax.scatter(*CLOUD.T, label="data")
        ax.legend(loc="upper left")
        ax.set_xlim(-0.3, 0.6)
        ax.set_title(r"$\sigma^2 = \tilde\beta$")
        helpers.plot_field(lambda x: -x, ax=ax)

    assert figure_problems(draw) == []


@pytest.mark.parametrize("mistake", ["legend on the data", "legend far below", "no colour bar", "bar on another scale",
                                     "combining tilde", "one log tick", "clipped markers"])
def test_figure_checks_catch_each_kind_of_unreadable_figure(mistake):
    def draw(ax):
        if mistake == "legend on the data":
            ax.plot(*helpers.curve(torch.linspace(-4.7, 4.7, 200)).T, label="curve")
            ax.scatter(*CLOUD.T, label="data")
            ax.legend(loc="center")
        elif mistake == "legend far below":
            ax.scatter(*CLOUD.T, label="data")
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.6))
        elif mistake == "no colour bar":
            helpers.plot_field(lambda x: -x, ax=ax, colorbar=False)
        elif mistake == "combining tilde":
            # Lesson 14 once titled a figure "σ² = β̃"; the tilde did not show.
            ax.set_title("DDPM with \u03c3\u00b2 = \u03b2\u0303")
        elif mistake == "one log tick":
            # Lesson 15's race once ran from 3 to 50 NFE on a log axis labelled only "10¹".
            ax.plot([3, 5, 10, 20, 50], [9, 7, 5, 4, 3], "o-")
            ax.set_xscale("log")
        elif mistake == "clipped markers":
            # ... and cut its 3-NFE points off above a fixed y limit.
            ax.plot([3, 5, 10, 20, 50], [90, 7, 5, 4, 3], "o-", label="solver")
            ax.set_ylim(0, 30)
        else:
            helpers.plot_field(lambda x: -x, ax=ax, scale=(-2, 0), colorbar=False)
            helpers.plot_field(lambda x: x, ax=ax, scale=(-3, 0))

    found = figure_problems(draw)
    assert len(found) >= 1, mistake
    words = {"legend on the data": "hides", "legend far below": "px away", "no colour bar": "no colour bar",
             "bar on another scale": "(-2.0, 0.0)", "combining tilde": "combining mark", "one log tick": "labels 1 value",
             "clipped markers": "1 marked point(s) of 'solver'"}
    assert any(words[mistake] in problem for problem in found), found


def test_field_colours_are_visible_on_white_and_follow_the_scale():
    ax = helpers.plot_field(lambda x: -x * 10, scale=(-1.5, 0.5))
    try:
        lines = ax.collections[0]
        assert (lines.norm.vmin, lines.norm.vmax) == (-1.5, 0.5) and lines.colorbar is not None
        rgb = lines.get_colors()[:, :3] if len(lines.get_colors()) > 1 else lines.to_rgba(lines.get_array())[:, :3]
        luminance = rgb @ [0.2126, 0.7152, 0.0722]
        assert luminance.max() < 0.75, luminance.max()
    finally:
        plt.close(ax.figure)
