"""`python -m flows`: the flows that cross both engines, for cron and for retries."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import config
from contracts.adapters.orm import make_engine
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.errors import ContractsError
from contracts.services import completion
from contracts.services.connections import VENDORS
from flows.errors import FlowError
from flows.measure import register_signed
from sla_engine.errors import SlaEngineError
from sla_engine.store.core import Store

DEFAULT_STORE = config.get("COVENANT_STORE")


def register(args: argparse.Namespace) -> int:
    r = register_signed(Store(Path(args.store)), UnitOfWork(make_engine()), args.contract, "cli")
    state = "registered" if r.changed else "already registered (nothing changed)"
    print(f"{r.contract_id}: {', '.join(r.terms_ids)} {state}")
    return 0


def complete(args: argparse.Namespace) -> int:
    """Retry sealing a fully signed envelope, then register its terms."""
    eng = make_engine()
    sealed = completion.complete(UnitOfWork(eng), args.envelope)
    from contracts.domain.events import EnvelopeCompleted
    from flows import bus

    with UnitOfWork(eng) as uow:
        contract_id = uow.envelopes.get(args.envelope).contract_id
    event = EnvelopeCompleted(args.envelope, contract_id)
    (r,) = bus.handle(event, Store(Path(args.store)), UnitOfWork(eng), "cli")
    print(("sealed; " if sealed else "") + f"terms {', '.join(r.terms_ids)} measured")
    return 0


def end(args: argparse.Namespace) -> int:
    from flows.measure import end_contract

    r = end_contract(
        Store(Path(args.store)),
        UnitOfWork(make_engine()),
        args.contract,
        args.as_,
        args.actor,
        args.reason,
    )
    print(f"{args.contract}: {args.as_}; terms {', '.join(r.terms_ids)} end the day before")
    return 0


def connections_add(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from contracts.services import connections

    try:
        secret = Path(args.secret_file).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise FlowError(f"--secret-file {args.secret_file}: cannot read: {exc}") from exc
    since = None
    if args.since:
        try:
            since = datetime.fromisoformat(args.since)
        except ValueError as exc:
            raise FlowError(f"--since {args.since!r}: write a date, e.g. 2025-01-01") from exc
        since = since if since.tzinfo else since.replace(tzinfo=UTC)
    cid = connections.add(
        UnitOfWork(make_engine()),
        args.name,
        args.vendor,
        args.base_url,
        args.user,
        secret,
        args.actor,
        contract_id=args.contract,
        every=args.every,
        since=since,
    )
    print(f"connection {cid} ({args.name}) added; its first run is due now")
    return 0


def connections_list(args: argparse.Namespace) -> int:
    from contracts.services import connections

    for c in connections.all_connections(UnitOfWork(make_engine())):
        state = "paused" if c.paused else f"every {c.every_s // 60} min"
        print(
            f"{c.name}\t{c.vendor}\t{c.base_url}\t{c.contract_id or '(routed)'}\t{state}\t"
            f"last {c.last_run_at or '-'}\tread {c.rows_read}\tloaded {c.rows_loaded}\t"
            f"quarantined {c.rows_quarantined}\t{c.last_error or 'ok'}"
        )
    return 0


def sync_cmd(args: argparse.Namespace) -> int:
    """One pass over every due connection (or the named one, now); non-zero when one failed."""
    from flows.connectors.sync import sync_due

    eng = make_engine()
    results = sync_due(Store(Path(args.store)), lambda: UnitOfWork(eng), args.name)
    for r in results:
        print(r.text())
    if not results:
        print("no connection is due")
    return 1 if any(r.error for r in results) else 0


def simulator_cmd(args: argparse.Namespace) -> int:
    from flows.simulator import serve

    serve(args.port)
    return 0


def demo_connection(args: argparse.Namespace) -> int:
    from contracts.adapters.orm import demo_mode
    from flows.demo import connect_simulator

    if not demo_mode():
        raise FlowError("the simulated help desk is for the demo only (COVENANT_DEMO=1)")
    print(connect_simulator(make_engine(), args.port))
    return 0


def alerts_run(args: argparse.Namespace) -> int:
    """One alert tick (the worker runs one every minute); e-mails wait in the outbox for
    `python -m contracts deliver-mail`."""
    from flows.alerts import tick
    from sla_engine.reports.analysis import parse_as_of

    r = tick(Store(Path(args.store)), UnitOfWork(make_engine()), parse_as_of(args.as_of))
    print(
        f"{r.alerts} alert(s) sent, {r.already_sent} already sent before, "
        f"{r.webhooks_delivered} webhook(s) delivered, {len(r.dead_letters)} dead letter(s)"
        + (
            f", rule(s) disabled: {', '.join(map(str, r.rules_disabled))}"
            if r.rules_disabled
            else ""
        )
    )
    for d in r.dead_letters:
        print(f"dead letter: {d}", file=sys.stderr)
    return 0


def alerts_add(args: argparse.Namespace) -> int:
    from contracts.services import alert_rules

    thresholds = [*(args.at_share or []), *(args.before or [])] + (
        ["breach"] if args.at_breach else []
    )
    kind = (
        "standard"
        if args.webhook
        else "slack"
        if args.slack
        else "teams"
        if args.teams
        else "apprise"
        if args.apprise
        else None
    )
    rule_id, secret = alert_rules.create_rule(
        UnitOfWork(make_engine()),
        args.name,
        args.actor,
        thresholds,
        args.metric or ["response", "resolution"],
        contract_id=args.contract,
        tiers=args.tier or [],
        emails=args.email or [],
        webhook_kind=kind,
        webhook_url=args.webhook or args.slack or args.teams or args.apprise,
        ticket_url=args.ticket_url,
    )
    print(f"alert rule {rule_id} added")
    if secret:
        if args.secret_file:
            fd = os.open(args.secret_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secret + "\n")
            print(f"webhook signing secret written to {args.secret_file} (shown nowhere else)")
        else:
            print(f"webhook signing secret (shown once): {secret}")
    return 0


def alerts_list(args: argparse.Namespace) -> int:
    from contracts.services import alert_rules

    for r in alert_rules.rules(UnitOfWork(make_engine()), active_only=False):
        print(
            f"{r.id}\t{'on ' if r.active else 'off'}\t{r.name}\t{r.contract_id or 'all'}\t"
            f"{','.join(r.tiers) or 'all tiers'}\t{','.join(r.metrics)}\t"
            f"{','.join(t.text for t in r.thresholds)}\t{len(r.emails)} e-mail(s)\t"
            f"{r.webhook_kind or '-'}"
        )
    return 0


def recipes_list(args: argparse.Namespace) -> int:
    from flows.recipes import all_recipes

    for name, r in all_recipes(UnitOfWork(make_engine())).items():
        print(f"{name}\t{r.profile}\t{r.title or '(saved)'}")
    return 0


def recipes_show(args: argparse.Namespace) -> int:
    """A recipe as YAML (built-in or saved): edit it, or pass it to `sla_engine ingest --recipe`."""
    from flows.recipes import all_recipes

    book = all_recipes(UnitOfWork(make_engine()))
    if args.name not in book:
        print(f"error: no recipe {args.name!r}; `python -m flows recipes list`", file=sys.stderr)
        return 2
    print(book[args.name].to_yaml(), end="")
    return 0


def recipes_save(args: argparse.Namespace) -> int:
    """Import a recipe file as its name's next version (validated, audited)."""
    from flows.recipes import save

    text = Path(args.file).read_text(encoding="utf-8")
    saved = save(UnitOfWork(make_engine()), text, args.actor)
    print(f"saved {saved.name}, version {saved.version}")
    return 0


