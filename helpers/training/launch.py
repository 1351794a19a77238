"""Starting a process group from a lesson (lesson 22): fresh processes joined by torch.distributed's gloo backend on this
machine, each running one function, their results gathered; and the function lesson 22 runs in each, lesson 17's recipe."""

import datetime
import io
import os
import queue
import socket
import time
import traceback

import torch
import torch.multiprocessing

from .._checks import check_int
from ..data.digits import train_digits
from .parallel import process_group


# New processes start from a server process that has imported the helpers once and forks a copy for each (Unix); it
# is started by the first launch and reused, so later launches skip torch's import. Forking the notebook's own process
# is unsafe once torch's threads have run, so it is never done; spawn (a fresh interpreter) where there is no server.
START = "forkserver" if "forkserver" in torch.multiprocessing.get_all_start_methods() else "spawn"


def free_port():
    """A TCP port on this machine that nothing listens on now (the system's choice)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _port_in_use(port):
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _member(fn, args, rank, world, port, threads, timeout, results):
    """One process of the group: join it, run fn(*args), report (rank, result as bytes) or (rank, traceback)."""
    try:
        torch.set_num_threads(threads)
        os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
        torch.distributed.init_process_group("gloo", rank=rank, world_size=world,
                                             timeout=datetime.timedelta(seconds=timeout))
        try:
            value = fn(*args)
        finally:
            torch.distributed.destroy_process_group()
        buffer = io.BytesIO()
        torch.save(value, buffer)
        results.put((rank, True, buffer.getvalue()))
    except BaseException:
        results.put((rank, False, traceback.format_exc()))


def launch(fn, world, *args, port=None, threads=1, timeout=60):
    """Run fn(*args) in `world` new processes joined in one torch.distributed process group (gloo, on this machine);
    return their results, a list by rank. Each process uses `threads` CPU threads (two cores are two processes of one
    thread). fn must be importable (a module's function, not one defined in a notebook: new processes import it) and
    return tensors, numbers, strings, lists or dicts. A process that fails stops the others, and its traceback is
    raised here; a collective that waits longer than timeout seconds fails. The processes are daemons, so fn cannot
    start processes of its own (a DataLoader with workers). torchrun starts the same processes from a shell (lesson 22
    gives the command). Defined in lesson 22 (scale)."""
    world = check_int("world", world, 1)
    threads = check_int("threads", threads, 1)
    if not callable(fn) or getattr(fn, "__module__", "__main__") == "__main__" or "<locals>" in fn.__qualname__:
        raise TypeError(f"fn must be a function of an importable module (e.g. helpers.train_digits_member), got "
                        f"{getattr(fn, '__qualname__', fn)!r}: each new process imports it by name")
    if port is None:
        port = free_port()
    elif _port_in_use(check_int("port", port, 1, 65536)):
        raise OSError(f"port {port} on 127.0.0.1 is in use (another process group, or another program): pass another "
                      "port, or port=None to let the system pick a free one")
    context = torch.multiprocessing.get_context(START)
    if START == "forkserver":
        context.set_forkserver_preload(["helpers"])
    results = context.Queue()
    members = [context.Process(target=_member, args=(fn, args, rank, world, port, threads, timeout, results), daemon=True)
               for rank in range(world)]
    for member in members:
        member.start()
    gathered = {}
    try:
        while len(gathered) < world:
            try:
                rank, ok, value = results.get(timeout=0.2)
            except queue.Empty:
                for rank, member in enumerate(members):
                    if member.exitcode not in (None, 0) and rank not in gathered:
                        time.sleep(0.5)  # its report, if it wrote one, may still be in the pipe
                        if results.empty():
                            raise RuntimeError(f"process {rank} of {world} exited with code {member.exitcode} "
                                               "before reporting (killed, or out of memory)") from None
                continue
            if not ok:
                raise RuntimeError(f"process {rank} of {world} failed; the others were stopped. Its error:\n{value}")
            gathered[rank] = torch.load(io.BytesIO(value), weights_only=True)
    finally:
        for member in members:
            if member.is_alive() and len(gathered) < world:
                member.terminate()
            member.join()
    return [gathered[rank] for rank in range(world)]


def train_digits_member(x0, config):
    """Lesson 17's recipe (helpers.train_digits, seed config.seed) in one process of a group; returns its rank, the
    per-step losses, the online and the EMA weights (state dicts) and the training seconds. Defined in lesson 22."""
    result = train_digits(x0, seed=config.seed, config=config)
    rank, world = process_group()
    return {"rank": rank, "world": world, "losses": result["losses"], "seconds": result["seconds"],
            "online": result["online"].state_dict(), "ema": result["model"].state_dict()}
