"""Lesson 19's text models, checked by routes that share none of their formulas: perturbing one token, enumerating
every sequence of a tiny alphabet, counting samples, rotating vectors by hand and reading the corpus's files again."""

import itertools
import math
import os
import warnings

import pytest
import torch

import helpers
from conftest import seeded
from helpers.data import text
from helpers.networks import transformer

LESSONS = ("19",)


def tiny(causal, d=3, K=3, seed=0):
    torch.manual_seed(seed)
    return helpers.TokenTransformer(d, K, width=8, layers=2, heads=2, causal=causal).eval()


@pytest.mark.parametrize("causal", [True, False])
def test_what_each_position_sees(causal):
    """Changing token j changes the autoregressive model's predictions after j and no others, and the denoiser's
    logits at every position (a random network: any dependence shows)."""
    model, d = tiny(causal, d=6, K=5), 6
    x = torch.randint(0, 5, (1, d), generator=seeded(1))
    outputs = model.next_log_probs if causal else model
    for j in range(d):
        y = x.clone()
        y[0, j] = (y[0, j] + 1) % 5
        with torch.no_grad():
            moved = (outputs(y) - outputs(x)).abs().amax(-1)[0]
        assert ((moved > 1e-6) == (torch.arange(d) > j if causal else torch.ones(d, dtype=torch.bool))).all(), (j, moved)


def test_autoregressive_probabilities_sum_to_one():
    """exp(-autoregressive_nll) over all K^d sequences sums to 1 for a random causal network: a model that peeked at the
    token it predicts would not be normalised."""
    model = tiny(True, d=3, K=3)
    every = torch.tensor(list(itertools.product(range(3), repeat=3)))
    total = helpers.autoregressive_nll(model, every).neg().exp().sum().item()
    assert abs(total - 1) < 1e-5, total


def test_autoregressive_sampler_draws_the_model():
    """The shares of 60 000 samples of every one of the 9 sequences (d = 2, K = 3) match exp(-nll) within 5 s.e."""
    model = tiny(True, d=2, K=3, seed=3)
    samples = helpers.autoregressive_sample(model, 60_000, seeded(2))
    every = torch.tensor(list(itertools.product(range(3), repeat=2)))
    p = helpers.autoregressive_nll(model, every).neg().exp()
    shares = torch.tensor([(samples == s).all(1).double().mean().item() for s in every], dtype=torch.float64)
    se = (p * (1 - p) / len(samples)).sqrt()
    assert ((shares - p).abs() < 5 * se).all(), (shares, p)


def test_rotary_scores_depend_on_the_offset_alone():
    """q at position m and k at position n, rotated: their dot product is the same for (m, n) and (m + s, n + s), and a
    2-d pair turns by the angle written out with cos and sin."""
    model = tiny(False, d=16, K=3)
    angles = model.angles
    q, k = torch.randn(1, 1, 16, 4, generator=seeded(4)), torch.randn(1, 1, 16, 4, generator=seeded(5))
    q = q[..., :1, :].expand(1, 1, 16, 4)
    k = k[..., :1, :].expand(1, 1, 16, 4)
    scores = (transformer.rotate(q, angles) @ transformer.rotate(k, angles).transpose(-1, -2))[0, 0]
    for offset in range(-5, 6):
        diagonal = torch.diagonal(scores, offset)
        assert (diagonal - diagonal[0]).abs().max() < 1e-4, offset
    assert (scores - scores[0, 0]).abs().max() > 1e-2  # and it does depend on the offset
    a = angles[3, 0].item()
    x = torch.tensor([[1.0, 2.0]])
    turned = transformer.rotate(x, torch.tensor([[a]]))
    assert torch.allclose(turned, torch.tensor([[math.cos(a) - 2 * math.sin(a), math.sin(a) + 2 * math.cos(a)]]), atol=1e-6)


