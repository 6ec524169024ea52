"""Print how fast the audio backbone is: clips per second of the log-mel front end
alone (forward) and of a whole training step (the backbone, a linear head,
backward and an AdamW step), on one-second clips.

    python benchmarks/audio_throughput.py                     # CPU, one thread, batch 128, 8 kHz
    python benchmarks/audio_throughput.py --threads 2 --device cuda

Figures depend on the machine and on what else runs on it: note the load (`uptime`).
"""

from __future__ import annotations

import argparse

import torch

import sslworkbench as sw
from sslworkbench.training.bench import seconds_per_call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (default 1, as the course machine's note)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--sample-rate", type=int, default=8000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = sw.pick_device(args.device)
    sw.seed_everything(0)
    backbone = sw.build_backbone("audio_cnn", sample_rate=args.sample_rate).to(device)
    head = torch.nn.Linear(backbone.feature_dim, 10).to(device)
    optimizer = torch.optim.AdamW([*backbone.parameters(), *head.parameters()], lr=1e-3)
    waveforms = 0.1 * torch.randn(args.batch_size, args.sample_rate, device=device)   # one second each
    labels = torch.randint(0, 10, (args.batch_size,), device=device)

    def front_end():
        with torch.no_grad():
            backbone.log_mel(waveforms)

    def training_step():
        loss = torch.nn.functional.cross_entropy(head(backbone(waveforms)), labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    print(f"audio_cnn at {args.sample_rate:,} Hz, batch {args.batch_size} one-second clips, {device}, "
          f"{torch.get_num_threads()} thread(s)")
    print(f"  log-mel front end (forward)         {args.batch_size / seconds_per_call(front_end, device, args.repeats):>9,.0f} clips/s")
    print(f"  training step (backbone + head)     {args.batch_size / seconds_per_call(training_step, device, args.repeats):>9,.0f} clips/s")


if __name__ == "__main__":
    main()
