"""Lesson 09's appendix: which start the 100-step stochastic sampler needs, on ten seeds.

    .venv/bin/python benchmarks/priors.py --name priors-cpu-2core   # about 70 s on one thread

Three starts for helpers.sample (lesson 07's sampler): N(0, I); exact draws of q(x_T) (the forward process run on fresh
data); and a Gaussian with q(x_T)'s mean and covariance estimated from the same fresh data (lesson 10's
helpers.gaussian_prior, written out). Each with the exact network (helpers.s_curve_oracle) and the committed network,
sigma^2 = beta~; from N(0, I) also sigma^2 = beta. Seed k draws the fresh data with seed 21 + k, the start's noise with
generator seed k and the sampler's noise with 100 + k, 4 000 points a run, as lesson 09 does: seeds 0-4 are the
lesson's own runs (its cell asserts that this file holds them), 5-9 are new. Scored by lesson 09's sharp metrics.

Writes <out>/<name>.json: {"runs": {"<seed>|<start>|<network>|<sigma>": {metric: value}}, ...}.
"""

import platform

import torch

import helpers
from sections import finish, start

N_RUN, SEEDS = 4_000, range(10)
METRICS = ("off_curve", "stray", "coverage_gap", "nll")


def starts(seed, schedule):
    fresh = helpers.s_curve(N_RUN, seed=21 + seed)
    alpha_bar_T = schedule.alpha_bar[-1]
    mean_T = alpha_bar_T.sqrt() * fresh.mean(0)
    cov_T = alpha_bar_T * torch.cov(fresh.T) + (1 - alpha_bar_T) * torch.eye(2)
    z = torch.randn(N_RUN, 2, generator=torch.Generator().manual_seed(seed))
    return {"N(0, I)": z,
            "q(x_T), exact": helpers.q_sample(fresh, schedule.T - 1, schedule, generator=torch.Generator().manual_seed(seed)),
            "Gaussian, q(x_T)'s moments": mean_T + z @ torch.linalg.cholesky(cov_T).T}


def main():
    args, _, report, began = start(__doc__, "priors-cpu-2core", ("runs",))
    schedule = helpers.sigmoid_schedule(100)
    networks = {"oracle": helpers.s_curve_oracle(schedule), "network": helpers.load_model(helpers.COMMITTED_CHECKPOINT)}
    runs = {}
    for seed in SEEDS:
        for prior, x_T in starts(seed, schedule).items():
            for who, net_or_oracle in networks.items():
                for sigma in ("beta_tilde", "beta") if prior == "N(0, I)" else ("beta_tilde",):
                    samples = helpers.sample(net_or_oracle, schedule, N_RUN, generator=torch.Generator().manual_seed(100 + seed),
                                             sigma=sigma, x_T=x_T)
                    quality = helpers.sharp_quality(samples, energy=False)
                    runs[f"{seed}|{prior}|{who}|{sigma}"] = {m: getattr(quality, m) for m in METRICS}
        print(f"seed {seed} done", flush=True)
    report.update({"machine": f"{platform.machine()}, torch {torch.__version__}, 1 thread", "n": N_RUN,
                   "seeds": list(SEEDS), "runs": runs})
    print(finish(args, report, began))


if __name__ == "__main__":
    main()
