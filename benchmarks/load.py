"""The load the speed benchmarks time under: a quiet machine, or one busy process beside the work."""

import contextlib
import subprocess
import sys
import time

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
