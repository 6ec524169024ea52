"""The exercise checkers: a tick for a correct answer, a cross and the case for a wrong one."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from sslworkbench.course import exercises, solutions
from sslworkbench.errors import WorkbenchError
from sslworkbench.evaluation import language as text
from sslworkbench.evaluation.probes import cluster_purity
from sslworkbench.losses import info_nce, nt_xent, skipgram_negative_sampling
from sslworkbench.methods.ema import ema_update
from sslworkbench.views.images import grayscale
from sslworkbench.views.pretext import RED_BLUE, project_out


def nt_xent_by_hand(z1, z2, temperature):
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    n = len(z1)
    total = 0.0
    for i in range(2 * n):
        j = (i + n) % (2 * n)
        others = torch.cat([z[:i], z[i + 1 :]])
        total += -(z[i] @ z[j] / temperature - torch.logsumexp(others @ z[i] / temperature, 0))
    return total / (2 * n)


def purity_by_hand(labels, clusters):
    correct = 0
    for c in clusters.unique():
        correct += int(torch.bincount(labels[clusters == c]).max())
    return correct / len(labels)


def raises(*args):
    raise RuntimeError("not written yet")


def test_reference_and_re_implementations_pass(capsys):
    assert exercises.check_info_nce(info_nce)
    assert exercises.check_info_nce(solutions.info_nce)   # the worked solution: written step by step
    assert exercises.check_nt_xent(nt_xent)
    assert exercises.check_nt_xent(nt_xent_by_hand)
    assert exercises.check_purity(cluster_purity)
    assert exercises.check_purity(purity_by_hand)
    out = capsys.readouterr().out
    assert out.count("✓") == 6 and "✗" not in out


def test_wrong_info_nce_fails_with_the_case(capsys):
    def no_temperature(q, k, queue, t):
        return solutions.info_nce(q, k, queue, 1.0)

    def positive_last(q, k, queue, t):
        q, k = F.normalize(q, dim=1), F.normalize(k, dim=1)
        logits = torch.cat([q @ queue.T, (q * k).sum(1, keepdim=True)], dim=1) / t
        return F.cross_entropy(logits, torch.zeros(len(q), dtype=torch.long))

    def not_normalised(q, k, queue, t):
        logits = torch.cat([(q * k).sum(1, keepdim=True), q @ queue.T], dim=1) / t
        return F.cross_entropy(logits, torch.zeros(len(q), dtype=torch.long))

    for wrong in (no_temperature, positive_last, not_normalised):
        assert exercises.check_info_nce(wrong) is False
        out = capsys.readouterr().out
        assert out.startswith("✗ info_nce:") and "expected" in out and "N=" in out and "τ=" in out, out
    assert exercises.check_info_nce(raises) is False
    out = capsys.readouterr().out
    assert out.startswith("✗ info_nce: raised RuntimeError: not written yet for N="), out
    assert exercises.check_info_nce(lambda q, k, queue, t: None) is False  # a stub that returns nothing


def test_wrong_nt_xent_and_purity_fail(capsys):
    assert exercises.check_nt_xent(lambda z1, z2, t: nt_xent(z1, z2, 1.0)) is False
    assert exercises.check_nt_xent(raises) is False
    assert exercises.check_purity(lambda labels, clusters: 1.0) is False
    assert exercises.check_purity(raises) is False
    out = capsys.readouterr().out
    assert out.count("✗") == 4 and "✓" not in out


def test_an_empty_stub_is_not_written_yet_not_an_error(capsys):
    def stub(*args):
        ...  # your code here

    checks = (exercises.check_nt_xent, exercises.check_purity, exercises.check_info_nce, exercises.check_grayscale,
              exercises.check_rotation_batch, exercises.check_ema_update, exercises.check_skipgram_loss,
              exercises.check_causal_lm_loss, exercises.check_retrieval_accuracy, exercises.check_precision_at_k,
              exercises.check_patchify, exercises.check_masked_patch_loss, exercises.check_clip_loss,
              exercises.check_order_triplet, exercises.check_log_mel)
    for check in checks:
        assert check(stub) is False
        line = capsys.readouterr().out
        assert "not written yet" in line and "Error" not in line


def test_grayscale_checker(capsys):
    assert exercises.check_grayscale(grayscale)
    assert exercises.check_grayscale(lambda x: (0.299 * x[:, :1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:]))
    assert not exercises.check_grayscale(lambda x: x.mean(1, keepdim=True))          # equal weights
    assert not exercises.check_grayscale(lambda x: grayscale(x).expand(-1, 3, -1, -1))  # 3 channels
    assert not exercises.check_grayscale(raises)
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == ["✓ grayscale matches the reference on every test case."] * 2
    assert "differ from the luma" in out[2] and "expected a tensor of shape (4, 1, 8, 8)" in out[3]
    assert out[4].startswith("✗ grayscale: raised RuntimeError")


def test_rotation_batch_checker(capsys):
    def clockwise(x):
        return torch.cat([torch.rot90(x, -k, dims=(2, 3)) for k in range(4)]), torch.arange(4).repeat_interleave(len(x))

    def interleaved(x):   # image i's rotations next to each other: a different row order
        turns = torch.arange(4).repeat(len(x))
        return torch.stack([torch.rot90(x[i // 4], int(t), dims=(1, 2)) for i, t in enumerate(turns)]), turns

    assert not exercises.check_rotation_batch(clockwise)
    assert "rows for [1, 3] quarter turn(s) differ" in capsys.readouterr().out
    assert not exercises.check_rotation_batch(interleaved)
    assert "targets [0, 1, 2, 3" in capsys.readouterr().out
    assert not exercises.check_rotation_batch(lambda x: torch.rot90(x, 1, dims=(2, 3)))
    assert "return a pair" in capsys.readouterr().out
    assert not exercises.check_rotation_batch(raises)


def test_ema_update_checker(capsys):
    def swapped_momentum(target, online, m):
        with torch.no_grad():
            for t, o in zip(target.parameters(), online.parameters()):
                t.copy_((1 - m) * t + m * o)
            for t, o in zip(target.buffers(), online.buffers()):
                t.copy_(o)

    def weights_only(target, online, m):   # forgets BatchNorm's running statistics
        with torch.no_grad():
            for t, o in zip(target.parameters(), online.parameters()):
                t.mul_(m).add_(o, alpha=1 - m)

    assert exercises.check_ema_update(ema_update)
    assert not exercises.check_ema_update(swapped_momentum)
    assert not exercises.check_ema_update(weights_only)
    assert "running_mean" in capsys.readouterr().out.splitlines()[-1]
    assert not exercises.check_ema_update(raises)
    assert "raised RuntimeError" in capsys.readouterr().out


def skipgram_loss_by_hand(center, context, noise):
    """One pair at a time, one noise word at a time: the formula as written."""
    total = 0.0
    for v, u, noise_words in zip(center, context, noise):
        total = total - F.logsigmoid(u @ v) - sum(F.logsigmoid(-(w @ v)) for w in noise_words)
    return total / len(center)


def test_skipgram_loss_checker(capsys):
    def noise_averaged(center, context, noise):   # the mean over the K noise words instead of their sum
        scores = (noise @ center.unsqueeze(2)).squeeze(2)
        return -(F.logsigmoid((center * context).sum(1)) + F.logsigmoid(-scores).mean(1)).mean()

    def noise_pulled(center, context, noise):      # a sign lost: the noise words pulled like the context
        scores = (noise @ center.unsqueeze(2)).squeeze(2)
        return -(F.logsigmoid((center * context).sum(1)) + F.logsigmoid(scores).sum(1)).mean()

    def log_of_sigmoid(center, context, noise):    # right on paper, −inf once σ rounds to 0
        scores = (noise @ center.unsqueeze(2)).squeeze(2)
        return -(torch.log(torch.sigmoid((center * context).sum(1))) + torch.log(torch.sigmoid(-scores)).sum(1)).mean()

    assert exercises.check_skipgram_loss(skipgram_negative_sampling)
    assert exercises.check_skipgram_loss(skipgram_loss_by_hand)
    assert capsys.readouterr().out.count("✓ skipgram_loss matches") == 2
    for wrong in (noise_averaged, noise_pulled):
        assert not exercises.check_skipgram_loss(wrong)
        out = capsys.readouterr().out
        assert out.startswith("✗ skipgram_loss: P=") and "expected" in out and "K=" in out, out
    assert not exercises.check_skipgram_loss(log_of_sigmoid)
    assert "large dot products: got inf" in capsys.readouterr().out
    assert not exercises.check_skipgram_loss(raises)
    assert capsys.readouterr().out.startswith("✗ skipgram_loss: raised RuntimeError: not written yet for P=")


def test_causal_lm_loss_checker(capsys):
    def by_hand(scores, tokens, pad_id):   # one position at a time
        terms = [-scores[n, t].log_softmax(0)[tokens[n, t + 1]]
                 for n in range(tokens.shape[0]) for t in range(tokens.shape[1] - 1) if tokens[n, t + 1] != pad_id]
        return sum(terms) / len(terms)

    def not_shifted(scores, tokens, pad_id):   # each position scored against its own token
        real = tokens != pad_id
        return F.cross_entropy(scores[real], tokens[real])

    def padding_counted(scores, tokens, pad_id):   # [PAD] targets averaged in
        return F.cross_entropy(scores[:, :-1].reshape(-1, scores.shape[-1]), tokens[:, 1:].reshape(-1))

    assert exercises.check_causal_lm_loss(by_hand)
    assert "✓ causal_lm_loss matches" in capsys.readouterr().out
    for wrong in (not_shifted, padding_counted):
        assert not exercises.check_causal_lm_loss(wrong)
        out = capsys.readouterr().out
        assert out.startswith("✗ causal_lm_loss: N=") and "expected" in out, out
    assert not exercises.check_causal_lm_loss(raises)
    assert capsys.readouterr().out.startswith("✗ causal_lm_loss: raised RuntimeError")


def test_retrieval_accuracy_checker(capsys):
    def by_hand(english, spanish):   # one English row at a time, cosines written out
        found = 0
        for i, e in enumerate(english):
            cosines = [float(e @ s / (e.norm() * s.norm())) for s in spanish]
            found += max(range(len(spanish)), key=cosines.__getitem__) == i
        return found / len(english)

    def dot_product(english, spanish):     # not normalised: long Spanish rows win
        return ((english @ spanish.T).argmax(1) == torch.arange(len(english))).float().mean()

    def distance(english, spanish):        # nearest by Euclidean distance, not by angle
        return (torch.cdist(english, spanish).argmin(1) == torch.arange(len(english))).float().mean()

    def spanish_to_english(english, spanish):   # the other direction
        return text.retrieval_accuracy(spanish, english)

    def count(english, spanish):           # how many, not which share
        return text.retrieval_accuracy(english, spanish) * len(english)

    for right in (text.retrieval_accuracy, by_hand):
        assert exercises.check_retrieval_accuracy(right)
        assert capsys.readouterr().out.startswith("✓ retrieval_accuracy matches")
    for wrong in (dot_product, distance, spanish_to_english, count):
        assert not exercises.check_retrieval_accuracy(wrong)
        out = capsys.readouterr().out
        assert out.startswith("✗ retrieval_accuracy: N=") and "expected" in out, out
    assert not exercises.check_retrieval_accuracy(raises)
    assert capsys.readouterr().out.startswith("✗ retrieval_accuracy: raised RuntimeError: not written yet for N=")


def test_precision_at_k_checker(capsys):
    def by_hand(features, labels, k):   # one query at a time, cosines written out
        hits = 0
        for i, query in enumerate(features):
            cosines = {j: float(query @ other / (query.norm() * other.norm()))
                       for j, other in enumerate(features) if j != i}
            nearest = sorted(cosines, key=cosines.get, reverse=True)[:k]
            hits += sum(int(labels[j] == labels[i]) for j in nearest)
        return hits / (len(features) * k)

    def finds_itself(features, labels, k):   # the query is its own nearest neighbour
        unit = torch.nn.functional.normalize(features, dim=1)
        nearest = (unit @ unit.T).topk(k, dim=1).indices
        return (labels[nearest] == labels[:, None]).float().mean()

    def dot_product(features, labels, k):    # not normalised: long rows are everyone's neighbours
        similarity = features @ features.T
        similarity.fill_diagonal_(-float("inf"))
        return (labels[similarity.topk(k, dim=1).indices] == labels[:, None]).float().mean()

    def any_hit(features, labels, k):        # recall@k (at least one of the k), not precision
        unit = torch.nn.functional.normalize(features, dim=1)
        similarity = unit @ unit.T
        similarity.fill_diagonal_(-float("inf"))
        return (labels[similarity.topk(k, dim=1).indices] == labels[:, None]).any(1).float().mean()

    for right in (solutions.precision_at_k, by_hand):
        assert exercises.check_precision_at_k(right)
        assert capsys.readouterr().out.startswith("✓ precision_at_k matches")
    for wrong in (finds_itself, dot_product, any_hit):
        assert not exercises.check_precision_at_k(wrong)
        out = capsys.readouterr().out
        assert out.startswith("✗ precision_at_k: N=") and "expected" in out, out
    assert not exercises.check_precision_at_k(raises)
    assert capsys.readouterr().out.startswith("✗ precision_at_k: raised RuntimeError")


def test_patchify_checker(capsys):
    def with_unfold(images, p):   # torch's unfold: the same patches, written another way
        patches = images.unfold(2, p, p).unfold(3, p, p)          # (N, C, rows, columns, p, p)
        return patches.permute(0, 2, 3, 4, 5, 1).reshape(images.shape[0], -1, p * p * images.shape[1])

    def channels_first(images, p):   # each patch flattened channel by channel: not the ViT's order
        patches = images.unfold(2, p, p).unfold(3, p, p)
        return patches.permute(0, 2, 3, 1, 4, 5).reshape(images.shape[0], -1, p * p * images.shape[1])

    def column_order(images, p):     # patches read top to bottom first
        patches = images.unfold(2, p, p).unfold(3, p, p)
        return patches.permute(0, 3, 2, 4, 5, 1).reshape(images.shape[0], -1, p * p * images.shape[1])

    assert exercises.check_patchify(with_unfold)
    assert capsys.readouterr().out.startswith("✓ patchify matches")
    for wrong in (channels_first, column_order):
        assert not exercises.check_patchify(wrong)
        assert capsys.readouterr().out.startswith("✗ patchify: images (")


def test_masked_patch_loss_checker(capsys):
    def over_every_patch(prediction, target, mask):   # the visible patches must not count
        return ((prediction - target) ** 2).mean()

    def over_values(prediction, target, mask):        # the same weight per hidden value: the same number
        hidden = mask.unsqueeze(-1).expand_as(prediction).bool()
        return ((prediction - target)[hidden] ** 2).mean()

    def summed(prediction, target, mask):             # a sum, not a mean, over the patch's values
        return (((prediction - target) ** 2).sum(-1) * mask).sum() / mask.sum()

    assert exercises.check_masked_patch_loss(over_values)
    assert capsys.readouterr().out.startswith("✓ masked_patch_loss matches")
    for wrong in (over_every_patch, summed):
        assert not exercises.check_masked_patch_loss(wrong)
        out = capsys.readouterr().out
        assert out.startswith("✗ masked_patch_loss: N=") and "expected" in out, out


def test_clip_loss_checker(capsys):
    def one_direction(images, texts, scale):          # image→text only: wrong where the directions differ
        logits = scale * F.normalize(images, dim=1) @ F.normalize(texts, dim=1).T
        return F.cross_entropy(logits, torch.arange(len(logits)))

    def unnormalised(images, texts, scale):           # raw dot products: wrong for embeddings of any length
        logits = scale * images @ texts.T
        pairs = torch.arange(len(logits))
        return (F.cross_entropy(logits, pairs) + F.cross_entropy(logits.T, pairs)) / 2

    assert exercises.check_clip_loss(solutions.clip_loss)
    assert capsys.readouterr().out.startswith("✓ clip_loss matches")
    for wrong in (one_direction, unnormalised):
        assert not exercises.check_clip_loss(wrong)
        assert capsys.readouterr().out.startswith("✗ clip_loss: ")


def test_order_triplet_checker(capsys):
    def never_shuffled(clips, five, in_order, from_before):   # ignores the coin: always (b, c, d)
        return clips[torch.arange(len(clips))[:, None], five[:, 1:4]]

    def swapped_outside(clips, five, in_order, from_before):  # a where e is asked, e where a
        a, b, c, d, e = five.unbind(1)
        middle = torch.where(in_order, c, torch.where(from_before, e, a))
        return clips[torch.arange(len(clips))[:, None], torch.stack([b, middle, d], 1)]

    def frames_last(clips, five, in_order, from_before):     # indexes the wrong axis
        raise IndexError("index 5 is out of bounds for dimension 1 with size 3")

    assert exercises.check_order_triplet(solutions.order_triplet)
    assert capsys.readouterr().out.startswith("✓ order_triplet matches")
    for wrong in (never_shuffled, swapped_outside):
        assert not exercises.check_order_triplet(wrong)
        out = capsys.readouterr().out
        assert out.startswith("✗ order_triplet: 4 numbered clips") and "your triplet shows frames" in out, out
    assert not exercises.check_order_triplet(frames_last)
    assert "raised IndexError" in capsys.readouterr().out


def test_log_mel_checker(capsys):
    def magnitude(waveforms, filters, n_fft, hop):      # |X| instead of |X|²
        spectrum = torch.stft(waveforms, n_fft, hop_length=hop, window=torch.hann_window(n_fft), return_complex=True)
        return torch.log(filters @ spectrum.abs() + 1e-6)

    def no_window(waveforms, filters, n_fft, hop):      # a rectangular window
        spectrum = torch.stft(waveforms, n_fft, hop_length=hop, window=torch.ones(n_fft), return_complex=True)
        return torch.log(filters @ spectrum.abs() ** 2 + 1e-6)

    assert exercises.check_log_mel(solutions.log_mel)
    assert capsys.readouterr().out.startswith("✓ log_mel matches")
    for wrong in (magnitude, no_window):
        assert not exercises.check_log_mel(wrong)
        out = capsys.readouterr().out
        assert out.startswith("✗ log_mel: ") and "the log-mel spectrogram" in out, out


def test_learning_rate_checker(capsys):
    import math

    def no_warmup(step, total_steps, warmup_steps, base_lr):      # the cosine from step 0, warm-up forgotten
        return base_lr * 0.5 * (1 + math.cos(math.pi * min(1.0, step / total_steps)))

    def off_by_one(step, total_steps, warmup_steps, base_lr):     # warm-up starts at 0 instead of base_lr / warmup
        if step < warmup_steps:
            return base_lr * step / warmup_steps
        return solutions.learning_rate(step, total_steps, warmup_steps, base_lr)

    def linear_decay(step, total_steps, warmup_steps, base_lr):   # a straight line down instead of a cosine
        if step < warmup_steps:
            return base_lr * (step + 1) / warmup_steps
        return base_lr * max(0.0, 1 - (step - warmup_steps) / max(1, total_steps - warmup_steps))

    assert exercises.check_learning_rate(solutions.learning_rate)
    assert capsys.readouterr().out.startswith("✓ learning_rate matches")
    for wrong in (no_warmup, off_by_one, linear_decay):
        assert not exercises.check_learning_rate(wrong)
        out = capsys.readouterr().out
        assert out.startswith("✗ learning_rate: step ") and "expected" in out, out
    assert not exercises.check_learning_rate(lambda *args: None)
    assert "not written yet" in capsys.readouterr().out


def test_colour_projection_checker(capsys):
    def every_pixel(patches, axis):        # removes the mean component too: the patch leaves its range
        unit = (axis / axis.norm()).view(1, 3, 1, 1)
        return patches - (patches * unit).sum(1, keepdim=True) * unit

    def unnormalised(patches, axis):       # forgets to make the axis a unit vector
        a = axis.view(1, 3, 1, 1)
        along = (patches * a).sum(1, keepdim=True)
        return patches - (along - along.mean(dim=(2, 3), keepdim=True)) * a

    assert exercises.check_colour_projection(solutions.colour_projection)
    assert capsys.readouterr().out.startswith("✓ colour_projection matches")
    # the worked solution is the library's projection, which relative patch location trains with
    patches = torch.rand(2, 3, 8, 8)
    assert torch.allclose(solutions.colour_projection(patches, torch.tensor(RED_BLUE)), project_out(patches, RED_BLUE))
    for wrong in (every_pixel, unnormalised):
        assert not exercises.check_colour_projection(wrong)
        out = capsys.readouterr().out
        assert out.startswith("✗ colour_projection: ") and "the projected patch" in out, out


def test_solution_is_shown_and_a_typo_is_one_clear_error(capsys):
    assert exercises.solution("purity") is None  # shown, not returned: Jupyter would echo a returned string unfolded
    assert capsys.readouterr().out.startswith("def purity(")
    with pytest.raises(WorkbenchError, match="No worked solution called 'purty'; there are: purity, info_nce, nt_xent, grayscale"):
        exercises.solution("purty")


def test_stratified_split_checker(capsys):
    from sslworkbench.data.image_folder import split_rows

    assert exercises.check_stratified_split(solutions.stratified_split)
    assert capsys.readouterr().out.startswith("✓ stratified_split matches")

    def the_loaders_split(labels, fraction, seed):   # image_folder's rule, with its fixed seed: the counts are right
        return split_rows(labels, "test", fraction, "test")

    def first_rows(labels, fraction, seed):          # not shuffled: another seed, the same rows
        return torch.cat([torch.nonzero(labels == c).flatten()[: max(1, round(int((labels == c).sum()) * fraction))]
                          for c in labels.unique() if (labels == c).sum() > 1 and fraction > 0] or [torch.tensor([], dtype=torch.long)])

    def not_stratified(labels, fraction, seed):      # a share of all rows, whatever their class
        generator = torch.Generator().manual_seed(seed)
        return torch.randperm(len(labels), generator=generator)[: round(len(labels) * fraction)]

    for wrong, needle in ((first_rows, "another seed gave the same rows"), (not_stratified, "went to test; expected")):
        assert not exercises.check_stratified_split(wrong)
        out = capsys.readouterr().out
        assert out.startswith("✗ stratified_split: ") and needle in out, out
    assert exercises.check_stratified_split(the_loaders_split) is False   # … and the seed is ignored: said so
    assert "another seed gave the same rows" in capsys.readouterr().out
