"""views/tokens.py: random spans and masking of token sequences."""

import pytest
import torch

from sslworkbench import WorkbenchError
from sslworkbench.views.tokens import mask_tokens, random_spans, token_views


def test_spans_are_contiguous_windows_of_each_row():
    tokens = torch.arange(40).view(4, 10)
    spans = random_spans(tokens, 6)
    assert spans.shape == (4, 6)
    for row, span in zip(tokens, spans):
        start = int(span[0]) - int(row[0])
        assert torch.equal(span, row[start : start + 6])


def test_masking_replaces_about_the_asked_share():
    torch.manual_seed(0)
    tokens = torch.full((200, 50), 7)
    masked = mask_tokens(tokens, 0.15, mask_id=1)
    share = (masked == 1).float().mean().item()
    assert 0.13 < share < 0.17 and set(masked.unique().tolist()) == {1, 7}
    assert torch.equal(mask_tokens(tokens, 0.0, 1), tokens)


def test_bad_settings_are_clear_errors():
    with pytest.raises(WorkbenchError, match="span"):
        random_spans(torch.zeros(2, 5, dtype=torch.long), 6)
    with pytest.raises(WorkbenchError, match="mask_p"):
        token_views(torch.zeros(2, 5, dtype=torch.long), 3, 1.0, 1)


def test_bert_masking_chooses_text_tokens_only_and_splits_80_10_10():
    from sslworkbench.views.tokens import bert_masking

    torch.manual_seed(0)
    tokens = torch.randint(5, 1000, (400, 50))
    tokens[:, 0], tokens[:, -1] = 2, 3  # [CLS] … [SEP]
    corrupted, chosen = bert_masking(tokens, 0.15, mask_id=4, vocab_size=1000)
    assert not chosen[:, 0].any() and not chosen[:, -1].any()
    assert abs(chosen.float().mean().item() - 0.15 * 48 / 50) < 0.01
    masked = (corrupted[chosen] == 4).float().mean().item()
    kept = (corrupted[chosen] == tokens[chosen]).float().mean().item()
    assert abs(masked - 0.8) < 0.02 and abs(kept - 0.1 - 0.001) < 0.02
    assert torch.equal(corrupted[~chosen], tokens[~chosen])
    short = torch.tensor([[2, 7, 3]])
    assert bert_masking(short, 0.01, 4, 10)[1].sum() == 1  # at least one token of a batch is chosen
    with pytest.raises(WorkbenchError, match=r"mask_p must be in \(0, 1\)"):
        bert_masking(tokens, 1.0, 4, 1000)
    with pytest.raises(WorkbenchError, match="no text tokens"):
        bert_masking(torch.tensor([[2, 3, 0]]), 0.5, 4, 10)

