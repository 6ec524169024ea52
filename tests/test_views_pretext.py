"""Pretext helpers (tiles, permutations, Lab, colour bins, masks, colour
handling) and the pretext losses, against closed forms and straightforward
re-computations; and the input checks the pretext methods share (tiles that
fit, the image size a method was built for)."""

import itertools
import math

import pytest
import torch
from helpers import tiny_pretext as tiny

from sslworkbench import WorkbenchError, build_method
from sslworkbench.losses import (
    adversarial_discriminator_loss,
    adversarial_generator_loss,
    gaussian_kl,
    masked_mse,
    vae_loss,
)
from sslworkbench.views.pretext import (
    RED_BLUE,
    ab_bins,
    annealed_mean,
    assemble_tiles,
    block_masks,
    drop_colours,
    grid_tiles,
    hamming_permutations,
    is_grayscale,
    lab_to_rgb,
    min_hamming_distance,
    project_out,
    rgb_to_lab,
    rotate,
    soft_encode,
)


def coordinate_image(size=32):
    """One image whose pixel (y, x) holds y·size + x in every channel."""
    values = torch.arange(size * size, dtype=torch.float32).view(1, 1, size, size)
    return values.expand(1, 3, size, size).clone()


# -- rotation ------------------------------------------------------------------


def test_rotate_matches_rot90_per_image():
    images = torch.rand(5, 3, 8, 8)
    turns = torch.tensor([0, 1, 2, 3, 1])
    out = rotate(images, turns)
    for i in range(5):
        assert torch.equal(out[i], torch.rot90(images[i], int(turns[i]), dims=(1, 2)))


# -- tiles ---------------------------------------------------------------------


def test_grid_tiles_without_jitter_are_centred_slices():
    image = coordinate_image(32)
    tiles = grid_tiles(image, grid=3, tile=8, jitter=False)  # cells of 10 px from pixel 1
    assert tiles.shape == (1, 9, 3, 8, 8)
    for index in range(9):
        row, col = divmod(index, 3)
        top, left = 1 + row * 10 + 1, 1 + col * 10 + 1
        assert torch.equal(tiles[0, index], image[0, :, top : top + 8, left : left + 8])


def test_grid_tiles_with_jitter_stay_in_their_cells():
    torch.manual_seed(0)
    image = coordinate_image(32).repeat(20, 1, 1, 1)
    tiles = grid_tiles(image, grid=3, tile=8, jitter=True)
    offsets = set()
    for n in range(20):
        for index in range(9):
            row, col = divmod(index, 3)
            corner = int(tiles[n, index, 0, 0, 0])
            top, left = divmod(corner, 32)
            assert 1 + row * 10 <= top <= 1 + row * 10 + 2 and 1 + col * 10 <= left <= 1 + col * 10 + 2
            assert torch.equal(tiles[n, index], image[n, :, top : top + 8, left : left + 8])
            offsets.add((top - row * 10, left - col * 10))
    assert len(offsets) > 3  # really jittered


def test_tiles_larger_than_their_cells_fail_naming_the_constraint():
    with pytest.raises(WorkbenchError, match="tile must be ≤ 10"):
        grid_tiles(torch.rand(1, 3, 32, 32), grid=3, tile=11)
    with pytest.raises(WorkbenchError, match="does not fit a 16-pixel image"):
        grid_tiles(torch.rand(1, 3, 16, 16), grid=3, tile=8)


def test_assemble_tiles_lays_tiles_out_in_reading_order():
    tiles = torch.arange(9.0).view(1, 9, 1, 1, 1).expand(1, 9, 1, 2, 2)
    mosaic = assemble_tiles(tiles, grid=3, gap=1)
    assert mosaic.shape == (1, 1, 8, 8)
    assert mosaic[0, 0, 0, 0] == 0 and mosaic[0, 0, 3, 3] == 4 and mosaic[0, 0, 7, 7] == 8
    assert mosaic[0, 0, 2, 0] == 1.0  # the white gap line


# -- permutations ----------------------------------------------------------------


def reference_max_hamming(count, tiles, first):
    """Noroozi & Favaro's Algorithm 1 in plain Python (average-distance criterion)."""
    every = list(itertools.permutations(range(tiles)))
    chosen = [every[first]]
    while len(chosen) < count:
        best, best_score = None, -1
        for p in every:
            if p in chosen:
                continue
            score = sum(sum(a != b for a, b in zip(p, q)) for q in chosen)
            if score > best_score:
                best, best_score = p, score
        chosen.append(best)
    return chosen


