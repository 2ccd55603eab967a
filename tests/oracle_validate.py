"""Validation: a profile's text columns -> typed tickets and events, plus quarantine.

A row that cannot be used is quarantined with file, row, column and reason;
rows of a quarantined ticket go with it, so every input row is accounted for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from sla_engine.errors import IngestError
from sla_engine.ingest import dateorder
from sla_engine.ingest.membership import member
from sla_engine.ingest.profiles.base import Extract
from sla_engine.ingest.routing import Routing
from sla_engine.ingest.timeparse import PLAUSIBLE_TEXT, implausible, parse_instants
from sla_engine.rulebook.terms import Terms

QUARANTINE_COLUMNS = ["file", "row", "column", "reason"]
NO_PRIORITY_REASON = "no priority"
NO_PRIORITY_LABEL = "(no priority)"  # the label a contract maps to a tier for empty priorities


@dataclass
class Valid:
    tickets: (
        pd.DataFrame
    )  # ticket_id, contract_id, severity, created_us, first_response_us, resolved_us, _row
    events: pd.DataFrame  # ticket_id, contract_id, changed_us, field, value, _row
    quarantine: pd.DataFrame  # file, row, column, reason
    row_ticket: pd.DataFrame  # _row, contract_id, ticket_id for rows that were kept
    input_rows: int
    history_rows: int = 0


class _Q:
    """Collects quarantine entries."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.rows: list[tuple[str, int, str, str]] = []

    def add(self, rows: pd.Series, column: str, reason: str | pd.Series) -> None:
        # a reason per row, aligned on the row's index (never on position)
        reasons = (
            reason.reindex(rows.index)
            if isinstance(reason, pd.Series)
            else pd.Series(reason, index=rows.index)
        )
        for r, why in zip(rows.astype(int), reasons.astype(str), strict=False):
            self.rows.append((self.file, int(r), column, why))

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.rows, columns=QUARANTINE_COLUMNS)
        return df.drop_duplicates(subset=["file", "row"], keep="first").sort_values(
            ["file", "row"], kind="stable"
        )


def source_column(src: dict[str, str], name: str) -> str:
    """The export's own name of a field, for messages."""
    return src.get(name, name)


def tier_lookup(
    terms_by_contract: dict[str, list[Terms]], routing: Routing | None = None
) -> Callable[[str, str], str | None]:
    """The tier a (contract, lower-cased label) means, written apart from validate.py's
    severity_lookup: each terms version's own `Terms.tier_for`, the newest version first, then the
    labels the contract's routing maps."""
    memo: dict[tuple[str, str], str | None] = {}

    def tier_of(cid: str, label: str) -> str | None:
        if (cid, label) not in memo:
            found = next(
                (
                    hit
                    for t in sorted(
                        terms_by_contract.get(cid, []), key=lambda t: t.effective_from, reverse=True
                    )
                    if (hit := t.tier_for(label)) is not None
                ),
                None,
            )
            if found is None and routing is not None:
                found = routing.severity_aliases.get(cid, {}).get(label)
            memo[(cid, label)] = found
        return memo[(cid, label)]

    return tier_of


def map_labels(
    contracts: pd.Series, labels: pd.Series, tier_of: Callable[[str, str], str | None]
) -> pd.Series:
    """The tier of each (contract, lower-cased label), NA where none, row by row."""
    tiers = [
        None if pd.isna(c) or pd.isna(lab) else tier_of(str(c), str(lab))
        for c, lab in zip(contracts, labels, strict=True)
    ]
    return pd.Series(tiers, index=contracts.index, dtype="string")


