"""`generic`: the documented columns (also the `evaluate` command's files).

Tickets: ticket_id, [contract_id], severity, created_at, first_response_at, resolved_at.
History (optional second file): ticket_id, changed_at, field (status|severity), value.
First response = first_response_at; resolution = resolved_at, or the status history when given.
"""

from __future__ import annotations

import pandas as pd

from .base import Extract, empty_events, find_column, ticket_frame, with_rows

NAME = "generic"


def read(df: pd.DataFrame, file: str) -> Extract:
    df = with_rows(df)
    cols = {
        "ticket_id": find_column(df, ["ticket_id"], "ticket id", file),
        "contract_id": find_column(df, ["contract_id"], "contract", file, required=False),
        "severity": find_column(df, ["severity"], "severity", file),
        "created_at": find_column(df, ["created_at"], "creation time", file),
        "first_response_at": find_column(df, ["first_response_at"], "first response", file),
        "resolved_at": find_column(df, ["resolved_at"], "resolution", file),
    }
    tickets = ticket_frame(df, cols)
    return Extract(
        tickets=tickets,
        events=empty_events(),
        row_ticket=tickets[["_row", "ticket_id"]],
        source_columns={k: v for k, v in cols.items() if v},
    )
