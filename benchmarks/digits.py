"""Lesson 17's digits networks over ten training seeds: quality against training time, memorisation against the size
of the training set, guidance, the fewest solver steps, and the course's MLP against a small convolutional network.

    .venv/bin/python benchmarks/digits.py --name digits-cpu-2core   # about an hour on one core

Every network is helpers.data.digits.train_digits (tools/make_digits.py's recipe) with seed k = 0..9. Within a seed every
compared sampler or network starts from the same x_T and draws the same noise (generator seed 7 + 100 k). Quality is
helpers.measures.digit_scores.DigitJudge's on N_SAMPLES samples against the test split, with the floors beside it: N_SAMPLES
training images (what a copier scores, and a perfect generator too except on the nearest-neighbour measures), drawn
five times. Test likelihood in bits per dimension of the integer images: the ELBO (lesson 13) and the probability-flow
ODE with the exact divergence (64 autograd passes, Heun on ODE_NFE steps) on the N_LIKELIHOOD first test images, each
dequantised once (seed 3).
Sections:
- quality: the full training split; scores every 1 000 training steps (the cost curve), test bits per dimension, and the
  ODE's at ODE_NFE_MORE steps too (how far 50 Heun steps are from the ODE's own likelihood);
- memorisation: the first n images (make_digits.subset) for n in SIZES; nearest-neighbour ratio against the images it
  was trained on, copies, and bits per dimension on those images and on the test split;
- guidance: the labelled network; for each w, 45 samples of each digit in one batch: the classifier's accuracy and
  confidence, and diversity (the mean distance between two samples of one digit, as integer images, beside the test
  split's own);
- fast: DPM-Solver++(2M) (lesson 15) on its log-SNR grid at NFE_LIST against DDPM's 1 000 steps, with the finite
  training set's exact network (helpers.training_set_oracle) beside the network; DDPM again from the same x_T with fresh
  noise (seed 9 + 100 k) for the draw-to-draw margin of the calibrated rule (helpers.redraw_margin);
- network: a small convolutional network trained for the MLP's wall time, same data, schedule, optimiser and
  bias-corrected EMA (test likelihood by the ELBO only). Its steps are the recipe's 5 000 times the ratio of the two
  networks' times per step, timed in turns (PROBE_STEPS each, median of REPEATS) so that both see the same load;
- speed: 1 000 training steps of the recipe, 450 samples by DDPM (1 000 steps) and by DPM-Solver++(2M) (20 NFE), timed in
  turns at one thread quiet and beside a busy process, and at two threads quiet (benchmarks/load.py; median of REPEATS).
Writes <out>/<name>.json; --sections picks some and keeps the rest.
"""

import dataclasses
import platform
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

import helpers
from helpers.data.digits import (DIGITS, Dequantised, bits_per_dim, digits_network, digits_schedule, digits_split, dequantise,
                                 train_digits)
from helpers.measures.digit_scores import DigitJudge, nearest
from sections import finish, start

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import make_digits  # noqa: E402
from load import timed_settings  # noqa: E402

SEEDS = range(10)
REPEATS = 3
N_SAMPLES, N_LIKELIHOOD, ODE_NFE = 450, 150, 50
ODE_NFE_MORE = (25, 100)
PROBE_STEPS = 100
SIZES = (50, 200, 1000)
WEIGHTS = (0.0, 0.5, 1.0, 2.0, 4.0)
NFE_LIST = (5, 10, 15, 20, 30, 50)
SECTIONS = ("quality", "memorisation", "guidance", "fast", "network", "speed")


class Setup:
    def __init__(self):
        self.x_train, self.labels, self.x_test, self.labels_test = digits_split()
        self.schedule = digits_schedule()
        self.judge = DigitJudge(self.x_train, self.labels, self.x_test, self.labels_test)
        self.floor = [dataclasses.asdict(s) for s in self.judge.floor(N_SAMPLES, seeds=SEEDS)]
        self.x_like = dequantise(self.x_test[:N_LIKELIHOOD], torch.Generator().manual_seed(3))

    def start(self, seed, n=N_SAMPLES):
        return torch.randn((n, 64), generator=torch.Generator().manual_seed(7 + 100 * seed))

    def ddpm(self, model, seed, n=N_SAMPLES, again=False):
        """DDPM's 1 000 steps from seed's x_T; again: with fresh noise along the way (the redraw)."""
        return helpers.sample_steps(model, self.schedule, n, self.schedule.T, "ddpm", x_T=self.start(seed, n),
                                    generator=torch.Generator().manual_seed((9 if again else 8) + 100 * seed))

    def scores(self, x):
        # The kernel distance is of order 1e-3: kept to 1e-6.
        return {k: round(v, 6 if k == "kid" else 4) for k, v in dataclasses.asdict(self.judge.scores(x)).items()}

    def bits(self, model, x, ode=True, more=()):
        """Test bits per dimension by the ELBO and (with ode) the ODE: its exact divergence costs 64 backward passes per
        evaluation, minutes for the convolutional network, so that one gets the ELBO only. With more: the ODE's at
        those step counts too, as {"steps": bits}."""
        elbo = helpers.elbo(model, self.schedule, x, generator=torch.Generator().manual_seed(4))
        out = {"elbo_bpd": round(bits_per_dim(-elbo.nll_bound), 4)}
        if ode:
            def ode_bits(n):
                flow = helpers.ode_log_likelihood(model, self.schedule, x, helpers.grid_steps(self.schedule, n))
                return round(bits_per_dim(flow.log_p), 4)

            out["ode_bpd"] = ode_bits(ODE_NFE)
            if more:
                out["ode_bpd_steps"] = {str(n): ode_bits(n) for n in more}
        return out


