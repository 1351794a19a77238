"""Issue 43's exact case for lesson 21: the S-curve turned into 64 dimensions by a fixed map (helpers.embedding,
helpers.embed), where the exact answer is known in every dimension. Does diffusion in a latent space that recovers the
plane do as well as diffusion on the original 2-D points, and better than diffusion on the 64 numbers?

    .venv/bin/python benchmarks/embedded.py --name embedded-a-cpu-2core --seeds 0 1 2 3 4   # and -b with seeds 5-9
    .venv/bin/python benchmarks/embedded.py --name embedded-cpu-2core --merge embedded-a-cpu-2core embedded-b-cpu-2core

The data: lesson 08's 10 000 points (helpers.s_curve(), seed 0) embedded once (noise seed 1). The latent space: the
first two principal directions V of the embedded points (a linear autoencoder: z = (y - m) V, y = m + z V^T), fitted
once. Per seed k, lesson 08's recipe (helpers.DEFAULT with seed k, helpers.build_model, its sigmoid schedule of 100
steps)
trains three networks: on the 2-D points themselves (the baseline: no embedding at all), on the 64 numbers, and on the
2-D latent codes. Each draws N samples by DDPM on all 100 steps (helpers.sample_steps, noise seed 100 + k) from lesson
10's start, a Gaussian with its own data's q(x_T) mean and covariance (helpers.gaussian_prior, seed
200 + k: the recipe's schedule keeps alpha_bar_T = 0.78, so N(0, I) would start the 62 off-plane numbers at twice their
std), mapped back to the plane by Q^T (the latent
ones decoded first), and lesson 09's measures score them (helpers.sharp_quality); the 64-D samples' RMS distance off the
plane beside the data's own (0.01 sqrt(62) = 0.079). The exact oracle's samples (same seed, 2-D) give the floor.
"""

import argparse
import dataclasses
import json
import platform
from pathlib import Path

import torch

import helpers

OUT = Path(__file__).resolve().parent / "results"
N = 10_000


def merge(names, out_name):
    parts = [json.loads((OUT / f"{name}.json").read_text()) for name in names]
    merged = {**parts[0], "seeds": sorted(s for p in parts for s in p["seeds"]),
              "rows": [r for p in parts for r in p["rows"]]}
    (OUT / f"{out_name}.json").write_text(json.dumps(merged, indent=1) + "\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", required=True)
    parser.add_argument("--seeds", type=int, nargs="+")
    parser.add_argument("--merge", nargs="+", metavar="PART")
    args = parser.parse_args()
    if args.merge:
        merge(args.merge, args.name)
        return
    torch.set_num_threads(1)
    schedule = helpers.sigmoid_schedule(100)
    q = helpers.embedding()
    x0 = helpers.s_curve(N)
    y = helpers.embed(x0, q, generator=torch.Generator().manual_seed(1))
    mean = y.mean(0)
    v = torch.linalg.svd(y - mean, full_matrices=False).Vh[:2].T
    data = {"2-D points": (x0, lambda s: s), "64 numbers": (y, lambda s: s @ q),
            "2-D latent": ((y - mean) @ v, lambda s: (mean + s @ v.T) @ q)}
    out = {"machine": platform.processor() or platform.machine(), "torch": torch.__version__, "seeds": args.seeds,
           "n": N,
           "data_off_plane": round(((y - (y @ q) @ q.T).norm(dim=1).pow(2).mean().sqrt()).item(), 5), "rows": []}
    OUT.mkdir(exist_ok=True)
    oracle = helpers.s_curve_oracle(schedule)
    for seed in args.seeds:
        config = dataclasses.replace(helpers.DEFAULT, seed=seed)
        start = helpers.gaussian_prior(x0, schedule, N, generator=torch.Generator().manual_seed(200 + seed))
        exact = helpers.sample_steps(oracle, schedule, N, schedule.T, "ddpm",
                                     generator=torch.Generator().manual_seed(100 + seed), x_T=start.double())
        scores = dataclasses.asdict(helpers.sharp_quality(exact.float()))
        out["rows"].append({"seed": seed, "model": "exact", **{k: round(v, 4) for k, v in scores.items()}})
        for name, (points, to_plane) in data.items():
            torch.manual_seed(seed)
            model = helpers.build_model(config, schedule, points)
            result = helpers.train(model, points, helpers.Denoising(schedule, config), config, progress=False)
            start = helpers.gaussian_prior(points, schedule, N, generator=torch.Generator().manual_seed(200 + seed))
            with torch.no_grad():
                samples = helpers.sample_steps(result["model"].eval(), schedule, N, schedule.T, "ddpm",
                                               generator=torch.Generator().manual_seed(100 + seed), x_T=start)
            row = {"seed": seed, "model": name, "train_seconds": round(result["seconds"], 1),
                   **{k: round(v, 4) for k, v in dataclasses.asdict(helpers.sharp_quality(to_plane(samples))).items()}}
            if name == "64 numbers":
                row["off_plane"] = round((samples - (samples @ q) @ q.T).norm(dim=1).pow(2).mean().sqrt().item(), 5)
            out["rows"].append(row)
            print(row, flush=True)
            (OUT / f"{args.name}.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