def test_sampled_bound_averages_to_the_full_sum():
    """masked_elbo_sampled's mean over many passes is the bound summed exactly: over every one of the 63 non-empty
    masks of 6 positions, each count n's masks averaged, their cross-entropies divided by n (5 s.e.)."""
    model = tiny(False, d=6, K=4, seed=2)
    x0 = torch.randint(0, 4, (40, 6), generator=seeded(6))
    by_count = [[] for _ in range(7)]
    with torch.no_grad():
        for subset in itertools.product([False, True], repeat=6):
            masks = torch.tensor(subset)
            if masks.any():
                log_p = torch.log_softmax(model(torch.where(masks, 4, x0)), -1)
                ce = -log_p.gather(-1, x0.unsqueeze(-1))[..., 0][:, masks].sum(1)
                by_count[int(masks.sum())].append(ce / int(masks.sum()))
    exact = sum(torch.stack(terms).mean(0) for terms in by_count[1:]).mean().item()
    # 300 independent estimates of the bound averaged over the 40 rows: each row copied 300 times, one pass.
    passes = helpers.masked_elbo_sampled(model, x0.repeat(300, 1), seeded(100)).reshape(300, 40).mean(1)
    se = passes.std().item() / math.sqrt(len(passes))
    assert abs(passes.mean().item() - exact) < 5 * se, (passes.mean().item(), exact, se)


def test_next_token_loss_is_the_exact_nll_per_token():
    model = tiny(True, d=4, K=3)
    x0 = torch.randint(0, 3, (10, 4), generator=seeded(8))
    loss = helpers.NextTokenLoss()(model, x0, seeded(0)).item()
    assert abs(loss - helpers.autoregressive_nll(model, x0).mean().item() / 4) < 1e-6


def test_each_model_refuses_the_other_ones_use():
    causal, bidirectional = tiny(True), tiny(False)
    x = torch.zeros((1, 3), dtype=torch.long)
    with pytest.raises(ValueError, match="next_log_probs"):
        causal.log_probs(x)
    with pytest.raises(ValueError, match="log_probs"):
        bidirectional.next_log_probs(x)
    with pytest.raises(TypeError, match="causal=True"):
        helpers.MaskedLoss().start(causal, x)
    with pytest.raises(TypeError, match="causal=True"):
        helpers.NextTokenLoss().start(bidirectional, x)
    with pytest.raises(ValueError, match="objective"):
        helpers.train_text("diffusion", x, 3)
    with pytest.raises(ValueError, match="multiple of 2 heads"):
        helpers.TokenTransformer(4, 3, width=6, heads=2)


def test_a_saved_transformer_comes_back(tmp_path):
    model = tiny(True, d=5, K=4)
    helpers.save_weights(model, tmp_path / "t.pt")
    loaded = helpers.load_model(tmp_path / "t.pt")
    x = torch.randint(0, 4, (3, 5), generator=seeded(9))
    assert loaded.config() == model.config() and torch.equal(loaded.next_log_probs(x), model.next_log_probs(x))


def test_the_corpus_is_the_installed_files_split_by_tenths():
    """Every training window and test window is a substring of its file's part, read again here with plain Python;
    together the non-overlapping windows cover all but each part's last partial window."""
    train, characters = text.text_split("train")
    test, _ = text.text_split("test")
    files = text.corpus_files()
    assert len(files) == 28 and characters.K == 96
    parts = {"train": [], "test": []}
    for path in files:
        content = open(path, encoding="utf-8").read()
        cut = round(len(content) * 0.9)
        parts["train"].append(content[:cut])
        parts["test"].append(content[cut:])
    for split, windows in (("train", train), ("test", test)):
        assert len(windows) == sum(len(part) // 128 for part in parts[split])
        joined = "\x00".join(parts[split])
        for row in windows[:: max(1, len(windows) // 40)]:
            assert characters.decode(row) in joined
    assert text.read_corpus()[1], "the installed torch's nn/modules differ from torch 2.13.0's: other numbers"
    assert os.path.basename(files[0]) == "__init__.py"


def test_characters_refuse_what_they_do_not_know():
    characters = text.Characters("abc")
    assert characters.decode(characters.encode("cab")) == "cab" and characters.decode([0, 3]) == "a_"
    with pytest.raises(ValueError, match="outside"):
        characters.encode("abz")


def test_train_text_trains_both_objectives():
    windows = torch.randint(0, 3, (64, 8), generator=seeded(10))
    config = helpers.TrainConfig(steps=20, batch_size=16, lr=3e-3)
    for objective, causal in (("masked", False), ("autoregressive", True)):
        result = helpers.train_text(objective, windows, 3, seed=1, config=config)
        assert result["model"].causal == causal and not result["model"].training
        assert result["losses"][-5:].mean() < result["losses"][:5].mean()


def test_another_torch_s_text_is_not_used_silently(monkeypatch):
    """Another torch version's nn/modules is another corpus: text_split says so instead of quietly giving other numbers."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        text.text_split("test")
    monkeypatch.setattr(text, "CORPUS_SHA256", "0" * 64)
    with pytest.warns(UserWarning, match="not torch 2.13.0's"):
        text.text_split("test")
