"""methods/gpt.py: the causal language model, its perplexity and its samples."""

import math

import pytest
import torch
from helpers import toy_text

from sslworkbench import WorkbenchError, build_method, train
from sslworkbench.evaluation.language import continue_text, perplexity, unigram_baselines

SMALL = {"backbone_options": {"width": 32, "depth": 2, "heads": 2, "context": 40}}


def test_gpt_beats_the_unigram_perplexity_and_writes_the_corpus_grammar():
    torch.manual_seed(0)
    data = toy_text()
    method = build_method("gpt", vocab_size=len(data.vocab), **SMALL)
    untrained = perplexity(method, data)
    train(method, data, epochs=30, batch_size=32, lr=3e-3, progress=False, device="cpu")
    trained = perplexity(method, data)
    assert trained < unigram_baselines(data, data)["perplexity"] / 2 < untrained
    greedy = continue_text(method, data.tokenizer, "the king of the", temperature=0)
    assert greedy.startswith("the king of the") and " went" in greedy
    assert continue_text(method, data.tokenizer, "the lamb", seed=1) == continue_text(method, data.tokenizer, "the lamb", seed=1)


def test_loss_at_initialisation_is_about_log_v_and_settings_are_checked():
    torch.manual_seed(0)
    method = build_method("gpt", vocab_size=500, **SMALL)
    loss = method.training_step((torch.randint(5, 500, (4, 12)), torch.zeros(4)))["loss"]
    assert abs(float(loss) - math.log(500)) < 0.3
    with pytest.raises(WorkbenchError, match="causal"):
        build_method("gpt", backbone_options={"causal": False})
    with pytest.raises(WorkbenchError, match="temperature"):
        method.generate(torch.tensor([[2, 7]]), temperature=-1)
