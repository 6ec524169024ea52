"""Run the notebooks as a learner would, and say how long and how much memory each took.

    python benchmarks/run_notebooks.py                 # every notebook, default parameters
    python benchmarks/run_notebooks.py 01 03           # only names containing "01" or "03"
    python benchmarks/run_notebooks.py --smoke         # SMOKE=True, as the tests run them
    make test-full NB="01"                             # the same through make

Each notebook is executed with papermill into notebooks/executed/ (git-ignored),
from notebooks/ as the working directory, in a fresh ``python3`` kernel. For each
one this prints the wall time and the peak memory of its kernel — the number to
compare with Binder's 2 GB.

How the memory is measured: every notebook is run by a child process of this
script, and that child starts the kernel. When the kernel has exited, the child
reads ``getrusage(RUSAGE_CHILDREN).ru_maxrss``: the kernel's own high-water mark
of resident memory as the operating system counted it (the largest of the kernel
and any process it started and waited for; not their sum). If psutil is
installed (Jupyter installs it) the kernel's process tree is also sampled every
0.2 s, and its largest summed RSS is shown as a cross-check; sampling can miss a
short spike, getrusage cannot.

Resident memory counts two kinds of pages. *Anonymous* pages (the heap: tensors,
arrays, Python objects) are what the notebook itself needs; with no swap they
cannot be given back. *File* pages are the mapped code of the libraries, shared
with the page cache and dropped under memory pressure. With the CUDA build of
PyTorch the file part is large (~300–600 MB of CUDA, cuBLAS and Triton libraries,
even without a GPU) and varies from machine to machine: measured for #10, the
same imports mapped 190 MB more of those libraries in a freshly installed
virtualenv than in an older one. So the sampler also reports the largest
anonymous part ("anon MB", RSS minus the file-backed share, as psutil reads it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
EXECUTED_DIR = NOTEBOOKS_DIR / "executed"
SAMPLE_EVERY_S = 0.2


# ---------------------------------------------------------------------------
# The child: runs one notebook, then reports its kernel's peak memory
# ---------------------------------------------------------------------------


def _kernel_peak_mb() -> float | None:
    """Peak RSS (MB) of the largest child process reaped so far: the kernel."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # Linux reports kilobytes, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def run_child(notebook: str, output: str, smoke: bool, cell_timeout: int | None, result_file: str) -> int:
    """Execute ``notebook`` (from its own folder) into ``output``; write the result as JSON."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    status = "ok"
    start = time.perf_counter()
    try:
        papermill.execute_notebook(
            notebook,
            output,
            parameters={"SMOKE": smoke},
            kernel_name="python3",
            language="python",
            cwd=str(Path(notebook).parent),
            progress_bar=False,
            log_output=False,
            start_timeout=180,
            execution_timeout=cell_timeout,
        )
    except PapermillExecutionError as error:
        status = f"FAILED at In [{error.exec_count}]: {error.ename}: {error.evalue}"
    except Exception as error:  # kernel died, timeout, bad notebook …
        status = f"FAILED: {type(error).__name__}: {' '.join(str(error).split())[:300]}"
    wall = time.perf_counter() - start
    Path(result_file).write_text(json.dumps({"status": status, "wall_s": wall, "kernel_peak_mb": _kernel_peak_mb()}))
    return 0


# ---------------------------------------------------------------------------
# The parent: one child per notebook, sampling the kernel's tree meanwhile
# ---------------------------------------------------------------------------


def _tree_rss_mb(process) -> tuple[float, float]:
    """Summed RSS and summed anonymous RSS (MB) of everything below the child: the kernel and its children."""
    import psutil

    total = anonymous = 0
    for proc in process.children(recursive=True):
        try:
            memory = proc.memory_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        total += memory.rss
        anonymous += memory.rss - getattr(memory, "shared", 0)   # Linux: shared = file-backed + shmem pages
    return total / 2**20, anonymous / 2**20


def run_one(notebook: Path, smoke: bool, cell_timeout: int | None, out_dir: Path) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    output = out_dir / (f"{notebook.stem}.smoke.ipynb" if smoke else notebook.name)
    env = dict(os.environ)
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # no debugger warning from the kernel
    if smoke:
        env["SSLWB_SMOKE"] = "1"
    else:
        env.pop("SSLWB_SMOKE", None)  # default parameters means the real run, whatever the shell says
    with tempfile.TemporaryDirectory() as scratch:
        result_file = Path(scratch) / "result.json"
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            str(notebook),
            str(output),
            "1" if smoke else "0",
            str(cell_timeout or 0),
            str(result_file),
        ]
        start = time.perf_counter()
        child = subprocess.Popen(command, env=env, cwd=str(notebook.parent))
        sampled_peak = anonymous_peak = None
        try:
            import psutil

            watched = psutil.Process(child.pid)
            sampled_peak = anonymous_peak = 0.0
            while child.poll() is None:
                try:
                    rss, anonymous = _tree_rss_mb(watched)
                    sampled_peak, anonymous_peak = max(sampled_peak, rss), max(anonymous_peak, anonymous)
                except psutil.NoSuchProcess:
                    pass
                time.sleep(SAMPLE_EVERY_S)
        except ImportError:
            pass
        child.wait()
        total = time.perf_counter() - start
        if result_file.is_file():
            result = json.loads(result_file.read_text())
        else:
            result = {"status": f"FAILED: the runner exited with {child.returncode}", "wall_s": total,
                      "kernel_peak_mb": None}
    result.update(notebook=notebook.name, output=str(output), sampled_peak_mb=sampled_peak,
                  anonymous_peak_mb=anonymous_peak, total_s=total)
    return result


def _mb(value) -> str:
    return "-" if value is None else f"{value:,.0f}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("filters", nargs="*", help="run only notebooks whose name contains one of these")
    parser.add_argument("--smoke", action="store_true", help="SMOKE=True: the fast CI settings")
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS_DIR, help="folder of the notebooks")
    parser.add_argument("--out", type=Path, default=EXECUTED_DIR, help="where executed notebooks go")
    parser.add_argument("--cell-timeout", type=int, default=None, help="seconds one cell may take (default: none)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results to this JSON file")
    args = parser.parse_args(argv)

    notebooks = sorted(args.notebooks.resolve().glob("*.ipynb"))
    if args.filters:
        notebooks = [path for path in notebooks if any(word in path.name for word in args.filters)]
    if not notebooks:
        print(f"no notebooks in {args.notebooks} match {args.filters or '*'}", file=sys.stderr)
        return 1

    mode = "smoke mode (SMOKE=True)" if args.smoke else "default parameters"
    print(f"running {len(notebooks)} notebook(s) with {mode}; executed copies go to {args.out}/", flush=True)
    header = f"{'notebook':<40}{'wall s':>9}{'peak MB':>10}{'sampled MB':>12}{'anon MB':>9}  status"
    results = []
    for notebook in notebooks:
        print(f"-- {notebook.name} ...", flush=True)
        result = run_one(notebook, args.smoke, args.cell_timeout, args.out)
        results.append(result)
        print(f"   {result['wall_s']:.1f} s, kernel peak {_mb(result['kernel_peak_mb'])} MB: {result['status']}",
              flush=True)

    print()
    print(header)
    for result in results:
        print(
            f"{result['notebook']:<40}{result['wall_s']:>9.1f}{_mb(result['kernel_peak_mb']):>10}"
            f"{_mb(result['sampled_peak_mb']):>12}{_mb(result['anonymous_peak_mb']):>9}  {result['status']}"
        )
    print("peak MB: the kernel's peak resident memory (getrusage); sampled MB: kernel + its subprocesses, "
          f"sampled every {SAMPLE_EVERY_S} s; anon MB: the anonymous part of the sampled memory (no library code)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0 if all(result["status"] == "ok" for result in results) else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        notebook, output, smoke, timeout, result_file = sys.argv[2:7]
        sys.exit(run_child(notebook, output, smoke == "1", int(timeout) or None, result_file))
    sys.exit(main())