def test_hamming_permutations_follow_the_papers_algorithm():
    perms = hamming_permutations(10, tiles=4, seed=3)
    every = list(itertools.permutations(range(4)))
    first = every.index(tuple(perms[0].tolist()))
    assert [tuple(p) for p in perms.tolist()] == reference_max_hamming(10, 4, first)


def test_hamming_permutations_are_distinct_permutations():
    perms = hamming_permutations(24)
    assert perms.shape == (24, 9)
    assert all(sorted(p) == list(range(9)) for p in perms.tolist())
    assert len({tuple(p) for p in perms.tolist()}) == 24
    assert min_hamming_distance(perms) >= 2  # no two classes differ by a single swap... or less
    assert torch.equal(perms, hamming_permutations(24))  # deterministic


def test_hamming_permutations_bad_count():
    with pytest.raises(WorkbenchError, match="between 2 and"):
        hamming_permutations(1)


# -- Lab and colour bins -----------------------------------------------------------


@pytest.mark.parametrize(
    "rgb, lab",
    [
        ((1.0, 1.0, 1.0), (100.0, 0.0, 0.0)),
        ((0.0, 0.0, 0.0), (0.0, 0.0, 0.0)),
        ((1.0, 0.0, 0.0), (53.24, 80.09, 67.20)),  # sRGB red, D65 (published values)
        ((0.0, 0.0, 1.0), (32.30, 79.19, -107.86)),
    ],
)
def test_rgb_to_lab_known_colours(rgb, lab):
    out = rgb_to_lab(torch.tensor(rgb).view(1, 3, 1, 1)).flatten()
    assert out.tolist() == pytest.approx(lab, abs=0.05)


def test_lab_round_trip():
    images = torch.rand(4, 3, 8, 8)
    assert torch.allclose(lab_to_rgb(rgb_to_lab(images)), images, atol=1e-4)


def test_ab_bins_cover_the_gamut_on_a_grid_of_10():
    bins = ab_bins()
    assert 200 <= bins.shape[0] <= 330  # the paper counts 313
    assert torch.equal(bins, (bins / 10).round() * 10)
    assert (bins == 0).all(dim=1).any()  # grey is a class


def test_soft_encode_spreads_over_nearest_bins_and_annealed_mean_decodes():
    bins = ab_bins()
    ab = torch.tensor([[0.0, 0.0], [42.0, -17.0]]).T.reshape(1, 2, 1, 2)
    target = soft_encode(ab, bins)
    assert target.shape == (1, bins.shape[0], 1, 2)
    assert torch.allclose(target.sum(1), torch.ones(1, 1, 2))
    assert ((target > 0).sum(1) == 5).all()
    nearest = torch.cdist(ab.permute(0, 2, 3, 1).reshape(-1, 2), bins).argmin(1)
    assert torch.equal(target.argmax(1).flatten(), nearest)
    one_hot = torch.full((1, bins.shape[0], 1, 2), -50.0)
    one_hot[0, nearest[0], 0, 0] = one_hot[0, nearest[1], 0, 1] = 50.0
    decoded = annealed_mean(one_hot, bins)
    assert torch.allclose(decoded[0, :, 0].T, bins[nearest], atol=1e-3)


def test_is_grayscale():
    gray = torch.rand(2, 1, 4, 4).expand(2, 3, 4, 4)
    assert is_grayscale(gray) and is_grayscale((gray * 255).to(torch.uint8))
    assert not is_grayscale(torch.rand(2, 3, 4, 4))


# -- colour handling against chromatic aberration -------------------------------------


def test_drop_colours_keeps_exactly_one_channel():
    torch.manual_seed(0)
    patches = torch.rand(16, 3, 8, 8)
    out = drop_colours(patches)
    kept = [(out[i] == patches[i]).flatten(1).all(1) for i in range(16)]
    assert all(k.sum() == 1 for k in kept)
    assert len({int(k.float().argmax()) for k in kept}) > 1  # a random channel each


def test_project_out_removes_the_axis_variation():
    patches = torch.rand(4, 3, 8, 8)
    out = project_out(patches, RED_BLUE)
    along = (out[:, 0] - out[:, 2]).flatten(1)
    assert torch.allclose(along.std(1), torch.zeros(4), atol=1e-5)  # red − blue is constant
    assert torch.allclose(out[:, 1], patches[:, 1])  # green is orthogonal to red–blue


# -- masks ------------------------------------------------------------------------------


