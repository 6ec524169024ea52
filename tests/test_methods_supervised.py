"""methods/supervised.py: the supervised baseline: cross-entropy on the labels,
with its accuracy logged."""

import pytest
import torch
import torch.nn.functional as F
from helpers import TINY_IMAGE_BACKBONE

from sslworkbench import WorkbenchError, build_method, train


def test_the_step_is_cross_entropy_on_the_labels_and_logs_the_accuracy(data):
    torch.manual_seed(0)
    method = build_method("supervised", **TINY_IMAGE_BACKBONE)
    images, labels = data.images[:16], data.labels[:16]
    method.views.forward = lambda images: images.float() / 255  # no augmentation: the step is reproducible
    out = method.training_step((images, labels))
    with torch.no_grad():  # the same batch in train mode: the same BatchNorm statistics
        logits = method.head(method.backbone(images.float() / 255))
    assert torch.allclose(out["loss"], F.cross_entropy(logits, labels), atol=1e-5)
    assert out["accuracy"].item() == pytest.approx((logits.argmax(1) == labels).float().mean().item())


def test_training_logs_the_accuracy_of_every_step(data):
    torch.manual_seed(0)
    history = train(build_method("supervised", **TINY_IMAGE_BACKBONE), data, epochs=2, batch_size=32,
                    progress=False, device="cpu", seed=0)
    accuracy = history.metric("accuracy")
    assert len(accuracy) == len(history.steps) == 8 and all(0 <= a <= 1 for a in accuracy)


def test_fewer_than_two_classes_are_refused():
    with pytest.raises(WorkbenchError, match="num_classes"):
        build_method("supervised", num_classes=1)
