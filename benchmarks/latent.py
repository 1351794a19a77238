"""Issue 43's second question, for lesson 21: diffusion in an autoencoder's latent space against diffusion on the
pixels, on lesson 17's digits, with lesson 17's measures and lesson 20's protocol.

    # the pilot (seed 100 chose the latent's size and the KL weight; it confirms nothing): it ran before this script,
    # through the same helpers (its numbers are in docs/benchmarks.md); this repeats it, and more:
    .venv/bin/python benchmarks/latent.py --name latent-pilot --seeds 100 --latent 4 8 16 --kl-weight 1e-4 1e-3 1e-2
    # ten seeds in two processes, then merged and summarised:
    .venv/bin/python benchmarks/latent.py --name latent-a-cpu-2core --seeds 0 1 2 3 4    # and latent-b with seeds 5-9
    .venv/bin/python benchmarks/latent.py --name latent-cpu-2core --merge latent-a-cpu-2core latent-b-cpu-2core
    # the scale on Stable Diffusion's schedule, ten seeds in two processes, merged:
    .venv/bin/python benchmarks/latent.py --name latent-sd-a-cpu-2core --schedule stable-diffusion \
        --seeds 0 1 2 3 4                                                                           # and -b with 5-9
    .venv/bin/python benchmarks/latent.py --name latent-sd-cpu-2core --merge latent-sd-a-cpu-2core latent-sd-b-cpu-2core

Per seed k: a plain and a KL-regularised autoencoder (helpers.train_autoencoder, seed k), the latent scale c
(helpers.latent_scale) and the decoder's std (helpers.decoder_std, fitted on the training images), then two latent
models of the KL autoencoder's codes (helpers.train_latent, seed k): one on c z (unit variance, as Stable Diffusion's
0.18215 does), one on z itself (c = 1) whose input scale c_in is its data's (lesson 08), and one on z with the c_in of
unit-variance data (a network built for scaled latents, as Stable Diffusion's U-Net, given unscaled ones). With
--schedule stable-diffusion the first and third are trained and scored on Stable Diffusion's schedule instead of lesson
17's, whose last step leaves far more of the signal (alpha_bar_T 0.0047 against 4e-5). Each is sampled by
DPM-Solver++(2M) with NFE evaluations from the same x_T
(seed 7 + 100 k, as benchmarks/backbones.py) and decoded; DigitJudge scores N_SAMPLES samples; test bits per dimension by
helpers.latent_elbo on the N_LIKELIHOOD test images benchmarks/digits.py and backbones.py use. The floors: each
autoencoder's reconstructions of N_SAMPLES training images, scored as samples, and its RMS error on the test split; the
bound's decoder term alone. The pixel models to compare with are lesson 20's rows at 1x (benchmarks/backbones.py, the same
seeds, judge, sampler and test images). Times: each row's training seconds; sampling N_SAMPLES at NFE, the latent model
(with its decoder) against the committed pixel MLP (notebooks/checkpoints/backbones_mlp.pt, the same MLP's cost as at 1x),
timed in turns, median of REPEATS.
"""

import argparse
import dataclasses
import json
import platform
import statistics
import time
from pathlib import Path

import torch

import helpers
from helpers.data.digits import bits_per_dim, dequantise, digits_schedule, digits_split
from helpers.measures.digit_scores import DigitJudge
from helpers.process.schedules import schedule_from_beta

OUT = Path(__file__).resolve().parent / "results"
N_SAMPLES, N_LIKELIHOOD, NFE, REPEATS = 450, 150, 20, 5


def sample_latent(model, autoencoder, scale, start, schedule):
    with torch.no_grad():
        z = helpers.sample_steps(model, schedule, len(start), helpers.grid_steps(schedule, NFE), "dpm++2m", x_T=start)
    return helpers.decode_latents(autoencoder, z, scale)


def sampling_seconds(model, autoencoder, scale, schedule):
    """Median seconds for N_SAMPLES samples: the latent model and decoder, and the committed pixel MLP, in turns."""
    pixel = helpers.load_model(helpers.COMMITTED_CHECKPOINT.parent / "backbones_mlp.pt")
    latent_start, pixel_start = torch.randn(N_SAMPLES, autoencoder.latent), torch.randn(N_SAMPLES, 64)
    times = {"latent": [], "pixel": []}
    for _ in range(REPEATS):
        started = time.perf_counter()
        sample_latent(model, autoencoder, scale, latent_start, schedule)
        times["latent"].append(time.perf_counter() - started)
        started = time.perf_counter()
        with torch.no_grad():
            helpers.sample_steps(pixel, schedule, N_SAMPLES, helpers.grid_steps(schedule, NFE), "dpm++2m", x_T=pixel_start)
        times["pixel"].append(time.perf_counter() - started)
    return {k: round(statistics.median(v), 4) for k, v in times.items()}