def worker(args: argparse.Namespace) -> int:
    import logging
    from functools import lru_cache

    from flows.worker import serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    engine = lru_cache(maxsize=1)(make_engine)
    try:
        serve(Store(Path(args.store)), engine, once=args.once)
    except KeyboardInterrupt:
        pass
    return 0


def worker_job(args: argparse.Namespace) -> int:
    """One heavy job of the worker, in the process the worker started for it (flows/worker.py)."""
    from flows.worker import heavy_job

    print(heavy_job(args.job, Path(args.store)))
    return 0


def _passphrase(path: str | None) -> str | None:
    if not path:
        return None
    return Path(path).read_text(encoding="utf-8").strip() or None


def backup_cmd(args: argparse.Namespace) -> int:
    from flows.backup import backup

    m = backup(
        Path(args.out),
        make_engine(),
        Store(Path(args.store)),
        with_keys=args.with_keys,
        passphrase=_passphrase(args.passphrase_file),
    )
    total = sum(f["bytes"] for f in m["files"].values())
    print(
        f"wrote {args.out}: {len(m['files'])} files, {total:,} bytes, "
        f"{sum(m['rows'].values()):,} database rows, schema {m['schema']}"
        + ("; keys encrypted with the passphrase" if args.with_keys else "; no keys")
    )
    return 0


