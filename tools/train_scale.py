"""Lesson 17's digits recipe on any number of processes, started by torchrun (lesson 22): on this machine's CPU cores,
on every GPU of one machine, or on several machines.

    # two processes on this machine's CPU (gloo):
    .venv/bin/torchrun --standalone --nproc_per_node=2 tools/train_scale.py --steps 200 --out build/scale
    # every GPU of one machine (NCCL), the same script:
    torchrun --standalone --nproc_per_node=gpu tools/train_scale.py --out build/scale
    # two machines of 8 GPUs: the same command on each, with one machine's address as the rendezvous point
    torchrun --nnodes=2 --nproc_per_node=8 --rdzv_backend=c10d --rdzv_endpoint=HOST:29400 --rdzv_id=digits \
        tools/train_scale.py --out build/scale

torchrun sets RANK, LOCAL_RANK and WORLD_SIZE in each process and the rendezvous address. Each process trains its share
of every batch of --batch-size images (helpers.train splits it, lesson 22), so any number of processes trains the steps
of one process. --state makes the run resumable: started again with the same arguments, it goes on from the last save.
The first process writes the EMA network (helpers.save_weights) and prints the losses and images per second.
"""

import argparse
import dataclasses
import os
from pathlib import Path

import torch

import helpers


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=helpers.DIGITS.steps)
    parser.add_argument("--batch-size", type=int, default=helpers.DIGITS.batch_size)
    parser.add_argument("--accumulate", type=int, default=1)
    parser.add_argument("--precision", default="float32", choices=("float32", "bfloat16"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--state", type=Path, help="a file to save the run's state to every --every steps and resume from")
    parser.add_argument("--every", type=int, default=500)
    parser.add_argument("--out", type=Path, required=True, help="a folder for the EMA network (digits_ema.pt)")
    args = parser.parse_args()
    cuda = torch.cuda.is_available()
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    if cuda:
        torch.cuda.set_device(local_rank)
    torch.distributed.init_process_group("nccl" if cuda else "gloo")
    rank, world = torch.distributed.get_rank(), torch.distributed.get_world_size()
    config = dataclasses.replace(helpers.DIGITS, steps=args.steps, batch_size=args.batch_size, accumulate=args.accumulate,
                                 precision=args.precision, warmup_steps=min(helpers.DIGITS.warmup_steps, args.steps // 10))
    x_train = helpers.digits_split()[0].to(f"cuda:{local_rank}" if cuda else "cpu")
    try:
        result = helpers.train_digits(x_train, seed=args.seed, config=config,
                                      **({"state": args.state, "every": args.every} if args.state else {}))
        if rank == 0:
            helpers.save_weights(result["model"], args.out / "digits_ema.pt")
            print(f"{world} processes, {config.steps} steps: last loss {result['losses'][-1].item():.4f}, "
                  f"{config.batch_size * len(result['losses']) / result['seconds']:.0f} images per second, "
                  f"wrote {args.out / 'digits_ema.pt'}")
    finally:
        torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main()
