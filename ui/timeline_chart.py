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
    for m in tl.markers:
        x = _ts(tl, m.at_us)
        fig.add_shape(
            type="line",
            x0=x,
            x1=x,
            y0=0,
            y1=1,
            yref="paper",
            line={"dash": "dot" if m.kind == "target" else "solid", "color": "#333", "width": 1},
        )
        fig.add_annotation(
            x=x, y=1, yref="paper", text=m.label, showarrow=False, textangle=-30, yanchor="bottom"
        )
    fig.update_layout(
        barmode="overlay",
        xaxis={"type": "date", "title": f"time in {tl.timezone}"},
        yaxis={"categoryorder": "array", "categoryarray": ["resolution", "response"]},
        height=300,
        margin={"t": 90, "b": 40},
        legend={"orientation": "h", "y": -0.35},
    )
    return fig
