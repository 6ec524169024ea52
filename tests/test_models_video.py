import pytest
import torch

from sslworkbench.errors import WorkbenchError
from sslworkbench.models import build_backbone
from sslworkbench.models.decoders import NextFrameDecoder
from sslworkbench.models.video import VideoCNN


def test_video_cnn_reads_clips_of_any_length():
    torch.manual_seed(0)
    net = build_backbone("video_cnn")
    assert net.feature_dim == 128
    for frames in (1, 3, 16):
        assert net(torch.rand(4, frames, 3, 32, 32)).shape == (4, 128)


def test_untrained_temporal_layers_leave_the_mean_of_the_frame_features():
    torch.manual_seed(0)
    net = VideoCNN().eval()
    clips = torch.rand(3, 5, 3, 32, 32)
    assert torch.allclose(net(clips), net.frame_features(clips).mean(dim=1), atol=1e-6)


def test_the_temporal_layers_see_the_order_of_frames_once_trained():
    torch.manual_seed(0)
    net = VideoCNN().eval()
    torch.nn.init.normal_(net.temporal.out.weight)  # as if trained
    clips = torch.rand(2, 6, 3, 32, 32)
    assert not torch.allclose(net(clips), net(clips.flip(1)), atol=1e-4)
    without = VideoCNN(temporal_layers=0).eval()
    assert torch.allclose(without(clips), without(clips.flip(1)), atol=1e-5)  # a mean of frames has no order


def test_the_frame_encoder_keeps_where_the_object_is():
    torch.manual_seed(0)
    net = VideoCNN().eval()
    left, right = torch.zeros(1, 1, 3, 32, 32), torch.zeros(1, 1, 3, 32, 32)
    left[..., 8:16, 2:10], right[..., 8:16, 22:30] = 1, 1
    assert not torch.allclose(net(left), net(right), atol=1e-3)


def test_images_given_to_the_video_backbone_say_what_to_do():
    with pytest.raises(WorkbenchError, match=r"images.unsqueeze\(1\)"):
        VideoCNN()(torch.rand(2, 3, 32, 32))
    with pytest.raises(WorkbenchError, match="temporal_layers"):
        VideoCNN(temporal_layers=-1)


def test_next_frame_decoder_starts_as_copying_the_last_frame():
    torch.manual_seed(0)
    decoder = NextFrameDecoder(8)
    frame = torch.rand(2, 3, 16, 16)
    assert torch.allclose(decoder(frame, torch.randn(2, 8)), frame, atol=1e-6)


def test_next_frame_decoder_moves_pixels_by_the_velocity():
    decoder = NextFrameDecoder(8)
    with torch.no_grad():
        decoder.velocity.bias.copy_(torch.tensor([2.0, 0.0]))  # two pixels to the right
        decoder.moves[-1].bias.fill_(50.0)  # everything moves
    frame = torch.zeros(1, 3, 16, 16)
    frame[..., 5:9, 3:7] = 1
    moved = decoder(frame, torch.zeros(1, 8))
    expected = torch.zeros_like(frame)
    expected[..., 5:9, 5:9] = 1
    assert torch.allclose(moved, expected, atol=1e-4)
    assert decoder.flow(frame, torch.zeros(1, 8))[:, 0].min() > 1.99
