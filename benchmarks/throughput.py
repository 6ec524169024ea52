"""Print images/second of the view pipeline and of a SimCLR training step.

    python benchmarks/throughput.py                      # current device
    python benchmarks/throughput.py --device cuda --batch-size 512

Same as `sslworkbench bench`; the measurements live in sslworkbench/training/bench.py.
"""

import sys

from sslworkbench.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
