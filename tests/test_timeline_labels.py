"""The timeline's marker labels never overlap: labels close in time go on separate rows."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ui.timeline_chart import label_rows, label_spans


@given(st.lists(st.tuples(st.integers(0, 10_000), st.integers(1, 40)), min_size=0, max_size=12))
def test_no_two_labels_on_a_row_overlap(markers):
    at = [a for a, _ in markers]
    lengths = [n for _, n in markers]
    span = 10_000
    rows = label_rows(at, lengths, span)
    spans = label_spans(at, lengths, span)
    assert all(s >= -1 and e <= 1 for s, e in spans)  # nothing runs past the right edge
    for i in range(len(markers)):
        for j in range(i + 1, len(markers)):
            if rows[i] == rows[j]:
                (s1, e1), (s2, e2) = spans[i], spans[j]
                assert e1 <= s2 or e2 <= s1, (markers[i], markers[j])


def test_labels_at_one_instant_stack_and_far_apart_share_a_row():
    assert label_rows([0, 0, 0], [10, 10, 10], 1000) == [0, 1, 2]
    assert label_rows([0, 900], [5, 5], 1000) == [0, 0]
