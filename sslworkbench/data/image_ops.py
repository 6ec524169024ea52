"""Plain image operations that data generators and views share.

``gaussian_blur`` blurs each image of a batch with its own sigma: ``data/shapes.py``
softens the edges of what it draws with it, and the views (``views/images.py``)
apply it as SimCLR's random blur. It is written here, not taken from torchvision,
because torchvision's takes one sigma per call (a Python loop over the batch) and
importing it for the shapes generator alone would load all of torchvision;
``tests/test_views_images.py`` checks it against torchvision's ``gaussian_blur``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def gaussian_blur(images, kernel_size: int, sigma: torch.Tensor):
    """Blur each image with its own sigma (separable, reflect padding, as torchvision)."""
    n, c, h, w = images.shape
    half = (kernel_size - 1) * 0.5
    x = torch.linspace(-half, half, kernel_size, device=images.device, dtype=images.dtype)
    kernel = torch.exp(-0.5 * (x.view(1, -1) / sigma.view(-1, 1)) ** 2)
    kernel = kernel / kernel.sum(dim=1, keepdim=True)  # (N, k)
    kernel = kernel.repeat_interleave(c, dim=0)  # one per channel of each image
    pad = kernel_size // 2
    flat = images.reshape(1, n * c, h, w)
    flat = F.pad(flat, (pad, pad, pad, pad), mode="reflect")
    flat = F.conv2d(flat, kernel.view(n * c, 1, 1, kernel_size), groups=n * c)
    flat = F.conv2d(flat, kernel.view(n * c, 1, kernel_size, 1), groups=n * c)
    return flat.view(n, c, h, w)
