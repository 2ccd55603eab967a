"""Command line: each subcommand is one function, bound with `set_defaults(func=...)`.

Named errors are caught here, once (`main`), and printed without a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

import config
from contracts.adapters import audit_anchor
from contracts.adapters.mailer import deliver
from contracts.adapters.orm import database_url, make_engine
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.documents.extract import extract_terms
from contracts.documents.pdf import sha256_bytes
from contracts.errors import ContractsError, FieldsError
from contracts.services import completion, retention, signing
from contracts.services import contracts as contract_service
from contracts.services import templates as template_service


def _uow() -> UnitOfWork:
    return UnitOfWork(make_engine())


# ---- templates ----
def template_list(args: argparse.Namespace) -> int:
    with _uow() as uow:
        for t in uow.repo.list_templates():
            vs = ", ".join(f"v{v.number} {v.status}" for v in t.versions)
            print(f"{t.name}\t{t.title}\t{vs}")
    return 0


def template_show(args: argparse.Namespace) -> int:
    name, num = template_service.parse_template_ref(args.ref)
    with _uow() as uow:
        v = uow.repo.get_template(name).version(num)
        requires = ", ".join(v.requires) or "nothing extra"
        print(
            f"# {name} v{v.number} ({v.status}; requires: {requires}; "
            f"text sha256 {v.text_sha256 or '-'})\n{v.text}"
        )
    return 0


def template_diff(args: argparse.Namespace) -> int:
    with _uow() as uow:
        print(uow.repo.get_template(args.name).diff(args.a, args.b))
    return 0


def template_publish(args: argparse.Namespace) -> int:
    name, num = template_service.parse_template_ref(args.ref)
    print(f"published {name} v{template_service.publish_template(_uow(), name, num)}")
    return 0


def template_edit(args: argparse.Namespace) -> int:
    text = Path(args.text_file).read_text(encoding="utf-8")
    print(f"{args.name}: draft v{template_service.edit_template(_uow(), args.name, text)} saved")
    return 0


def template_import(args: argparse.Namespace) -> int:
    t = template_service.import_template(_uow(), Path(args.file))
    print(f"imported {t.name} (draft v1)")
    return 0


def template_install_starters(args: argparse.Namespace) -> int:
    print("added: " + (", ".join(template_service.install_starters(_uow())) or "(all present)"))
    return 0


# ---- contracts ----
def contract_create(args: argparse.Namespace) -> int:
    try:
        values = json.loads(Path(args.fields).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ContractsError(f"{args.fields}: cannot read field values: {exc}") from exc
    c = contract_service.create_contract(_uow(), args.template, values, supersedes=args.amends)
    print(f"created {c.id} from {c.template_name} v{c.template_version} (draft)")
    return 0


def contract_list(args: argparse.Namespace) -> int:
    with _uow() as uow:
        for c in uow.repo.list_contracts():
            f = c.typed
            print(
                f"{c.id}\t{c.state}\t{f.title}\t{f.party('customer').name}\t"
                f"{f.start_date}..{f.end_date}\trenews {c.renewal_date()}\t"
                f"notice by {c.notice_deadline()}"
            )
    return 0


def contract_pdf(args: argparse.Namespace) -> int:
    pdf = contract_service.contract_pdf(_uow(), args.id)
    Path(args.out).write_bytes(pdf)
    print(f"wrote {args.out} ({len(pdf)} bytes, sha256 {sha256_bytes(pdf)})")
    return 0


def contract_terms(args: argparse.Namespace) -> int:
    if args.at:
        t = contract_service.terms_in_force(_uow(), args.id, date.fromisoformat(args.at))
        print(t.model_dump_json(indent=2))
    else:
        versions = contract_service.terms_versions(_uow(), args.id)
        print(json.dumps([t.model_dump(mode="json") for t in versions], indent=2))
    return 0


def contract_set_state(args: argparse.Namespace) -> int:
    c = contract_service.transition(_uow(), args.id, args.state, reason=args.reason)
    print(f"{c.id}: {c.state}")
    return 0


def extract(args: argparse.Namespace) -> int:
    print(extract_terms(Path(args.file)).model_dump_json(indent=2))
    return 0


# ---- signing and mail ----
def _signer(spec: str, i: int) -> dict[str, object]:
    parts = [p.strip() for p in spec.split(",")]
    if len(parts) not in (3, 4):
        raise ContractsError(f"--signer {spec!r}: expected NAME,EMAIL,ROLE[,GROUP]")
    group = int(parts[3]) if len(parts) == 4 else i + 1
    return {"name": parts[0], "email": parts[1], "role": parts[2], "group": group}


def send(args: argparse.Namespace) -> int:
    signers = [_signer(spec, i) for i, spec in enumerate(args.signer)]
    cc = [
        dict(zip(("name", "email"), (p.strip() for p in c.split(",", 1)), strict=False))
        for c in args.cc
    ]
    env = signing.send_for_signature(
        _uow(), args.id, signers, args.sender, args.auth, args.reminder_hours, args.expires_days, cc
    )
    print(f"sent: envelope {env}")
    return 0


def void(args: argparse.Namespace) -> int:
    signing.void(_uow(), args.envelope, args.reason, args.actor)
    print(f"voided {args.envelope}")
    return 0


def unlock(args: argparse.Namespace) -> int:
    signing.unlock_signer(_uow(), args.envelope, args.signer, args.actor)
    print(f"unlocked {args.signer} on {args.envelope}")
    return 0


def remind(args: argparse.Namespace) -> int:
    print(f"reminders sent: {signing.remind_due(_uow())}")
    return 0


def deliver_mail(args: argparse.Namespace) -> int:
    sent, failed = deliver(make_engine())
    print(f"delivered {sent}, failed {failed} (failed messages are retried on the next run)")
    return 0


def complete(args: argparse.Namespace) -> int:
    print("sealed" if completion.complete(_uow(), args.envelope) else "nothing to do")
    print(
        "to have its terms measured: python -m flows register CONTRACT-ID "
        "(python -m flows complete E-ID does both)"
    )
    return 0


def init_seal(args: argparse.Namespace) -> int:
    from contracts.adapters.seal import ensure_local_ca

    paths = ensure_local_ca()
    print(
        f"local seal certificate: {paths['seal-cert']} (root CA {paths['root-cert']}).\n"
        "For trying Covenant on one machine only: in production configure COVENANT_SEAL_P12 "
        "(or COVENANT_SEAL_KEY/CERT) with a certificate trusted by Adobe (AATL) or a key held "
        "in an HSM."
    )
    return 0


def add_user(args: argparse.Namespace) -> int:
    """The first administrator of a configured database (no demo users there)."""
    import getpass

    from contracts.services.users import create_user

    password = config.get("COVENANT_NEW_PASSWORD") or getpass.getpass("Password: ")
    create_user(_uow(), args.username, args.name, args.email, password, args.role, actor="cli")
    print(f"user {args.username} added ({', '.join(args.role)})")
    return 0


def sso_local_passwords(args: argparse.Namespace) -> int:
    """Switch Covenant passwords on or off from the server (when single sign-on fails, an
    administrator on the server can always get back in)."""
    from contracts.services.sso import set_sso_settings, sso_settings

    now = sso_settings(_uow()).model_dump()
    set_sso_settings(_uow(), now | {"local_passwords": args.state == "on"}, actor="cli")
    print(f"sign-in with Covenant passwords: {args.state}")
    return 0


def demo_users(args: argparse.Namespace) -> int:
    from contracts.services.users import DEMO_PASSWORD, ensure_demo_users

    made = ensure_demo_users(_uow())
    print(
        f"demo users: {', '.join(made) or 'already present'} "
        f"(password {DEMO_PASSWORD!r}; demo only)"
    )
    return 0


# ---- audit and retention ----
def audit_verify(args: argparse.Namespace) -> int:
    """Exit 0 only when the chain and every checkpoint (stored, journalled, exported) hold
    against the trusted seal; `--trust` lets an auditor bring the root certificate themselves."""
    from contracts.adapters.seal import trusted_certificates

    extra = audit_anchor.load_export(args.checkpoints) if args.checkpoints else None
    trusted = trusted_certificates([Path(p) for p in args.trust]) if args.trust else None
    with _uow() as uow:
        verdict = uow.verify_trail(extra, trusted, use_journal=not args.no_journal)
    print(verdict.text())
    return 0 if verdict.ok else 1


def audit_checkpoint(args: argparse.Namespace) -> int:
    if args.if_due:
        cp = audit_anchor.checkpoint_if_due(_uow())
        if cp is None:
            print("no checkpoint due (the last one is recent or the trail has not grown)")
            return 0
    else:
        cp = audit_anchor.sign_checkpoint(_uow())
    print(
        f"checkpoint #{cp['number']}: entry {cp['seq']}, head {cp['head_hash'][:16]}…, signed "
        f"{cp['at']}"
        + (" and time-stamped" if cp["tsa_token"] else "")
        + f"; journal {audit_anchor.journal_path(database_url())}"
    )
    return 0


def audit_export(args: argparse.Namespace) -> int:
    with _uow() as uow:
        records = uow.checkpoints()
    Path(args.out).write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    print(f"wrote {len(records)} checkpoint(s) to {args.out}; keep it outside the database")
    return 0


def audit_list(args: argparse.Namespace) -> int:
    with _uow() as uow:
        for r in uow.audit_entries(args.subject):
            print(
                f"{r['seq']}\t{r['at']}\t{r['actor']}\t{r['subject']}\t{r['kind']}\t"
                f"{json.dumps(r['payload'])}\t{r['hash'][:12]}"
            )
    return 0


def retention_status(args: argparse.Namespace) -> int:
    st = retention.status(_uow(), args.id)
    print(f"{args.id}: keep until {st.keep_until}; legal holds: {'; '.join(st.holds) or 'none'}")
    return 0


def retention_hold(args: argparse.Namespace) -> int:
    retention.place_hold(_uow(), args.id, args.reason, args.actor)
    print(f"{args.id}: legal hold placed")
    return 0


def retention_release(args: argparse.Namespace) -> int:
    print(f"{args.id}: {retention.release_hold(_uow(), args.id, args.actor)} hold(s) released")
    return 0


def retention_purge(args: argparse.Namespace) -> int:
    what = retention.purge(_uow(), args.id, args.actor)
    print(
        f"purged {what['contract']}: {len(what['envelopes'])} envelope(s), "
        f"{len(what['documents'])} document(s)"
    )
    return 0


def _parser() -> argparse.ArgumentParser:
    from contracts.cli_parser import build_parser

    return build_parser(sys.modules[__name__])


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.func(args))
    except FieldsError as exc:
        print("error: invalid contract fields:", file=sys.stderr)
        for f, m in exc.problems:
            print(f"  {f}: {m}", file=sys.stderr)
        return 2
    except ContractsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # --out to a missing folder or a full disk
        where = f" {exc.filename}" if exc.filename else ""
        print(f"error: cannot use{where}: {exc.strerror or exc}", file=sys.stderr)
        return 2
