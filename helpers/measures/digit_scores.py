"""Lesson 17's measures of generated digits. There is no FID for 8 x 8 images, so the course builds its own, each fitted
on the training split only, and each with what it cannot see:

- a classifier (scikit-learn's multinomial logistic regression on the 64 pixels): the share of samples it labels with
  probability >= 0.9, and how far the labels' shares are from the test split's (total variation). It cannot see copies:
  a training image is classified as confidently as a new one;
- the Fréchet distance (Heusel et al. 2017's FID formula, a squared distance) between Gaussians fitted to samples and to
  the test split, in the first 16 principal components of the training images. It sees means and covariances only, and a
  copy of the training set scores as well as new data (its reference: training images against the test split). From a
  finite sample it is biased upwards (a sample's covariance misses the true one by chance, and the distance counts it);
- the kernel distance (Bińkowski et al. 2018's KID, "Demystifying MMD GANs"): the unbiased estimate of the squared
  maximum mean discrepancy with the kernel (a.b / 16 + 1)^3, in the same 16 components. Its expectation is 0 for two
  samples of one distribution at any sample size, so a sample of the test split's own distribution scores about 0 where
  the Fréchet distance does not; one draw can be negative;
- nearest-neighbour distances: each sample's distance to its nearest training image, d1, over the test images' own
  (the ratio of medians, 1 for new data from the same distribution, 0 for copies), and the share of samples with
  d1 / d2 < 1/3, d2 the second-nearest (Yoon et al. 2023's copy rule). It cannot tell a copy from a good sample that
  happens to lie near one.
"""

from dataclasses import dataclass

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression

from .._checks import check_float, check_int, check_points
from ..data.digits import D, to_levels, to_unit

COMPONENTS = 16
CONFIDENT = 0.9
COPY_RATIO = 1 / 3


def _same_space(name, y, x):
    """y as float64 on the CPU, if its points have as many coordinates as x's."""
    if y.shape[1] != x.shape[1]:
        raise ValueError(f"x and {name} must have the same number of coordinates, got {x.shape[1]} and {y.shape[1]}")
    return y.detach().cpu().double()


def frechet_distance(x, y):
    """|m_x - m_y|^2 + tr(C_x + C_y - 2 (C_x^{1/2} C_y C_x^{1/2})^{1/2}): the squared 2-Wasserstein distance between the
    Gaussians with the means and covariances of two clouds of points (rows), in float64. Defined in lesson 17."""
    x = check_points("x", x, d=None).detach().cpu().double()
    y = _same_space("y", check_points("y", y, d=None), x)
    if min(len(x), len(y)) < 2:
        raise ValueError(f"x and y need at least 2 points each for a covariance, got {len(x)} and {len(y)}")
    cx, cy = torch.cov(x.T).reshape(x.shape[1], -1), torch.cov(y.T).reshape(x.shape[1], -1)
    # The symmetric form: C_x^{1/2} C_y C_x^{1/2} is positive semi-definite, so eigh gives its root exactly.
    values, vectors = torch.linalg.eigh(cx)
    root_x = vectors @ torch.diag(values.clamp(min=0).sqrt()) @ vectors.T
    cross = torch.linalg.eigvalsh(root_x @ cy @ root_x).clamp(min=0).sqrt().sum()
    return ((x.mean(0) - y.mean(0)) ** 2).sum().item() + (cx.trace() + cy.trace() - 2 * cross).item()


def kernel_distance(x, y):
    """The unbiased estimate of MMD^2 between the clouds x and y (rows, at least 2 each) with the cubic polynomial kernel
    k(a, b) = (a.b / d + 1)^3, d the number of coordinates: the means of k over pairs of two different rows of x, over
    pairs of two different rows of y, less twice its mean over (row of x, row of y); float64 (Bińkowski et al. 2018's
    KID). Defined in lesson 17."""
    x = check_points("x", x, d=None).detach().cpu().double()
    y = _same_space("y", check_points("y", y, d=None), x)
    if min(len(x), len(y)) < 2:
        raise ValueError(f"x and y need at least 2 points each for the unbiased estimate, got {len(x)} and {len(y)}")

    def within(z):
        k = (z @ z.T / z.shape[1] + 1) ** 3
        return (k.sum() - k.diagonal().sum()).item() / (len(z) * (len(z) - 1))

    return within(x) + within(y) - 2 * ((x @ y.T / x.shape[1] + 1) ** 3).mean().item()


