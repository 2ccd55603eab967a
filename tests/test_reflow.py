"""Hard-wrapped text (the disclosure, clauses) becomes paragraphs that reflow on a phone."""

from __future__ import annotations

import pytest

from ui.reflow import paragraphs


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("one\ntwo\nthree", [("para", "one two three")]),
        (
            "## Title\nbody that\nwraps\n\nnext",
            [("heading", "Title"), ("para", "body that wraps"), ("para", "next")],
        ),
        ("\n\n  spaced  \n   out \n\n", [("para", "spaced out")]),
        ("", []),
    ],
)
def test_paragraphs(text, expected):
    assert paragraphs(text) == expected
