"""Result tables for the notebooks: values in, Markdown out, numbers formatted one way.

A table is a list of rows, each a dict of column → value, or a dict of row name → such a dict
(the names then fill the first column). Numbers are formatted by the rules declared here once
(:data:`FORMATS` and :func:`format_value`), so every notebook shows a share, a count or a loss
the same way; strings are shown as they are (pass one already formatted, or decorated, where a
cell needs it); None and NaN are shown as a dash. Numeric columns are right-aligned.

    >>> scores = {"SimCLR": {"linear": 0.575, "knn": 0.5}, "random init": {"linear": 0.25, "knn": 0.2}}
    >>> print(markdown_table(scores, {"linear": "linear probe", "knn": "kNN"}, first_column="method",
    ...                      formats="percent"))
    | method | linear probe | kNN |
    |---|---:|---:|
    | SimCLR | 57.5% | 50.0% |
    | random init | 25.0% | 20.0% |

In a notebook, ``sw.tables.show_table(...)`` takes the same arguments and displays the table,
with the Markdown ``above`` and ``below`` it when given.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from ..errors import WorkbenchError
from .setup import show

#: What a missing value (None or NaN) is shown as.
MISSING = "–"

#: The named number formats; any other format is a ``str.format`` pattern such as ``"{:.3f}"`` or ``"{:.0f} s"``.
FORMATS = {
    "percent": lambda number: f"{number:.1%}",                # a share or an accuracy: 0.575 → 57.5%
    "points": lambda number: f"{100 * number:.1f} points",    # a difference of two shares: 0.031 → 3.1 points
}

#: A column's alignment, as the table's second line writes it.
ALIGNMENTS = {"left": "---", "right": "---:", "center": ":---:"}


def markdown_table(rows: Sequence[Mapping] | Mapping[object, Mapping], columns: Sequence | Mapping | None = None, *,
                   first_column: str = "", formats: str | Mapping[object, str] | None = None,
                   align: Mapping[object, str] | None = None) -> str:
    """The rows as a Markdown table.

    ``rows``: a list of dicts (column → value), or a dict of row name → dict, whose names fill a first
    column headed ``first_column``. ``columns``: the columns to show, in order: a list of keys, or a
    dict of key → header; by default every key of the first row, and every row must have the same keys.
    ``formats``: one format for every number in the table, or a dict of column → format; a format is a
    name in :data:`FORMATS` or a ``str.format`` pattern. ``align``: column → "left", "right" or "center",
    for a column whose default (right when it holds numbers, left otherwise) does not suit.
    """
    if isinstance(rows, Mapping):
        rows = _named_rows(rows, first_column)
        if columns is not None:
            columns = {first_column: first_column, **_headers(columns)}
    headers = _headers(columns if columns is not None else _keys_of_first_row(rows))
    _check_rows(rows, headers, same_keys=columns is None)
    formats = _formats_by_column(formats, headers)
    align = dict(align or {})
    _check_columns_named("align", align, headers)
    separator = "|" + "|".join(_alignment(align.get(key), [row[key] for row in rows]) for key in headers) + "|"
    lines = [_line(headers.values()), separator]
    lines += [_line(format_value(row[key], formats.get(key)) for key in headers) for row in rows]
    return "\n".join(lines)


def show_table(rows: Sequence[Mapping] | Mapping[object, Mapping], columns: Sequence | Mapping | None = None, *,
               above: str = "", below: str = "", **options) -> None:
    """Display :func:`markdown_table` (same arguments), with the Markdown ``above`` and ``below`` it if given."""
    show("\n\n".join(part for part in (above, markdown_table(rows, columns, **options), below) if part))


def format_value(value, number_format: str | None = None) -> str:
    """One cell's text: a number by ``number_format`` (or the default rule), a string as it is, None or NaN a dash.

    The default rule: an int with thousands separators (12,345), a float with three significant digits
    (0.0123, 0.123, 12.3, 1,235). A 0-d tensor or numpy scalar counts as the number it holds.
    """
    value = _plain(value)
    if _is_missing(value):
        return MISSING
    if not _is_number(value):
        return str(value)
    if number_format is None:
        return f"{value:,}" if isinstance(value, int) else _three_significant_digits(value)
    if number_format in FORMATS:
        return FORMATS[number_format](value)
    return number_format.format(value)


def _three_significant_digits(number: float) -> str:
    """Three significant digits, but never fewer than the integer part has, and never an exponent."""
    if number == 0 or not math.isfinite(number):
        return f"{number:.2f}"
    decimals = max(0, 2 - math.floor(math.log10(abs(number))))
    return f"{number:,.{decimals}f}"


def _plain(value):
    """A 0-d tensor or numpy scalar as the Python number it holds; anything else as it is."""
    return value.item() if hasattr(value, "item") and getattr(value, "ndim", None) == 0 else value


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _headers(columns: Sequence | Mapping) -> dict:
    """Column key → header: the dict as given, or each key its own header."""
    return dict(columns) if isinstance(columns, Mapping) else {key: str(key) for key in columns}


def _named_rows(rows: Mapping[object, Mapping], first_column: str) -> list[dict]:
    """A dict of row name → row as a list of rows, each name in a first column headed ``first_column``."""
    for name, values in rows.items():
        if not isinstance(values, Mapping) or first_column in values:
            raise WorkbenchError(f"Row {name!r} of the table must be a dict of column → value, without a column "
                                 f"named like the first one ({first_column!r}).")
    return [{first_column: name, **values} for name, values in rows.items()]


def _keys_of_first_row(rows: Sequence[Mapping]) -> list:
    if not rows:
        raise WorkbenchError("A table with no rows needs its columns: markdown_table([], columns=[...]).")
    return list(rows[0])


def _check_rows(rows: Sequence[Mapping], headers: Mapping, same_keys: bool) -> None:
    """Every row is a dict with every column shown (and, when the columns are the first row's keys, no other)."""
    for index, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise WorkbenchError(f"Row {index} of the table is a {type(row).__name__}; each row is a dict of column → value.")
        missing = [key for key in headers if key not in row]
        extra = [key for key in row if key not in headers] if same_keys else []
        if missing or extra:
            differences = ([f"it lacks {missing}"] if missing else []) + ([f"it also has {extra}"] if extra else [])
            raise WorkbenchError(
                f"Row {index} of the table does not have the table's columns {list(headers)}: {' and '.join(differences)}. "
                "Give every row the same keys, or say which to show with columns=[...]."
            )


def _formats_by_column(formats: str | Mapping | None, headers: Mapping) -> dict:
    """Column → format, each checked: one format for every column, or a dict of them."""
    formats = dict.fromkeys(headers, formats) if isinstance(formats, str) else dict(formats or {})
    _check_columns_named("formats", formats, headers)
    for number_format in formats.values():
        if number_format not in FORMATS and not (isinstance(number_format, str) and "{" in number_format):
            raise WorkbenchError(f"Unknown number format {number_format!r}: use one of {sorted(FORMATS)} "
                                 "or a str.format pattern such as '{:.3f}'.")
    return formats


def _check_columns_named(argument: str, by_column: Mapping, headers: Mapping) -> None:
    unknown = [key for key in by_column if key not in headers]
    if unknown:
        raise WorkbenchError(f"{argument}= names columns the table does not have: {unknown}; its columns are {list(headers)}.")


def _alignment(chosen: str | None, values: list) -> str:
    """The second line's cell for one column: as ``chosen``, else right for numbers (missing values aside), left otherwise."""
    if chosen is None:
        present = [value for value in map(_plain, values) if not _is_missing(value)]
        chosen = "right" if present and all(_is_number(value) for value in present) else "left"
    if chosen not in ALIGNMENTS:
        raise WorkbenchError(f"Unknown alignment {chosen!r}: use one of {list(ALIGNMENTS)}.")
    return ALIGNMENTS[chosen]


def _line(cells) -> str:
    """One line of the table; a | inside a cell is escaped, a line break becomes a space."""
    return "| " + " | ".join(str(cell).replace("|", "\\|").replace("\n", " ") for cell in cells) + " |"
