"""torchvision-backed real datasets (being written)."""
