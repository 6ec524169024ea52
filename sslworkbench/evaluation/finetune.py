"""Fine-tuning: train a pretrained backbone and a new classifier on labels.

    >>> result = sw.finetune(run.method, labelled, test)            # every layer trains
    >>> result = sw.finetune(run.method.backbone, labelled, test, freeze="all")   # a linear probe by SGD
    >>> result = sw.finetune(gpt, labelled, test, aux_weight=0.5)   # GPT's L3 = L2 + λ·L1
    >>> result.test_accuracy, result.history

The usual knobs, each with the default most papers use:

    backbone_lr     the backbone learns more slowly than the new head (lr / 10 by
                    default): large steps would wipe out what pretraining learned
    freeze          "none"; "all" (only the head trains: a linear probe); or an
                    integer k: the input layers and the first k blocks stay frozen
    head_init       "new": a randomly initialised linear head; "probe": the head starts
                    as the linear probe fitted on the frozen features of the training
                    labels, then everything is fine-tuned from there — LP-FT (Kumar et
                    al. 2022), which keeps a few-label fine-tuning from first wrecking the
                    features with the gradients of a random head. Epoch 0 (the probe
                    alone) is then a candidate of the early stopping too
    val_fraction    a stratified share of the labelled data held out to choose the
                    epoch: training stops after ``patience`` epochs without a better
                    validation accuracy, and the best epoch's weights are kept
    augment         a function applied to every training batch of inputs (images: views)
    aux_weight      λ > 0 with a language model (a method with ``language_model_loss``,
                    e.g. ``gpt``): the task loss plus λ times the language-model loss on
                    the same batch (Radford et al. 2018, §3.2, eq. 3)

The model given is copied: the pretrained weights stay as they were.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from ..data.dataset import Dataset, move
from ..errors import WorkbenchError
from ..methods.base import Method
from ..runtime import eval_mode, pick_device, release_due, release_freed_memory, seed_everything
from .probes import embed, fit_linear_classifier

FREEZE = ("none", "all")
HEAD_INIT = ("new", "probe")


class Classifier(nn.Module):
    """backbone → dropout → linear: a pretrained encoder with a new head."""

    def __init__(self, backbone: nn.Module, num_classes: int, dropout: float = 0.1):
        super().__init__()
        self.backbone = backbone
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(backbone.feature_dim, num_classes)

    def forward(self, inputs):
        return self.head(self.dropout(self.backbone(inputs)))


@dataclass
class FineTuned:
    """What ``finetune`` made: the classifier (best validation epoch) and its scores."""

    model: Classifier
    history: list[dict] = field(default_factory=list)  # per epoch: train_loss, val_accuracy (, lm_loss)
    best_epoch: int = 0
    val_accuracy: float | None = None
    test_accuracy: float | None = None


def stratified_split(labels: torch.Tensor, fraction: float, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices (kept, held out): about ``fraction`` of each class held out, at
    least one sample of every class with two or more samples."""
    generator = torch.Generator().manual_seed(seed)
    kept, held = [], []
    for label in labels.unique():
        members = (labels == label).nonzero().ravel()
        members = members[torch.randperm(len(members), generator=generator)]
        count = min(len(members) - 1, max(1, round(fraction * len(members)))) if len(members) > 1 else 0
        held.append(members[:count])
        kept.append(members[count:])
    return torch.cat(kept).sort().values, torch.cat(held).sort().values


def _frozen_parameters(backbone: nn.Module, freeze) -> list[nn.Parameter]:
    if freeze == "none":
        return []
    if freeze == "all":
        return list(backbone.parameters())
    blocks = getattr(backbone, "blocks", None)
    if not isinstance(freeze, int) or isinstance(freeze, bool) or blocks is None or not 0 <= freeze <= len(blocks):
        limit = f"0..{len(blocks)}" if blocks is not None else "(this backbone has no .blocks: only 'none' or 'all')"
        raise WorkbenchError(f"freeze must be 'none', 'all' or a number of blocks {limit} (got {freeze!r}).")
    in_blocks = {id(p) for block in blocks for p in block.parameters()}
    kept_blocks = {id(p) for block in list(blocks)[:freeze] for p in block.parameters()}
    # the layers before the blocks (embeddings, the input normalisation) and the first `freeze` blocks
    before = [p for name, p in backbone.named_parameters() if id(p) not in in_blocks and _is_input_layer(name)]
    return before + [p for p in backbone.parameters() if id(p) in kept_blocks]


def _is_input_layer(name: str) -> bool:
    return "embedding" in name or name.startswith("normalize") or name == "cls_token"  # the ViT's [CLS] is an input


@torch.no_grad()
def accuracy(model: nn.Module, data: Dataset, batch_size: int = 256) -> float:
    device = next(model.parameters()).device
    right = 0
    with eval_mode(model):
        for start in range(0, len(data), batch_size):
            inputs = data.model_inputs(move(data.inputs[start : start + batch_size], device))
            right += int((model(inputs).argmax(1).cpu() == data.labels[start : start + batch_size]).sum())
    return right / len(data)


