"""methods/gpt.py: GPT's input transformations for tasks and the head on the extract token."""

import pytest
import torch
from helpers import toy_text

from sslworkbench import WorkbenchError, build_method, finetune
from sslworkbench.methods.gpt import (
    TASK_TOKENS,
    GPTTaskHead,
    extract_states,
    gpt_task_input,
    task_token_ids,
    task_tokens_as_words,
    with_task_tokens,
)

V = 100
START, DELIM, EXTRACT = 100, 101, 102
SMALL = {"backbone_options": {"width": 32, "depth": 1, "heads": 2, "context": 24}}


def test_the_task_tokens_come_after_the_vocabulary():
    assert task_token_ids(V) == {"start": START, "delimiter": DELIM, "extract": EXTRACT}
    assert TASK_TOKENS == ("[START]", "[DELIM]", "[EXTRACT]")


def test_each_kind_gives_the_sequences_of_figure_1():
    a, b, c = [10, 11], [20], [30, 31, 32]
    assert gpt_task_input([a], "classification", V).tolist() == [[START, 10, 11, EXTRACT]]
    assert gpt_task_input([a, b], "entailment", V).tolist() == [[START, 10, 11, DELIM, 20, EXTRACT]]
    # similarity: both orders, padded to the same length
    assert gpt_task_input([a, b], "similarity", V).tolist() == [[START, 10, 11, DELIM, 20, EXTRACT],
                                                                [START, 20, DELIM, 10, 11, EXTRACT]]
    # choice: one sequence per answer, the context first in each
    assert gpt_task_input([a, b, c], "choice", V).tolist() == [[START, 10, 11, DELIM, 20, EXTRACT, 0, 0],
                                                                [START, 10, 11, DELIM, 30, 31, 32, EXTRACT]]
    assert gpt_task_input([a, b, c, b], "choice", V).shape == (3, 8)


def test_length_pads_and_cuts():
    assert gpt_task_input([[10]], "classification", V, length=5).tolist() == [[START, 10, EXTRACT, 0, 0]]
    assert gpt_task_input([list(range(10, 20))], "classification", V, length=5).tolist() == [[START, 10, 11, 12, EXTRACT]]
    cut = gpt_task_input([list(range(10, 20)), list(range(40, 50))], "entailment", V, length=9)
    assert cut.tolist() == [[START, 10, 11, 12, DELIM, 40, 41, 42, EXTRACT]]
    short_first = gpt_task_input([[10], list(range(40, 50))], "entailment", V, length=9)
    assert short_first.tolist() == [[START, 10, DELIM, 40, 41, 42, 43, 44, EXTRACT]]  # the second part takes the room left


def test_wrong_inputs_are_one_clear_error():
    with pytest.raises(WorkbenchError, match="kind"):
        gpt_task_input([[1]], "translation", V)
    with pytest.raises(WorkbenchError, match="2 parts"):
        gpt_task_input([[10]], "entailment", V)
    with pytest.raises(WorkbenchError, match="at least 3"):
        gpt_task_input([[10], [11]], "choice", V)
    with pytest.raises(WorkbenchError, match="no room"):
        gpt_task_input([[10], [11]], "entailment", V, length=4)


def test_sequences_read_as_words():
    data = toy_text()
    ids = data.tokenizer.encode("the king")
    row = gpt_task_input([ids, ids], "entailment", len(data.tokenizer), length=12)[0]
    assert task_tokens_as_words(row, data.tokenizer) == ["[START]", *data.tokenizer.tokens("the king"), "[DELIM]",
                                                         *data.tokenizer.tokens("the king"), "[EXTRACT]"]


def test_with_task_tokens_adds_three_rows_and_reads_the_extract_state():
    torch.manual_seed(0)
    gpt = build_method("gpt", vocab_size=V, **SMALL)
    tuned = with_task_tokens(gpt)
    old, new = gpt.backbone.token_embedding.weight, tuned.backbone.token_embedding.weight
    assert new.shape == (V + 3, 32) and torch.equal(new[:V], old)  # the pretrained rows are kept
    assert gpt.backbone.token_embedding.weight.shape == (V, 32)      # the original is untouched
    tokens = gpt_task_input([[10, 11], [20, 21, 22]], "entailment", V, length=12)
    tuned.eval()
    states = extract_states(tuned.backbone, tokens)
    assert torch.allclose(states, tuned.backbone.hidden_states(tokens)[:, 7])  # [START] 10 11 [DELIM] 20 21 22 [EXTRACT]
    assert torch.allclose(tuned.backbone(tokens), states)                      # its features: the extract state
    with pytest.raises(WorkbenchError, match="extract token"):
        extract_states(tuned.backbone, tokens[:, :5])
    with pytest.raises(WorkbenchError, match="already"):
        with_task_tokens(tuned)
    with pytest.raises(WorkbenchError, match="takes a GPT"):
        with_task_tokens(gpt.backbone)


def test_the_head_for_each_kind():
    torch.manual_seed(0)
    backbone = with_task_tokens(build_method("gpt", vocab_size=V, **SMALL)).backbone
    pair = [[10, 11], [20, 21, 22]]
    entail = GPTTaskHead(backbone, "entailment", num_classes=3).eval()
    assert entail(gpt_task_input(pair, "entailment", V)).shape == (1, 3)
    similar = GPTTaskHead(backbone, "similarity").eval()
    ab = gpt_task_input(pair, "similarity", V, length=10)
    ba = gpt_task_input(pair[::-1], "similarity", V, length=10)
    assert torch.allclose(similar(ab[None]), similar(ba[None]), atol=1e-6)  # both orders: the order given does not matter
    choose = GPTTaskHead(backbone, "choice").eval()
    answers = gpt_task_input([[10, 11], [20], [30, 31], [40]], "choice", V, length=8)
    scores = choose(answers[None])
    assert scores.shape == (1, 3)
    assert torch.allclose(choose(answers[[2, 0, 1]][None]), scores[:, [2, 0, 1]], atol=1e-6)  # one score per answer
    with pytest.raises(WorkbenchError, match=r"\(N, 2, L\)"):
        similar(ab)


def test_finetune_trains_the_extract_head_with_the_auxiliary_loss():
    data = toy_text()
    vocab_size = len(data.tokenizer)
    gpt = build_method("gpt", vocab_size=vocab_size, vocab_id=data.tokenizer.fingerprint, **SMALL)
    text = [[int(t) for t in row if t > 4] for row in data.inputs[:40]]
    inputs = torch.cat([gpt_task_input([ids], "classification", vocab_size, length=20) for ids in text])
    tasks = type(data)(inputs=inputs, labels=data.labels[:40], classes=data.classes, name="toy tasks",
                       vocab=[*data.tokenizer.vocab, *TASK_TOKENS], pad_id=0, tokenizer=data.tokenizer)
    result = finetune(with_task_tokens(gpt), tasks, tasks, epochs=2, aux_weight=0.5, device="cpu")
    assert result.test_accuracy is not None and "lm_loss" in result.history[0]