def test_block_masks_center_and_random():
    center = block_masks(2, 32, 12, "center")
    assert center.shape == (2, 1, 32, 32) and (center.sum(dim=(1, 2, 3)) == 144).all()
    assert center[0, 0, 10:22, 10:22].all() and center[0, 0, 9].sum() == 0
    torch.manual_seed(0)
    random = block_masks(50, 32, 12, "random")
    assert (random.sum(dim=(1, 2, 3)) == 144).all()
    assert len({tuple(m.nonzero()[0].tolist()) for m in random}) > 10


def test_a_mask_larger_than_the_image_fails_clearly():
    with pytest.raises(WorkbenchError, match="does not fit 32×32 images"):
        block_masks(1, 32, 40)


# -- losses --------------------------------------------------------------------------------


def test_masked_mse_counts_only_the_masked_region():
    torch.manual_seed(0)
    prediction, target = torch.rand(3, 3, 8, 8), torch.rand(3, 3, 8, 8)
    mask = block_masks(3, 8, 4, "random")
    expected = sum(
        ((prediction[n, c, y, x] - target[n, c, y, x]) ** 2).item()
        for n in range(3) for c in range(3) for y in range(8) for x in range(8) if mask[n, 0, y, x]
    ) / (3 * 3 * 16)
    assert masked_mse(prediction, target, mask).item() == pytest.approx(expected, rel=1e-5)
    everywhere = torch.ones(3, 1, 8, 8)
    assert masked_mse(prediction, target, everywhere).item() == pytest.approx(((prediction - target) ** 2).mean().item(), rel=1e-5)
    outside = prediction.clone().requires_grad_()
    masked_mse(outside, target, mask).backward()
    assert (outside.grad * (1 - mask)).abs().sum() == 0


def test_adversarial_losses_at_an_undecided_discriminator_are_log_2():
    zeros = torch.zeros(7)
    assert adversarial_discriminator_loss(zeros, zeros).item() == pytest.approx(math.log(2))
    assert adversarial_generator_loss(zeros).item() == pytest.approx(math.log(2))
    confident = adversarial_discriminator_loss(torch.full((4,), 20.0), torch.full((4,), -20.0))
    assert confident.item() < 1e-6


def test_gaussian_kl_closed_form_and_vae_loss():
    assert torch.allclose(gaussian_kl(torch.zeros(2, 5), torch.zeros(2, 5)), torch.zeros(2))
    # KL(N(1, 1) || N(0, 1)) = 1/2 per dimension; KL(N(0, e) || N(0, 1)) = (e - 1 - 1)/2
    assert gaussian_kl(torch.ones(1, 4), torch.zeros(1, 4)).item() == pytest.approx(2.0)
    assert gaussian_kl(torch.zeros(1, 1), torch.ones(1, 1)).item() == pytest.approx((math.e - 2) / 2)
    x, y = torch.rand(2, 3, 4, 4), torch.rand(2, 3, 4, 4)
    mu, logvar = torch.randn(2, 6), torch.randn(2, 6)
    expected = ((x - y) ** 2).sum() / 2 + 0.5 * gaussian_kl(mu, logvar).mean()
    assert vae_loss(x, y, mu, logvar, beta=0.5).item() == pytest.approx(expected.item(), rel=1e-5)


# -- the checks the pretext methods share, through a method ------------------------------


def test_tiles_that_do_not_fit_the_image_fail_clearly():
    with pytest.raises(WorkbenchError, match="does not fit a 16-pixel image"):
        build_method("jigsaw", image_size=16)
    with pytest.raises(WorkbenchError, match="tile must be ≤"):
        build_method("jigsaw", grid=4, tile=9)
    with pytest.raises(WorkbenchError, match="does not fit a 20-pixel image"):
        build_method("relative_patch", image_size=20)


def test_images_of_another_size_fail_clearly(data):
    method = tiny("rotation")
    with pytest.raises(WorkbenchError, match="built for 32×32 images but got 16×16"):
        method.training_step((torch.zeros(2, 3, 16, 16, dtype=torch.uint8), None))


def test_held_out_accuracy_asks_the_task_its_own_question_repeatably():
    from sslworkbench.data import load_dataset
    from sslworkbench.methods import build_method
    from sslworkbench.views.pretext import held_out_accuracy

    clips = load_dataset("moving_shapes", "test", n=40, frames=6)
    method = build_method("arrow_of_time", frames=6, length=4)
    torch.manual_seed(1)
    state = torch.get_rng_state()
    first = held_out_accuracy(method, clips.inputs, seed=3, batch_size=16)
    assert torch.equal(torch.get_rng_state(), state)  # the global generator is left as it was
    assert first == held_out_accuracy(method, clips.inputs, seed=3, batch_size=16) and 0 <= first <= 1
    assert method.training  # put back in training mode
