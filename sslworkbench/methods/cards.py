"""The course in one table: every method's card (``methods/base.py``), side by side.

    >>> rows = cards()                     # every registered method, grouped by modality, then family
    >>> rows = cards("images")             # the methods of one modality (a dataset kind)
    >>> sw.tables.show_table(rows)         # in a notebook (15)

Each row is ``Method.card()``: the method's name and modality (its ``input_kind``), then what it
predicts, where its positives and negatives come from, and what keeps it from collapsing — text the
method's own file declares next to its code, so the table cannot drift from the library.
"""

from __future__ import annotations

from ..data import KINDS
from ..errors import WorkbenchError
from .base import FAMILIES, METHODS

#: the modalities in the order the course meets them (then any other kind)
MODALITIES = ("images", "tokens", "image_text", "clips", "audio")


def cards(modality: str | None = None) -> list[dict]:
    """Every registered method's card, one dict per method, grouped by modality (images, text,
    images with captions, video, sound), then by family, then by name. ``modality``: only the
    methods of that dataset kind ("images", "tokens", "image_text", "clips", "audio")."""
    if modality is not None and modality not in KINDS:
        raise WorkbenchError(f"No modality {modality!r}: the dataset kinds are {', '.join(sorted(KINDS))}.")
    rows = [cls.card() for cls in METHODS.values() if modality in (None, cls.input_kind)]
    order = {kind: i for i, kind in enumerate(MODALITIES)}
    return sorted(rows, key=lambda row: (order.get(row["modality"], len(order)), row["modality"],
                                         FAMILIES.index(row["family"]) if row["family"] in FAMILIES else len(FAMILIES),
                                         row["method"]))
