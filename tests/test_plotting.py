"""What the plotting helpers draw, checked on the pixels."""

import io

import torch
from PIL import Image, ImageSequence

import helpers

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