def validate(
    ex: Extract,
    file: str,
    tz: str | None,
    contract: str | None,
    terms_by_contract: dict[str, list[Terms]],
    history_file: str | None = None,
    routing: Routing | None = None,
) -> Valid:
    """Typed, checked tickets and events; bad rows quarantined with reasons."""
    q = _Q(file)
    qh = _Q(history_file or file)
    for row, col, why in ex.rejected:
        q.add(pd.Series([row]), col, why)
    for row, col, why in ex.history_rejected:
        (qh if history_file else q).add(pd.Series([row]), col, why)
    t = ex.tickets.copy()
    if "notes" not in t.columns:  # what the profile inferred for this ticket, if anything
        t["notes"] = pd.Series(pd.NA, index=t.index, dtype="string")
    src = ex.source_columns

    # contract: an empty cell is no contract (it falls back to the chosen contract or the routing)
    if "contract_id" in t.columns:
        t["contract_id"] = t["contract_id"].astype("string").str.strip().replace("", pd.NA)
    if contract is not None:
        if "contract_id" in src and t["contract_id"].notna().any():
            routed_here = (
                t["contract_id"]
                .map(
                    lambda v: (
                        routing is not None
                        and not pd.isna(v)
                        and routing.contract_for(v) == contract
                    )
                )
                .astype(bool)
            )
            mismatch = (
                t["contract_id"].notna() & (t["contract_id"].str.strip() != contract) & ~routed_here
            )
            q.add(
                t.loc[mismatch, "_row"],
                source_column(src, "contract_id"),
                f"contract differs from the stated contract {contract}",
            )
            t = t[~mismatch]
        t["contract_id"] = contract
    elif "contract_id" not in src:
        raise IngestError(f"{file}: the export has no contract column")
    t["contract_id"] = t["contract_id"].str.strip()
    if routing is not None and routing.customer_keys:  # customer keys -> contracts
        routed = t["contract_id"].map(
            lambda v: v if pd.isna(v) or v in terms_by_contract else routing.contract_for(v) or v
        )
        t["contract_id"] = routed.astype("string")
    unrouted = t["contract_id"].notna() & ~t["contract_id"].isin(list(terms_by_contract))
    if routing is not None:
        q.add(
            t.loc[unrouted, "_row"],
            source_column(src, "contract_id"),
            "no contract for customer key " + t.loc[unrouted, "contract_id"].astype(str),
        )
        t = t[~unrouted]
    blank_id = t["ticket_id"].isna() | (t["ticket_id"].str.strip() == "")
    q.add(t.loc[blank_id, "_row"], source_column(src, "ticket_id"), "empty ticket id")
    t = t[~blank_id]
    t["ticket_id"] = t["ticket_id"].str.strip()
    unknown = ~t["contract_id"].isin(list(terms_by_contract))
    q.add(
        t.loc[unknown, "_row"],
        source_column(src, "contract_id"),
        "unknown contract "
        + t.loc[unknown, "contract_id"].fillna("(empty)")
        + ": no SLA terms registered",
    )
    t = t[~unknown]

    # duplicates within this file
    dup = t.duplicated(subset=["contract_id", "ticket_id"], keep=False)
    if dup.any():
        first_rows = (
            t[dup].groupby("ticket_id")["_row"].apply(lambda s: ", ".join(map(str, s.head(5))))
        )
        q.add(
            t.loc[dup, "_row"],
            source_column(src, "ticket_id"),
            "duplicate ticket id in file (rows " + t.loc[dup, "ticket_id"].map(first_rows) + ")",
        )
        t = t[~dup]

    # times: each column's day/month order from its own values (or the file's, or as stated)
    time_cols = {n: t[n] for n in ("created_at", "first_response_at", "resolved_at")}
    if len(ex.events):
        time_cols["changed_at"] = ex.events["changed_at"]
    labels = {n: src.get(n, n) for n in time_cols}
    orders, order_notes = dateorder.decide(time_cols, ex.date_order, file, labels)
    ex.notes.extend(n for n in order_notes if n not in ex.notes)
    ex.layouts = {f: dateorder.layouts(o, ex.time_formats) for f, o in orders.items()}

    def layouts(field: str) -> tuple[str, ...]:
        return ex.layouts.get(field, ex.time_formats)

    for name in ("created_at", "first_response_at", "resolved_at"):
        us, blank, bad = parse_instants(t[name], tz, layouts(name))
        why = "unparseable time " + t[name].fillna("").str.slice(0, 40)
        if tz is None:
            why = why + " (a naive time needs the export's time zone)"
        q.add(t.loc[bad, "_row"], source_column(src, name), why[bad])
        if name == "created_at":
            q.add(t.loc[blank & ~bad, "_row"], source_column(src, name), "missing creation time")
            bad = bad | blank
        far = implausible(us) & ~bad
        q.add(
            t.loc[far, "_row"],
            source_column(src, name),
            "time " + t[name].fillna("").str.slice(0, 40) + " is " + PLAUSIBLE_TEXT,
        )
        bad = bad | far
        t[name.replace("_at", "_us")] = us
        t = t[~bad]
    if "first_response_minutes" in t.columns:  # Zendesk: reply time in minutes after creation
        mins = pd.to_numeric(t["first_response_minutes"], errors="coerce")
        bad = (
            t["first_response_minutes"].notna()
            & (t["first_response_minutes"].str.strip() != "")
            & mins.isna()
        )
        q.add(
            t.loc[bad, "_row"], source_column(src, "first_response_at"), "not a number of minutes"
        )
        t = t[~bad]
        mins = mins[~bad]
        t["first_response_us"] = (t["created_us"] + (mins * 60e6).round().astype("Int64")).astype(
            "Int64"
        )
    early = t["first_response_us"].notna() & (t["first_response_us"] < t["created_us"])
    q.add(
        t.loc[early, "_row"],
        source_column(src, "first_response_at"),
        "first response before creation",
    )
    t = t[~early]
    early = t["resolved_us"].notna() & (t["resolved_us"] < t["created_us"])
    q.add(t.loc[early, "_row"], source_column(src, "resolved_at"), "resolved before creation")
    t = t[~early]

    # severity; an empty priority is "no priority", which a contract may map to a tier like a label
    lookup = tier_lookup(terms_by_contract, routing)
    labels = t["severity"].fillna("").str.strip().str.lower()
    no_priority = labels == ""
    labels = labels.mask(no_priority, NO_PRIORITY_LABEL)
    t["severity"] = map_labels(t["contract_id"], labels, lookup)
    unknown = t["severity"].isna()
    q.add(t.loc[unknown & no_priority, "_row"], source_column(src, "severity"), NO_PRIORITY_REASON)
    q.add(
        t.loc[unknown & ~no_priority, "_row"],
        source_column(src, "severity"),
        "unknown severity "
        + ex.tickets.loc[(unknown & ~no_priority)[unknown & ~no_priority].index, "severity"]
        .fillna("")
        .astype(str),
    )
    t = t[~unknown]

    # events
    ev = ex.events.copy()
    eq = qh if history_file else q
    ev["ticket_id"] = ev["ticket_id"].str.strip()
    ids = t.set_index("ticket_id")["contract_id"]
    orphan = ~member(ev["ticket_id"], ids.index)
    if history_file:
        eq.add(
            ev.loc[orphan, "_row"], "ticket_id", "no valid ticket with this id in the tickets file"
        )
    ev = ev[~orphan]
    ev["contract_id"] = ev["ticket_id"].map(ids)
    us, blank, bad = parse_instants(ev["changed_at"], tz, layouts("changed_at"))
    eq.add(
        ev.loc[bad | blank, "_row"],
        src.get("changed_at", "changed_at"),
        "unparseable or missing change time",
    )
    far = implausible(us) & ~(bad | blank)
    eq.add(
        ev.loc[far, "_row"],
        src.get("changed_at", "changed_at"),
        "change time " + ev["changed_at"].fillna("").str.slice(0, 40) + " is " + PLAUSIBLE_TEXT,
    )
    ev["changed_us"] = us
    ev = ev[~(bad | blank | far)]
    is_sev = ev["field"] == "severity"
    mapped = map_labels(ev["contract_id"], ev["value"].fillna("").str.strip().str.lower(), lookup)
    bad_sev = is_sev & mapped.isna()
    eq.add(
        ev.loc[bad_sev, "_row"],
        src.get("severity", "value"),
        "unknown severity " + ev.loc[bad_sev, "value"].fillna(""),
    )
    ev.loc[is_sev, "value"] = mapped[is_sev]
    ev = ev[~bad_sev]
    bad_status = (ev["field"] == "status") & (ev["value"].isna() | (ev["value"].str.strip() == ""))
    eq.add(ev.loc[bad_status, "_row"], src.get("status", "value"), "empty status")
    ev = ev[~bad_status]
    created = ev["ticket_id"].map(t.set_index("ticket_id")["created_us"])
    before = ev["changed_us"] < created
    # a change logged before the ticket's creation time is clamped to creation (clock skew), not
    # lost
    ev.loc[before, "changed_us"] = created[before]

    # rows of tickets that did not survive go to quarantine too (every row accounted for)
    kept_ids = t["ticket_id"]
    rt = ex.row_ticket.copy()
    rt["ticket_id"] = rt["ticket_id"].astype("string").str.strip()
    quarantined_rows = {r for _f, r, _c, _w in q.rows}
    kept = member(rt["ticket_id"], kept_ids)
    lost = ~kept & ~rt["_row"].isin(quarantined_rows)
    if lost.any() and not history_file:
        q.add(
            rt.loc[lost, "_row"],
            source_column(src, "ticket_id"),
            "ticket quarantined (see its other rows)",
        )
    # rows of quarantined tickets are outside kept_ids anyway, so the set above still holds
    rt = rt[kept & ~rt["_row"].isin(quarantined_rows)]
    rt["contract_id"] = rt["ticket_id"].map(ids)

    qf = pd.concat([q.frame(), qh.frame()], ignore_index=True) if history_file else q.frame()
    events = ev[["ticket_id", "contract_id", "changed_us", "field", "value", "_row"]].reset_index(
        drop=True
    )
    tickets = t[
        [
            "ticket_id",
            "contract_id",
            "severity",
            "created_us",
            "first_response_us",
            "resolved_us",
            "notes",
            "_row",
        ]
    ]
    # written here on its own: with no status, close time or history, an unresolved ticket is
    # open only because nothing says otherwise, and the report counts them (and the old ones)
    if not ({"status", "closed_at"} & set(ex.source_columns)) and not len(ex.events):
        open_ = tickets["resolved_us"].isna()
        if open_.any():
            year_before = tickets["created_us"].max() - 365 * 86_400 * 1_000_000
            old = int((open_ & (tickets["created_us"] < year_before)).sum())
            ex.notes.append(
                f"no status or close-time column: {int(open_.sum()):,} tickets have no resolution "
                f"and are treated as open; {old:,} of them were created over a year before the "
                "newest ticket — map a status or a closed time if your export has one"
            )
    return Valid(
        tickets=tickets.reset_index(drop=True),
        events=events,
        quarantine=qf.reset_index(drop=True),
        row_ticket=rt.reset_index(drop=True),
        input_rows=int(len(ex.row_ticket)),
    )