def dequantised(setup, config):
    """train_digits's objective (unlabelled): lesson 06's loss on batches dequantised afresh."""
    return Dequantised(helpers.Denoising(setup.schedule, config))


def quality(setup):
    rows = []
    for seed in SEEDS:
        curve = []

        def measure(step, model):
            curve.append({"step": step, **setup.scores(setup.ddpm(model, seed))})

        # train_digits's own steps, with a measurement every 1 000 steps (its random draws are its own generator's).
        torch.manual_seed(seed)
        config = dataclasses.replace(DIGITS, seed=seed)
        result = helpers.train(digits_network(setup.x_train), setup.x_train, dequantised(setup, config), config,
                               on_checkpoint=measure, every=1000, progress=False)
        model = result["model"].eval()
        rows.append({"seed": seed, "train_seconds": round(result["seconds"], 2), "curve": curve,
                     **setup.bits(model, setup.x_like, more=ODE_NFE_MORE), **fast_rows(setup, model, seed)})
        print(f"quality seed {seed}: {rows[-1]['curve'][-1]} {rows[-1]['elbo_bpd']} {rows[-1]['ode_bpd']}", flush=True)
    return {"quality": rows}


def fast_rows(setup, model, seed):
    out = {"ddpm_1000": setup.scores(setup.ddpm(model, seed)), "ddpm_1000_again": setup.scores(setup.ddpm(model, seed, again=True)),
           "dpm": {}}
    for nfe in NFE_LIST:
        steps = helpers.grid_steps(setup.schedule, nfe)
        x = helpers.sample_steps(model, setup.schedule, N_SAMPLES, steps, "dpm++2m", x_T=setup.start(seed))
        out["dpm"][nfe] = setup.scores(x)
    return out


def fast(setup):
    """The exact network of the finite training set: its DDPM and its DPM-Solver++(2M) at each NFE, per seed."""
    oracle = helpers.training_set_oracle(setup.x_train, setup.schedule)
    rows = []
    for seed in SEEDS:
        row = {"seed": seed, "ddpm_1000": setup.scores(setup.ddpm(oracle, seed).float()),
               "ddpm_1000_again": setup.scores(setup.ddpm(oracle, seed, again=True).float()), "dpm": {}}
        for nfe in NFE_LIST:
            steps = helpers.grid_steps(setup.schedule, nfe)
            x = helpers.sample_steps(oracle, setup.schedule, N_SAMPLES, steps, "dpm++2m", x_T=setup.start(seed))
            row["dpm"][nfe] = setup.scores(x.float())
        rows.append(row)
        print(f"fast oracle seed {seed}: {row['ddpm_1000']}", flush=True)
    return {"fast_oracle": rows}


def memorisation(setup):
    rows = []
    for n in SIZES:
        for seed in SEEDS:
            x0, _ = make_digits.subset(n, seed)
            result = train_digits(x0, seed=seed)
            model, x = result["model"], setup.ddpm(result["model"], seed)
            d1, d2 = nearest(x, x0)
            test_nearest = nearest(setup.x_test, x0)[0].median().item()
            train_bits = setup.bits(model, dequantise(x0[:N_LIKELIHOOD], torch.Generator().manual_seed(3)))
            rows.append({"n": n, "seed": seed, "train_seconds": round(result["seconds"], 2), **setup.scores(x),
                         "own_nn_ratio": round(d1.median().item() / test_nearest, 4),
                         "own_copies": round(100 * (d1 < d2 / 3).double().mean().item(), 4),
                         "test": setup.bits(model, setup.x_like), "train": train_bits})
            print(f"memorisation n {n} seed {seed}: {rows[-1]}", flush=True)
    return {"memorisation": rows}


def diversity(x):
    """The mean distance between two different images of x."""
    distances = torch.cdist(x.double(), x.double())
    return (distances.sum() / (len(x) * (len(x) - 1))).item()


