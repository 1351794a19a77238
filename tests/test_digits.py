"""Lesson 17's data, measures and the helpers in 64 dimensions, each checked by an independent route: scikit-learn's own
data and neighbours, scipy's matrix square root, closed forms for Gaussian data, Monte Carlo and autograd."""

import math

import numpy as np
import pytest
import scipy.linalg
import scipy.stats
import torch
from sklearn.datasets import load_digits
from sklearn.metrics.pairwise import polynomial_kernel
from sklearn.neighbors import NearestNeighbors
from torch import nn

import helpers
from helpers.data.digits import BIN, D, Dequantised

LESSONS = ("17",)
SPLIT = helpers.digits_split()


def seeded(k):
    return torch.Generator().manual_seed(k)


def test_the_split_is_a_quarter_of_each_digit_and_together_the_whole_set():
    x_train, labels_train, x_test, labels_test = SPLIT
    data = load_digits()
    assert len(x_train) + len(x_test) == len(data.target) == 1797 and len(x_test) == 450
    for digit in range(10):
        assert (labels_test == digit).sum().item() == round(0.25 * (data.target == digit).sum())
    levels = torch.cat([helpers.to_levels(x_train), helpers.to_levels(x_test)]).numpy()
    mine = sorted(map(tuple, levels))
    theirs = sorted(map(tuple, data.data.astype(int)))
    assert mine == theirs
    again = helpers.digits_split()
    assert all(torch.equal(a, b) for a, b in zip(SPLIT, again))


def test_dequantisation_is_uniform_across_each_bin():
    x = SPLIT[0][:200]
    spread = helpers.dequantise(x, seeded(0))
    assert torch.equal(helpers.to_levels(spread), helpers.to_levels(x))
    offset = ((spread - x) / BIN + 0.5).flatten().numpy()
    assert scipy.stats.kstest(offset, "uniform").pvalue > 1e-3
    assert torch.equal(helpers.dequantise(x, seeded(0)), spread)


def test_bits_per_dim_counts_the_mass_of_each_bin():
    # A density uniform on one bin of each coordinate puts all mass on one integer image: 0 bits. On the whole cube: log2 17.
    for d in (1, 3, 64):
        assert helpers.bits_per_dim(torch.full((4,), d * math.log(1 / BIN), dtype=torch.float64), d) == pytest.approx(0.0, abs=1e-12)
        assert helpers.bits_per_dim(torch.full((4,), -d * math.log(2.0), dtype=torch.float64), d) == pytest.approx(math.log2(17), abs=1e-12)


def test_frechet_distance_agrees_with_scipy_and_the_one_dimensional_closed_form():
    g = seeded(1)
    a, b = torch.randn(300, 5, generator=g, dtype=torch.float64), torch.randn(200, 5, generator=g, dtype=torch.float64) * 1.3 + 0.2
    ca, cb = np.cov(a.numpy().T), np.cov(b.numpy().T)
    want = ((a.mean(0) - b.mean(0)) ** 2).sum().item() + np.trace(ca + cb - 2 * scipy.linalg.sqrtm(ca @ cb).real)
    assert helpers.frechet_distance(a, b) == pytest.approx(want, rel=1e-9)
    x, y = a[:, :1], b[:, :1]
    one_d = (x.mean() - y.mean()).item() ** 2 + (x.std() - y.std()).item() ** 2
    assert helpers.frechet_distance(x, y) == pytest.approx(one_d, rel=1e-9)
    assert helpers.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-9)


