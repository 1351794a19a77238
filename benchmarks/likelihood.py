"""Lesson 13's benchmark: the ODE likelihood's cost and accuracy, the two directions of KL for networks that fail
differently, and training with the ELBO's weights against L_simple.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/likelihood.py --name likelihood-cpu-2core

Runs on as many torch threads as OMP_NUM_THREADS allows (printed first); the whole run's wall time is stored as "seconds".

1. Cost and accuracy (10 000 points, Heun on 10, 25, 50 and 100 evenly spaced steps of the course's schedule, exact
   and Hutchinson divergence): the exact network (lesson 09's eps*, prior the exact q_T), whose error against log q_0 is
   known, and the committed network (prior: the Gaussian with q(x_T)'s moments), whose Hutchinson values are compared with
   its exact ones. Wall time of each helpers.ode_log_likelihood call.
2. Two directions of KL (seeds 0-4, lesson 08's default recipe unless stated, trained on helpers.s_curve(10 000)):
   "brief" (the default recipe shortened to 150 steps, its learning-rate schedule with it), "default" (1 500 steps),
   "missing end" (the default recipe on the data with u > -3 pi / 2 + 1.5, the first 16 % of the curve removed), and the
   exact network once. For each: E_q[-log p_theta] by the ODE (2 000 held-out data points, prior with q(x_T)'s moments,
   Heun on 100 steps) and by the ELBO bound (sigma^2 = beta~, same prior); lesson 09's E_p[-log q] of 10 000 samples
   (helpers.sample, sigma^2 = beta~, noise seed 1000 + seed), off-curve and coverage gap.
3. ELBO weights against L_simple (seeds 0-4): the default recipe (batch, learning rate, EMA, input scaling, 1 500
   steps), steps drawn uniformly for both; "L_simple" weighs every step equally (Ho et al. 2020, eq. 14), "ELBO" weighs
   step t by the ELBO's lambda_t for sigma^2 = beta~ (lesson 06; the decoder's 1 / (2 alpha_1) at the first step),
   normalised to mean 1 so that the learning rate means the same: helpers.loss_weights(schedule, "eps", "elbo"), lesson
   14's. Measured as in 2.

4. With --add-seeds 5,6,7,8,9 --recipes L_simple,ELBO, only this: those recipes trained on those seeds and measured as
   in 2, their rows added to an existing <out>/<name>.json ("seeds_added" records which); lesson 13's ten-seed
   comparison of section 3 uses them.
5. With --reference, only this: the reference recipe's network (helpers.REFERENCE, 316 000 steps, about 11 minutes on
   one thread), one seed (0), measured as in 2, plus its ELBO bound with its own sampler's variances (sigma^2 = beta);
   its row is added to an existing <out>/<name>.json as "reference".
Writes <out>/<name>.json.
"""

import argparse
import dataclasses
import json
import math
import platform
import time
from pathlib import Path

import torch
from torch.distributions import MultivariateNormal

import helpers

HERE = Path(__file__).resolve().parent
SEEDS = (0, 1, 2, 3, 4)
STEP_COUNTS = (10, 25, 50, 100)
MISSING = 1.5


def seeded(k):
    return torch.Generator().manual_seed(k)


def timed(call):
    start = time.perf_counter()
    value = call()
    return value, time.perf_counter() - start


def moments_prior(schedule, x0):
    a = schedule.alpha_bar[-1].double()
    x0 = x0.double()
    return MultivariateNormal(a.sqrt() * x0.mean(0), a * torch.cov(x0.T) + (1 - a) * torch.eye(2, dtype=torch.float64))


def cost_and_accuracy(schedule, model, oracle, prior):
    points = helpers.s_curve(10_000, seed=400).double()
    log_q0 = oracle.log_prob(points, None)
    rows = []
    for n_steps in STEP_COUNTS:
        exact_network = {}
        for divergence in ("exact", "hutchinson"):
            result, seconds = timed(lambda: helpers.ode_log_likelihood(
                oracle, schedule, points, n_steps, divergence, prior=lambda x: oracle.log_prob(x, schedule.T - 1),
                generator=seeded(1)))
            error = result.log_p - log_q0
            rows.append({"network": "exact", "steps": n_steps, "divergence": divergence, "seconds": seconds,
                         "mean_error": error.mean().item(), "mean_abs_error": error.abs().mean().item(),
                         "max_abs_error": error.abs().max().item()})
        for divergence in ("exact", "hutchinson"):
            result, seconds = timed(lambda: helpers.ode_log_likelihood(model, schedule, points, n_steps, divergence,
                                                                       prior=prior, generator=seeded(1)))
            exact_network[divergence] = result.log_p
            row = {"network": "committed", "steps": n_steps, "divergence": divergence, "seconds": seconds,
                   "mean_log_p": result.log_p.mean().item()}
            if divergence == "hutchinson":
                gap = result.log_p - exact_network["exact"]
                row.update(mean_gap_to_exact=gap.mean().item(), sd_gap_to_exact=gap.std().item())
            rows.append(row)
        print(*(f"{r['network']:9s} {r['steps']:3d} {r['divergence']:10s} {r['seconds']:6.2f} s" for r in rows[-4:]), sep="\n")
    return rows


def measure(model, schedule, prior, seed, held_out):
    samples = helpers.sample(model, schedule, 10_000, generator=seeded(1000 + seed), sigma="beta_tilde")
    quality = helpers.sharp_quality(samples, energy=False)
    return {
        "ode_nll": -helpers.ode_log_likelihood(model, schedule, held_out, prior=prior).log_p.mean().item(),
        "elbo_nll": helpers.elbo(model, schedule, held_out, prior=prior, generator=seeded(seed)).nll_bound.mean().item(),
        "sample_nll": quality.nll, "off_curve": quality.off_curve, "coverage_gap": quality.coverage_gap, "stray": quality.stray,
    }


