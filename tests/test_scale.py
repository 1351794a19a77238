"""Lesson 22's helpers: a step split between micro-batches and processes trains the whole batch's step, a resumed run is
the uninterrupted one, bfloat16 is where it is asked for and refused where it must not be, and the launcher's failures
are told. Independent routes: the whole batch in one pass (lesson 08's path) for the split, torch.equal of an
uninterrupted run for the resume, forward hooks for the precision, a planted crash for the launcher."""

import dataclasses
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import helpers
import scale_members
from helpers.data.digits import Dequantised

LESSONS = ("22",)
ROOT = Path(__file__).resolve().parent.parent
X_TRAIN = helpers.digits_split()[0]
# Lesson 22's run: the digits recipe's first 20 steps, at seed 5, one of the benchmark's seeds that set nothing.
RUN = dataclasses.replace(helpers.DIGITS, steps=20, warmup_steps=2, seed=5)
# Lesson 22's tolerance: ten times the largest difference from one process over seeds 0-4 of the benchmark's 20-step
# runs (two processes, 2 and 4 micro-batches; weights and EMA), while 20 steps move the weights by about 0.02.
IDENTITY = json.loads((ROOT / "benchmarks" / "results" / "scale-cpu-2core.json").read_text())["identity"]["20"]
TOLERANCE = 10 * max(row[way][part] for row in IDENTITY[:5] for way in ("two processes", "accumulate 2", "accumulate 4")
                     for part in ("online", "ema"))


def refused(call, words):
    """Assert that call raises RuntimeError saying words (an AssertionError otherwise, which the planted tests catch)."""
    try:
        call()
    except RuntimeError as error:
        assert words in str(error), str(error)
    else:
        raise AssertionError(f"no error; expected one saying {words!r}")


def largest(a, b):
    return max((a[name] - b[name]).abs().max().item() for name in a)


def equal(a, b):
    return all(torch.equal(a[name], b[name]) for name in a)


@pytest.fixture(scope="module")
def one_process():
    return helpers.train_digits_member(X_TRAIN, RUN)


@pytest.fixture(scope="module")
def two_processes():
    return helpers.launch(helpers.train_digits_member, 2, X_TRAIN, RUN)


@pytest.mark.parametrize("accumulate", [2, 3])
def test_micro_batches_train_the_whole_batch_s_steps(one_process, accumulate):
    """3 micro-batches of 128 rows are 43, 43 and 42: uneven shares, each weighted by its rows."""
    split = helpers.train_digits_member(X_TRAIN, dataclasses.replace(RUN, accumulate=accumulate))
    assert largest(split["online"], one_process["online"]) < TOLERANCE
    assert largest(split["ema"], one_process["ema"]) < TOLERANCE
    assert (split["losses"] - one_process["losses"]).abs().max() < 1e-5


def test_two_processes_are_two_micro_batches_bit_for_bit_and_the_whole_batch_within_rounding(one_process, two_processes):
    accumulated = helpers.train_digits_member(X_TRAIN, dataclasses.replace(RUN, accumulate=2))
    for rank, member in enumerate(two_processes):
        assert (member["rank"], member["world"]) == (rank, 2)
        assert equal(member["online"], accumulated["online"]) and equal(member["ema"], accumulated["ema"])
        assert largest(member["online"], one_process["online"]) < TOLERANCE
    assert equal(two_processes[0]["ema"], two_processes[1]["ema"])


def test_another_seed_is_far_outside_the_tolerance(one_process):
    """The tolerance tells the same run from another: a run that differs only in its noise's seed (same start)."""
    torch.manual_seed(RUN.seed)
    model = helpers.digits_network(X_TRAIN)
    other = helpers.train(model, X_TRAIN, Dequantised(helpers.Denoising(helpers.digits_schedule(), RUN)),
                          dataclasses.replace(RUN, seed=RUN.seed + 1), progress=False)
    assert largest(other["online"].state_dict(), one_process["online"]) > 3 * TOLERANCE


def digits_run(config, state=None, stop_at=None, every=1):
    torch.manual_seed(0)
    objective = Dequantised(helpers.Denoising(helpers.digits_schedule(), config))
    return helpers.train(helpers.digits_network(X_TRAIN), X_TRAIN, objective, config, state=state, every=every,
                         on_checkpoint=lambda step, model: step == stop_at, progress=False)


@pytest.mark.parametrize("stop_at", [5, 11, 15])
def test_a_resumed_run_is_the_uninterrupted_one_bit_for_bit(tmp_path, stop_at):
    """Stopped mid-epoch (step 5), at the end of one (11: 1 347 images are 11 batches of 128, the last of 67) and in
    the next: losses, weights, EMA, and Adam's moments and step counts in the last saved states, all equal."""
    config = dataclasses.replace(RUN, accumulate=2)
    whole = digits_run(config, tmp_path / "whole.pt")
    stopped = digits_run(config, tmp_path / "run.pt", stop_at)
    assert len(stopped["losses"]) == stop_at
    resumed = digits_run(config, tmp_path / "run.pt")
    assert torch.equal(resumed["losses"], whole["losses"])
    assert equal(resumed["online"].state_dict(), whole["online"].state_dict())
    assert equal(resumed["model"].state_dict(), whole["model"].state_dict())
    saved, reference = (torch.load(tmp_path / name, weights_only=True) for name in ("run.pt", "whole.pt"))
    assert saved["step"] == config.steps
    moments = [(saved["optimizer"]["state"][k], reference["optimizer"]["state"][k]) for k in reference["optimizer"]["state"]]
    assert moments and all(equal(a, b) for a, b in moments)


