"""token_views.py: random spans and masking of token sequences."""

import pytest
import torch

from sslworkbench import WorkbenchError
from sslworkbench.token_views import mask_tokens, random_spans, token_views


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