def weighted_objective(schedule, weights):
    def objective(model, x0, generator):
        t = torch.randint(0, schedule.T, (x0.shape[0],), generator=generator)
        eps = torch.randn(x0.shape, generator=generator)
        xt = helpers.q_sample(x0, t, schedule, eps=eps)
        return (weights[t] * ((eps - model(xt, t)) ** 2).mean(1)).mean()

    return objective


def train(config, schedule, x0, objective=None):
    torch.manual_seed(config.seed)
    model = helpers.build_model(config, schedule, x0)
    objective = objective or helpers.Denoising(schedule, config)
    result, seconds = timed(lambda: helpers.train(model, x0, objective, config, progress=False))
    return result["model"], seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="likelihood-cpu-2core")
    parser.add_argument("--out", default=str(HERE / "results"))
    parser.add_argument("--reference", action="store_true", help="train the reference recipe once and add its row")
    parser.add_argument("--add-seeds", default="", help="comma-separated seeds to add for --recipes, to an existing file")
    parser.add_argument("--recipes", default="L_simple,ELBO", help="comma-separated recipes for --add-seeds")
    args = parser.parse_args()
    start = time.perf_counter()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)")
    schedule = helpers.sigmoid_schedule(100)
    x0, u = helpers.s_curve(10_000, return_u=True)
    model = helpers.load_model(helpers.COMMITTED_CHECKPOINT)
    oracle = helpers.s_curve_oracle(schedule)
    prior = moments_prior(schedule, x0)
    held_out = helpers.s_curve(2_000, seed=500).double()
    log_q0 = oracle.log_prob(held_out, None)
    path = Path(args.out) / f"{args.name}.json"
    if args.reference:
        add_reference(path, schedule, x0, prior, held_out)
        return
    if args.add_seeds:
        out = json.loads(path.read_text())
        seeds = [int(k) for k in args.add_seeds.split(",")]
        for name in args.recipes.split(","):
            out["runs"] += run_recipe(name, recipes(schedule, x0, u)[name], seeds, schedule, prior, held_out)
            out.setdefault("seeds_added", {})[name] = sorted(set(out.get("seeds_added", {}).get(name, [])) | set(seeds))
        path.write_text(json.dumps(out, indent=1) + "\n")
        print(f"added seeds {seeds} of {args.recipes}; wrote {path}")
        return
    out = {"name": args.name, "machine": platform.machine(), "torch": torch.__version__, "threads": torch.get_num_threads(),
           "seeds": list(SEEDS), "held_out_entropy": -log_q0.mean().item(), "missing": MISSING}
    out["cost"] = cost_and_accuracy(schedule, model, oracle, prior)

    out["exact"] = measure(oracle, schedule, prior, 0, held_out)
    out["committed"] = measure(model, schedule, prior, 0, held_out)
    out["runs"] = []
    for name, recipe in recipes(schedule, x0, u).items():
        out["runs"] += run_recipe(name, recipe, SEEDS, schedule, prior, held_out)
    out["seconds"] = time.perf_counter() - start
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path} after {out['seconds']:.0f} s")


def recipes(schedule, x0, u):
    """Each recipe of sections 2 and 3: (training config, training data, objective or None for L_simple)."""
    return {
        "brief": (dataclasses.replace(helpers.DEFAULT, steps=150), x0, None),
        "default": (helpers.DEFAULT, x0, None),
        "missing end": (helpers.DEFAULT, x0[u > -1.5 * math.pi + MISSING], None),
        "L_simple": (dataclasses.replace(helpers.DEFAULT, t_power=1.0), x0,
                     weighted_objective(schedule, torch.ones(schedule.T))),
        "ELBO": (dataclasses.replace(helpers.DEFAULT, t_power=1.0), x0,
                 weighted_objective(schedule, helpers.loss_weights(schedule, "eps", "elbo"))),
    }


def run_recipe(name, recipe, seeds, schedule, prior, held_out):
    """Train one recipe on each seed and measure it (section 2's measurements); returns the rows."""
    config, data, objective = recipe
    rows = []
    for seed in seeds:
        trained, seconds = train(dataclasses.replace(config, seed=seed), schedule, data, objective)
        rows.append({"recipe": name, "seed": seed, "train_seconds": seconds, **measure(trained, schedule, prior, seed, held_out)})
        print(f"{name:12s} seed {seed}: " + ", ".join(f"{k} {v:.3f}" for k, v in rows[-1].items() if isinstance(v, float)))
    return rows


def add_reference(path, schedule, x0, prior, held_out):
    """Train the reference recipe (seed 0) and store its measurements in the results at path."""
    out = json.loads(path.read_text())
    trained, seconds = train(dataclasses.replace(helpers.REFERENCE, seed=0), schedule, x0)
    row = {"seed": 0, "train_seconds": seconds, **measure(trained, schedule, prior, 0, held_out),
           "elbo_nll_beta": helpers.elbo(trained, schedule, held_out, prior=prior, sigma="beta",
                                         generator=seeded(0)).nll_bound.mean().item()}
    out["reference"] = row
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"reference: " + ", ".join(f"{k} {v:.3f}" for k, v in row.items() if isinstance(v, float)) + f"; wrote {path}")


if __name__ == "__main__":
    main()
