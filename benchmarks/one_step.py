"""Lesson 16's students against the exact flow map and the 100-step DDPM, over ten training seeds, and the time for
10 000 points.

    .venv/bin/python benchmarks/one_step.py --name one-step-cpu-2core   # about 25 minutes on one core

For each seed k = 0..9, the recipes of tools/make_students.py train every student with seed k (progressive
distillation's five rounds, consistency distillation, consistency training and one reflow round), timed. Then on seed
k's start points (helpers.gaussian_prior with generator seed 2 + 100 k, noise from 3 + 100 k, as
benchmarks/fast_solvers.py), every sampler at 1, 2 and 4 steps is scored:
- against the exact flow map (helpers.ode_reference from the first N_MAP starts): the RMS and the median distance, and
  the RMS within each fifth of the curve (by the exact end point's u) and over the starts the exact map sends to
  where few data points are (the ends, |u| > 0.8 u_max);
- by lesson 09's sharp metrics on 10 000 points, against that seed's 100-step DDPM by lesson 10's rule (off-curve and
  coverage gap no worse by more than two data-floor s.d.).
The floors beside them: the teacher (DPM-Solver++(2M), shifted grid, 20 and 50 NFE), DDIM with the teacher at 32 steps
(progressive distillation's own teacher: its first round learns two of these steps in one), DDIM with the teacher and
with the exact network at 1, 2 and 4 steps. Straightness (helpers.straightness) of the teacher's ODE paths in the flow's
coordinates and of the reflowed network's, on N_PATHS starts. Speed: 10 000 points from each committed student at 1, 2
and 4 steps, through the helpers (and with FastEps for progressive distillation), at one thread quiet and busy and two
quiet.

Writes <out>/<name>.json; --sections speed re-times and keeps the rest.
"""

import platform
import sys
import time
from pathlib import Path

import torch

import helpers
from helpers.objectives.distill import FINEST
from load import timed_settings
from sections import data_floor, finish, start

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tools"))
import make_students  # noqa: E402

N_SAMPLES, N_MAP, N_PATHS = 10_000, 2000, 200
SEEDS = range(10)
STEPS = (1, 2, 4)
METRICS = ("off_curve", "stray", "coverage_gap", "nll")
RULE = ("off_curve", "coverage_gap")
SECTIONS = ("scores", "speed")
TARGET_SECONDS = 0.02
BINS = 5


class Setup:
    def __init__(self):
        self.schedule, self.x0, self.teacher = make_students.setup()
        self.oracle = helpers.s_curve_oracle(self.schedule)
        self.floor = data_floor(METRICS, N_SAMPLES)

    def start(self, seed):
        return helpers.gaussian_prior(self.x0, self.schedule, N_SAMPLES, torch.Generator().manual_seed(2 + 100 * seed))


def ddim(net, schedule, x_T, n_steps, target="eps"):
    return helpers.sample_steps(net, schedule, x_T.shape[0], helpers.student_steps(schedule, n_steps), "ddim", x_T=x_T,
                                target=target)


@torch.no_grad()
def renoising(student, schedule, x_T, n_steps, generator):
    """Song et al. 2023's Algorithm 1: jump to x0, add fresh noise to the next grid step, jump again."""
    steps = helpers.student_steps(schedule, n_steps)
    x0_hat = student(x_T, steps[0])
    for t in steps[1:]:
        x0_hat = student(helpers.q_sample(x0_hat, int(t), schedule, generator=generator), t)
    return x0_hat


