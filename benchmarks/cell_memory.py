"""Where does a notebook reach its peak memory? Run it and print, after every code
cell, the kernel's own peak resident memory so far and its current one.

    python benchmarks/cell_memory.py notebooks/01_learning_paradigms.ipynb

Each code cell is followed by a probe cell that reads ``getrusage(RUSAGE_SELF)``
(the kernel's high-water mark) and ``/proc/self/statm`` (its resident memory now),
so this works on Linux only. The notebook runs at its default parameters, from
its own folder, with nbclient. Compare with ``run_notebooks.py``, which reports
one peak per notebook from outside the kernel.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

PROBE = (
    "import os as _os, resource as _resource\n"
    "print('@@MEM', _resource.getrusage(_resource.RUSAGE_SELF).ru_maxrss // 1024,\n"
    "      int(open('/proc/self/statm').read().split()[1]) * _os.sysconf('SC_PAGE_SIZE') // 2**20)"
)


def main(path: str) -> None:
    notebook = nbformat.read(path, as_version=4)
    cells = []
    for index, cell in enumerate(notebook.cells):
        cells.append(cell)
        if cell.cell_type == "code":
            probe = nbformat.v4.new_code_cell(PROBE)
            probe.metadata["probe_for"] = index
            cells.append(probe)
    notebook.cells = cells
    NotebookClient(notebook, timeout=3600, kernel_name="python3",
                   resources={"metadata": {"path": str(Path(path).resolve().parent)}}).execute()
    print(f"{'cell':>4}  {'peak MB':>8}  {'now MB':>7}  first line")
    for position, cell in enumerate(notebook.cells):
        if "probe_for" not in cell.metadata:
            continue
        text = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")
        values = next((line.split()[1:3] for line in text.splitlines() if line.startswith("@@MEM")), ["?", "?"])
        first = (notebook.cells[position - 1].source.splitlines() or [""])[0][:70]
        print(f"{cell.metadata['probe_for']:4d}  {values[0]:>8}  {values[1]:>7}  {first}")


if __name__ == "__main__":
    main(sys.argv[1])
