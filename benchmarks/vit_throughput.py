"""Images/second of a training step on the tiny ViT: MAE against the methods
that encode whole images (issue: "MAE's encoder runs on the visible 25% only").

    python benchmarks/vit_throughput.py                      # CPU, batch 128
    python benchmarks/vit_throughput.py --device cuda --batch-size 512

Each source image counts once (SimCLR and DINO encode two views of it, MAE a
quarter of its patches). The measurement is ``sslworkbench.training.bench.training_step_rate``.
"""

import argparse

import torch

from sslworkbench.training.bench import training_step_rate

RUNS = [("mae", "vit"), ("simclr", "vit"), ("dino", "vit"), ("supervised", "vit"), ("simclr", "small_cnn")]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"torch threads: {torch.get_num_threads()}, batch {args.batch_size}, 32×32 images")
    rates = {}
    for method, backbone in RUNS:
        result = training_step_rate(backbone, args.batch_size, device=args.device, repeats=args.repeats, method=method)
        rates[method, backbone] = result["images_per_second"]
        print(f"{method:10s} on {backbone:9s} ({result['device']}): {result['images_per_second']:8.0f} images/s "
              f"({1000 * result['step_seconds']:.0f} ms/step, views {100 * result['views_share']:.1f}%)")
    print(f"MAE step / SimCLR step on the same ViT: {rates['mae', 'vit'] / rates['simclr', 'vit']:.1f}× the images per second")


if __name__ == "__main__":
    main()
