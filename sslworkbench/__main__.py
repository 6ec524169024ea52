"""``python -m sslworkbench …``: the command line (``cli.py``), also as torchrun starts it:

    torchrun --nproc_per_node 2 -m sslworkbench pretrain simclr --epochs 10
"""

import sys

from .cli import main

if __name__ == "__main__":   # importing the module (as the Binder check imports every module) runs nothing
    sys.exit(main())
