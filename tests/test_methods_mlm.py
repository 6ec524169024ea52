"""methods/mlm.py: BERT's masked language model."""

import pytest
import torch
from helpers import toy_text

from sslworkbench import WorkbenchError, build_method, train
from sslworkbench.evaluation.language import fill_in, masked_accuracy


def test_mlm_learns_to_fill_the_toy_corpus_masks():
    torch.manual_seed(0)
    data = toy_text()
    method = build_method("mlm", vocab_size=len(data.vocab), backbone_options={"width": 32, "depth": 2, "heads": 2, "context": 40})
    before = masked_accuracy(method, data)["accuracy"]
    history = train(method, data, epochs=30, batch_size=32, lr=3e-3, progress=False, device="cpu")
    after = masked_accuracy(method, data)
    assert history.losses[-1] < history.losses[0] and after["accuracy"] > before + 0.3
    assert "masked_accuracy" in history.steps[-1]
    # "the" is the only word that can follow "saw"
    assert fill_in(method, data.tokenizer, "the king of the city went to egypt and saw [MASK] gold")[0][0] == "▁the"


def test_mlm_needs_a_transformer_and_a_sensible_mask_rate():
    with pytest.raises(WorkbenchError, match="needs a transformer"):
        build_method("mlm", backbone="token_cnn")
    with pytest.raises(WorkbenchError, match="mask_p"):
        build_method("mlm", mask_p=1.5)
