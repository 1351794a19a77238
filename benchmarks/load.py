"""The load the speed benchmarks time under: a quiet machine, or one busy process beside the work."""

import contextlib
import statistics
import subprocess
import sys
import time

import torch

LOADS = ("quiet", "busy")


@contextlib.contextmanager
def machine_load(load):
    """Run the body on a quiet machine ("quiet") or beside one busy process ("busy": a pure-Python loop on one core,
    what a browser or another program does to a 2-core laptop)."""
    if load not in LOADS:
        raise ValueError(f"load must be one of {list(LOADS)}, got {load!r}")
    if load == "quiet":
        yield
        return
    burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(1)  # let the busy process reach full speed before the timing starts
        yield
    finally:
        burner.kill()
        burner.wait()


def timed(variants, repeats):
    """Median seconds of each function, timed in turns (one run of each per round), so that a drift in the machine's
    speed reaches every variant alike."""
    times = {name: [] for name in variants}
    for fn in variants.values():
        fn()
    for _ in range(repeats):
        for name, fn in variants.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: round(statistics.median(values), 4) for name, values in times.items()}


def timed_settings(variants, repeats):
    """{setting: timed(variants, repeats)} at one torch thread, quiet and busy, and at two threads, quiet (what
    `course.py lab` gives a kernel on 2 cores, and what torch takes by itself); torch is left at one thread."""
    seconds = {}
    for threads, loads in ((1, LOADS), (2, ("quiet",))):
        torch.set_num_threads(threads)
        for load in loads:
            key = f"{threads} thread{'s' * (threads > 1)}, {load}"
            with machine_load(load):
                seconds[key] = timed(variants, repeats)
            print(f"speed {key}: {seconds[key]}", flush=True)
    torch.set_num_threads(1)
    return seconds
