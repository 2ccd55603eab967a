"""Text from strangers shown as text: escaped for the renderer, readable for a screen reader."""

from __future__ import annotations

import pytest

from ui.text import plain, plain_label


@pytest.mark.parametrize(
    ("written", "label"),
    [
        ("not_priority", "not_priority"),  # intraword: never emphasis, read as written
        ("snake_case_name", "snake_case_name"),
        ("_x_", r"\_x\_"),
        ("a __b__ c", r"a \_\_b\_\_ c"),
        ("*bold*", r"\*bold\*"),
        ("[link](https://evil.example)", "\\[link\\]\\(https\\:/\u2060/evil.example\\)"),
        ("1 - Critical", "1 - Critical"),
    ],
)
def test_a_label_escapes_only_markup(written, label):
    assert plain_label(written) == label


def test_plain_escapes_every_markdown_character():
    assert plain("a_b-c") == r"a\_b\-c"
