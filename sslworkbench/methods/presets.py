"""Published settings for CIFAR-10 with a ResNet-18 (GPU), per method.

The methods' own defaults are sized for ``shapes`` and the small CNN on a CPU.
On CIFAR-10 the literature uses larger heads, batches of 256–512 and its own
temperatures and momenta; these are they (the papers' CIFAR values where they
give them, else the values of the solo-learn / lightly CIFAR-10 benchmarks):

    settings = CIFAR10["moco"]
    method = build_method("moco", backbone="resnet18", **settings["method"])
    train(method, cifar_train, batch_size=settings["batch_size"], ...)   # AMP on CUDA

or, from the command line, ``--set`` each of them.
"""

from __future__ import annotations

from ..errors import WorkbenchError

CIFAR10: dict[str, dict] = {
    "simclr": {"batch_size": 512, "method": {"temperature": 0.5, "hidden_dim": 2048, "projection_dim": 128}},
    "moco": {  # MoCo v2 (τ 0.2, MLP head); the authors' CIFAR demo: K = 4096, m = 0.99, symmetric loss
        "batch_size": 512,
        "method": {"temperature": 0.2, "momentum": 0.99, "queue_size": 4096, "hidden_dim": 2048, "symmetric": True, "bn_splits": 8},
    },
    "memory_bank": {  # Wu et al.: τ 0.07, m 0.5, 4096 negatives, one slot per training image
        "batch_size": 256,
        "method": {"temperature": 0.07, "momentum": 0.5, "negatives": 4096, "bank_size": 50_000},
    },
    "byol": {"batch_size": 256, "method": {"momentum": 0.99, "hidden_dim": 4096, "projection_dim": 256, "predictor_hidden_dim": 4096}},
    "simsiam": {"batch_size": 512, "method": {"projection_dim": 2048, "predictor_hidden_dim": 512}},
    "barlow_twins": {"batch_size": 256, "method": {"lambd": 5e-3, "projection_dim": 2048}},
    "vicreg": {"batch_size": 256, "method": {"sim_weight": 25.0, "var_weight": 25.0, "cov_weight": 1.0, "projection_dim": 2048}},
    "dino": {
        "batch_size": 256,
        "method": {"out_dim": 4096, "hidden_dim": 2048, "bottleneck_dim": 256, "momentum": 0.996, "local_crops": 6, "local_size": 16},
    },
    "swav": {  # solo-learn's CIFAR-10 SwAV, less its queue (3840 embeddings from epoch 50): this SwAV has none
        "batch_size": 256,
        "method": {"temperature": 0.1, "epsilon": 0.05, "num_prototypes": 3000, "hidden_dim": 2048, "projection_dim": 128},
    },
    "supcon": {"batch_size": 512, "method": {"temperature": 0.1, "hidden_dim": 2048}},
    "instance_supcon": {"batch_size": 512, "method": {"temperature": 0.1, "hidden_dim": 2048}},  # SupCon's
    "micle": {"batch_size": 512, "method": {"temperature": 0.1, "hidden_dim": 2048}},  # Azizi et al.: SimCLR's ImageNet τ
}


def cifar10_settings(method: str) -> dict:
    """{"batch_size": ..., "method": {...}} for ``method`` on CIFAR-10 / ResNet-18."""
    if method not in CIFAR10:
        raise WorkbenchError(f"No CIFAR-10 settings for {method!r}. Known: {', '.join(sorted(CIFAR10))}.")
    settings = CIFAR10[method]
    return {"batch_size": settings["batch_size"], "method": dict(settings["method"])}