def merge(names, out_name):
    parts = [json.loads((OUT / f"{name}.json").read_text()) for name in names]
    merged = {**parts[0], "seeds": sorted(s for p in parts for s in p["seeds"]),
              "rows": [r for p in parts for r in p["rows"]]}
    (OUT / f"{out_name}.json").write_text(json.dumps(merged, indent=1) + "\n")
    return merged


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", required=True)
    parser.add_argument("--seeds", type=int, nargs="+")
    parser.add_argument("--latent", type=int, nargs="+", default=[helpers.training.latent.LATENT])
    parser.add_argument("--kl-weight", type=float, nargs="+", default=[helpers.training.latent.KL_WEIGHT])
    parser.add_argument("--merge", nargs="+", metavar="PART")
    parser.add_argument("--schedule", choices=("ours", "stable-diffusion"), default="ours",
                        help="stable-diffusion: only the scaled model and the unscaled one with a unit input scale, on "
                             "Stable Diffusion's schedule (stable_diffusion_schedule), and no plain autoencoder")
    args = parser.parse_args()
    if args.merge:
        merge(args.merge, args.name)
        return
    torch.set_num_threads(1)
    x_train, labels, x_test, labels_test = digits_split()
    schedule = digits_schedule() if args.schedule == "ours" else stable_diffusion_schedule()
    judge = DigitJudge(x_train, labels, x_test, labels_test)
    x_like = dequantise(x_test[:N_LIKELIHOOD], torch.Generator().manual_seed(3))
    y_train = dequantise(x_train, torch.Generator().manual_seed(5))
    out = {"machine": platform.processor() or platform.machine(), "torch": torch.__version__, "seeds": args.seeds,
           "autoencoder_steps": helpers.AUTOENCODER.steps, "latent_steps": helpers.LATENT_DIFFUSION.steps,
           "n_samples": N_SAMPLES, "nfe": NFE, "n_likelihood": N_LIKELIHOOD, "rows": []}
    OUT.mkdir(exist_ok=True)
    for seed in args.seeds:
        for latent in args.latent:
            if args.schedule == "ours":
                plain_row(seed, latent, x_train, x_test, judge, out)
            for kl_weight in args.kl_weight:
                kl_rows(seed, latent, kl_weight, args, x_train, x_test, judge, schedule, x_like, y_train, out)


def plain_row(seed, latent, x_train, x_test, judge, out):
    """The plain autoencoder's floor: its test RMS error and its reconstructions' Fréchet distance."""
    plain = helpers.train_autoencoder(x_train, kl=False, seed=seed, latent=latent)["model"]
    with torch.no_grad():
        row = {"seed": seed, "latent": latent, "model": "plain autoencoder",
               "test_rmse": round((plain.decode(plain.encode(x_test)[0]) - x_test).pow(2).mean().sqrt().item(), 4),
               "recon_frechet": round(judge.scores(plain.decode(plain.encode(x_train[:N_SAMPLES])[0])).frechet, 4)}
    out["rows"].append(row)
    print(row, flush=True)


def kl_rows(seed, latent, kl_weight, args, x_train, x_test, judge, schedule, x_like, y_train, out):
    """The KL autoencoder's floor and the latent models of its codes, each a row."""
    trained = helpers.train_autoencoder(x_train, kl=True, seed=seed, latent=latent, kl_weight=kl_weight)
    autoencoder = trained["model"]
    scale = helpers.latent_scale(autoencoder, x_train, torch.Generator().manual_seed(2))
    sigma = helpers.decoder_std(autoencoder, y_train, torch.Generator().manual_seed(6))
    with torch.no_grad():
        z = helpers.draw_latent(*autoencoder.encode(x_test), torch.Generator().manual_seed(1))
        reconstruction = autoencoder.decode(helpers.draw_latent(*autoencoder.encode(x_train[:N_SAMPLES]),
                                                                torch.Generator().manual_seed(1)))
        base = {"seed": seed, "latent": latent, "kl_weight": kl_weight, "schedule": args.schedule,
                "autoencoder_seconds": round(trained["seconds"], 1), "scale": round(scale, 5),
                "decoder_std": round(sigma, 5), "test_rmse": round((autoencoder.decode(z) - x_test).pow(2).mean().sqrt().item(), 4),
                "recon_frechet": round(judge.scores(reconstruction).frechet, 4)}
    start = torch.randn((N_SAMPLES, latent), generator=torch.Generator().manual_seed(7 + 100 * seed))
    variants = (("scaled", scale, None), ("unscaled", 1.0, None), ("unscaled, unit input scale", 1.0, 1.0))
    if args.schedule != "ours":
        variants = variants[::2]
    for name, c, input_std in variants:
        result = helpers.train_latent(autoencoder, x_train, c, seed=seed, input_std=input_std, schedule=schedule)
        model = result["model"]
        scores = {k: round(v, 6 if k == "kid" else 4)
                  for k, v in dataclasses.asdict(judge.scores(sample_latent(model, autoencoder, c, start, schedule))).items()}
        bound = helpers.latent_elbo(autoencoder, c, sigma, model, schedule, x_like, torch.Generator().manual_seed(4))
        row = {**base, "model": f"latent, {name}", "latent_seconds": round(result["seconds"], 1),
               "final_loss": round(result["losses"][-100:].mean().item(), 4),
               "elbo_bpd": round(bits_per_dim(-bound.nll_bound), 4), "decoder_bpd": round(bits_per_dim(-bound.decoder), 4),
               **scores}
        if name == "scaled" and seed == args.seeds[0] and args.schedule == "ours":
            row["sampling_seconds"] = sampling_seconds(model, autoencoder, c, schedule)
        out["rows"].append(row)
        print(row, flush=True)
        (OUT / f"{args.name}.json").write_text(json.dumps(out, indent=1) + "\n")


def stable_diffusion_schedule():
    """Stable Diffusion's "scaled linear" schedule: sqrt(beta) evenly from sqrt(0.00085) to sqrt(0.012), 1 000 steps."""
    return schedule_from_beta(torch.linspace(0.00085**0.5, 0.012**0.5, 1000, dtype=torch.float64).pow(2).float())


if __name__ == "__main__":
    main()
