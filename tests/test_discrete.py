"""Lesson 19's discrete diffusion, checked by routes that share none of its formulas: matrix products, simulation of
the chain, enumeration of a small data set, and the exact likelihood of a uniform distribution over strings."""

import math

import pytest
import torch

import helpers
from conftest import seeded

# The lessons whose tests these are (`python3 course.py test --lesson NN`, tests/conftest.py).
LESSONS = ("19",)

# A small data set of strings: 3 positions, 3 values, 7 distinct strings (so the exact reverse process is uniform over 7).
STRINGS = torch.tensor([[0, 1, 2], [0, 2, 1], [1, 1, 1], [2, 0, 0], [2, 2, 2], [1, 0, 2], [0, 0, 0]])
K_SMALL = 3


@pytest.mark.parametrize("kind", helpers.process.tokens.KINDS)
@pytest.mark.parametrize("T", [1, 5, 30])
def test_marginal_is_the_product_of_the_steps(kind, T):
    process = helpers.TokenProcess(kind, 4, T)
    product = torch.eye(process.n_states, dtype=torch.float64)
    for t in range(1, T + 1):
        product = product @ process.step_matrix(t)
        torch.testing.assert_close(process.marginal_matrix(t), product, rtol=0, atol=1e-12)
    assert torch.equal(process.marginal_matrix(0), torch.eye(process.n_states, dtype=torch.float64))


@pytest.mark.parametrize("kind", helpers.process.tokens.KINDS)
def test_noise_draws_the_marginal(kind):
    """Every value's share among 200 000 noised copies of one token, within 5 standard errors of its row of Qbar_t."""
    process = helpers.TokenProcess(kind, 4, 10)
    x0 = torch.full((200_000, 1), 2)
    for t in (1, 4, 10):
        xt = process.noise(x0, t, seeded(t))[:, 0]
        shares = torch.bincount(xt, minlength=process.n_states).double() / len(xt)
        expected = process.marginal_matrix(t)[2]
        se = (expected * (1 - expected) / len(xt)).sqrt()
        assert ((shares - expected).abs() <= 5 * se + 1e-12).all(), (t, shares, expected)


@pytest.mark.parametrize("kind", helpers.process.tokens.KINDS)
def test_posterior_is_what_the_simulated_chain_gives(kind):
    """Run x_0 -> x_{t-1} -> x_t step by step with the step matrices, keep the pairs whose x_t is a given value, and
    compare the kept x_{t-1}'s shares with the posterior (5 standard errors)."""
    process = helpers.TokenProcess(kind, 3, 6)
    t, n, g = 4, 400_000, seeded(3)
    x0 = torch.full((n,), 1)
    previous = x0
    for step in range(1, t):
        previous = torch.multinomial(process.step_matrix(step)[previous], 1, generator=g)[:, 0]
    now = torch.multinomial(process.step_matrix(t)[previous], 1, generator=g)[:, 0]
    for value in range(process.n_states):
        kept = previous[now == value]
        if len(kept) < 1000:
            continue
        shares = torch.bincount(kept, minlength=process.n_states).double() / len(kept)
        posterior = process.posterior(torch.tensor([[value]]), torch.tensor([[1]]), t)[0, 0]
        se = (posterior * (1 - posterior) / len(kept)).sqrt()
        assert ((shares - posterior).abs() <= 5 * se + 1e-12).all(), (value, shares, posterior)


@pytest.mark.parametrize("kind", helpers.process.tokens.KINDS)
def test_reverse_step_of_the_true_x0_is_the_posterior(kind):
    """Given the true x_0 with certainty, D3PM's reverse step is the forward posterior, and the KL term is 0."""
    process = helpers.TokenProcess(kind, 5, 12)
    x0 = torch.randint(5, (20, 7), generator=seeded(1))
    for t in (1, 6, 12):
        xt = process.noise(x0, t, seeded(t))
        certain = torch.nn.functional.one_hot(x0, 5).double()
        torch.testing.assert_close(process.reverse_probs(xt, certain, t), process.posterior(xt, x0, t))
        assert process.kl_terms(x0, xt, certain, t).abs().max() < 1e-12


