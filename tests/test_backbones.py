"""Lesson 20's backbones, each by a route other than its own code: patches against PyTorch's unfold and fold, the DiT's
attention written out with an explicit softmax, adaLN-zero's exact identity at the start, the images of a batch kept
apart, attention's indifference to the tokens' order once positions are removed, the recipes' arithmetic, the weights'
round trip through a file."""

import dataclasses

import pytest
import torch
from torch.nn import functional as F

import helpers

# The lessons whose tests these are (`python3 course.py test --lesson NN`, tests/conftest.py).
LESSONS = ("20",)

C_IN = helpers.digits_network(helpers.digits_split()[0]).c_in
X = helpers.digits_split()[2][:6]


def noisy(n=6, step=300, seed=1):
    return helpers.q_sample(X[:n], step, helpers.digits_schedule(), generator=torch.Generator().manual_seed(seed))


def trained_looking(network, seed=0):
    """network with every parameter (the zero-started ones too) moved by noise, so that no part is silent."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in network.parameters():
            p.add_(0.05 * torch.randn(p.shape, generator=generator))
    return network.eval()


@pytest.mark.parametrize("patch", [1, 2, 4, 8])
def test_patches_are_unfold_s_and_fold_undoes_them(patch):
    images = X.reshape(-1, 1, 8, 8)
    by_unfold = F.unfold(images, kernel_size=patch, stride=patch).transpose(1, 2)
    assert torch.equal(helpers.to_patches(X, patch), by_unfold)
    by_fold = F.fold(by_unfold.transpose(1, 2), (8, 8), kernel_size=patch, stride=patch).reshape(-1, 64)
    assert torch.equal(helpers.from_patches(by_unfold, patch), by_fold)
    assert torch.equal(by_fold, X)


def test_a_fresh_dit_outputs_zero_and_its_blocks_are_the_identity():
    """adaLN-zero (Peebles & Xie 2023, section 3.2, and their released code's final layer): exactly, not nearly."""
    torch.manual_seed(0)
    dit = helpers.DiT(C_IN)
    assert bool((dit(noisy(), torch.tensor([0, 10, 100, 300, 600, 999])) == 0).all())
    h, c = torch.randn(3, 16, 96), torch.randn(3, 96)
    for block in dit.blocks:
        assert torch.equal(block(h, c), h)


def attention_by_hand(block, h, c):
    """The block of the lesson's equation, with each head's softmax(Q K^T / sqrt(d_h)) V as an explicit loop over heads
    and images."""
    shift1, scale1, gate1, shift2, scale2, gate2 = block.modulate(c).unsqueeze(1).chunk(6, dim=-1)
    a = F.layer_norm(h, h.shape[-1:]) * (1 + scale1) + shift1
    q, k, v = block.qkv(a).chunk(3, dim=-1)
    d_h = h.shape[-1] // block.heads
    out = torch.zeros_like(h)
    for n in range(len(h)):
        for head in range(block.heads):
            cols = slice(head * d_h, (head + 1) * d_h)
            scores = q[n, :, cols] @ k[n, :, cols].T / d_h**0.5
            out[n, :, cols] = torch.softmax(scores, dim=1) @ v[n, :, cols]
    h = h + gate1 * block.project(out)
    return h + gate2 * block.mlp(F.layer_norm(h, h.shape[-1:]) * (1 + scale2) + shift2)


def test_dit_block_is_the_written_out_attention():
    torch.manual_seed(1)
    block = trained_looking(helpers.DiTBlock(48, 4))
    h, c = torch.randn(3, 16, 48), torch.randn(3, 48)
    with torch.no_grad():
        assert torch.allclose(block(h, c), attention_by_hand(block, h, c), atol=1e-5)


@pytest.mark.parametrize("kind", ["unet", "dit"])
def test_each_image_of_a_batch_is_denoised_on_its_own(kind):
    """A batch's outputs are each image's own output (GroupNorm and LayerNorm normalise one image at a time; attention
    mixes the tokens of one image only)."""
    torch.manual_seed(2)
    network = trained_looking(helpers.UNet(C_IN) if kind == "unet" else helpers.DiT(C_IN))
    x, t = noisy(), torch.tensor([5, 50, 200, 400, 700, 990])
    with torch.no_grad():
        together = network(x, t)
        alone = torch.cat([network(x[k:k + 1], t[k:k + 1]) for k in range(len(x))])
    assert torch.allclose(together, alone, atol=1e-5)
    assert together.abs().mean() > 0.1


def test_without_positions_the_dit_does_not_see_the_tokens_order():
    """Attention is a function of a set: with the learned positions set to zero, moving the patches moves the output's
    patches the same way. (With them, it does not: the positions are what tells the patches apart.)"""
    torch.manual_seed(3)
    dit = trained_looking(helpers.DiT(C_IN))
    order = torch.randperm(16, generator=torch.Generator().manual_seed(4))
    x, t = noisy(), torch.full((6,), 250)
    moved = helpers.from_patches(helpers.to_patches(x, 2)[:, order], 2)
    with torch.no_grad():
        outputs_moved = helpers.to_patches(dit(x, t), 2)[:, order]
        assert not torch.allclose(dit(moved, t), helpers.from_patches(outputs_moved, 2), atol=1e-3)
        dit.position.zero_()
        outputs_moved = helpers.from_patches(helpers.to_patches(dit(x, t), 2)[:, order], 2)
        assert torch.allclose(dit(moved, t), outputs_moved, atol=1e-5)


@pytest.mark.parametrize("name", ["mlp", "unet", "dit"])
@pytest.mark.parametrize("budget", [1, 4])
def test_recipes_give_equal_time_and_a_tenth_of_each_run_to_the_ema(name, budget):
    config = helpers.backbone_recipe(name, budget)
    seconds = config.steps * helpers.training.backbones.SECONDS_PER_STEP[name]
    recipe = budget * helpers.DIGITS.steps * helpers.training.backbones.SECONDS_PER_STEP["mlp"]
    # Rounding to a whole step moves the time by at most half a step.
    assert abs(seconds - recipe) <= helpers.training.backbones.SECONDS_PER_STEP[name] / 2
    assert 1 / (1 - config.ema_decay) == pytest.approx(0.1 * config.steps, rel=1e-9)
    assert config.warmup_steps == min(100, config.steps // 10)
    assert (config.batch_size, config.lr_schedule, config.seed) == (helpers.DIGITS.batch_size, "cosine", 0)


def test_training_is_seeded_and_moves_the_loss():
    x_train = helpers.digits_split()[0]
    config = dataclasses.replace(helpers.backbone_recipe("dit", 4), steps=12, warmup_steps=2)
    first, again = (helpers.train_backbone("dit", x_train, config) for _ in range(2))
    for a, b in zip(first["model"].state_dict().values(), again["model"].state_dict().values()):
        assert torch.equal(a, b)
    # A fresh DiT predicts 0: its loss starts at E[eps^2] = 1 and must fall within a dozen steps.
    assert first["losses"][0] == pytest.approx(1.0, abs=0.1) and first["losses"][-3:].mean() < 0.9
    assert not first["model"].training


@pytest.mark.parametrize("kind", ["unet", "dit"])
def test_weights_round_trip_and_refuse_the_other_network(kind, tmp_path):
    torch.manual_seed(6)
    network = trained_looking(helpers.UNet(C_IN, channels=16, width=32) if kind == "unet"
                              else helpers.DiT(C_IN, width=32, depth=2, heads=2, patch=4))
    helpers.save_weights(network, tmp_path / "net.pt")
    loaded = helpers.load_model(tmp_path / "net.pt")
    assert type(loaded) is type(network) and loaded.config() == network.config()
    x, t = noisy(), torch.full((6,), 100)
    with torch.no_grad():
        assert torch.equal(loaded(x, t), network(x, t))
    other = helpers.DiT(C_IN) if kind == "unet" else helpers.UNet(C_IN)
    with pytest.raises(ValueError, match="different network"):
        helpers.load_weights(other, tmp_path / "net.pt")
