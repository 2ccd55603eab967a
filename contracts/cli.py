"""Command line; named errors are caught here, once, and printed without a traceback."""
from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from contracts.services import contracts as contract_service

from contracts.services import templates as template_service
from contracts.adapters.orm import make_engine
from contracts.errors import ContractsError, FieldsError
from contracts.documents.pdf import extract_terms
from contracts.adapters.repository import UnitOfWork


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m contracts", description="Contract templates, contracts and PDFs")
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("template", help="template library").add_subparsers(dest="tcmd", required=True)
    t.add_parser("list", help="templates and their versions")
    sh = t.add_parser("show", help="one version's text")
    sh.add_argument("ref", help="NAME or NAME@VERSION")
    df = t.add_parser("diff", help="readable diff of two versions")
    df.add_argument("name")
    df.add_argument("a", type=int)
    df.add_argument("b", type=int)
    pb = t.add_parser("publish", help="freeze the draft (or a numbered draft)")
    pb.add_argument("ref", help="NAME or NAME@VERSION")
    ed = t.add_parser("edit", help="replace the draft text (a published version gets a new draft)")
    ed.add_argument("name")
    ed.add_argument("--text-file", required=True)
    im = t.add_parser("import", help="add a template from a YAML definition")
    im.add_argument("file")
    t.add_parser("install-starters", help="add the shipped starter templates (published v1)")

    c = sub.add_parser("contract", help="contracts").add_subparsers(dest="ccmd", required=True)
    cr = c.add_parser("create", help="a draft contract from a published template version")
    cr.add_argument("--template", required=True, help="NAME[@VERSION]; default the latest published")
    cr.add_argument("--fields", required=True, help="JSON file of field values")
    cr.add_argument("--amends", help="id of the signed contract this amendment supersedes")
    c.add_parser("list", help="contracts and their states")
    pd = c.add_parser("pdf", help="render the contract PDF")
    pd.add_argument("id")
    pd.add_argument("--out", required=True)
    tr = c.add_parser("terms", help="SLA terms document in force")
    tr.add_argument("id")
    tr.add_argument("--at", help="date (YYYY-MM-DD); default: every signed version")
    st = c.add_parser("set-state", help="move a contract through its lifecycle")
    st.add_argument("id")
    st.add_argument("state")
    st.add_argument("--reason")

    au = sub.add_parser("audit", help="the hash-chained audit trail").add_subparsers(dest="acmd", required=True)
    au.add_parser("verify", help="walk the chain; report the first broken link (exit 1 if broken)")
    al = au.add_parser("list", help="entries, oldest first")
    al.add_argument("--subject", help="only this envelope, contract or template")

    sd = sub.add_parser("send", help="send a contract for signature")
    sd.add_argument("id")
    sd.add_argument("--signer", action="append", required=True,
                    help="NAME,EMAIL,ROLE[,GROUP] (repeatable; same GROUP = parallel, groups sign in order)")
    sd.add_argument("--cc", action="append", default=[], help="NAME,EMAIL of a copy recipient")
    sd.add_argument("--sender", required=True, help="e-mail of the sender (gets decline/expiry notices)")
    sd.add_argument("--auth", choices=["email_link", "email_code", "sms_code"],
                    help="default: the workflow defaults (Admin page; e-mail link + code out of the box)")
    sd.add_argument("--reminder-hours", type=float, help="default: the workflow defaults (48 out of the box)")
    sd.add_argument("--expires-days", type=int, default=30)
    vd = sub.add_parser("void", help="void an envelope (with a reason)")
    vd.add_argument("envelope")
    vd.add_argument("--reason", required=True)
    vd.add_argument("--actor", required=True)
    sub.add_parser("remind", help="send due reminders and expire envelopes (for cron; idempotent)")
    sub.add_parser("deliver-mail", help="send the outbox over SMTP (COVENANT_SMTP_*); failed sends are retried")
    cp = sub.add_parser("complete", help="retry sealing a fully signed envelope (after a TSA failure)")
    cp.add_argument("envelope")
    sub.add_parser("init-seal", help="create the local root CA and seal certificate in data/secrets/ if absent")
    sub.add_parser("demo-users", help="create the demo dashboard users (one per role; demo only)")
    rt = sub.add_parser("retention", help="retention and legal holds").add_subparsers(dest="rcmd", required=True)
    for name, helptext in (("status", "keep-until date and holds"), ("hold", "place a legal hold"),
                           ("release", "release the legal holds"), ("purge", "delete after retention")):
        r = rt.add_parser(name, help=helptext)
        r.add_argument("id")
        if name != "status":
            r.add_argument("--actor", required=True)
        if name == "hold":
            r.add_argument("--reason", required=True)

    ex = sub.add_parser("extract-terms", help="SLA terms from a contract PDF (also one signed elsewhere)")
    ex.add_argument("file")
    return p