def samplers(setup, students, seed):
    """name -> (steps, function of x_T giving x_0, deterministic?)."""
    s, noise = setup.schedule, torch.Generator().manual_seed(3 + 100 * seed)
    out = {}
    for nfe in (20, 50):
        out[f"teacher, DPM-Solver++(2M) {nfe} NFE"] = (nfe, lambda x, nfe=nfe: helpers.sample_steps(
            setup.teacher, s, x.shape[0], helpers.grid_steps(s, nfe, "shift"), "dpm++2m", x_T=x), True)
    out[f"teacher, DDIM {FINEST}"] = (FINEST, lambda x: ddim(setup.teacher, s, x, FINEST), True)
    for k in STEPS:
        out[f"teacher, DDIM {k}"] = (k, lambda x, k=k: ddim(setup.teacher, s, x, k), True)
        out[f"exact network, DDIM {k}"] = (k, lambda x, k=k: ddim(setup.oracle, s, x, k).float(), True)
        out[f"progressive distillation {k}"] = (k, lambda x, k=k: ddim(students["pd"][k], s, x, k, "x0"), True)
        for name in ("cd", "ct"):
            out[f"{name} {k}"] = (k, lambda x, k=k, name=name: ddim(students[name], s, x, k, "x0"), True)
            if k > 1:
                out[f"{name} {k}, re-noising"] = (k, lambda x, k=k, name=name: renoising(students[name], s, x, k, noise), False)
        out[f"reflow {k}"] = (k, lambda x, k=k: helpers.flow_solve(students["reflow"], x, helpers.flow_grid(k)), True)
    return out


def map_errors(ends, exact):
    """RMS and median distance to the exact map, RMS per fifth of the curve and at its ends."""
    distance = (ends.double() - exact).norm(dim=1)
    u, _ = helpers.curve_coordinates(exact)
    u_max = float(u.abs().max())
    part = ((u + u_max) / (2 * u_max) * BINS).long().clamp(0, BINS - 1)
    return {"rms": round(distance.pow(2).mean().sqrt().item(), 5), "median": round(distance.median().item(), 5),
            "rms_by_fifth": [round(distance[part == b].pow(2).mean().sqrt().item(), 5) for b in range(BINS)],
            "rms_ends": round(distance[u.abs() > 0.8 * u_max].pow(2).mean().sqrt().item(), 5)}


def train_students(seed):
    """Every recipe with this seed, and the seconds each took."""
    seconds, students = {}, {}
    began = time.perf_counter()
    students["pd"] = make_students.train_progressive(seed)
    seconds["pd"] = time.perf_counter() - began
    for name, fn in (("cd", lambda: make_students.train_consistency(seed)),
                     ("ct", lambda: make_students.train_consistency(seed, distil=False)),
                     ("reflow", lambda: make_students.train_reflow(seed))):
        began = time.perf_counter()
        students[name] = fn()
        seconds[name] = time.perf_counter() - began
    return students, {k: round(v, 1) for k, v in seconds.items()}


def paths(setup, students, x_T):
    """Straightness of the teacher's paths (DDIM on all T steps, in the flow's coordinates) and the reflowed network's."""
    s = setup.schedule
    chain = helpers.sample_steps(setup.teacher, s, x_T.shape[0], s.T, "ddim", x_T=x_T, keep_chain=True).double()
    alpha_bar = torch.cat([s.alpha_bar.double().flip(0), torch.ones(1, dtype=torch.float64)])
    a, b = alpha_bar.sqrt(), (1 - alpha_bar).sqrt()
    teacher = helpers.straightness(chain / (a + b)[:, None, None], b / (a + b))
    grid = helpers.flow_grid(200)
    reflow = helpers.straightness(helpers.flow_solve(students["reflow"], x_T, grid, keep_chain=True), grid)
    return {"teacher (flow coordinates)": [round(v, 4) for v in teacher], "reflow": [round(v, 4) for v in reflow]}


def scores(setup):
    rows, baselines, training, straight = [], {}, {}, {}
    for seed in SEEDS:
        students, training[seed] = train_students(seed)
        print(f"seed {seed}: trained in {training[seed]}", flush=True)
        x_T = setup.start(seed)
        exact = helpers.ode_reference(setup.oracle, x_T[:N_MAP], setup.schedule.alpha_bar[-1].item(), 1 - 1e-12,
                                      rtol=1e-9, atol=1e-11)
        ddpm = helpers.sample_steps(setup.teacher, setup.schedule, N_SAMPLES, 100, "ddpm", x_T=x_T,
                                    generator=torch.Generator().manual_seed(3 + 100 * seed))
        baselines[seed] = quality(ddpm)
        for name, (k, fn, deterministic) in samplers(setup, students, seed).items():
            with torch.no_grad():
                ends = fn(x_T)
            row = {"sampler": name, "steps": k, "seed": seed, **quality(ends)}
            if deterministic:
                row.update(map_errors(ends[:N_MAP], exact))
            row["meets_rule"] = all(row[m] - baselines[seed][m] <= 2 * setup.floor[m]["sd"] for m in RULE)
            rows.append(row)
        straight[seed] = paths(setup, students, x_T[:N_PATHS])
        print(f"seed {seed}: straightness {straight[seed]}", flush=True)
    return {"rows": rows, "ddpm_100": baselines, "training_seconds": training, "straightness": straight}