def test_kernel_distance_is_the_unbiased_mmd_by_scikit_learn_s_kernel_and_near_0_for_one_distribution():
    a, b = SPLIT[0][:300, :16].double(), SPLIT[2][:200, :16].double() * 1.3 + 0.1
    k_aa, k_bb, k_ab = (polynomial_kernel(u.numpy(), v.numpy(), degree=3, gamma=1 / 16, coef0=1) for u, v in
                        ((a, a), (b, b), (a, b)))
    want = ((k_aa.sum() - np.trace(k_aa)) / (300 * 299) + (k_bb.sum() - np.trace(k_bb)) / (200 * 199) - 2 * k_ab.mean())
    assert helpers.kernel_distance(a, b) == pytest.approx(want, rel=1e-9)
    # Unbiased: over many pairs of small samples of one distribution its mean is 0 (within 4 standard errors), where the
    # Fréchet distance of the same pairs is positive on every pair.
    g = torch.Generator().manual_seed(11)
    pairs = [(torch.randn(30, 16, generator=g, dtype=torch.float64), torch.randn(30, 16, generator=g, dtype=torch.float64))
             for _ in range(400)]
    kid = np.array([helpers.kernel_distance(u, v) for u, v in pairs])
    assert abs(kid.mean()) < 4 * kid.std(ddof=1) / len(kid) ** 0.5 and (kid < 0).any()
    assert min(helpers.frechet_distance(u, v) for u, v in pairs) > 0


def test_nearest_distances_agree_with_scikit_learn():
    x, reference = SPLIT[2][:40], SPLIT[0][:300]
    d1, d2 = helpers.nearest(x, reference)
    distances, _ = NearestNeighbors(n_neighbors=2).fit(reference.numpy()).kneighbors(x.numpy())
    np.testing.assert_allclose(torch.stack([d1, d2], 1).numpy(), distances, rtol=1e-5)


@pytest.fixture(scope="module")
def judge():
    return helpers.DigitJudge(*SPLIT)


def test_the_judge_scores_the_data_as_its_definitions_say(judge):
    x_train, labels_train, x_test, labels_test = SPLIT
    accuracy = (judge.probabilities(x_test).argmax(1) == labels_test).double().mean().item()
    assert accuracy > 0.9
    test = judge.scores(x_test)
    assert test.frechet == pytest.approx(0.0, abs=1e-9)
    # The nearest-neighbour ratio by scikit-learn: the median distance from each image to its nearest training image,
    # over the test images' own (the test split against itself gives 1 by definition, whatever the distances).
    fit = NearestNeighbors(n_neighbors=1).fit(x_train.numpy())
    reference = np.median(fit.kneighbors(x_test.numpy())[0])
    # Training images with a third of their pixels moved one grey level (of 0..16): still on the judge's bin centres.
    levels = torch.round((x_train[450:900] + 1) * 17 / 2 - 0.5)  # pixel v is 2 (v + 1/2) / 17 - 1 here
    step = torch.randint(-1, 2, levels.shape, generator=seeded(6)).to(levels.dtype)
    held = 2 * ((levels + step).clamp(0, 16) + 0.5) / 17 - 1
    assert judge.scores(held).nn_ratio == pytest.approx(np.median(fit.kneighbors(held.numpy())[0]) / reference, rel=1e-5)
    copies = judge.scores(x_train[:450])
    assert copies.nn_ratio == 0.0 and copies.copies == 100.0
    # The balance is half the L1 distance between the shares of predicted labels and the test split's.
    predicted = np.bincount(judge.probabilities(x_train[:450]).argmax(1).numpy(), minlength=10) / 450
    assert copies.balance == pytest.approx(50 * np.abs(predicted - np.bincount(labels_test.numpy()) / 450).sum())
    noise = judge.scores(torch.rand(450, D, generator=seeded(2)) * 2 - 1)
    assert noise.frechet > 10 * copies.frechet and noise.nn_ratio > 1.5


class GaussianEps(nn.Module):
    """The exact eps of data N(0, s^2 I) in d dimensions: eps*(x_t) = sqrt(1 - a) x_t / (a s^2 + 1 - a)."""

    def __init__(self, schedule, s, d):
        super().__init__()
        self.T, self.d, self.s = schedule.T, d, s
        self.register_buffer("alpha_bar", schedule.alpha_bar.double())

    def forward(self, x, t):
        a = self.alpha_bar[torch.as_tensor(t)].reshape(-1, 1)
        return ((1 - a).sqrt() * x.double() / (a * self.s**2 + 1 - a)).to(x.dtype)


