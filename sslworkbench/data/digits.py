"""scikit-learn's handwritten digits: real data that ships offline.

1,797 grayscale 8×8 images of the digits 0–9 (values 0–16), upscaled to the
shared 3×32×32 uint8 format. The split is a fixed, seeded, stratified 70/30.
"""

from __future__ import annotations

import torch

from .dataset import ImageSet, resize_uint8


def load_digits(split: str = "train", n=None, root=None, seed: int = 0, image_size: int = 32) -> ImageSet:
    from sklearn.datasets import load_digits as sklearn_digits
    from sklearn.model_selection import train_test_split

    bunch = sklearn_digits()
    images = torch.from_numpy(bunch.images).float().mul(255.0 / 16.0)  # (N, 8, 8) in 0..255
    labels = torch.from_numpy(bunch.target).long()
    train_index, test_index = train_test_split(
        range(len(labels)), test_size=0.3, random_state=0, stratify=labels.numpy()
    )
    index = torch.tensor(train_index if split == "train" else test_index)
    images = images[index].round().to(torch.uint8)[:, None].repeat(1, 3, 1, 1)
    images = resize_uint8(images, image_size)
    return ImageSet(images, labels[index], [str(d) for d in range(10)], "digits")