def run(args: argparse.Namespace) -> int:
    if args.cmd == "extract-terms":
        print(extract_terms(Path(args.file)).model_dump_json(indent=2))
        return 0
    if args.cmd == "init-seal":
        from contracts.adapters.seal import ensure_local_ca

        paths = ensure_local_ca()
        print(f"local seal certificate: {paths['seal-cert']} (root CA {paths['root-cert']}).\n"
              "For trying Covenant on one machine only: in production configure COVENANT_SEAL_P12 (or "
              "COVENANT_SEAL_KEY/CERT) with a certificate trusted by Adobe (AATL) or a key held in an HSM.")
        return 0
    engine = make_engine()
    if args.cmd in ("send", "void", "remind", "deliver-mail", "complete"):
        from contracts.services import signing
        from contracts.adapters.mailer import deliver

        if args.cmd == "send":
            signers = []
            for i, spec in enumerate(args.signer):
                parts = [p.strip() for p in spec.split(",")]
                if len(parts) not in (3, 4):
                    raise ContractsError(f"--signer {spec!r}: expected NAME,EMAIL,ROLE[,GROUP]")
                signers.append({"name": parts[0], "email": parts[1], "role": parts[2],
                                "group": int(parts[3]) if len(parts) == 4 else i + 1})
            cc = [dict(zip(("name", "email"), (p.strip() for p in c.split(",", 1)))) for c in args.cc]
            env = signing.send_for_signature(UnitOfWork(engine), args.id, signers, args.sender, args.auth, args.reminder_hours,
                                             args.expires_days, cc)
            print(f"sent: envelope {env}")
        elif args.cmd == "void":
            signing.void(UnitOfWork(engine), args.envelope, args.reason, args.actor)
            print(f"voided {args.envelope}")
        elif args.cmd == "remind":
            print(f"reminders sent: {signing.remind_due(UnitOfWork(engine))}")
        elif args.cmd == "deliver-mail":
            sent, failed = deliver(engine)
            print(f"delivered {sent}, failed {failed} (failed messages are retried on the next run)")
        else:
            print("sealed" if signing.complete(UnitOfWork(engine), args.envelope) else "nothing to do")
        return 0
    if args.cmd == "demo-users":
        from contracts.services.users import DEMO_PASSWORD, ensure_demo_users

        made = ensure_demo_users(UnitOfWork(engine))
        print(f"demo users: {', '.join(made) or 'already present'} (password {DEMO_PASSWORD!r}; demo only)")
        return 0
    if args.cmd == "retention":
        from contracts.services import retention

        if args.rcmd == "status":
            st = retention.status(UnitOfWork(engine), args.id)
            print(f"{args.id}: keep until {st.keep_until}; legal holds: {'; '.join(st.holds) or 'none'}")
        elif args.rcmd == "hold":
            retention.place_hold(UnitOfWork(engine), args.id, args.reason, args.actor)
            print(f"{args.id}: legal hold placed")
        elif args.rcmd == "release":
            print(f"{args.id}: {retention.release_hold(UnitOfWork(engine), args.id, args.actor)} hold(s) released")
        else:
            what = retention.purge(UnitOfWork(engine), args.id, args.actor)
            print(f"purged {what['contract']}: {len(what['envelopes'])} envelope(s), {len(what['documents'])} document(s)")
        return 0
    if args.cmd == "audit":
        from contracts.adapters import audit

        with UnitOfWork(engine) as uow:
            if args.acmd == "verify":
                verdict = audit.verify(uow.session)
                print(verdict.text())
                return 0 if verdict.ok else 1
            for r in audit.entries(uow.session, args.subject):
                print(f"{r.seq}\t{r.at}\t{r.actor}\t{r.subject}\t{r.kind}\t{json.dumps(r.payload)}\t{r.hash[:12]}")
        return 0
    if args.cmd == "template":
        if args.tcmd == "install-starters":
            print("added: " + (", ".join(template_service.install_starters(UnitOfWork(engine))) or "(all present)"))
        elif args.tcmd == "import":
            print(f"imported {template_service.import_template(UnitOfWork(engine), Path(args.file)).name} (draft v1)")
        elif args.tcmd == "list":
            with UnitOfWork(engine) as uow:
                for t in uow.repo.list_templates():
                    vs = ", ".join(f"v{v.number} {v.status}" for v in t.versions)
                    print(f"{t.name}\t{t.title}\t{vs}")
        elif args.tcmd == "show":
            name, num = template_service.parse_template_ref(args.ref)
            with UnitOfWork(engine) as uow:
                v = uow.repo.get_template(name).version(num)
                print(f"# {name} v{v.number} ({v.status}; requires: {', '.join(v.requires) or 'nothing extra'};"
                      f" text sha256 {v.text_sha256 or '-'})\n{v.text}")
        elif args.tcmd == "diff":
            with UnitOfWork(engine) as uow:
                print(uow.repo.get_template(args.name).diff(args.a, args.b))
        elif args.tcmd == "publish":
            name, num = template_service.parse_template_ref(args.ref)
            print(f"published {name} v{template_service.publish_template(UnitOfWork(engine), name, num)}")
        elif args.tcmd == "edit":
            n = template_service.edit_template(UnitOfWork(engine), args.name, Path(args.text_file).read_text(encoding="utf-8"))
            print(f"{args.name}: draft v{n} saved")
        return 0
    if args.ccmd == "create":
        try:
            values = json.loads(Path(args.fields).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ContractsError(f"{args.fields}: cannot read field values: {exc}") from exc
        c = contract_service.create_contract(UnitOfWork(engine), args.template, values, supersedes=args.amends)
        print(f"created {c.id} from {c.template_name} v{c.template_version} (draft)")
    elif args.ccmd == "list":
        with UnitOfWork(engine) as uow:
            for c in uow.repo.list_contracts():
                f = c.typed
                print(f"{c.id}\t{c.state}\t{f.title}\t{f.party('customer').name}\t{f.start_date}..{f.end_date}"
                      f"\trenews {c.renewal_date()}\tnotice by {c.notice_deadline()}")
    elif args.ccmd == "pdf":
        pdf = contract_service.contract_pdf(UnitOfWork(engine), args.id)
        Path(args.out).write_bytes(pdf)
        from contracts.documents.pdf import sha256_bytes

        print(f"wrote {args.out} ({len(pdf)} bytes, sha256 {sha256_bytes(pdf)})")
    elif args.ccmd == "terms":
        if args.at:
            t = contract_service.terms_in_force(UnitOfWork(engine), args.id, date.fromisoformat(args.at))
            print(t.model_dump_json(indent=2))
        else:
            print(json.dumps([t.model_dump(mode="json") for t in contract_service.terms_versions(UnitOfWork(engine), args.id)], indent=2))
    elif args.ccmd == "set-state":
        c = contract_service.transition(UnitOfWork(engine), args.id, args.state, reason=args.reason)
        print(f"{c.id}: {c.state}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return run(args)
    except FieldsError as exc:
        print("error: invalid contract fields:", file=sys.stderr)
        for f, m in exc.problems:
            print(f"  {f}: {m}", file=sys.stderr)
        return 2
    except ContractsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
