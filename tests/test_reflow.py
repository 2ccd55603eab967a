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
        (
            "Note:\n1. first point\n   goes on\n2. second\nBack at the margin.",
            [
                ("para", "Note:"),
                ("item", "1. first point goes on"),
                ("item", "2. second"),
                ("para", "Back at the margin."),
            ],
        ),
    ],
)
def test_paragraphs(text, expected):
    assert paragraphs(text) == expected
