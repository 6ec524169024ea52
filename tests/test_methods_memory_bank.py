"""methods/memory_bank.py: the bank's slots and the proximal term of Wu et al."""

import pytest
import torch
from helpers import tiny_joint as tiny

from sslworkbench import WorkbenchError


def test_memory_bank_updates_the_slots_of_the_batch_and_checks_its_size(data):
    method = tiny("memory_bank")
    method.train()
    bank = method.bank.clone()
    ids = torch.tensor([3, 7, 9, 100])
    method.training_step((data.images[:4], data.labels[:4], ids))
    changed = (method.bank != bank).any(dim=1).nonzero().squeeze(1)
    assert changed.tolist() == ids.tolist()
    assert torch.allclose(method.bank.norm(dim=1), torch.ones(len(bank)))
    with pytest.raises(WorkbenchError, match="bank_size"):
        method.training_step((data.images[:4], data.labels[:4], torch.tensor([0, 1, 2, 500])))
    with pytest.raises(WorkbenchError, match="instance id"):
        method.training_step((data.images[:4], data.labels[:4]))


def test_memory_bank_proximal_term_is_the_papers_penalty(data):
    with_term, without = tiny("memory_bank", proximal=30.0), tiny("memory_bank", proximal=0.0)
    without.load_state_dict(with_term.state_dict())
    ids = torch.tensor([1, 2, 3, 4])
    batch = (data.images[:4], data.labels[:4], ids)
    for method in (with_term, without):
        method.eval()  # same views need the same random state; eval keeps BatchNorm out of it
    bank = with_term.bank.clone()
    torch.manual_seed(0)
    loss_with = with_term.training_step(batch)
    torch.manual_seed(0)
    loss_without = without.training_step(batch)
    v = loss_without["embeddings"]
    expected = 30.0 * (v - bank[ids]).pow(2).sum(dim=1).mean()
    assert float((loss_with["loss"] - loss_without["loss"]).detach()) == pytest.approx(float(expected), rel=1e-4)
    with pytest.raises(WorkbenchError, match="proximal"):
        tiny("memory_bank", proximal=-1.0)