def test_the_ode_likelihood_in_five_dimensions_is_the_gaussian_s_own():
    schedule = helpers.linear_schedule(1000)
    s, d = 0.7, 5
    x0 = torch.randn(20, d, generator=seeded(3), dtype=torch.float64) * s
    got = helpers.ode_log_likelihood(GaussianEps(schedule, s, d), schedule, x0, helpers.grid_steps(schedule, 400)).log_p
    want = torch.distributions.Normal(0.0, s).log_prob(x0).sum(1)
    torch.testing.assert_close(got, want, rtol=0, atol=5e-3)


def test_the_elbo_in_five_dimensions_has_the_gaussian_kl_in_closed_form():
    schedule = helpers.linear_schedule(50, 1e-3, 0.2)
    x0 = torch.randn(30, 5, generator=seeded(4), dtype=torch.float64) * 0.7
    terms = helpers.elbo(GaussianEps(schedule, 0.7, 5), schedule, x0, generator=seeded(5))
    a_T = schedule.alpha_bar.double()[-1]
    # The closed form, per coordinate KL(N(m, v) || N(0, 1)) = (v + m^2 - 1 - ln v) / 2, not torch's kl_divergence,
    # which the helper itself calls.
    want = 0.5 * ((1 - a_T) + a_T * x0**2 - 1 - torch.log(1 - a_T)).sum(1)
    torch.testing.assert_close(terms.prior, want)
    assert terms.d == 5 and terms.continuous_bits_per_dim() == pytest.approx(terms.nll_bound.mean().item() / (5 * math.log(2)))


def test_the_forward_process_in_64_dimensions_has_the_closed_form_variance():
    schedule = helpers.digits_schedule()
    x0 = SPLIT[0][:1].expand(20_000, D)
    x_t = helpers.q_sample(x0, 400, schedule, generator=seeded(6))
    a = schedule.alpha_bar[400].item()
    torch.testing.assert_close(x_t.mean(0), a**0.5 * x0[0], rtol=0, atol=0.03)
    torch.testing.assert_close(x_t.var(0), torch.full((D,), 1 - a), rtol=0.05, atol=0)


def test_the_finite_set_oracle_s_density_in_64_dimensions_is_torch_s_mixture():
    memoriser = helpers.training_set_oracle(SPLIT[0][:40].double(), helpers.digits_schedule())
    a = memoriser.alpha_bar[300]
    mixture = torch.distributions.MixtureSameFamily(
        torch.distributions.Categorical(logits=memoriser.log_weights),
        torch.distributions.Independent(torch.distributions.Normal(a.sqrt() * memoriser.points, (1 - a).sqrt()), 1))
    x = helpers.q_sample(memoriser.points[:5], 300, helpers.digits_schedule(), generator=seeded(7))
    torch.testing.assert_close(memoriser.log_prob(x, 300), mixture.log_prob(x))


def test_the_network_s_input_scale_is_the_std_of_dequantised_images():
    x_train = SPLIT[0]
    net = helpers.digits_network(x_train)
    spread = torch.cat([helpers.dequantise(x_train, seeded(k)) for k in range(5)])
    want = helpers.input_scale(helpers.digits_schedule(), spread.std().item())
    torch.testing.assert_close(net.c_in, want, rtol=2e-3, atol=0)
    assert net.d == D and net(x_train[:3], 5).shape == (3, D)


def test_a_64_dimensional_network_round_trips_through_a_checkpoint(tmp_path):
    net = helpers.digits_network(SPLIT[0], n_labels=10)
    helpers.save_weights(net, tmp_path / "n.pt")
    again = helpers.load_model(tmp_path / "n.pt")
    assert again.config() == net.config() and again.config()["d"] == D
    torch.testing.assert_close(again(SPLIT[2][:4], 7, 3), net.eval()(SPLIT[2][:4], 7, 3))
    assert "d" not in helpers.NoisePredictor(100, 8).config()


