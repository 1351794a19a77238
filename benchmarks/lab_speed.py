"""Every lesson as a learner runs it: JupyterLab started as `course.py lab` starts it, the lesson opened in a browser
(headless Chromium) with a fresh kernel, Run All, timed until the last cell has run. Once on a quiet machine, then
again beside one busy process (a pure-Python loop, as another program). Lesson 08's training cell prints its own
training time, which is recorded too. First, in the same run, the default recipe's training alone in this process,
quiet and busy, on torch's threads and on the lab's (benchmarks/train_speed.py's `under_load`).

    .venv/bin/python benchmarks/lab_speed.py --name lab-cpu-2core   # about 12 minutes on 2 cores
    .venv/bin/python benchmarks/lab_speed.py --name lab-14-cpu-2core --lessons 14   # one new lesson, without the rest

Writes <out>/<name>.json and prints a table.
"""

import argparse
import json
import os
import platform
import re
import sys
import tempfile
from pathlib import Path

import torch
from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tools"))
import lab_session  # noqa: E402
from load import LOADS, machine_load  # noqa: E402
from train_speed import under_load  # noqa: E402

import helpers  # noqa: E402

LESSONS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
TRAINED = re.compile(r"(\d+) steps in ([\d.]+) s")

# Waits for a fresh kernel, runs every cell, and reports the wall time of the run, cells not run, error outputs and
# the text outputs; then shuts the kernel down.
RUN_ALL = "async () => {" + lab_session.AWAIT_IDLE_KERNEL + """
  const start = performance.now();
  await app.commands.execute('notebook:run-all-cells');
  const seconds = (performance.now() - start) / 1000;
  const cells = panel.content.model.cells;
  let unexecuted = 0, errors = 0, text = '';
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    if (cell.type !== 'code') continue;
    if (cell.executionCount === null) unexecuted++;
    for (let j = 0; j < cell.outputs.length; j++) {
      const output = cell.outputs.get(j);
      if (output.type === 'error') errors++;
      if (output.type === 'stream') text += output.toJSON().text;
    }
  }
  await panel.sessionContext.shutdown();
  return {seconds, unexecuted, errors, text};
}"""


def run_lessons(browser, base, token, load, lessons):
    rows = []
    for name in lessons:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{base}/lab/tree/notebooks/{name}?reset&token={token}")
        page.wait_for_function("window.jupyterapp?.shell.currentWidget?.sessionContext", timeout=60_000)
        result = page.evaluate(RUN_ALL)
        page.close()
        if result["unexecuted"] or result["errors"]:
            raise RuntimeError(f"{name}: {result['unexecuted']} cells not run, {result['errors']} errors")
        trained = TRAINED.search(result["text"]) if name.startswith("08") else None
        row = {"lesson": Path(name).stem, "load": load, "seconds": round(result["seconds"], 1),
               "training_seconds": float(trained.group(2)) if trained else None}
        rows.append(row)
        print(row, flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--name", default="lab")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--lessons", nargs="+", metavar="NN", help="only these lessons, and no training-alone rows")
    args = parser.parse_args()
    lessons = [name for name in LESSONS if args.lessons is None or name[:2] in args.lessons]

    cores = os.cpu_count() or 2
    threads = lab_session.course.torch_threads("lab", cores)
    env = {**lab_session.course.KERNEL_ENV, "OMP_NUM_THREADS": str(threads)}
    report = {"machine": f"{platform.machine()}, {cores} cores, torch {torch.__version__}, kernels on {threads} torch threads, "
                         "headless Chromium", "rows": []}
    report["training_alone"] = [] if args.lessons else under_load(helpers.sigmoid_schedule(100), helpers.s_curve(10_000))
    with tempfile.TemporaryDirectory() as tmp, lab_session.serve(Path(tmp), env=env) as (base, token), \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=lab_session.CHROMIUM, args=lab_session.CHROMIUM_ARGS)
        for load in LOADS:
            with machine_load(load):
                report["rows"] += run_lessons(browser, base, token, load, lessons)
        browser.close()

    print(f"\n{'lesson':22s} {'quiet s':>8s} {'busy s':>7s} {'busy/quiet':>10s}")
    by = {(r["lesson"], r["load"]): r for r in report["rows"]}
    for name in lessons:
        quiet, busy = by[Path(name).stem, "quiet"], by[Path(name).stem, "busy"]
        print(f"{Path(name).stem:22s} {quiet['seconds']:8.1f} {busy['seconds']:7.1f} {busy['seconds'] / quiet['seconds']:10.2f}")
    for load in ("quiet", "busy") if ("08_training", "quiet") in by else ():
        print(f"lesson 08's training cell, {load}: {by['08_training', load]['training_seconds']} s")
    for row in report["training_alone"]:
        print(f"the default recipe alone, {row['threads']} threads, {row['load']}: {row['train_seconds']} s")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.name}.json").write_text(json.dumps(report, indent=1) + "\n")
    print(f"wrote {args.out / (args.name + '.json')}")


if __name__ == "__main__":
    main()
