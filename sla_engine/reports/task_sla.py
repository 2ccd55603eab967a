"""ServiceNow's own SLA verdicts (a `task_sla` export) set beside Covenant's, ticket by ticket.

ServiceNow judges against the SLA definitions configured in the instance; Covenant judges against
the signed terms. The task_sla rows are never loaded as tickets: they are compared, and every
disagreement is listed so that either side's configuration can be checked. Which metric an SLA
definition measures is read from its name (response / resolution); definitions whose name says
neither are counted and left out of the comparison.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sla_engine.errors import IngestError
from sla_engine.ingest.profiles.base import find_column
from sla_engine.ingest.readers import read_table
from sla_engine.reports.tickets import ticket_figures
from sla_engine.store.core import Store

TRUE = {"true", "1", "yes", "y"}
FALSE = {"false", "0", "no", "n"}


def metric_of(name: str) -> str | None:
    n = name.lower()
    if "respon" in n or "first reply" in n:
        return "response"
    if "resol" in n or "fix" in n:
        return "resolution"
    return None


def compare_task_sla(
    store: Store, path: Path, as_of_us: int, contract: str | None = None
) -> tuple[pd.DataFrame, dict[str, int]]:
    """One row per task_sla row with both verdicts, and the counts of the comparison."""
    df = read_table(path)
    file = path.name
    task = find_column(
        df, ["task", "task.number", "task.display_value", "inc_number"], "task", file
    )
    sla = find_column(df, ["sla", "sla.name", "sla.display_value"], "SLA definition", file)
    breached = find_column(df, ["has_breached", "breached"], "has_breached", file)
    stage = find_column(df, ["stage"], "stage", file, required=False)
    figs = ticket_figures(store, as_of_us, contract).set_index("ticket_id")
    if figs.index.duplicated().any():
        raise IngestError(
            f"{file}: ticket numbers repeat across contracts in the store; name the contract"
        )
    rows = []
    counts = {"rows": len(df), "compared": 0, "agree": 0, "disagree": 0}
    counts |= {"not in the store": 0, "metric not named": 0, "pending in Covenant": 0}
    for values in df.to_dict("records"):
        number = "" if pd.isna(values[task]) else str(values[task]).strip()
        name = "" if pd.isna(values[sla]) else str(values[sla]).strip()
        flag = "" if pd.isna(values[breached]) else str(values[breached]).strip().lower()
        metric = metric_of(name)
        sn = True if flag in TRUE else False if flag in FALSE else None
        outcome = ""
        ours = None
        if metric is None:
            counts["metric not named"] += 1
            outcome = "SLA name says neither response nor resolution"
        elif number not in figs.index:
            counts["not in the store"] += 1
            outcome = "ticket not in the store"
        else:
            met = figs.at[number, f"{metric}_met"]
            ours = None if met == "" else met == "false"
            if ours is None or sn is None:
                counts["pending in Covenant"] += ours is None
                outcome = "pending" if ours is None else "ServiceNow's flag is not true/false"
            else:
                counts["compared"] += 1
                agree = ours == sn
                counts["agree" if agree else "disagree"] += 1
                outcome = "agree" if agree else "disagree"
        rows.append(
            {
                "ticket": number,
                "sla": name,
                "stage": "" if not stage or pd.isna(values[stage]) else str(values[stage]),
                "metric": metric or "",
                "servicenow_breached": "" if sn is None else str(sn).lower(),
                "covenant_breached": "" if ours is None else str(ours).lower(),
                "outcome": outcome,
            }
        )
    return pd.DataFrame(rows), counts