def finetune(
    model: nn.Module,
    train_set: Dataset,
    test_set: Dataset | None = None,
    *,
    epochs: int = 20,
    lr: float = 1e-3,
    backbone_lr: float | None = None,
    freeze="none",
    batch_size: int = 32,
    weight_decay: float = 1e-2,
    dropout: float = 0.1,
    val_fraction: float = 0.2,
    patience: int = 5,
    augment=None,
    aux_weight: float = 0.0,
    head_init: str = "new",
    seed: int = 0,
    device: str = "auto",
    log=None,
) -> FineTuned:
    """Fine-tune ``model`` (a backbone, or a method whose backbone is used) on
    ``train_set``'s labels; see the module docstring for the settings."""
    say = log or (lambda line: None)
    if not (isinstance(epochs, int) and epochs >= 1):
        raise WorkbenchError(f"epochs must be an integer ≥ 1 (got {epochs!r}).")
    if not (0 < lr < 10) or (backbone_lr is not None and not 0 <= backbone_lr < 10):
        raise WorkbenchError(f"lr must be in (0, 10) and backbone_lr in [0, 10) (got {lr}, {backbone_lr}).")
    if not 0 <= val_fraction < 1:
        raise WorkbenchError(f"val_fraction must be in [0, 1) (got {val_fraction}).")
    if aux_weight and not (isinstance(model, Method) and model.language_model):
        raise WorkbenchError(
            f"aux_weight={aux_weight} adds a language-model loss: give the pretrained language model itself "
            "(e.g. run.method of a 'gpt' run), not only its backbone."
        )
    if head_init not in HEAD_INIT:
        raise WorkbenchError(f"head_init must be one of {', '.join(map(repr, HEAD_INIT))} (got {head_init!r}).")
    if freeze not in FREEZE and not isinstance(freeze, int):
        raise WorkbenchError(f"freeze must be 'none', 'all' or a number of blocks (got {freeze!r}).")
    seed_everything(seed)
    device = pick_device(device)
    source = copy.deepcopy(model).to(device)  # the pretrained weights are left as they were
    backbone = source.backbone if isinstance(source, Method) else source
    train_set.check_model(backbone)
    classifier = Classifier(backbone, train_set.num_classes, dropout).to(device)
    frozen = {id(p) for p in _frozen_parameters(backbone, freeze)}
    for p in backbone.parameters():
        p.requires_grad_(id(p) not in frozen)
    backbone_lr = lr / 10 if backbone_lr is None else backbone_lr
    groups = [{"params": list(classifier.head.parameters()), "lr": lr}]
    trainable = [p for p in backbone.parameters() if p.requires_grad]
    if trainable:
        groups.append({"params": trainable, "lr": backbone_lr})
    optimizer = torch.optim.AdamW(groups, weight_decay=weight_decay)

    if val_fraction > 0:
        kept, held = stratified_split(train_set.labels, val_fraction, seed)
        fit_set, val_set = train_set.select(kept), train_set.select(held)
    else:
        fit_set, val_set = train_set, None
    if len(fit_set) == 0:
        raise WorkbenchError("finetune: no labelled sample left to train on; lower val_fraction or give more labels.")
    result = FineTuned(classifier)
    best_score, best_state, waited = -1.0, None, 0
    if head_init == "probe":  # LP-FT: start from the linear probe on the frozen features
        weight, bias = fit_linear_classifier(embed(backbone, fit_set, device=device), fit_set.labels,
                                             train_set.num_classes, device=device)
        with torch.no_grad():
            classifier.head.weight.copy_(weight)
            classifier.head.bias.copy_(bias)
        if val_set is not None and len(val_set):
            best_score, best_state = accuracy(classifier, val_set), copy.deepcopy(classifier.state_dict())
            say(f"epoch 0 (the linear probe): validation accuracy {best_score:.1%}")
    generator = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        classifier.train()
        if freeze == "all":
            backbone.eval()  # nothing in it trains: BatchNorm statistics and dropout as at evaluation
        losses, lm_losses = [], []
        for index in torch.randperm(len(fit_set), generator=generator).split(batch_size):
            inputs = move(fit_set.inputs[index], device)
            labels = fit_set.labels[index].to(device)
            inputs = fit_set.model_inputs(inputs)
            if augment is not None:
                inputs = augment(inputs)
            loss = F.cross_entropy(classifier(inputs), labels)
            if aux_weight:
                lm = source.language_model_loss(inputs)["loss"]
                loss = loss + aux_weight * lm
                lm_losses.append(lm.item())
            if not math.isfinite(loss.item()):
                raise WorkbenchError(
                    f"finetune: the loss became {float(loss)} at epoch {epoch + 1}: lower lr (now {lr}) or backbone_lr."
                )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            if release_due(len(losses), device):
                release_freed_memory()  # the C heap keeps freed tensors otherwise (runtime.py)
        row = {"epoch": epoch + 1, "train_loss": sum(losses) / len(losses)}
        if lm_losses:
            row["lm_loss"] = sum(lm_losses) / len(lm_losses)
        score = accuracy(classifier, val_set) if val_set is not None and len(val_set) else None
        row["val_accuracy"] = score
        result.history.append(row)
        say(f"epoch {epoch + 1}: loss {row['train_loss']:.3f}" + (f", validation accuracy {score:.1%}" if score is not None else ""))
        if score is None:
            continue
        if score > best_score:
            best_score, waited, result.best_epoch = score, 0, epoch + 1
            best_state = copy.deepcopy(classifier.state_dict())
        else:
            waited += 1
            if waited >= patience:
                say(f"no better validation accuracy for {patience} epochs: stopping, keeping epoch {result.best_epoch}")
                break
    if best_state is not None:
        classifier.load_state_dict(best_state)
        result.val_accuracy = best_score
    else:
        result.best_epoch = len(result.history)
    if test_set is not None:
        result.test_accuracy = accuracy(classifier, test_set)
    return result