def restore_cmd(args: argparse.Namespace) -> int:
    from contracts.adapters.orm import database_url
    from flows.backup import restore

    m = restore(Path(args.archive), database_url(), Store(Path(args.store)))
    with UnitOfWork(make_engine()) as uow:
        verdict = uow.verify_trail()
    print(f"restored the backup of {m['created_at']} ({sum(m['rows'].values()):,} rows)")
    print(verdict.text())
    return 0 if verdict.ok else 1


def demo(args: argparse.Namespace) -> int:
    from flows.demo import build

    print(build(make_engine(), Path(args.store), if_absent=args.if_absent))
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m flows", description=__doc__)
    p.add_argument("--store", default=DEFAULT_STORE, help="ticket store (default: %(default)s)")
    sub = p.add_subparsers(dest="cmd", required=True)
    rg = sub.add_parser("register", help="register a signed contract's terms with the engine")
    rg.add_argument("contract")
    rg.set_defaults(func=register)
    cp = sub.add_parser("complete", help="seal a fully signed envelope and register its terms")
    cp.add_argument("envelope")
    cp.set_defaults(func=complete)
    en = sub.add_parser("end", help="terminate or expire a signed contract and end its terms")
    en.add_argument("contract")
    en.add_argument("--as", dest="as_", choices=["terminated", "expired"], required=True)
    en.add_argument("--reason", required=True)
    en.add_argument("--actor", required=True)
    en.set_defaults(func=end)
    al = sub.add_parser("alerts", help="alerts before a breach").add_subparsers(
        dest="acmd", required=True
    )
    ar = al.add_parser("run", help="one tick: evaluate every alert rule and send what is due")
    ar.add_argument("--as-of", help="as of this instant (ISO 8601 with offset; default now)")
    ar.set_defaults(func=alerts_run)
    aa = al.add_parser("add", help="a new alert rule (audited)")
    aa.add_argument("name")
    aa.add_argument("--actor", required=True, help="who adds it (the audit trail's actor)")
    aa.add_argument("--contract", help="only this contract (default: all)")
    aa.add_argument("--tier", action="append", help="only this tier (repeat; default: all)")
    aa.add_argument("--metric", action="append", choices=["response", "resolution"])
    aa.add_argument("--at-share", action="append", metavar="75%%", help="share of the target used")
    aa.add_argument("--before", action="append", metavar="1h", help="time left before the breach")
    aa.add_argument("--at-breach", action="store_true", help="when the target is missed")
    aa.add_argument("--email", action="append", help="an address to tell (repeat)")
    aa.add_argument("--webhook", help="a Standard Webhooks endpoint (signed)")
    aa.add_argument("--secret-file", help="write the webhook's signing secret here (0600)")
    aa.add_argument("--slack", help="a Slack incoming-webhook address")
    aa.add_argument("--teams", help="a Microsoft Teams incoming-webhook address")
    aa.add_argument(
        "--apprise", help="an apprise address (json://, slack://, msteams://, discord://, …)"
    )
    aa.add_argument("--ticket-url", help="the help desk's ticket address, with {ticket}")
    aa.set_defaults(func=alerts_add)
    al.add_parser("list", help="every rule, on or off").set_defaults(func=alerts_list)
    rc = sub.add_parser("recipes", help="import recipes: built-in and saved").add_subparsers(
        dest="rcmd", required=True
    )
    rc.add_parser("list", help="every recipe").set_defaults(func=recipes_list)
    rs_ = rc.add_parser("show", help="one recipe as YAML")
    rs_.add_argument("name")
    rs_.set_defaults(func=recipes_show)
    rv = rc.add_parser("save", help="save a recipe file as a new version (audited)")
    rv.add_argument("file")
    rv.add_argument("--actor", required=True, help="who saves it (the audit trail's actor)")
    rv.set_defaults(func=recipes_save)
    cn = sub.add_parser("connections", help="help desks Covenant pulls tickets from")
    cns = cn.add_subparsers(dest="ccmd", required=True)
    ca = cns.add_parser("add", help="a new connection (audited; the secret is sealed)")
    ca.add_argument("name")
    ca.add_argument("--vendor", required=True, choices=list(VENDORS))
    ca.add_argument("--base-url", required=True, help="e.g. https://acme.zendesk.com")
    ca.add_argument("--user", required=True, help="the API user (Zendesk: email/token)")
    ca.add_argument("--secret-file", required=True, help="a file holding the API token")
    ca.add_argument("--contract", help="the contract its tickets feed (default: customer keys)")
    ca.add_argument("--since", help="backfill from this date (default: 30 days ago)")
    ca.add_argument("--every", default="10m", help="schedule, e.g. 10m, 1h (default 10m)")
    ca.add_argument("--actor", required=True, help="who adds it (the audit trail's actor)")
    ca.set_defaults(func=connections_add)
    cns.add_parser("list", help="every connection and its last run").set_defaults(
        func=connections_list
    )
    sy = sub.add_parser("sync", help="pull tickets from every due connection, or the named one")
    sy.add_argument("name", nargs="?")
    sy.add_argument("--once", action="store_true", help="one pass, then exit (the default)")
    sy.set_defaults(func=sync_cmd)
    wk = sub.add_parser("worker", help="run alerts, mail, reminders, checkpoints and notices")
    wk.add_argument("--once", action="store_true", help="run every job once, then exit")
    wk.set_defaults(func=worker)
    wj = sub.add_parser("worker-job", help="one heavy job of the worker (the worker runs it)")
    wj.add_argument("job", choices=["store", "backup"])
    wj.set_defaults(func=worker_job)
    bk = sub.add_parser("backup", help="the database, the store, the journal, in one archive")
    bk.add_argument("out")
    bk.add_argument("--with-keys", action="store_true", help="include the keys, encrypted")
    bk.add_argument("--passphrase-file", help="the passphrase that encrypts the keys")
    bk.set_defaults(func=backup_cmd)
    rs = sub.add_parser("restore", help="rebuild an empty deployment from a backup")
    rs.add_argument("archive")
    rs.set_defaults(func=restore_cmd)
    sm = sub.add_parser("simulator", help="the demo's simulated Zendesk help desk (loopback)")
    sm.add_argument("--port", type=int, default=8502)
    sm.set_defaults(func=simulator_cmd)
    dc = sub.add_parser("demo-connection", help="the demo's connection to the simulated help desk")
    dc.add_argument("--port", type=int, default=8502)
    dc.set_defaults(func=demo_connection)
    dm = sub.add_parser("demo", help="the embedded demo: signed contracts, sealed, measured")
    dm.add_argument("--if-absent", action="store_true", help="do nothing when the store has data")
    dm.set_defaults(func=demo)
    args = p.parse_args(argv)
    try:
        return int(args.func(args))
    except (FlowError, ContractsError, SlaEngineError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
