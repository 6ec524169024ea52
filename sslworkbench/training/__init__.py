"""Training: one trainer for every method, the recipe around it, and what it writes.

    trainer.py     ``train``: the one loop (optimiser, learning-rate schedule, callbacks, the kNN monitor)
    recipe.py      ``pretrain`` / ``Experiment``: data → method → train → evaluate, with the settings the data implies
    checkpoint.py  saving and loading a trained method, and resuming a run
    reference.py   the long-trained checkpoints shipped with the package
    bench.py       throughput on the device at hand: views/s and a training step's images/s

Training stands on ``methods/`` and ``evaluation/`` (the kNN monitor and the recipe's last step).
"""
