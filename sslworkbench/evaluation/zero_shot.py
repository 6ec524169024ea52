"""Using an image–text model (CLIP) without training it further: zero-shot
classification from class names, and retrieval across the two modalities.

Zero-shot classification (Radford et al. 2021, §3.1.2): write each class name
into a prompt ("a photo of a {}"), embed the prompts with the text encoder, and
give each image the class whose prompt embedding is most similar to the image's
embedding. No labelled example is seen: the "classifier" is made of words.
Prompt ensembling (§3.1.4): several templates per class, their normalised
embeddings averaged (and normalised again) into one vector per class.

    >>> weights = class_embeddings(model, ["circle", "square"], ["a {}", "a photo of a {}"], tokenizer)
    >>> zero_shot_predict(model, images, weights)            # (N,) class indices
    >>> zero_shot_accuracy(model, test_set, test_set.classes, TEMPLATES)
    >>> retrieval_recall(model, test_set, ks=(1, 5))          # image → text and text → image

``model``: anything with CLIP's parts — ``backbone`` and ``image_projection``,
``text_encoder`` and ``text_projection`` (``methods/clip.py``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..data import PairedSet
from ..data.tokenizer import SPECIALS, UNK_ID
from ..errors import WorkbenchError
from .probes import cosine_top_k, embed


def image_tower(model) -> nn.Module:
    """Images → points in the shared space (before normalising): encoder, then projection."""
    return nn.Sequential(model.backbone, model.image_projection)


def text_tower(model) -> nn.Module:
    """Token ids → points in the shared space (before normalising): encoder, then projection."""
    return nn.Sequential(model.text_encoder, model.text_projection)


#: error messages quote at most this many characters of a text
QUOTED = 60


def _quote(text: str) -> str:
    """``text`` in quotes, cut to its first ``QUOTED`` characters (with "…") when longer."""
    return repr(text) if len(text) <= QUOTED else repr(text[:QUOTED]) + f"… ({len(text):,} characters)"


def tokenize(texts, tokenizer, context: int) -> torch.Tensor:
    """(N, context) ids of ``texts``, ``[CLS] text [SEP] [PAD]…``, refusing what the text
    encoder cannot read faithfully: an empty text, one that tokenises to nothing the
    vocabulary knows, one longer than the context (never cut silently)."""
    texts = [texts] if isinstance(texts, str) else list(texts)
    if not texts:
        raise WorkbenchError("No texts to encode: give at least one caption or class name.")
    for text in texts:
        if not isinstance(text, str) or not text.strip():
            shown = _quote(text) if isinstance(text, str) else repr(text)
            raise WorkbenchError(f"Empty text {shown}: every caption and class name needs words.")
        ids = tokenizer.encode(text)
        known = [i for i in ids if i != UNK_ID and i >= len(SPECIALS) and tokenizer.vocab[i].strip("▁")]
        if not known:  # nothing but [UNK] and word boundaries ("▁")
            tokens = tokenizer.tokens(text)
            raise WorkbenchError(
                f"{_quote(text)} tokenises to nothing this vocabulary knows ({tokens[:8] + ['…'] * (len(tokens) > 8)}): "
                "write it in words the captions use."
            )
        if len(ids) + 2 > context:
            raise WorkbenchError(
                f"The text {_quote(text)} takes {len(ids) + 2} tokens with [CLS] and [SEP], more than the text "
                f"encoder's context of {context}: shorten it (the model never saw longer texts)."
            )
    return tokenizer.encode_batch(texts, context)


def _check_tokenizer(model, tokenizer) -> None:
    ours = getattr(model.text_encoder, "vocab_id", None)
    if tokenizer is None:
        raise WorkbenchError("Zero-shot needs the tokenizer of the captions: pass tokenizer=data.tokenizer.")
    if ours is not None and ours != tokenizer.fingerprint:
        raise WorkbenchError(
            f"This text encoder was trained on tokenizer {ours} and the prompts would be tokenized with "
            f"{tokenizer.fingerprint}: use the tokenizer of the data the model was trained on."
        )


def text_embeddings(model, texts, tokenizer) -> torch.Tensor:
    """(N, E) unit vectors of ``texts`` in the shared space."""
    _check_tokenizer(model, tokenizer)
    return caption_embeddings(model, tokenize(texts, tokenizer, model.text_encoder.context))


def caption_embeddings(model, tokens: torch.Tensor) -> torch.Tensor:
    """(N, E) unit vectors of captions already tokenized, (N, L) ids (a PairedSet's ``texts``)."""
    return F.normalize(embed(text_tower(model), tokens), dim=1)


def image_embeddings(model, images) -> torch.Tensor:
    """(N, E) unit vectors of ``images`` (a dataset or uint8 images) in the shared space."""
    return F.normalize(embed(image_tower(model), images), dim=1)


def class_embeddings(model, class_names, templates=("a {}",), tokenizer=None) -> torch.Tensor:
    """(C, E): one unit vector per class, the mean of its prompts' unit vectors
    (prompt ensembling; one template = no ensembling), normalised again."""
    class_names, templates = list(class_names), list(templates)
    if not class_names:
        raise WorkbenchError("No class names: zero-shot classification needs at least two.")
    if not templates or any(not isinstance(t, str) or t.count("{}") != 1 for t in templates):
        raise WorkbenchError(f"Each template must hold the class name's place as one {{}}: got {templates!r}.")
    weights = []
    for name in class_names:
        prompts = text_embeddings(model, [template.format(name) for template in templates], tokenizer)
        weights.append(F.normalize(prompts.mean(0), dim=0))
    return torch.stack(weights)


def zero_shot_predict(model, images, weights: torch.Tensor) -> torch.Tensor:
    """(N,) the class of each image: the class embedding most similar to its own."""
    return (image_embeddings(model, images) @ weights.T).argmax(1)


def zero_shot_accuracy(model, data: PairedSet, class_names=None, templates=("a {}",), tokenizer=None,
                       labels: torch.Tensor | None = None) -> float:
    """Accuracy of zero-shot classification of ``data``'s images into ``class_names``
    (default: ``data.classes``) against ``labels`` (default: ``data.labels``)."""
    class_names = list(data.classes if class_names is None else class_names)
    labels = data.labels if labels is None else torch.as_tensor(labels)
    if len(labels) != len(data):
        raise WorkbenchError(f"{len(labels)} labels for {len(data)} images.")
    weights = class_embeddings(model, class_names, templates, tokenizer or data.tokenizer)
    return float((zero_shot_predict(model, data, weights) == labels).float().mean())


def retrieval_recall(model, data: PairedSet, ks=(1, 5)) -> dict:
    """Recall@k both ways over ``data``'s pairs: the share of images whose caption is
    among the k captions most similar to them (``"image_to_text"``), and of captions
    whose image is among their k most similar images (``"text_to_image"``). Where
    several images have the same caption ("a black star"), retrieving any of them
    (or any copy of the caption) counts as found: the text cannot tell them apart."""
    if not isinstance(data, PairedSet):
        raise WorkbenchError("retrieval_recall needs image–caption pairs (a PairedSet).")
    _check_tokenizer(model, data.tokenizer)
    ks = sorted({int(k) for k in ks})
    if not ks or ks[0] < 1 or ks[-1] > len(data):
        raise WorkbenchError(f"k must lie in 1..{len(data)} (the number of pairs); got {ks}.")
    images = image_embeddings(model, data)
    texts = caption_embeddings(model, data.texts)
    # caption ids: rows with the same tokens are the same caption
    caption_id = torch.unique(data.texts, dim=0, return_inverse=True)[1]
    results = {}
    for direction, queries, bank in (("image_to_text", images, texts), ("text_to_image", texts, images)):
        top = cosine_top_k(queries, bank, ks[-1])[1]
        found = caption_id[top] == caption_id[:, None]  # the query's own pair, or one with the same caption
        results[direction] = {k: float(found[:, :k].any(1).float().mean()) for k in ks}
    return results
