"""Lesson 18's posterior samplers against the exact posterior, over measurements and seeds.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/inverse.py --name inverse-cpu-2core   # about 5 minutes

S-curve, three measurements o = A x_0 + sigma_o z (MEASUREMENTS). For each seed s in SEEDS: x_0 = one S-curve draw (seed
1000 + s), o = helpers.observe(x_0, A, sigma_o) (noise seed s), the exact posterior (helpers.PosteriorOracle), N exact draws
and N more (the floor: the exact posterior against itself), and each sampler of helpers.posterior_sample with lesson 09's
exact prior and with the committed network: energy distance to the exact draws (x 10^3) and seconds; every sampler
evaluates the network once per step, 100 in all (with a backward pass for dps, pigdm and smc). Every sampler but "smc"
starts from exact draws of p(x_{T-1} | o) (what a schedule ending in pure noise gives any of them: there both the prior and
the posterior are N(0, I)); "smc" starts from the prior's p(x_{T-1}), as its weights require. DPS's step size (the lesson's
gamma, Chung et al.'s zeta, "zeta" in the results) is chosen per measurement from ZETAS on CHOOSING_SEEDS (trained
network), which never confirm it.

Calibration (measurement "coordinate", which leaves z unobserved): CALIBRATION_PAIRS (x_0, o) pairs per seed; for each,
the central 90 % interval of z over the sampler's N_CALIBRATION draws; reported: how often the true x_0's z falls in it (an
exact sampler: 90 %, since x_0 given o is itself a draw of the posterior).

Digits: the top half of test image s observed (sigma_o = DIGIT_SIGMA_O); the exact posterior under the empirical
distribution of the 1 347 training images (lesson 09's finite-set optimum as the prior), and the committed digits network
with "replace" (64 completions): the share of completions the lesson 17 classifier reads as the true digit (for the exact
posterior, its weight on training images of that digit), the share of completions that copy a training image, and the
effective number of training images the exact posterior spreads over, 1 / sum w'^2. ("pigdm" and "smc" differentiate
x0_hat = (x - b eps) / a, which overflows at the first steps of the digits' schedule, a = 0.006 at T - 1: not run here.)

Writes <out>/<name>.json and prints the tables.
"""

import platform
import statistics
import time

import torch

import helpers
from sections import finish, start

SEEDS = range(10)
CHOOSING_SEEDS = range(100, 105)
N = 1000
N_CALIBRATION = 300
CALIBRATION_PAIRS = 20
ZETAS = (0.001, 0.003, 0.01, 0.03)
MEASUREMENTS = {
    "coordinate": ([[1.0, 0.0]], 0.01),
    "projection": ([[0.6, 0.8]], 0.02),
    "noisy point": ([[1.0, 0.0], [0.0, 1.0]], 0.05),
}
DIGIT_SIGMA_O = 0.05
N_DIGITS = 64


def methods(name):
    """The samplers that apply to a measurement: replacement only where A picks coordinates."""
    return ("dps", "pigdm", "replace", "smc") if name == "coordinate" else ("dps", "pigdm", "smc")


class Setting:
    def __init__(self):
        self.schedule = helpers.sigmoid_schedule(100)
        self.prior = helpers.s_curve_oracle(self.schedule)
        self.networks = {"exact": self.prior, "trained": helpers.load_model()}
        self.variance = helpers.s_curve(10_000).var(0).mean().item()
        self.T = self.schedule.T

    def problem(self, name, seed, truth_seed):
        """(A, sigma_o, obs, x_0, exact posterior) for one seed."""
        A, sigma_o = torch.tensor(MEASUREMENTS[name][0]), MEASUREMENTS[name][1]
        x0 = helpers.s_curve(1, seed=truth_seed)
        obs = helpers.observe(x0, A, sigma_o, torch.Generator().manual_seed(seed))[0]
        return A, sigma_o, obs, x0[0], helpers.PosteriorOracle(self.prior, A, obs, sigma_o)

    def draw(self, network, method, A, sigma_o, obs, posterior, n, generator, zeta):
        """n draws of one sampler; returns the points and the seconds."""
        if method == "smc":
            x_T = helpers.q_sample(helpers.s_curve(n, seed=int(torch.randint(2**31, (1,), generator=generator))),
                                   self.T - 1, self.schedule, generator=generator)
        else:
            x_T = posterior.sample(n, generator, t=self.T - 1)
        begin = time.perf_counter()
        out = helpers.posterior_sample(self.networks[network], self.schedule, A, obs, sigma_o, x_T, method, generator,
                                       gamma=zeta, variance=self.variance)
        return out.float(), time.perf_counter() - begin


def choose_zeta(setting, name):
    """DPS's step size for one measurement: the lowest mean energy distance over CHOOSING_SEEDS (trained network)."""
    means = {}
    for zeta in ZETAS:
        distances = []
        for seed in CHOOSING_SEEDS:
            A, sigma_o, obs, _, posterior = setting.problem(name, seed, 2000 + seed)
            g = torch.Generator().manual_seed(seed)
            exact = posterior.sample(N, g)
            out, _ = setting.draw("trained", "dps", A, sigma_o, obs, posterior, N, g, zeta)
            distances.append(1e3 * helpers.energy_distance(out, exact))
        means[zeta] = statistics.mean(distances)
    return min(means, key=means.get), {str(k): round(v, 3) for k, v in means.items()}


