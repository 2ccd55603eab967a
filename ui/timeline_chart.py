"""Draw an engine timeline (sla_engine/timeline.py) as a Gantt-like plotly chart and in words.

Nothing here computes business time: every segment, figure and instant comes from the engine.
Instants are shown in the contract's zone with their UTC offset.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from sla_engine.timeline import COUNTED, HOLIDAY, OUTSIDE, PAUSED, REOPENED, Timeline
from sla_engine.timeline_text import local

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


def label_rows(at_us: list[int], lengths: list[int], span_us: int) -> list[int]:
    """A row per marker label so that no two labels on a row overlap: each label (drawn to the
    right of its instant) takes about CHAR_SHARE of the width per character; a label goes on the
    lowest row whose previous label ends before it starts."""
    order = sorted(range(len(at_us)), key=lambda i: at_us[i])
    row_ends: list[float] = []  # where the last label of each row ends, as a share of the span
    rows = [0] * len(at_us)
    first = min(at_us, default=0)
    for i in order:
        start = (at_us[i] - first) / span_us
        end = start + CHAR_SHARE * lengths[i]
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
    rows = label_rows([m.at_us for m in tl.markers], [len(m.label) for m in tl.markers], span)
    for m, row in zip(tl.markers, rows, strict=True):
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
            xanchor="left",
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
