"""``python -m sslworkbench …``: the command line (``cli.py``), also as torchrun starts it:

    torchrun --nproc_per_node 2 -m sslworkbench pretrain simclr --epochs 10
"""

import sys

from .cli import main

sys.exit(main())
