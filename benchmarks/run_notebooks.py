"""Run the notebooks as a learner would, and say how long and how much memory each took.

    python benchmarks/run_notebooks.py                 # every notebook, default parameters
    python benchmarks/run_notebooks.py 01 03           # only names containing "01" or "03"
    python benchmarks/run_notebooks.py --smoke         # SMOKE=True, as the tests run them
    python benchmarks/run_notebooks.py --threads 1 06  # one thread: another float path, as another CPU takes
    python benchmarks/run_notebooks.py --lower-sizes   # every N_* parameter a tenth: must still reach the end
    python benchmarks/run_notebooks.py --record-claims # at the defaults: file the claims as measured "when written"
    make test-full NB="01"                             # the same through make (THREADS=1, SIZES=lower, RECORD_CLAIMS=1)

Claims are enforced in every run (``SSLWB_ENFORCE_CLAIMS=1``): at the defaults,
in normal or one-thread mode, every claim must hold. ``--lower-sizes`` changes
parameters, so there the claims are only reported; the notebook must still end.

``--record-claims`` writes, for each notebook whose claims all held at its
defaults, the statements as measured into
``sslworkbench/data/files/claims_when_written.json`` (or the file given): what a
learner whose machine disagrees sees next to "does not hold here".

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
WHEN_WRITTEN = REPO_ROOT / "sslworkbench" / "data" / "files" / "claims_when_written.json"


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


def lowered_sizes(notebook: Path, factor: int = 10) -> dict:
    """Every integer ``N_*`` parameter of the notebook's parameters cell, divided by ``factor``."""
    import ast

    import nbformat

    cell = next(cell for cell in nbformat.read(notebook, as_version=4).cells
                if "parameters" in cell.metadata.get("tags", []))
    lowered = {}
    for node in ast.parse(cell.source).body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id.startswith("N_") and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, int) and not isinstance(node.value.value, bool)):
            lowered[node.targets[0].id] = max(1, node.value.value // factor)
    return lowered


def run_child(notebook: str, output: str, parameters: dict, cell_timeout: int | None, result_file: str) -> int:
    """Execute ``notebook`` (from its own folder) into ``output``; write the result as JSON."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    status = "ok"
    start = time.perf_counter()
    try:
        papermill.execute_notebook(
            notebook,
            output,
            parameters=parameters,
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


def run_one(notebook: Path, smoke: bool, cell_timeout: int | None, out_dir: Path, threads: int | None = None,
            lower: bool = False, record_to: Path | None = None) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    suffix = ".smoke" if smoke else ".lower" if lower else ""
    suffix += f".{threads}thread" if threads else ""
    output = out_dir / f"{notebook.stem}{suffix}.ipynb"
    parameters = {"SMOKE": smoke, **(lowered_sizes(notebook) if lower else {})}
    env = dict(os.environ)
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # no debugger warning from the kernel
    env["SSLWB_ENFORCE_CLAIMS"] = "1"   # the project's own check: claims at the defaults must hold
    if threads:   # torch, numpy's BLAS and scikit-learn's OpenMP all read these at start-up
        for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            env[variable] = str(threads)
    if smoke:
        env["SSLWB_SMOKE"] = "1"
    else:
        env.pop("SSLWB_SMOKE", None)  # default parameters means the real run, whatever the shell says
    with tempfile.TemporaryDirectory() as scratch:
        result_file = Path(scratch) / "result.json"
        claims_file = Path(scratch) / "claims.json"
        env["SSLWB_RECORD_CLAIMS"] = str(claims_file)
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            str(notebook),
            str(output),
            json.dumps(parameters),
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
        claims = json.loads(claims_file.read_text()) if claims_file.is_file() else None
        if claims is not None:
            result["claims"] = claims
            if record_to is not None and result["status"] == "ok" and all(claims["holds"]):
                _record_claims(record_to, claims, threads)
    result.update(notebook=notebook.name, output=str(output), sampled_peak_mb=sampled_peak,
                  anonymous_peak_mb=anonymous_peak, total_s=total)
    return result


def _record_claims(path: Path, claims: dict, threads: int | None) -> None:
    """File one notebook's statements, as measured at its defaults, under its number."""
    import platform

    import torch

    record = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    record[claims["notebook"]] = {
        "measured": (f"{time.strftime('%Y-%m-%d')}, benchmarks/run_notebooks.py, torch {torch.__version__}, "
                     f"{threads or torch.get_num_threads()} thread(s), {platform.machine()}"),
        "claims": claims["claims"],
        "holds": claims["holds"],
    }
    path.write_text(json.dumps(dict(sorted(record.items())), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


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
    parser.add_argument("--threads", type=int, default=None,
                        help="run each kernel with this many threads (1: the float path of another machine)")
    parser.add_argument("--lower-sizes", action="store_true",
                        help="every N_* parameter a tenth of its default: the notebook must still reach its end")
    parser.add_argument("--record-claims", nargs="?", type=Path, const=WHEN_WRITTEN, default=None, metavar="FILE",
                        help=f"file each notebook's claims as measured at its defaults (default file: {WHEN_WRITTEN})")
    args = parser.parse_args(argv)
    if args.record_claims and (args.smoke or args.lower_sizes):
        parser.error("--record-claims records runs at the defaults: not with --smoke or --lower-sizes")

    notebooks = sorted(args.notebooks.resolve().glob("*.ipynb"))
    if args.filters:
        notebooks = [path for path in notebooks if any(word in path.name for word in args.filters)]
    if not notebooks:
        print(f"no notebooks in {args.notebooks} match {args.filters or '*'}", file=sys.stderr)
        return 1

    mode = "smoke mode (SMOKE=True)" if args.smoke else "N_* sizes lowered" if args.lower_sizes else "default parameters"
    mode += f", {args.threads} thread(s)" if args.threads else ""
    print(f"running {len(notebooks)} notebook(s) with {mode}; executed copies go to {args.out}/", flush=True)
    header = f"{'notebook':<40}{'wall s':>9}{'peak MB':>10}{'sampled MB':>12}{'anon MB':>9}  status"
    results = []
    for notebook in notebooks:
        print(f"-- {notebook.name} ...", flush=True)
        result = run_one(notebook, args.smoke, args.cell_timeout, args.out, args.threads, args.lower_sizes,
                         args.record_claims)
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
        notebook, output, parameters, timeout, result_file = sys.argv[2:7]
        sys.exit(run_child(notebook, output, json.loads(parameters), int(timeout) or None, result_file))
    sys.exit(main())