def test_training_dequantises_every_batch_afresh():
    """Every step's objective sees the whole split (batch 1 347), each pixel moved within its own bin, differently
    each step."""
    seen = []
    config = helpers.TrainConfig(steps=3, batch_size=1347, lr=1e-3)
    denoising = helpers.Denoising(helpers.digits_schedule(), config)

    def recording(model, batch, generator):
        seen.append(batch.clone())
        return denoising(model, batch, generator)

    denoising.start(helpers.digits_network(SPLIT[0]), SPLIT[0])
    helpers.train(helpers.digits_network(SPLIT[0]), SPLIT[0], Dequantised(recording), config, progress=False)
    assert len(seen) == 3 and not torch.equal(seen[0].sort(0).values, seen[1].sort(0).values)
    for batch in seen:
        assert torch.equal(helpers.to_levels(batch).sort(0).values, helpers.to_levels(SPLIT[0]).sort(0).values)
        assert not torch.equal(batch.sort(0).values, SPLIT[0].sort(0).values)
    with pytest.raises(TypeError, match="objective must be"):
        Dequantised(1)


def test_digit_figures_have_one_panel_per_image_and_readable_titles():
    fig = helpers.plot_digits(SPLIT[2][:12], [str(k) for k in range(12)], columns=5)
    panels = [ax for ax in fig.axes if ax.images]
    assert len(panels) == 12 and all(ax.title.get_fontsize() >= 10 for ax in panels)
    np.testing.assert_allclose(panels[0].images[0].get_array(), SPLIT[2][0].reshape(8, 8).numpy())


def test_guidance_with_a_label_per_point_is_each_label_s_own():
    torch.manual_seed(0)
    model = helpers.ConditionalNoisePredictor(100, 3, 16)
    x, labels = torch.randn(6, 2, generator=seeded(8)), torch.tensor([0, 1, 2, 2, 1, 0])
    got = helpers.Guided(model, labels, 1.5)(x, 5)
    want = torch.cat([helpers.Guided(model, int(c), 1.5)(x[k : k + 1], 5) for k, c in enumerate(labels)])
    torch.testing.assert_close(got, want)


def test_a_judge_of_some_digits_counts_each_by_its_own_label():
    """Fitted on three digits, the classifier's columns are those digits: argmax is the digit itself, and its own test
    split is balanced against itself (issue 36: 100 % imbalance, an index compared with a label)."""
    x_train, labels_train, x_test, labels_test = SPLIT
    keep_train, keep_test = torch.isin(labels_train, torch.tensor([3, 5, 8])), torch.isin(labels_test, torch.tensor([3, 5, 8]))
    judge = helpers.DigitJudge(x_train[keep_train], labels_train[keep_train], x_test[keep_test], labels_test[keep_test])
    p = judge.probabilities(x_test[keep_test])
    assert p.shape == (int(keep_test.sum()), 10) and set(p.argmax(1).tolist()) <= {3, 5, 8}
    assert (p.argmax(1) == labels_test[keep_test]).double().mean() > 0.9
    assert judge.scores(x_test[keep_test]).balance < 5


@pytest.mark.parametrize("scale", [1.0, 1 / 16], ids=["raw pixels", "pixels / 16"])
def test_pixels_of_scikit_learn_are_refused_where_images_are_expected(scale):
    """to_levels, dequantise and the judge take images in [-1, 1] (bin centres or samples); scikit-learn's pixels 0 .. 16,
    or those divided by 16, were read as points of [-1, 1] in silence (issue 36)."""
    pixels = torch.as_tensor(load_digits().data[:20], dtype=torch.float32) * scale
    for call in (helpers.to_levels, lambda x: helpers.dequantise(x, seeded(0))):
        with pytest.raises(ValueError, match="scikit-learn's pixels"):
            call(pixels)
    # The same images as the course holds them pass, and samples that overshoot [-1, 1] too.
    helpers.to_levels(SPLIT[0][:20])
    helpers.to_levels(SPLIT[0][:20] * 1.1)