def guidance(setup):
    per_digit = 45
    test_diversity = statistics.mean(diversity(setup.x_test[setup.labels_test == c]) for c in range(10))
    rows = []
    for seed in SEEDS:
        model = train_digits(setup.x_train, setup.labels, seed=seed)["model"]
        for w in WEIGHTS:
            wanted = torch.arange(10).repeat_interleave(per_digit)
            x = helpers.sample_steps(helpers.Guided(model, wanted, w), setup.schedule, len(wanted), setup.schedule.T,
                                     "ddpm", x_T=setup.start(seed, len(wanted)),
                                     generator=torch.Generator().manual_seed(8 + 100 * seed))
            x = setup.judge.images(x)
            p = setup.judge.probabilities(x)
            rows.append({"seed": seed, "w": w, "accuracy": round(100 * (p.argmax(1) == wanted).double().mean().item(), 4),
                         "diversity": round(statistics.mean(diversity(x[wanted == c]) for c in range(10)), 4),
                         **setup.scores(x)})
            print(f"guidance seed {seed} w {w}: {rows[-1]}", flush=True)
    return {"guidance": rows, "test_diversity": round(test_diversity, 4)}


class ConvNet(nn.Module):
    """The contender: 8 x 8 pixels as one channel, CHANNELS-wide 3 x 3 convolutions in residual blocks (GroupNorm, SiLU),
    each block told the step by a learned table, and lesson 08's input scaling."""

    def __init__(self, c_in, channels=32, blocks=3):
        super().__init__()
        self.T, self.d = len(c_in), 64
        self.register_buffer("c_in", c_in)
        self.inp, self.out = nn.Conv2d(1, channels, 3, padding=1), nn.Conv2d(channels, 1, 3, padding=1)
        self.steps = nn.ModuleList([nn.Embedding(self.T, channels) for _ in range(blocks)])
        self.blocks = nn.ModuleList([nn.Sequential(nn.GroupNorm(8, channels), nn.SiLU(), nn.Conv2d(channels, channels, 3, padding=1))
                                     for _ in range(2 * blocks)])

    def forward(self, x, t):
        t = torch.as_tensor(t).expand(x.shape[0])
        h = self.inp((x * self.c_in[t].unsqueeze(1)).reshape(-1, 1, 8, 8))
        for k, step in enumerate(self.steps):
            h = h + self.blocks[2 * k + 1](self.blocks[2 * k](h) + step(t)[:, :, None, None])
        return self.out(h).reshape(-1, 64)


def seconds_per_step(setup, build, seed):
    """Median seconds per training step of the network build() makes, over REPEATS runs of PROBE_STEPS steps."""
    times = []
    for _ in range(REPEATS):
        torch.manual_seed(seed)
        config = dataclasses.replace(DIGITS, steps=PROBE_STEPS, seed=seed)
        result = helpers.train(build(), setup.x_train, dequantised(setup, config), config, progress=False)
        times.append(result["seconds"] / PROBE_STEPS)
    return statistics.median(times)


def network(setup):
    c_in = digits_network(setup.x_train).c_in
    # The two networks timed in turns, so that whatever else runs on the machine slows both alike.
    mlp_step, conv_step = (seconds_per_step(setup, build, 0) for build in
                           (lambda: digits_network(setup.x_train), lambda: ConvNet(c_in)))
    steps = round(DIGITS.steps * mlp_step / conv_step)
    rows = []
    for seed in SEEDS:
        torch.manual_seed(seed)
        net = ConvNet(c_in)
        config = dataclasses.replace(DIGITS, steps=steps, seed=seed)
        result = helpers.train(net, setup.x_train, dequantised(setup, config), config, progress=False)
        model = result["model"].eval()
        rows.append({"seed": seed, "steps": steps, "train_seconds": round(result["seconds"], 2),
                     "parameters": sum(p.numel() for p in model.parameters()),
                     **setup.scores(setup.ddpm(model, seed)), **setup.bits(model, setup.x_like, ode=False)})
        print(f"network seed {seed}: {rows[-1]}", flush=True)
    return {"network": rows, "network_probe": {"mlp_seconds_per_step": round(mlp_step, 5),
                                               "conv_seconds_per_step": round(conv_step, 5)}}


def speed(setup):
    short = dataclasses.replace(DIGITS, steps=1000)
    network = helpers.load_model(make_digits.file_of("n1347"))
    steps = helpers.grid_steps(setup.schedule, 20)
    variants = {
        "train, 1000 steps": lambda: train_digits(setup.x_train, config=short),
        "DDPM, 1000 steps, 450 samples": lambda: setup.ddpm(network, 0),
        "DPM-Solver++(2M), 20 NFE, 450 samples": lambda: helpers.sample_steps(network, setup.schedule, N_SAMPLES, steps,
                                                                             "dpm++2m", x_T=setup.start(0)),
    }
    return {"speed": timed_settings(variants, REPEATS)}


def main():
    args, sections, report, began = start(__doc__, "digits", SECTIONS)
    setup = Setup()
    report.update(machine=f"{platform.machine()}, torch {torch.__version__}, cpu, 1 thread", seeds=list(SEEDS),
                  n_samples=N_SAMPLES, n_likelihood=N_LIKELIHOOD, ode_nfe=ODE_NFE, floor=setup.floor,
                  mlp_parameters=sum(p.numel() for p in digits_network(setup.x_train).parameters()))
    for name in sections:
        report.update(globals()[name](setup))
        # Written after every section, so that a failure later keeps what ran.
        path = finish(args, report, began)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
