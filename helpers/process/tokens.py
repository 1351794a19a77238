"""Diffusion on tokens (lesson 19): D3PM's forward processes on K categories (Austin et al. 2021), their closed-form
marginals and posteriors, and the reverse step a predictor of x_0 defines.

A token takes one of K values (the digits' 17 grey levels). A forward step moves it with a transition matrix Q_t:
q(x_t | x_{t-1}) = Cat(x_t; row x_{t-1} of Q_t), rows the old value and columns the new one (Austin et al. eq. 1), and t
steps move it with Qbar_t = Q_1 Q_2 ... Q_t (eq. 3). Two choices (their section 3.1, appendices A.2.1 and A.2.2):
- masked ("absorbing state"): one more state, the mask m = K. At step t a visible token is masked with probability
  beta_t, and a mask stays a mask: Qbar_t = alpha_bar_t I + (1 - alpha_bar_t) 1 e_m^T;
- uniform: with probability beta_t the token is redrawn uniformly from the K values (possibly its own):
  Qbar_t = alpha_bar_t I + (1 - alpha_bar_t) 1 1^T / K.
alpha_bar_t, the probability that a token is still its data value's (untouched) after t steps, is 1 - t / T, the linear
schedule of MDLM (Sahoo et al. 2024) and MD4 (Shi et al. 2024), so beta_t = 1 - alpha_bar_t / alpha_bar_{t-1} =
1 / (T - t + 1). Steps count as the papers count: t = 0 is the data and t = T is all noise (the Gaussian lessons' code
steps start at the paper's t = 1 instead).
"""

import torch

from .._checks import check_generator, check_int, check_tokens

KINDS = ("masked", "uniform")


