"""data/imageset.py: ImageSet (images as a Dataset), resizing uint8 images, and
the one check of an images tensor with a hint for the usual mistakes."""

import pytest
import torch

from sslworkbench.data.imageset import ImageSet, check_images, resize_uint8
from sslworkbench.errors import WorkbenchError


def test_resize_keeps_a_flat_image_flat_and_the_dtype():
    images = torch.full((5, 3, 8, 8), 77, dtype=torch.uint8)
    for size in (4, 8, 20):
        out = resize_uint8(images, size, chunk=2)  # chunked: several pieces put back together
        assert out.shape == (5, 3, size, size) and out.dtype == torch.uint8
        assert (out == 77).all()
    assert resize_uint8(images[:0], 16).shape == (0, 3, 16, 16)


def test_resize_matches_bilinear_interpolation():
    images = torch.randint(0, 256, (3, 3, 16, 16), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    expected = torch.nn.functional.interpolate(images.float(), size=(32, 32), mode="bilinear", align_corners=False)
    assert torch.equal(resize_uint8(images, 32), expected.round().clamp(0, 255).to(torch.uint8))


def test_resized_keeps_labels_classes_name_and_extras():
    images = torch.randint(0, 256, (4, 3, 16, 16), dtype=torch.uint8)
    data = ImageSet(images, torch.tensor([0, 1, 1, 0]), ["a", "b"], "tiny", {"hue": torch.arange(4.0)})
    small = data.resized(8)
    assert small.image_size == 8 and data.image_size == 16
    assert torch.equal(small.labels, data.labels) and small.classes == ["a", "b"] and small.name == "tiny"
    assert torch.equal(small.extras["hue"], data.extras["hue"])
    assert torch.allclose(data.float_images(), images.float() / 255)
    assert data.raw_features().shape == (4, 3 * 16 * 16)
    assert data.method_settings() == {"image_size": 16}


@pytest.mark.parametrize("bad, hint", [
    (torch.zeros(3, 8, 8), "add a batch dimension"),
    (torch.zeros(2, 8, 8, 3), "permute"),
    (torch.zeros(2, 1, 8, 8), "grayscale"),
    (torch.zeros(2, 8, dtype=torch.long), "token ids"),
    ([[0, 1]], "torch tensor"),
])
def test_a_wrong_images_tensor_is_one_error_with_a_hint(bad, hint):
    with pytest.raises(WorkbenchError, match=hint):
        check_images(bad)
