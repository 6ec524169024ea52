"""course/tables.py: the Markdown of a few tables, exactly; number formats, alignment, escaping, errors."""

import math

import numpy as np
import pytest
import torch

import sslworkbench as sw
from sslworkbench.course.tables import format_value, markdown_table, show_table
from sslworkbench.errors import WorkbenchError


def test_a_list_of_rows_becomes_a_table_with_its_keys_as_headers():
    rows = [{"views": "crop + colour", "linear probe": 0.575, "final loss": 4.125},
            {"views": "colour only", "linear probe": 0.5, "final loss": None}]
    assert markdown_table(rows, formats={"linear probe": "percent", "final loss": "{:.2f}"}) == (
        "| views | linear probe | final loss |\n"
        "|---|---:|---:|\n"
        "| crop + colour | 57.5% | 4.12 |\n"
        "| colour only | 50.0% | – |"
    )


def test_a_dict_of_rows_puts_the_names_first_and_columns_can_rename_and_choose():
    scores = {"SimCLR": {"linear": 0.575, "knn": 0.5, "seconds": 12.0}, "random init": {"linear": 0.25, "knn": 0.2, "seconds": 0.0}}
    table = markdown_table(scores, {"knn": "kNN", "linear": "linear probe"}, first_column="method", formats="percent")
    assert table == (
        "| method | kNN | linear probe |\n"
        "|---|---:|---:|\n"
        "| SimCLR | 50.0% | 57.5% |\n"
        "| random init | 20.0% | 25.0% |"
    )


def test_without_a_first_column_header_the_names_column_is_headed_blank():
    assert markdown_table({"CPC": {"digit": 0.9}}, formats="percent") == "|  | digit |\n|---|---:|\n| CPC | 90.0% |"


def test_the_same_header_may_head_two_columns():
    rows = [{"en": "**lamb**", "en nearest": "sheep", "es": "**cordero**", "es nearest": "oveja"}]
    table = markdown_table(rows, {"en": "English", "en nearest": "5 nearest", "es": "Spanish", "es nearest": "5 nearest"})
    assert table.splitlines()[0] == "| English | 5 nearest | Spanish | 5 nearest |"


@pytest.mark.parametrize("value, number_format, text", [
    (12345, None, "12,345"),                 # ints: thousands separators
    (0.0123456, None, "0.0123"),             # floats: three significant digits ...
    (0.5, None, "0.500"),
    (12.345, None, "12.3"),
    (1234.5, None, "1,234"),                 # ... but never fewer than the integer part has
    (-0.25, None, "-0.250"),
    (0.0, None, "0.00"),
    (0.5754, "percent", "57.5%"),
    (0.0312, "points", "3.1 points"),
    (3.14159, "{:.3f}", "3.142"),
    (41.6, "{:.0f} s", "42 s"),
    (0.05, "{}", "0.05"),
    (1.0, "{}", "1.0"),
    ("57.5% ± 1.2%", "percent", "57.5% ± 1.2%"),   # strings as they are, whatever the format
    (True, None, "True"),                    # a bool is not a number
    (None, "percent", "–"),                  # missing values: a dash
    (float("nan"), "percent", "–"),
    (np.float64(0.25), "percent", "25.0%"),
    (np.int64(4096), None, "4,096"),
    (torch.tensor(0.125), "{:.2f}", "0.12"),
    (torch.tensor(7), None, "7"),
])
def test_format_value(value, number_format, text):
    assert format_value(value, number_format) == text


def test_numeric_columns_are_right_aligned_and_align_overrides():
    rows = [{"name": "a", "count": 3, "share": 0.5, "note": "x", "mixed": 1.0, "gap": None},
            {"name": "b", "count": None, "share": math.nan, "note": "y", "mixed": "**all**", "gap": None}]
    separator = markdown_table(rows).splitlines()[1]
    assert separator == "|---|---:|---:|---|---|---|"   # missing values aside; a column of nothing but gaps is left
    separator = markdown_table(rows, align={"name": "center", "mixed": "right", "count": "left"}).splitlines()[1]
    assert separator == "|:---:|---|---:|---|---:|---|"


def test_pipes_in_cells_and_headers_are_escaped_and_line_breaks_removed():
    table = markdown_table([{"a|b": "x | y", "c": "two\nlines"}])
    assert table == "| a\\|b | c |\n|---|---|\n| x \\| y | two lines |"


def test_rows_with_other_columns_are_refused():
    with pytest.raises(WorkbenchError, match=r"Row 1 .* lacks \['knn'\]"):
        markdown_table([{"linear": 0.5, "knn": 0.4}, {"linear": 0.6}])
    with pytest.raises(WorkbenchError, match=r"Row 1 .* also has \['seconds'\]"):
        markdown_table([{"linear": 0.5}, {"linear": 0.6, "seconds": 3.0}])
    with pytest.raises(WorkbenchError, match=r"Row 0 .* lacks \['kNN'\]"):
        markdown_table({"SimCLR": {"linear": 0.5}}, ["linear", "kNN"])
    with pytest.raises(WorkbenchError, match="each row is a dict"):
        markdown_table([["a", 1]])
    with pytest.raises(WorkbenchError, match="Row 'SimCLR' of the table must be a dict"):
        markdown_table({"SimCLR": 0.5})
    with pytest.raises(WorkbenchError, match="without a column named like the first one"):
        markdown_table({"SimCLR": {"method": "simclr", "linear": 0.5}}, first_column="method")


def test_named_columns_may_leave_other_keys_out():
    assert markdown_table([{"linear": 0.5, "seconds": 3.0}], ["linear"]) == "| linear |\n|---:|\n| 0.500 |"


def test_an_unknown_format_alignment_or_column_is_refused():
    with pytest.raises(WorkbenchError, match=r"Unknown number format 'percentage'.*'percent'"):
        markdown_table([{"linear": 0.5}], formats="percentage")
    with pytest.raises(WorkbenchError, match="Unknown alignment 'middle'"):
        markdown_table([{"linear": 0.5}], align={"linear": "middle"})
    with pytest.raises(WorkbenchError, match=r"formats= names columns the table does not have: \['knn'\]"):
        markdown_table([{"linear": 0.5}], formats={"knn": "percent"})
    with pytest.raises(WorkbenchError, match=r"align= names columns"):
        markdown_table([{"linear": 0.5}], align={"knn": "left"})


def test_an_empty_table_needs_its_columns():
    assert markdown_table([], ["method", "kNN"]) == "| method | kNN |\n|---|---|"
    with pytest.raises(WorkbenchError, match="no rows"):
        markdown_table([])


def test_show_table_prints_the_table_between_the_text_above_and_below(capsys):
    show_table([{"a": 1}], above="**Title**", below="A note.")
    assert capsys.readouterr().out == "**Title**\n\n| a |\n|---:|\n| 1 |\n\nA note.\n"


def test_the_notebooks_reach_it_as_sw_tables():
    assert sw.tables.show_table is show_table and sw.tables.markdown_table is markdown_table