def test_kl_terms_are_the_weighted_cross_entropy():
    """Masked process: the matrices' KL equals (alpha_bar_{t-1} - alpha_bar_t) / (1 - alpha_bar_t) times the
    cross-entropy on masked positions, for random predictions, at every step."""
    process = helpers.TokenProcess("masked", 6, 9)
    x0 = torch.randint(6, (30, 8), generator=seeded(2))
    for t in range(1, 10):
        xt = process.noise(x0, t, seeded(10 + t))
        p = torch.randn(30, 8, 6, generator=seeded(20 + t), dtype=torch.float64).softmax(-1)
        masked = xt == 6
        p[~masked] = torch.nn.functional.one_hot(xt[~masked], 6).double()
        weight = (process.alpha_bar[t - 1] - process.alpha_bar[t]) / (1 - process.alpha_bar[t])
        ce = -(p.gather(-1, x0.unsqueeze(-1)).squeeze(-1).log() * masked).sum(1)
        torch.testing.assert_close(process.kl_terms(x0, xt, p, t), weight * ce, rtol=1e-10, atol=1e-10)


def test_uniform_kl_terms_are_never_negative():
    process = helpers.TokenProcess("uniform", 4, 5)
    x0 = torch.randint(4, (50, 6), generator=seeded(4))
    for t in range(1, 6):
        p = torch.randn(50, 6, 4, generator=seeded(t), dtype=torch.float64).softmax(-1)
        assert (process.kl_terms(x0, process.noise(x0, t, seeded(t)), p, t) >= -1e-12).all()


def test_unmasker_counts_the_agreeing_strings():
    """Enumerate: the exact p(x_0^i | x_t) is the shares of position i's values among the strings that agree."""
    oracle = helpers.TrainingSetUnmasker(STRINGS, K_SMALL)
    mask = K_SMALL
    for xt in ([[0, mask, mask]], [[mask, 0, mask]], [[mask, mask, mask]], [[2, mask, 2]]):
        xt = torch.tensor(xt)
        probs = oracle.log_probs(xt).exp()[0]
        for i in range(3):
            if xt[0, i] != mask:
                assert probs[i, xt[0, i]] == 1
                continue
            agree = [s for s in STRINGS.tolist() if all(v == mask or v == s[j] for j, v in enumerate(xt[0].tolist()))]
            expected = torch.tensor([sum(s[i] == k for s in agree) / len(agree) for k in range(K_SMALL)], dtype=torch.float64)
            torch.testing.assert_close(probs[i], expected)


def test_unmasker_off_the_data_takes_the_nearest_strings():
    oracle = helpers.TrainingSetUnmasker(STRINGS, K_SMALL)
    probs = oracle.log_probs(torch.tensor([[1, 2, K_SMALL]])).exp()[0, 2]  # no string starts 1, 2
    assert oracle.off_support == 1
    # Strings one visible token away: [0, 2, 1], [1, 1, 1], [1, 0, 2], [2, 2, 2] -> last values 1, 1, 2, 2.
    torch.testing.assert_close(probs, torch.tensor([0.0, 0.5, 0.5], dtype=torch.float64))


def test_masked_elbo_of_the_exact_predictor_is_the_exact_likelihood():
    """With exact conditionals every reveal order gives -log p(x) exactly, so the bound's mean over draws is log 7 for
    each of the 7 strings (uniform over them), within its Monte Carlo error."""
    oracle = helpers.TrainingSetUnmasker(STRINGS, K_SMALL)
    bound = helpers.masked_elbo(oracle, STRINGS.repeat(400, 1), seeded(5))
    se = bound.std().item() / math.sqrt(len(bound))
    assert abs(bound.mean().item() - math.log(7)) < 5 * se + 1e-9, (bound.mean().item(), math.log(7), se)