def test_a_state_needs_every():
    with pytest.raises(ValueError, match="state needs every"):
        digits_run(RUN, "run.pt", every=None)


def test_processes_stop_together_when_one_asks(agree=True):
    """on_checkpoint is asked in every process; when only the second asks to stop, both must stop there, or the first
    would wait in the next step's all-reduce (agree=False plants that, tests/test_planted_errors.py)."""
    assert helpers.launch(scale_members.stop_where_rank_1_asks, 2, X_TRAIN, RUN, 7, agree, timeout=5) == [7, 7]


def test_a_state_from_another_config_or_damaged_is_refused(tmp_path):
    digits_run(RUN, tmp_path / "run.pt", stop_at=5)
    with pytest.raises(ValueError, match="another configuration.*lr: file has 0.002, this run 0.001"):
        digits_run(dataclasses.replace(RUN, lr=1e-3), tmp_path / "run.pt")
    saved = torch.load(tmp_path / "run.pt", weights_only=True)
    saved["model"]["out.bias"][0] += 1.0
    torch.save(saved, tmp_path / "run.pt")
    with pytest.raises(ValueError, match="damaged"):
        digits_run(RUN, tmp_path / "run.pt")


def test_bfloat16_runs_the_forward_pass_in_bfloat16_and_keeps_the_weights_in_float32():
    seen = []
    torch.manual_seed(0)
    model = helpers.digits_network(X_TRAIN)
    model.out.register_forward_hook(lambda module, inputs, output: seen.append(output.dtype))
    config = dataclasses.replace(RUN, precision="bfloat16")
    result = helpers.train(model, X_TRAIN, Dequantised(helpers.Denoising(helpers.digits_schedule(), config)), config,
                           progress=False)
    assert set(seen) == {torch.bfloat16} and len(seen) == RUN.steps
    assert all(p.dtype == torch.float32 for p in result["model"].parameters())


def test_bfloat16_trains_like_float32_and_autocast_around_the_loop_does_not(one_process):
    """The weight cache: autocast around train would train with the first step's weights; train refuses it."""
    low = helpers.train_digits_member(X_TRAIN, dataclasses.replace(RUN, precision="bfloat16"))
    assert (low["losses"] - one_process["losses"]).abs().max() < 0.02
    with torch.autocast("cpu", torch.bfloat16):
        refused(lambda: helpers.train_digits(X_TRAIN, config=RUN), "precision = 'bfloat16'")


def test_bfloat16_inside_a_disabled_autocast_block_trains_as_outside_it():
    """autocast keeps its weight casts until the outermost block ends; a disabled block around train is outermost, so
    train must drop them after every step."""
    config = dataclasses.replace(RUN, precision="bfloat16")
    outside = helpers.train_digits_member(X_TRAIN, config)
    with torch.autocast("cpu", enabled=False):
        inside = helpers.train_digits_member(X_TRAIN, config)
    assert torch.equal(inside["losses"], outside["losses"])


def test_a_likelihood_under_autocast_is_refused():
    model = helpers.load_model(helpers.COMMITTED_CHECKPOINT.parent / "digits_n1347.pt")
    x = helpers.dequantise(X_TRAIN[:4], torch.Generator().manual_seed(0))
    with torch.autocast("cpu", torch.bfloat16):
        for fn in (lambda: helpers.elbo(model, helpers.digits_schedule(), x),
                   lambda: helpers.ode_log_likelihood(model, helpers.digits_schedule(), x, 4)):
            refused(fn, "outside the autocast block")


def test_a_process_that_fails_stops_the_group_and_its_error_is_raised():
    """Images that are not a tensor fail in both processes' train_digits; the error names a process and the cause,
    and nothing is left waiting."""
    with pytest.raises(RuntimeError, match=r"(?s)process [01] of 2 failed.*x0 must"):
        helpers.launch(helpers.train_digits_member, 2, "images", RUN, timeout=20)


def test_launch_refuses_a_port_in_use_and_a_function_new_processes_cannot_import():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError, match=f"port {taken.getsockname()[1]} on 127.0.0.1 is in use"):
            helpers.launch(helpers.train_digits_member, 2, X_TRAIN, RUN, port=taken.getsockname()[1])

    def local(x0, config):
        return None

    with pytest.raises(TypeError, match="importable module"):
        helpers.launch(local, 2, X_TRAIN, RUN)


def test_torchrun_runs_the_script_and_trains_the_same_steps(tmp_path, one_process):
    """tools/train_scale.py under torchrun, two processes: its EMA network is one process's within the tolerance."""
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                           str(ROOT / "tools" / "train_scale.py"), "--steps", "20", "--seed", str(RUN.seed), "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "2 processes, 20 steps" in done.stdout
    ema = helpers.load_model(tmp_path / "digits_ema.pt").state_dict()
    assert largest(ema, one_process["ema"]) < TOLERANCE


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU: the run on one is lesson 22's device check")
def test_on_cuda_bfloat16_and_float32_train_alike():
    x = X_TRAIN.cuda()
    low = helpers.train_digits(x, config=dataclasses.replace(RUN, precision="bfloat16"))
    full = helpers.train_digits(x, config=RUN)
    assert (low["losses"] - full["losses"]).abs().max() < 0.02
