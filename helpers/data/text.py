"""Lesson 19's text: the source of PyTorch's torch.nn.modules package, read character by character.

The course pins torch (requirements.txt), so every learner's copy of these 28 files is the same 911 579 characters,
without a download; Python's own help texts (pydoc_data) change with every Python release. A character is a token:
the K = 96 distinct characters of the whole corpus, in code-point order. Each file's first nine tenths are the
training split and its last tenth the test split, so both hold every file's style; text is cut into windows of
LENGTH characters, and a model of a window sees nothing before it.
"""

import glob
import hashlib
import os
import warnings

import torch

from .._checks import check_int, check_tokens

LENGTH = 128
TEST_SHARE = 0.1
# The SHA-256 of the corpus under torch 2.13.0: another torch version's files give other text, and other numbers.
CORPUS_SHA256 = "a5010bca1f102d29a9d01eec8fa3dfc6fb9cb2638ea28b33300503b509dd87d2"


def corpus_files():
    """The corpus's files, sorted by name: torch/nn/modules/*.py of the installed torch."""
    return sorted(glob.glob(os.path.join(os.path.dirname(torch.__file__), "nn", "modules", "*.py")))


def read_corpus():
    """The corpus as a list of (file name, text), and whether it is the text the course's numbers were measured on."""
    texts = []
    for path in corpus_files():
        with open(path, encoding="utf-8") as file:
            texts.append((os.path.basename(path), file.read()))
    digest = hashlib.sha256("".join(text for _, text in texts).encode()).hexdigest()
    return texts, digest == CORPUS_SHA256


class Characters:
    """The corpus's alphabet: encode text as tokens 0 .. K - 1 and decode tokens back. Defined in lesson 19."""

    def __init__(self, text):
        self.chars = sorted(set(text))
        self.K = len(self.chars)
        self.index = {char: k for k, char in enumerate(self.chars)}

    def encode(self, text):
        """The tokens of text, a long tensor; a character outside the alphabet raises ValueError naming it."""
        unknown = sorted(set(text) - self.index.keys())
        if unknown:
            raise ValueError(f"characters outside the corpus's alphabet: {unknown[:5]}")
        return torch.tensor([self.index[char] for char in text], dtype=torch.long)

    def decode(self, tokens, mask="_"):
        """The text of a sequence of tokens; the mask token (K) becomes `mask`."""
        tokens = check_tokens("tokens", torch.as_tensor(tokens).reshape(1, -1), self.K + 1)[0]
        return "".join(self.chars[k] if k < self.K else mask for k in tokens.tolist())


def text_split(split, length=LENGTH, stride=None):
    """The corpus's windows for a split ("train" or "test"), tokens (N, length), and its Characters.

    Each file's split is cut into windows starting every `stride` characters (stride=length, the default: windows that
    do not overlap, every character scored once); a file's last partial window is dropped. Defined in lesson 19.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    length = check_int("length", length, 1)
    stride = length if stride is None else check_int("stride", stride, 1)
    texts, pinned = read_corpus()
    if not pinned:
        warnings.warn("the installed torch's nn/modules source is not torch 2.13.0's (the version requirements.txt pins): "
                      "the text, its alphabet and every number lessons 19 and 19a print will differ", stacklevel=2)
    characters = Characters("".join(text for _, text in texts))
    windows = []
    for _, text in texts:
        cut = round(len(text) * (1 - TEST_SHARE))
        tokens = characters.encode(text[:cut] if split == "train" else text[cut:])
        if len(tokens) >= length:
            windows.append(tokens.unfold(0, length, stride))
    return torch.cat(windows), characters