def distances(setting, zetas):
    rows = []
    for name in MEASUREMENTS:
        for seed in SEEDS:
            A, sigma_o, obs, _, posterior = setting.problem(name, seed, 1000 + seed)
            g = torch.Generator().manual_seed(seed)
            exact, again = posterior.sample(N, g), posterior.sample(N, g)
            row = {"measurement": name, "seed": seed, "floor": 1e3 * helpers.energy_distance(again, exact)}
            for network in setting.networks:
                for method in methods(name):
                    out, seconds = setting.draw(network, method, A, sigma_o, obs, posterior, N, g, zetas[name])
                    row[f"{network} {method}"] = 1e3 * helpers.energy_distance(out, exact)
                    row[f"{network} {method} seconds"] = seconds
            rows.append(row)
            print(f"{name} seed {seed}: " + ", ".join(f"{k} {v:.2f}" for k, v in row.items()
                                                      if isinstance(v, float) and "seconds" not in k), flush=True)
    return rows


def inside_interval(samples, x0):
    """Whether x0's unobserved coordinate z lies in the central 90 % interval of the samples' z."""
    low, high = torch.quantile(samples[:, 1].double(), torch.tensor([0.05, 0.95], dtype=torch.float64))
    return bool(low <= x0[1] <= high)


def calibration(setting, zetas):
    rows = []
    for seed in SEEDS:
        row = {"seed": seed}
        hits = {f"{network} {method}": 0 for network in setting.networks for method in methods("coordinate")}
        hits["exact posterior"] = 0
        for k in range(CALIBRATION_PAIRS):
            A, sigma_o, obs, x0, posterior = setting.problem("coordinate", 100 * seed + k, 3000 + 100 * seed + k)
            g = torch.Generator().manual_seed(100 * seed + k)
            hits["exact posterior"] += inside_interval(posterior.sample(N_CALIBRATION, g), x0)
            for network in setting.networks:
                for method in methods("coordinate"):
                    out, _ = setting.draw(network, method, A, sigma_o, obs, posterior, N_CALIBRATION, g, zetas["coordinate"])
                    hits[f"{network} {method}"] += inside_interval(out, x0)
        row.update({key: 100 * value / CALIBRATION_PAIRS for key, value in hits.items()})
        rows.append(row)
        print(f"calibration seed {seed}: {row}", flush=True)
    return rows


def digits(seeds):
    x_train, labels_train, x_test, labels_test = helpers.digits_split()
    schedule = helpers.digits_schedule()
    judge = helpers.DigitJudge(x_train, labels_train, x_test, labels_test)
    network = helpers.load_model(helpers.COMMITTED_CHECKPOINT.parent / "digits_n1347.pt")
    prior = helpers.training_set_oracle(x_train, schedule)
    A = torch.eye(64)[:32]
    rows = []
    for seed in seeds:
        g = torch.Generator().manual_seed(seed)
        obs = helpers.observe(x_test[seed:seed + 1], A, DIGIT_SIGMA_O, g)[0]
        posterior = helpers.PosteriorOracle(prior, A, obs, DIGIT_SIGMA_O)
        w = posterior.log_weights.exp()
        truth = int(labels_test[seed])
        row = {"seed": seed, "digit": truth, "effective_images": 1 / (w**2).sum().item(),
               "exact right digit": 100 * w[labels_train == truth].sum().item()}
        x_T = posterior.sample(N_DIGITS, g, t=schedule.T - 1)
        begin = time.perf_counter()
        out = helpers.posterior_sample(network, schedule, A, obs, DIGIT_SIGMA_O, x_T, "replace", g)
        row["network replace seconds"] = time.perf_counter() - begin
        row["network replace right digit"] = 100 * (judge.probabilities(out).argmax(1) == truth).double().mean().item()
        row["network copies"] = 100 * (judge.nearest(out)[0] < 1e-6).double().mean().item()
        rows.append(row)
        print(f"digits seed {seed}: {row}", flush=True)
    return rows


SECTIONS = ("distances", "calibration", "digits")


def main():
    args, asked, report, began = start(__doc__, "inverse", SECTIONS)
    setting = Setting()
    report.update({"machine": f"{platform.machine()}, {torch.get_num_threads()} torch threads, torch {torch.__version__}",
                   "seeds": list(SEEDS), "choosing_seeds": list(CHOOSING_SEEDS), "n": N})
    if "distances" in asked or "calibration" in asked:
        chosen = {name: choose_zeta(setting, name) for name in MEASUREMENTS}
        report["zeta"] = {name: {"chosen": value[0], "mean_by_zeta": value[1]} for name, value in chosen.items()}
    zetas = {name: value["chosen"] for name, value in report.get("zeta", {}).items()}
    if "distances" in asked:
        report["distances"] = distances(setting, zetas)
    if "calibration" in asked:
        report["calibration"] = calibration(setting, zetas)
    if "digits" in asked:
        report["digits"] = digits(SEEDS)
    print(f"wrote {finish(args, report, began)}")


if __name__ == "__main__":
    main()