def nearest(x, reference):
    """Each row of x's Euclidean distances to its nearest and second-nearest row of reference (at least 2 rows):
    (d1, d2), float64. Defined in lesson 17 (digits)."""
    x = check_points("x", x, d=None).detach().cpu().double()
    reference = _same_space("reference", check_points("reference", reference, d=None), x)
    if len(reference) < 2:
        raise ValueError(f"reference needs at least 2 rows for a second-nearest distance, got {len(reference)}")
    # Without the matrix-product shortcut, whose cancellation leaves 1e-7 where an image meets itself.
    two = torch.cdist(x, reference, compute_mode="donot_use_mm_for_euclid_dist").topk(2, dim=1, largest=False).values
    return two[:, 0], two[:, 1]


@dataclass(frozen=True)
class DigitScores:
    """One set of samples, measured: confident (% labelled with probability >= 0.9), balance (total variation between
    the labels' shares and the test split's, %), frechet and kid (in 16 principal components; the test split is the
    reference), nn_ratio (median d1 over the test images' median d1) and copies (% with d1 / d2 < 1/3).
    Defined in lesson 17."""

    confident: float
    balance: float
    frechet: float
    kid: float
    nn_ratio: float
    copies: float


class DigitJudge:
    """The measures of lesson 17, fitted on the training split (x_train, labels) and referred to the test split
    (x_test, labels_test). Every image it is given is first rounded to its integer pixels (helpers.to_levels), as a
    sample becomes a picture: guided samples overshoot [-1, 1], and the data are bin centres. Defined in lesson 17."""

    def __init__(self, x_train, labels, x_test, labels_test):
        self.x_train = check_points("x_train", x_train, D).detach().cpu().float()
        self.x_test = check_points("x_test", x_test, D).detach().cpu().float()
        labels, labels_test = np.asarray(labels), np.asarray(labels_test)
        if labels.shape != (len(self.x_train),) or labels_test.shape != (len(self.x_test),):
            raise ValueError("labels and labels_test must hold one label per image of x_train and x_test")
        for name, values in (("labels", labels), ("labels_test", labels_test)):
            if values.dtype.kind not in "iu" or values.min() < 0 or values.max() > 9:
                raise ValueError(f"{name} must be digits 0 .. 9 (integers), got {values.dtype} values from "
                                 f"{values.min()} to {values.max()}")
        if len(np.unique(labels)) < 2:
            raise ValueError(f"labels must hold at least 2 digits to fit a classifier, got only {labels[0]}")
        self.classifier = LogisticRegression(max_iter=5000).fit(self.x_train.numpy(), labels)
        self.pca = PCA(COMPONENTS, random_state=0).fit(self.x_train.numpy())
        self.test_shares = np.bincount(labels_test, minlength=10) / len(labels_test)
        self.test_nearest = self.nearest(self.x_test)[0].median().item()

    def images(self, x):
        """Samples as images: each value moved to the centre of its bin, 0 .. 16 (clamped), as the data are stored."""
        return to_unit(to_levels(check_points("x", x, D).detach().cpu().float()))

    def probabilities(self, x):
        """The classifier's p(label | image), shape (N, 10): column k is digit k (0 for a digit the training split
        lacks), so that argmax is the digit itself."""
        p = torch.zeros(len(x), 10, dtype=torch.float64)
        p[:, torch.as_tensor(self.classifier.classes_)] = torch.as_tensor(self.classifier.predict_proba(self.images(x).numpy()))
        return p

    def features(self, x):
        """The first 16 principal components of the training images, shape (N, 16), float64."""
        return torch.as_tensor(self.pca.transform(self.images(x).numpy()), dtype=torch.float64)

    def nearest(self, x):
        """Each image's distances to its nearest and second-nearest training image, (d1, d2), in [-1, 1] units."""
        return nearest(self.images(x), self.x_train)

    def scores(self, x, confident=CONFIDENT):
        """A DigitScores for the images x (at least 2)."""
        confident = check_float("confident", confident, 0.0, 1.0, high_open=False)
        p = self.probabilities(x)
        shares = np.bincount(p.argmax(1).numpy(), minlength=10) / len(p)
        d1, d2 = self.nearest(x)
        return DigitScores(
            confident=100 * (p.max(1).values >= confident).double().mean().item(),
            balance=100 * 0.5 * float(np.abs(shares - self.test_shares).sum()),
            frechet=frechet_distance(self.features(x), self.features(self.x_test)),
            kid=kernel_distance(self.features(x), self.features(self.x_test)),
            nn_ratio=d1.median().item() / self.test_nearest,
            copies=100 * (d1 < COPY_RATIO * d2).double().mean().item(),
        )

    def floor(self, n, seeds=range(5)):
        """The scores of n training images drawn without replacement (per seed): what a perfect copier gets, and,
        except for the nearest-neighbour measures, what new draws from the data's own distribution would get."""
        n = check_int("n", n, 2, len(self.x_train) + 1)
        rows = []
        for seed in seeds:
            index = torch.randperm(len(self.x_train), generator=torch.Generator().manual_seed(seed))[:n]
            rows.append(self.scores(self.x_train[index]))
        return rows