def enumerated_bound(model, x0):
    """The random-order bound by enumeration, for short rows: the sum over n of the mean, over every subset of n masked
    positions, of (1/n) times the cross-entropy on them; the network's logits through log_softmax, masks built here."""
    from itertools import combinations

    d = x0.shape[1]
    total = torch.zeros(len(x0), dtype=torch.float64)
    with torch.no_grad():
        for n in range(1, d + 1):
            subsets = list(combinations(range(d), n))
            for subset in subsets:
                masked = torch.zeros(d, dtype=torch.bool)
                masked[list(subset)] = True
                xt = x0.clone()
                xt[:, masked] = model.K
                log_p = torch.log_softmax(model(xt), -1).double()
                ce = -log_p[:, masked].gather(-1, x0[:, masked].unsqueeze(-1)).squeeze(-1).sum(1)
                total += ce / n / len(subsets)
    return total


def test_masked_elbo_and_loss_agree_with_the_enumerated_bound():
    """For rows of 4 tokens every subset of masks can be listed: masked_elbo's draws and MaskedLoss's average (per
    token) both estimate the listed bound."""
    torch.manual_seed(0)
    model = helpers.TokenPredictor(d=4, K=3, hidden=16).eval()
    x0 = torch.randint(3, (6, 4), generator=seeded(6))
    exact = enumerated_bound(model, x0)
    drawn = helpers.masked_elbo(model, x0, seeded(7), draws=300)
    torch.testing.assert_close(drawn, exact, rtol=0.02, atol=0.02)
    with torch.no_grad():
        losses = torch.tensor([helpers.MaskedLoss()(model, x0, seeded(100 + k)).item() for k in range(3000)])
    se = losses.std().item() / math.sqrt(len(losses))
    assert abs(losses.mean().item() - exact.mean().item() / 4) < 5 * se, (losses.mean().item(), exact.mean().item() / 4)


def test_counting_masks_matches_the_continuous_time_bound():
    """The 1/n form against the 1/s form it was derived from: mask each position with probability s ~ U(0, 1), weight the
    cross-entropy by 1/s, average (Monte Carlo with masks drawn here), for an untrained network on rows of 6 tokens."""
    torch.manual_seed(1)
    model = helpers.TokenPredictor(d=6, K=4, hidden=16).eval()
    x0 = torch.randint(4, (1, 6), generator=seeded(8)).expand(20_000, 6)
    g = seeded(9)
    s = torch.rand(len(x0), 1, generator=g, dtype=torch.float64)
    masks = torch.rand(x0.shape, generator=g, dtype=torch.float64) < s
    with torch.no_grad():
        log_p = torch.log_softmax(model(torch.where(masks, 4, x0)), -1).double()
    ce = -log_p.gather(-1, x0.unsqueeze(-1)).squeeze(-1)
    by_time = (ce * masks).sum(1) / s[:, 0]
    exact = enumerated_bound(model, x0[:1])[0].item()
    se = by_time.std().item() / math.sqrt(len(by_time))
    assert abs(by_time.mean().item() - exact) < 5 * se, (by_time.mean().item(), exact, se)


def test_uniform_reverse_step_is_the_sum_over_clean_tokens():
    """Austin et al. eq. 4 written as a loop: p(x_{t-1} = j | x_t) proportional to the sum over x_0 of
    q(x_{t-1} = j | x_0) q(x_t | x_{t-1} = j) p(x_0), with q's from the closed forms of one token."""
    process = helpers.TokenProcess("uniform", 3, 6)
    t, K = 4, 3
    a_prev, a_now = process.alpha_bar[t - 1].item(), process.alpha_bar[t].item()
    beta = 1 - a_now / a_prev
    p = torch.tensor([[[0.2, 0.5, 0.3]]], dtype=torch.float64)
    for value in range(K):
        joint = []
        for j in range(K):
            step = (1 - beta) * (j == value) + beta / K
            joint.append(sum(p[0, 0, x0].item() * (a_prev * (x0 == j) + (1 - a_prev) / K) * step for x0 in range(K)))
        expected = torch.tensor(joint, dtype=torch.float64) / sum(joint)
        torch.testing.assert_close(process.reverse_probs(torch.tensor([[value]]), p, t)[0, 0], expected)


