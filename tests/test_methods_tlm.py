"""methods/tlm.py: XLM's translation language model, and MLM alone on the same pairs."""

import pytest
import torch
from helpers import TINY_TRANSFORMER, toy_text

from sslworkbench import WorkbenchError, build_method, train


def test_tlm_share_decides_how_many_pairs_stay_whole():
    data = toy_text(pairs=True)
    pairs = data.inputs[:10]
    half = build_method("tlm", vocab_size=len(data.vocab), tlm_share=0.5, **TINY_TRANSFORMER).rows(pairs)
    assert half.shape == (15, pairs.shape[1]) and torch.equal(half[:5], pairs[:5])
    assert ((half[5:] == 3).sum(1) == 1).all()  # the rest: one segment per row
    alone = build_method("tlm", vocab_size=len(data.vocab), tlm_share=0.0, **TINY_TRANSFORMER).rows(pairs)
    assert alone.shape == (20, pairs.shape[1]) and ((alone == 3).sum(1) == 1).all()


def test_tlm_trains_and_checks_its_share():
    torch.manual_seed(0)
    data = toy_text(pairs=True)
    history = train(build_method("tlm", vocab_size=len(data.vocab), **TINY_TRANSFORMER), data, epochs=3,
                    batch_size=32, progress=False, device="cpu")
    assert history.losses[-1] < history.losses[0]
    with pytest.raises(WorkbenchError, match="tlm_share"):
        build_method("tlm", tlm_share=2)


def test_a_verse_reads_the_same_inside_a_pair_as_alone():
    method = build_method("tlm", vocab_size=60, **TINY_TRANSFORMER)
    backbone = method.backbone
    assert backbone.segment_embedding is None and backbone.restart_positions
    pair = torch.tensor([[2, 7, 8, 3, 9, 10, 3, 0]])
    assert backbone.position_ids(pair)[0, 4:7].tolist() == backbone.position_ids(torch.tensor([[2, 9, 10, 3]]))[0, 1:].tolist()
