"""Command line; named errors are caught here, once, and printed without a traceback."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

import config
from sla_engine.errors import NoContractColumn, SlaEngineError, TermsError
from sla_engine.ledger.register import register_terms
from sla_engine.reports import analysis
from sla_engine.reports.exports import write_csv
from sla_engine.reports.plainfiles import load_plain, results_csv_frame
from sla_engine.rulebook.terms import (
    SIGNED_IN_COVENANT,
    Terms,
    json_schema,
    load_terms,
    signed_elsewhere,
)
from sla_engine.sqlfiles import connect
from sla_engine.store.core import Store

DEFAULT_STORE = config.get("COVENANT_STORE")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m sla_engine", description="SLA compliance in business time"
    )
    p.add_argument(
        "--store", default=DEFAULT_STORE, help="ticket store directory (default: %(default)s)"
    )
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("schema", help="print the JSON Schema of the SLA terms document").set_defaults(
        func=cmd_schema
    )

    def files_args(sp: argparse.ArgumentParser, required: bool) -> None:
        sp.add_argument("--tickets", required=required, help="tickets CSV (generic columns)")
        sp.add_argument("--history", help="history CSV: ticket_id, changed_at, field, value")
        sp.add_argument(
            "--terms", required=required, help="terms JSON/YAML: one document or a list"
        )
        sp.add_argument("--as-of", help="evaluation instant, ISO 8601 with offset (default: now)")
        sp.add_argument(
            "--tz", help="zone for naive timestamps in the files (default: none; naive is an error)"
        )

    ev = sub.add_parser("evaluate", help="per-ticket results from plain files")
    files_args(ev, True)
    ev.add_argument("--out", required=True, help="output CSV")
    ev.set_defaults(func=cmd_evaluate)
    for name, helptext in (
        ("report", "monthly compliance"),
        ("credits", "service credits per contract-month"),
    ):
        sp = sub.add_parser(name, help=f"{helptext}, from the store or from plain files")
        files_args(sp, False)
        sp.add_argument("--contract", help="only this contract")
        sp.add_argument("--out", help="write CSV here instead of printing")
        sp.set_defaults(func=cmd_report)

    ing = sub.add_parser("ingest", help="load a help-desk export into the store")
    ing.add_argument("file")
    ing.add_argument("--profile", help="generic, zendesk, jsm, servicenow, freshdesk, eventlog")
    ing.add_argument(
        "--recipe",
        help="an import recipe: a built-in name (list them with `recipes`) or a .yaml file; "
        "sets the profile, columns and status meanings",
    )
    ing.add_argument("--tz", help="IANA zone of naive timestamps in the file")
    ing.add_argument(
        "--contract", help="contract for every row (exports without a contract column)"
    )
    ing.add_argument(
        "--history",
        help="ticket tables: a second file (status history, field history, Zendesk "
        "ticket_metrics or ticket_metric_events)",
    )
    ing.add_argument(
        "--mapping",
        help="JSON/YAML mapping: columns {field: column}, statuses {solved|paused|deleted: "
        "[...]}, date_order; eventlog: case/status/time/severity",
    )
    ing.add_argument(
        "--column",
        action="append",
        default=[],
        metavar="FIELD=COLUMN",
        help="read FIELD from COLUMN (repeatable), e.g. first_response_at='First reply'",
    )
    ing.add_argument(
        "--date-order",
        choices=["day-first", "month-first"],
        help="numeric dates like 03/04/2025 when the values do not show the order",
    )
    for flag in ("case", "status", "time", "severity", "contract-col"):
        ing.add_argument(
            f"--{flag}", help=f"eventlog: column holding the {flag.replace('-col', '')}"
        )
    ing.add_argument(
        "--response-status",
        action="append",
        default=[],
        help="eventlog: status that marks the first response (repeatable)",
    )
    ing.set_defaults(func=cmd_ingest)

    rc = sub.add_parser("recipes", help="list the built-in import recipes, or print one as YAML")
    rc.add_argument("name", nargs="?", help="print this recipe's YAML")
    rc.set_defaults(func=cmd_recipes)

    tk = sub.add_parser("tickets", help="per-ticket results from the store, with derived instants")
    tk.add_argument("--contract", help="only this contract")
    tk.add_argument("--month", help="only tickets of this month (YYYY-MM)")
    tk.add_argument("--as-of", help="evaluate as of this instant (ISO 8601 with offset)")
    tk.add_argument("--out", help="write CSV here instead of printing")
    tk.set_defaults(func=cmd_tickets)

    ar = sub.add_parser("at-risk", help="open tickets ordered by the instant they will breach")
    ar.add_argument("--within", help="only those breaching within this time, e.g. 4h, 90m, 2d")
    ar.add_argument("--contract", help="only this contract")
    ar.add_argument("--as-of", help="as of this instant (ISO 8601 with offset; default now)")
    ar.add_argument("--out", help="write CSV here instead of printing")
    ar.set_defaults(func=cmd_at_risk)

    ts = sub.add_parser(
        "compare-task-sla",
        help="ServiceNow task_sla verdicts beside Covenant's, per ticket (nothing is loaded)",
    )
    ts.add_argument("file", help="the task_sla export (CSV, XLSX or JSON)")
    ts.add_argument("--contract", help="only this contract")
    ts.add_argument("--as-of", help="as of this instant (ISO 8601 with offset; default now)")
    ts.add_argument("--out", help="write CSV here instead of printing")
    ts.set_defaults(func=cmd_compare_task_sla)

    q = sub.add_parser("quarantine", help="rows that were not loaded, with reasons")
    q.add_argument("--out", help="CSV file")
    q.set_defaults(func=cmd_quarantine)

    t = sub.add_parser("terms", help="manage SLA terms in the store")
    tsub = t.add_subparsers(dest="terms_cmd", required=True)
    ta = tsub.add_parser("add", help="register terms documents")
    ta.add_argument("files", nargs="+")
    ta.set_defaults(func=cmd_terms_add)
    tsub.add_parser("list", help="list registered terms").set_defaults(func=cmd_terms_list)

    d = sub.add_parser("demo", help="build the embedded demo data (deterministic)")
    d.add_argument(
        "--if-absent", action="store_true", help="do nothing when the store already has data"
    )
    d.set_defaults(func=cmd_demo)
    return p


def _plain_or_store(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> list[Terms]:
    """Set up `con` from --tickets/--terms files, or from the store."""
    if args.tickets or args.terms:
        if not (args.tickets and args.terms):
            raise SlaEngineError("--tickets and --terms go together")
        terms = load_terms(args.terms)
        load_plain(con, args.tickets, args.history, terms, args.tz)
        return terms
    store = Store(Path(args.store))
    store.attach(con)
    return store.terms()


def _emit(df: pd.DataFrame, out: str | None) -> None:
    if out:
        write_csv(df, out)
        print(f"wrote {len(df)} rows to {out}")
    else:
        with pd.option_context(
            "display.max_rows",
            500,
            "display.width",
            200,
            "display.max_columns",
            20,
            "display.max_colwidth",
            120,
        ):
            print(df.to_string(index=False) if len(df) else "(no rows)")


def cmd_schema(args: argparse.Namespace) -> int:
    print(json.dumps(json_schema(), indent=2))
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    con = connect()
    terms = load_terms(args.terms)
    load_plain(con, args.tickets, args.history, terms, args.tz)
    as_of = analysis.parse_as_of(args.as_of)
    missing = analysis.evaluate_to_table(con, terms, as_of)
    out = results_csv_frame(analysis.per_ticket_frame(con))
    write_csv(out, args.out)
    print(f"evaluated {len(out)} tickets -> {args.out}")
    if missing:
        print(
            f"warning: {missing} tickets not evaluated: no terms version with a tier for their "
            "severity was in force when they were created",
            file=sys.stderr,
        )
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """`report` and `credits`: from plain files, or from the store (final tickets from the
    ledger)."""
    as_of = analysis.parse_as_of(args.as_of)
    if args.tickets or args.terms:
        con = connect()
        terms = _plain_or_store(args, con)
        if args.contract:
            terms = [t for t in terms if t.contract_id == args.contract]
        rep = analysis.monthly_report(con, terms, as_of)
    else:
        store = Store(Path(args.store))
        rep, _ = analysis.store_report(store, as_of, args.contract)
        terms = store.terms()
    _emit(rep if args.cmd == "report" else analysis.credits(rep, terms), args.out)
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from sla_engine.ingest.run import ingest_file

    report = ingest_file(Path(args.store), args)
    print(report.text())
    if report.input_rows and not (
        report.loaded_rows or report.updated_rows or report.unchanged_rows
    ):
        print("error: nothing was loaded (every row is quarantined; see above)", file=sys.stderr)
        return 1
    return 0


def cmd_recipes(args: argparse.Namespace) -> int:
    from sla_engine.ingest import recipes

    if args.name:
        print(recipes.load(args.name).to_yaml(), end="")
        return 0
    for name, r in recipes.builtin().items():
        print(f"{name:28} {r.title}")
    return 0


def cmd_tickets(args: argparse.Namespace) -> int:
    from sla_engine.reports.tickets import ticket_figures

    store = Store(Path(args.store))
    as_of = analysis.parse_as_of(args.as_of)
    _emit(ticket_figures(store, as_of, args.contract, args.month), args.out)
    return 0


def cmd_at_risk(args: argparse.Namespace) -> int:
    from sla_engine.reports.at_risk import at_risk, parse_within

    store = Store(Path(args.store))
    within = parse_within(args.within)
    _emit(at_risk(store, analysis.parse_as_of(args.as_of), args.contract, within), args.out)
    return 0


def cmd_compare_task_sla(args: argparse.Namespace) -> int:
    from sla_engine.reports.task_sla import compare_task_sla

    store = Store(Path(args.store))
    rows, counts = compare_task_sla(
        store, Path(args.file), analysis.parse_as_of(args.as_of), args.contract
    )
    print(", ".join(f"{k}: {v}" for k, v in counts.items()))
    _emit(rows, args.out)
    return 0


def cmd_quarantine(args: argparse.Namespace) -> int:
    _emit(Store(Path(args.store)).quarantine(), args.out)
    return 0


def cmd_terms_add(args: argparse.Namespace) -> int:
    """Terms of contracts signed elsewhere, labelled as such; refused for a contract whose terms
    came from a document signed in Covenant."""
    store = Store(Path(args.store))
    signed_here = {
        t.contract_id for t in store.terms() if (t.version or "").startswith(SIGNED_IN_COVENANT)
    }
    label = signed_elsewhere(getpass.getuser(), date.today())
    new = [t.model_copy(update={"version": label}) for f in args.files for t in load_terms(f)]
    refused = sorted({t.contract_id for t in new} & signed_here)
    if refused:
        raise TermsError(
            f"{', '.join(refused)}: signed in Covenant; its terms come from the sealed document"
        )
    added, led = register_terms(store, new)
    print("registered: " + ", ".join(added))
    if led is not None:
        print(f"SLA ledger: {led.final_tickets} tickets final, {led.live_tickets} open")
    return 0


def cmd_terms_list(args: argparse.Namespace) -> int:
    for t in Store(Path(args.store)).terms():
        until = t.effective_to or ""
        tiers = ",".join(t.tiers)
        print(f"{t.terms_id}\t{t.effective_from}..{until}\t{t.calendar.timezone}\t{tiers}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from sla_engine.demo import build_demo

    print(build_demo(Path(args.store), if_absent=args.if_absent))
    return 0


# what the CLI says to do next, by the error's kind (the page says it in its own words)
CLI_ADVICE: dict[type, str] = {NoContractColumn: " with --contract ID"}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.func(args))
    except SlaEngineError as exc:
        advice = CLI_ADVICE.get(type(exc), "")
        print(f"error: {exc}{advice}", file=sys.stderr)
        return 2
    except OSError as exc:  # --out to a missing folder or a full disk, a file that vanished
        where = f" {exc.filename}" if exc.filename else ""
        print(f"error: cannot use{where}: {exc.strerror or exc}", file=sys.stderr)
        return 2