def test_sampler_reveals_on_the_schedule():
    """With the linear schedule a position is still masked after the steps T .. t + 1 with probability t / T: the
    masked share along the sampler's chain follows it (5 standard errors)."""
    chain = helpers.unmask_sample(Uniform(8), 3000, 10, generator=seeded(11), keep_chain=True)
    for t in range(10, -1, -1):
        share = (chain[10 - t] == Uniform.K).double().mean().item()
        expected = t / 10
        se = math.sqrt(max(expected * (1 - expected), 1e-4) / chain[0].numel())
        assert abs(share - expected) < 5 * se + 1e-12, (t, share, expected)


class Uniform:
    """A predictor with no knowledge: every value equally likely at every masked position."""

    K = 3

    def __init__(self, d):
        self.d = d

    def log_probs(self, xt):
        return helpers.networks.tokens.carry_over(xt, torch.full((*xt.shape, 3), -math.log(3), dtype=torch.float64), 3)


def test_exact_sampler_with_many_steps_draws_the_strings_uniformly():
    """Many steps: each position's reveal step is uniform over 1 .. 300, so two of the three share a step with
    probability about 3/300; only then can a sample leave the set. The others are the strings, each 1/7 of the time."""
    oracle = helpers.TrainingSetUnmasker(STRINGS, K_SMALL)
    samples = helpers.unmask_sample(oracle, 7000, 300, generator=seeded(8))
    index = (samples.unsqueeze(1) == STRINGS.unsqueeze(0)).all(-1)
    assert (~index.any(1)).double().mean() < 2 * 3 / 300
    counts = index.double().sum(0)
    expected = index.any(1).double().sum() / 7
    assert ((counts - expected).abs() < 5 * math.sqrt(expected * 6 / 7)).all(), counts


def test_exact_sampler_in_one_step_draws_independent_positions():
    """All positions revealed at once: each from its own marginal, independently, so the pairs' shares are products."""
    oracle = helpers.TrainingSetUnmasker(STRINGS, K_SMALL)
    samples = helpers.unmask_sample(oracle, 70_000, 1, generator=seeded(9))
    marginal = torch.stack([torch.bincount(STRINGS[:, i], minlength=3) for i in range(3)]).double() / 7
    pair = ((samples[:, 0] == 0) & (samples[:, 1] == 0)).double().mean().item()
    expected = (marginal[0, 0] * marginal[1, 0]).item()
    assert abs(pair - expected) < 5 * math.sqrt(expected * (1 - expected) / len(samples))


def test_confidence_order_reveals_the_surest_position_first():
    """A predictor sure of position 2 only: the confidence order reveals it first, in a 3-step run."""
    class Sure:
        d, K = 3, 3

        def log_probs(self, xt):
            p = torch.full((len(xt), 3, 3), 1 / 3, dtype=torch.float64)
            p[:, 2] = torch.tensor([0.0, 0.0, 1.0])
            return helpers.networks.tokens.carry_over(xt, p.log(), 3)

    chain = helpers.unmask_sample(Sure(), 200, 3, "confidence", seeded(10), keep_chain=True)
    first = chain[1]
    revealed_one = (first != 3).sum(1) == 1
    assert revealed_one.any() and (first[revealed_one, 2] == 2).all()


def test_train_reads_token_data():
    """The one training loop takes integer tokens for a token network, and lowers the masked loss."""
    config = helpers.TrainConfig(steps=60, batch_size=7, lr=1e-2, hidden=16)
    torch.manual_seed(0)
    model = helpers.TokenPredictor(d=3, K=3, hidden=16)
    result = helpers.train(model, STRINGS, helpers.MaskedLoss(), config, progress=False)
    assert result["losses"][-20:].mean() < result["losses"][:20].mean()