def quality(samples):
    q = helpers.sharp_quality(samples.float(), energy=False)
    return {m: round(getattr(q, m), 4) for m in METRICS}


def speed(setup, repeats):
    """Seconds for 10 000 points from each committed student at 1, 2 and 4 steps, through the helpers, and with FastEps
    for progressive distillation's students; the 100-step DDPM beside them."""
    s, x_T = setup.schedule, setup.start(0)
    nets = {name: make_students.load(name, s, setup.x0) for name in make_students.FILES}
    fast = {k: (helpers.FastEps(nets[f"pd_{k}"].raw), nets[f"pd_{k}"].scale, helpers.student_steps(s, k).tolist())
            for k in STEPS}

    def fast_student(k):
        raw, scale, steps = fast[k]
        alpha_bar = [s.alpha_bar[t].item() for t in steps] + [1.0]
        with torch.inference_mode():
            x = x_T
            for i, t in enumerate(steps):
                skip, out, inp = scale[:, t].tolist()
                x0_hat = skip * x + out * raw.raw(inp * x, t)
                eps_hat = (x - alpha_bar[i] ** 0.5 * x0_hat) / (1 - alpha_bar[i]) ** 0.5
                x = alpha_bar[i + 1] ** 0.5 * x0_hat + (1 - alpha_bar[i + 1]) ** 0.5 * eps_hat
            return x

    def reflow(k):
        with torch.no_grad():
            return helpers.flow_solve(nets["reflow"], x_T, helpers.flow_grid(k))

    def reflow_one():
        with torch.inference_mode():
            return x_T - nets["reflow"](x_T, 1.0)

    variants = {}
    for k in STEPS:
        variants[f"progressive distillation, {k} step(s), sample_steps"] = lambda k=k: ddim(nets[f"pd_{k}"], s, x_T, k, "x0")
        variants[f"progressive distillation, {k} step(s), FastEps"] = lambda k=k: fast_student(k)
        variants[f"consistency distillation, {k} step(s), sample_steps"] = lambda k=k: ddim(nets["cd"], s, x_T, k, "x0")
        variants[f"reflow, {k} Euler step(s), flow_solve"] = lambda k=k: reflow(k)
    variants["reflow, 1 Euler step, the network alone (inference_mode)"] = reflow_one
    variants["DDPM, 100 steps"] = lambda: helpers.sample_steps(setup.teacher, s, N_SAMPLES, 100, "ddpm", x_T=x_T,
                                                               generator=torch.Generator().manual_seed(3))
    gaps = {f"fast vs sample_steps, {k} step(s)": (fast_student(k) - ddim(nets[f"pd_{k}"], s, x_T, k, "x0")).abs().max().item()
            for k in STEPS}
    gaps["network alone vs flow_solve"] = (reflow_one() - reflow(1)).abs().max().item()
    result = {"max_gaps": gaps, "seconds": {}}
    result["seconds"] = timed_settings(variants, repeats)
    return result


def main():
    args, sections, report, began = start(__doc__, "one-step", SECTIONS)
    setup = Setup()
    report.update(machine=f"{platform.machine()}, torch {torch.__version__}, cpu, 1 thread for training and quality",
                  n_samples=N_SAMPLES, n_map=N_MAP, seeds=list(SEEDS), data_floor=setup.floor,
                  target_seconds=TARGET_SECONDS)
    if "scores" in sections:
        report.update(scores(setup))
    if "speed" in sections:
        report["speed"] = speed(setup, args.repeats)
    path = finish(args, report, began)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
