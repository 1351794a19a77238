"""Train lesson 21's networks; write the checkpoints lesson 21 loads.

    .venv/bin/python tools/make_latent.py        (about 40 s on one core)

notebooks/checkpoints/latent_plain.pt and latent_kl.pt: helpers.train_autoencoder, plain and KL-regularised (8 latent
numbers, helpers.AUTOENCODER), and latent_diffusion.pt: helpers.train_latent on the KL autoencoder's codes times its
latent scale (helpers.latent_scale, generator seed 2), helpers.LATENT_DIFFUSION; all on the whole training split, seed
0, one thread. The same recipe as benchmarks/latent.py's seed 0; tests/test_committed_latent.py retrains the latent
model and checks it and the autoencoder against that benchmark row.
"""

import time

import torch

import helpers

SEED = 0
SCALE_SEED = 2


def file_of(name):
    return helpers.COMMITTED_CHECKPOINT.parent / f"latent_{name}.pt"


def train_autoencoder(kl):
    torch.set_num_threads(1)
    return helpers.train_autoencoder(helpers.digits_split()[0], kl=kl, seed=SEED)


def scale_of(autoencoder):
    return helpers.latent_scale(autoencoder, helpers.digits_split()[0], torch.Generator().manual_seed(SCALE_SEED))


def train_latent(autoencoder, config=helpers.LATENT_DIFFUSION):
    """The latent model of the autoencoder's scaled codes, seed 0, one thread: helpers.train's dict."""
    torch.set_num_threads(1)
    return helpers.train_latent(autoencoder, helpers.digits_split()[0], scale_of(autoencoder), seed=SEED, config=config)


def main():
    for name, kl in (("plain", False), ("kl", True)):
        start = time.perf_counter()
        result = train_autoencoder(kl)
        helpers.save_weights(result["model"], file_of(name))
        print(f"{file_of(name).name}: {result['seconds']:.0f} s training, {time.perf_counter() - start:.0f} s in all")
    start = time.perf_counter()
    result = train_latent(helpers.load_model(file_of("kl")))
    helpers.save_weights(result["model"], file_of("diffusion"))
    print(f"{file_of('diffusion').name}: {result['seconds']:.0f} s training, {time.perf_counter() - start:.0f} s in all")


if __name__ == "__main__":
    main()
