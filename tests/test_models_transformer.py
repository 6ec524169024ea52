"""models/transformer.py: the small transformer, bidirectional or causal."""

import pytest
import torch

from sslworkbench import WorkbenchError, build_backbone


def tiny(**options):
    torch.manual_seed(0)
    settings = {"vocab_size": 50, "context": 12, "width": 16, "depth": 2, "heads": 2, "dropout": 0.0, **options}
    return build_backbone("transformer", **settings)


def test_features_and_states_have_the_documented_shapes():
    net = tiny()
    tokens = torch.randint(5, 50, (3, 10))
    assert net(tokens).shape == (3, 16) and net.feature_dim == 16
    assert net.hidden_states(tokens).shape == (3, 10, 16)
    assert net.token_logits(net.hidden_states(tokens)).shape == (3, 10, 50)


def test_causal_states_never_see_later_tokens():
    net = tiny(causal=True).eval()
    a = torch.randint(5, 50, (1, 10))
    b = a.clone()
    b[0, 6:] = torch.randint(5, 50, (4,))
    sa, sb = net.hidden_states(a), net.hidden_states(b)
    assert torch.allclose(sa[0, :6], sb[0, :6], atol=1e-6)
    assert not torch.allclose(sa[0, 6:], sb[0, 6:])
    bidirectional = tiny().eval()
    assert not torch.allclose(bidirectional.hidden_states(a)[0, :6], bidirectional.hidden_states(b)[0, :6])


def test_padding_changes_nothing_for_the_real_tokens():
    net = tiny().eval()
    short = torch.randint(5, 50, (1, 6))
    padded = torch.cat([short, torch.zeros(1, 4, dtype=torch.long)], dim=1)
    assert torch.allclose(net.hidden_states(short)[0], net.hidden_states(padded)[0, :6], atol=1e-5)
    assert torch.allclose(net(short), net(padded), atol=1e-5)  # the mean is over real tokens only


def test_segments_follow_the_first_sep_and_pools_differ():
    net = tiny(segments=2)
    tokens = torch.tensor([[2, 7, 8, 3, 9, 10, 3, 0]])
    assert net.segment_ids(tokens).tolist() == [[0, 0, 0, 0, 1, 1, 1, 1]]
    states = net.hidden_states(tokens)
    assert torch.equal(tiny(pool="cls").pooled(states, tokens), states[:, 0])
    assert torch.equal(tiny(pool="last").pooled(states, tokens), states[:, 6])


def test_restarted_positions_place_the_second_half_as_if_it_stood_alone():
    net = tiny(restart_positions=True).eval()
    pair, alone = torch.tensor([[2, 7, 8, 3, 9, 10, 3, 0]]), torch.tensor([[2, 9, 10, 3]])
    assert net.position_ids(pair).tolist() == [[0, 1, 2, 3, 1, 2, 3, 4]]
    assert net.position_ids(alone).tolist() == [[0, 1, 2, 3]] == tiny().position_ids(alone).tolist()
    assert net.position_ids(torch.tensor([[2, 7, 8]])).tolist() == [[0, 1, 2]]  # no [SEP]: nothing restarts
    # the second half's tokens enter the blocks exactly as they would on their own, after [CLS]
    embedded = net.token_embedding(pair) + net.position_embedding(net.position_ids(pair))
    embedded_alone = net.token_embedding(alone) + net.position_embedding(net.position_ids(alone))
    assert torch.equal(embedded[0, 4:7], embedded_alone[0, 1:4])


@pytest.mark.parametrize("tokens, message", [
    (torch.randint(5, 50, (2, 13)), "longer than this model's context of 12"),
    (torch.tensor([[2, 60, 3]]), "outside this model's vocabulary"),
    (torch.randint(5, 50, (8,)), r"shape \(N, L\)"),
    (torch.rand(2, 5), r"int64"),
])
def test_inputs_it_cannot_read_get_one_clear_error(tokens, message):
    with pytest.raises(WorkbenchError, match=message):
        tiny()(tokens)


@pytest.mark.parametrize("options, message", [
    ({"heads": 3}, "multiple of heads"), ({"pool": "max"}, "pool"), ({"segments": 3}, "segments"),
])
def test_bad_settings_are_refused(options, message):
    with pytest.raises(WorkbenchError, match=message):
        tiny(**options)
