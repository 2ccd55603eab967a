"""Draw an engine timeline (sla_engine/reports/timeline.py) as a Gantt-like plotly chart and in
words.

Nothing here computes business time: every segment, figure and instant comes from the engine.
Instants are shown in the contract's zone with their UTC offset.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from sla_engine.reports.timeline import COUNTED, HOLIDAY, OUTSIDE, PAUSED, REOPENED, Timeline
from sla_engine.reports.timeline_text import local

COLORS = {
    COUNTED: "#c62828",
    OUTSIDE: "#cfd8dc",
    HOLIDAY: "#90caf9",
    PAUSED: "#ffcc80",
    REOPENED: "#ce93d8",
}
LEGEND = {
    COUNTED: "counted",
    OUTSIDE: "outside business hours",
    HOLIDAY: "holiday",
    PAUSED: "paused",
    REOPENED: "resolved, then reopened",
}


def _ts(tl: Timeline, us: int) -> pd.Timestamp:
    return pd.Timestamp(us, unit="us", tz="UTC").tz_convert(tl.timezone).tz_localize(None)


ROW_HEIGHT = 0.11  # paper units between two rows of marker labels
CHAR_SHARE = 0.011  # the share of the chart's width one label character takes (about 900 px)


def label_spans(at_us: list[int], lengths: list[int], span_us: int) -> list[tuple[float, float]]:
    """Where each label sits, as shares of the chart's width: to the right of its instant, or to
    its left when it would run past the right edge."""
    first = min(at_us, default=0)
    out = []
    for at, n in zip(at_us, lengths, strict=True):
        start, width = (at - first) / span_us, CHAR_SHARE * n
        out.append((start, start + width) if start + width <= 1 else (start - width, start))
    return out


def label_rows(at_us: list[int], lengths: list[int], span_us: int) -> list[int]:
    """A row per marker label so that no two labels on a row overlap (label_spans gives each
    label's extent); a label goes on the lowest row whose labels all end before it starts."""
    spans = label_spans(at_us, lengths, span_us)
    order = sorted(range(len(at_us)), key=lambda i: spans[i][0])
    row_ends: list[float] = []  # where the last label of each row ends
    rows = [0] * len(at_us)
    for i in order:
        start, end = spans[i]
        for r, taken_to in enumerate(row_ends):
            if start >= taken_to:
                rows[i], row_ends[r] = r, end
                break
        else:
            rows[i] = len(row_ends)
            row_ends.append(end)
    return rows


def figure(tl: Timeline) -> go.Figure:
    fig = go.Figure()
    shown: set[str] = set()
    for s in tl.segments:
        start, end = _ts(tl, s.start_us), _ts(tl, s.end_us)
        fig.add_trace(
            go.Bar(
                x=[(end - start).total_seconds() * 1000],
                base=[start],
                y=[s.metric],
                orientation="h",
                marker_color=COLORS.get(s.kind, "#999"),
                name=LEGEND.get(s.kind, s.kind),
                legendgroup=s.kind,
                showlegend=s.kind not in shown,
                hovertemplate=(
                    f"{s.label}<br>{local(tl, s.start_us)} → {local(tl, s.end_us)}"
                    f"<br>{s.minutes:,.0f} min<extra></extra>"
                ),
            )
        )
        shown.add(s.kind)
    starts = [s.start_us for s in tl.segments] + [m.at_us for m in tl.markers]
    ends = [s.end_us for s in tl.segments] + [m.at_us for m in tl.markers]
    span = max(max(ends, default=0) - min(starts, default=0), 1)
    at, lengths = [m.at_us for m in tl.markers], [len(m.label) for m in tl.markers]
    rows = label_rows(at, lengths, span)
    spans = label_spans(at, lengths, span)
    for m, row, (left, _) in zip(tl.markers, rows, spans, strict=True):
        x = _ts(tl, m.at_us)
        fig.add_shape(
            type="line",
            x0=x,
            x1=x,
            y0=0,
            y1=1 + ROW_HEIGHT * row,
            yref="paper",
            line={"dash": "dot" if m.kind == "target" else "solid", "color": "#333", "width": 1},
        )
        fig.add_annotation(
            x=x,
            y=1 + ROW_HEIGHT * row,
            yref="paper",
            text=m.label,
            showarrow=False,
            xanchor="left" if left >= (m.at_us - min(at)) / span else "right",
            yanchor="bottom",
            font={"size": 11},
        )
    levels = max(rows, default=0) + 1
    fig.update_layout(
        barmode="overlay",
        xaxis={"type": "date", "title": f"time in {tl.timezone}"},
        yaxis={"categoryorder": "array", "categoryarray": ["resolution", "response"]},
        height=260 + 28 * levels,
        margin={"t": 30 + 28 * levels, "b": 40},
        legend={"orientation": "h", "y": -0.35},
    )
    return fig