class TokenProcess:
    """The forward process on tokens 0 .. K - 1 of one kind ("masked" or "uniform"), T steps of the linear schedule.

    n_states is K + 1 for the masked kind (its mask is token K) and K for the uniform one. Probabilities are float64.
    Defined in lesson 19 (discrete diffusion).
    """

    def __init__(self, kind, K, T):
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {list(KINDS)} (D3PM's absorbing process is 'masked'), got {kind!r}")
        self.kind, self.K, self.T = kind, check_int("K", K, 2), check_int("T", T, 1)
        self.n_states = K + 1 if kind == "masked" else K
        self.mask = K if kind == "masked" else None
        self.alpha_bar = 1 - torch.arange(T + 1, dtype=torch.float64) / T
        # beta_t for t = 1 .. T; index 0 (no step) holds 0.
        self.beta = torch.cat([torch.zeros(1, dtype=torch.float64), 1 - self.alpha_bar[1:] / self.alpha_bar[:-1]])
        if kind == "masked":
            self._target = torch.zeros(self.n_states, dtype=torch.float64)
            self._target[self.mask] = 1.0
        else:
            self._target = torch.full((K,), 1 / K, dtype=torch.float64)

    def __repr__(self):
        return f"TokenProcess({self.kind!r}, K={self.K}, T={self.T})"

    def _mix(self, keep):
        """keep I + (1 - keep) 1 target^T: keep the token with probability keep, else draw it from the target."""
        eye = torch.eye(self.n_states, dtype=torch.float64)
        return keep * eye + (1 - keep) * self._target.expand(self.n_states, -1)

    def step_matrix(self, t):
        """Q_t, shape (n_states, n_states): row i is q(x_t | x_{t-1} = i), for a step t in 1 .. T."""
        t = check_int("t", t, 1, self.T + 1)
        return self._mix(1 - self.beta[t])

    def marginal_matrix(self, t):
        """Qbar_t in closed form, shape (n_states, n_states): row i is q(x_t | x_0 = i), for t in 0 .. T."""
        t = check_int("t", t, 0, self.T + 1)
        return self._mix(self.alpha_bar[t])

    def _steps(self, t, n):
        """t as one step per row (a long tensor of n), every entry in 0 .. T."""
        t = torch.as_tensor(t)
        if t.is_floating_point() or t.dtype == torch.bool or t.ndim > 1 or (t.ndim == 1 and len(t) != n):
            raise ValueError(f"t must be an int or one integer step per row ({n}), got {t.tolist()!r:.80}")
        if t.min() < 0 or t.max() > self.T:
            raise ValueError(f"t must be in [0, T] = [0, {self.T}], got values from {int(t.min())} to {int(t.max())}")
        return t.long().expand(n)

    def noise(self, x0, t, generator=None):
        """A draw of x_t ~ q(x_t | x_0) for data tokens x0 (N, d) at step t (an int or one per row), on the CPU."""
        x0 = check_tokens("x0", x0, self.K)
        t, generator = self._steps(t, len(x0)), check_generator(generator)
        keep = torch.rand(x0.shape, generator=generator, dtype=torch.float64) < self.alpha_bar[t].unsqueeze(1)
        if self.kind == "masked":
            return torch.where(keep, x0, self.mask)
        return torch.where(keep, x0, torch.randint(self.K, x0.shape, generator=generator))

    def posterior(self, xt, x0, t):
        """q(x_{t-1} | x_t, x_0) by Bayes' rule on the matrices (Austin et al. eq. 3):
        Q_t[x_{t-1}, x_t] Qbar_{t-1}[x_0, x_{t-1}] / Qbar_t[x_0, x_t], shape (N, d, n_states), for t in 1 .. T."""
        x0 = check_tokens("x0", x0, self.K)
        xt = check_tokens("xt", xt, self.n_states, x0.shape[1])
        t = check_int("t", t, 1, self.T + 1)
        joint = self.step_matrix(t).T[xt] * self.marginal_matrix(t - 1)[x0]
        total = joint.sum(-1, keepdim=True)
        if (total == 0).any():
            raise ValueError("xt is impossible given x0 (a visible token that differs from x0's, under the masked kind)")
        return joint / total

    def reverse_probs(self, xt, p_x0, t):
        """The reverse step p(x_{t-1} | x_t) of a predictor p_x0 (N, d, K) of the clean token: Austin et al. eq. 4,
        proportional to sum over x_0 of q(x_{t-1}, x_t | x_0) p_x0(x_0). Shape (N, d, n_states), for t in 1 .. T."""
        xt = check_tokens("xt", xt, self.n_states)
        t = check_int("t", t, 1, self.T + 1)
        if not isinstance(p_x0, torch.Tensor) or p_x0.shape != (*xt.shape, self.K):
            raise ValueError(f"p_x0 must be a tensor of shape {(*xt.shape, self.K)}, got {getattr(p_x0, 'shape', p_x0)}")
        # q(x_{t-1} | x_0) for each clean value, weighted by the prediction, then the step to the x_t we see.
        before = p_x0.double() @ self.marginal_matrix(t - 1)[: self.K]
        joint = before * self.step_matrix(t).T[xt]
        total = joint.sum(-1, keepdim=True)
        if (total == 0).any():
            raise ValueError("p_x0 gives probability 0 to every clean token that could have produced xt (under the masked "
                             "kind, a visible token must keep some probability for its own value)")
        return joint / total

    def kl_terms(self, x0, xt, p_x0, t):
        """Each row's sum over positions of KL(q(x_{t-1} | x_t, x_0) || p(x_{t-1} | x_t)): the term L_{t-1} of the
        D3PM bound (lesson 06's bound on tokens, Austin et al. section 3; for t = 1 it is L_0 = -log p(x_0 | x_1)), in nats, shape (N,)."""
        q = self.posterior(xt, x0, t)
        p = self.reverse_probs(xt, p_x0, t)
        terms = torch.where(q > 0, q * (q.log() - p.log()), torch.zeros_like(q))
        return terms.sum((1, 2))
