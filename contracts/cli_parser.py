"""The argument parser of `python -m contracts`: every subcommand and its options, bound to the
function in contracts/cli.py that runs it."""

from __future__ import annotations

import argparse
from types import ModuleType


def build_parser(cli: ModuleType) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m contracts",
        description="Contract templates, contracts, signing and the audit trail",
    )
    sub = p.add_subparsers(dest="cmd", required=True)

    t = sub.add_parser("template", help="template library").add_subparsers(
        dest="tcmd", required=True
    )
    t.add_parser("list", help="templates and their versions").set_defaults(func=cli.template_list)
    sh = t.add_parser("show", help="one version's text")
    sh.add_argument("ref", help="NAME or NAME@VERSION")
    sh.set_defaults(func=cli.template_show)
    df = t.add_parser("diff", help="readable diff of two versions")
    df.add_argument("name")
    df.add_argument("a", type=int)
    df.add_argument("b", type=int)
    df.set_defaults(func=cli.template_diff)
    pb = t.add_parser("publish", help="freeze the draft (or a numbered draft)")
    pb.add_argument("ref", help="NAME or NAME@VERSION")
    pb.set_defaults(func=cli.template_publish)
    ed = t.add_parser("edit", help="replace the draft text (a published version gets a new draft)")
    ed.add_argument("name")
    ed.add_argument("--text-file", required=True)
    ed.set_defaults(func=cli.template_edit)
    im = t.add_parser("import", help="add a template from a YAML definition")
    im.add_argument("file")
    im.set_defaults(func=cli.template_import)
    t.add_parser(
        "install-starters", help="add the shipped starter templates (published v1)"
    ).set_defaults(func=cli.template_install_starters)

    c = sub.add_parser("contract", help="contracts").add_subparsers(dest="ccmd", required=True)
    cr = c.add_parser("create", help="a draft contract from a published template version")
    cr.add_argument(
        "--template", required=True, help="NAME[@VERSION]; default the latest published"
    )
    cr.add_argument("--fields", required=True, help="JSON file of field values")
    cr.add_argument("--amends", help="id of the signed contract this amendment supersedes")
    cr.set_defaults(func=cli.contract_create)
    c.add_parser("list", help="contracts and their states").set_defaults(func=cli.contract_list)
    pd = c.add_parser("pdf", help="render the contract PDF")
    pd.add_argument("id")
    pd.add_argument("--out", required=True)
    pd.set_defaults(func=cli.contract_pdf)
    tr = c.add_parser("terms", help="SLA terms document in force")
    tr.add_argument("id")
    tr.add_argument("--at", help="date (YYYY-MM-DD); default: every signed version")
    tr.set_defaults(func=cli.contract_terms)
    st = c.add_parser("set-state", help="move a contract through its lifecycle")
    st.add_argument("id")
    st.add_argument("state")
    st.add_argument("--reason")
    st.set_defaults(func=cli.contract_set_state)

    au = sub.add_parser("audit", help="the hash-chained audit trail").add_subparsers(
        dest="acmd", required=True
    )
    av = au.add_parser(
        "verify", help="walk the chain and its signed checkpoints; exit 1 at the first problem"
    )
    av.add_argument("--checkpoints", help="also check checkpoints exported earlier (JSON lines)")
    av.add_argument(
        "--trust",
        action="append",
        metavar="ROOT.pem",
        help="verify against this root certificate instead of the deployment's (an auditor's own)",
    )
    av.add_argument(
        "--no-journal", action="store_true", help="ignore the checkpoint journal beside the key"
    )
    av.set_defaults(func=cli.audit_verify)
    ac = au.add_parser(
        "checkpoint", help="sign the chain's head with the seal key (cron; timestamped with a TSA)"
    )
    ac.add_argument(
        "--if-due", action="store_true", help="only when the trail grew and the last is old"
    )
    ac.set_defaults(func=cli.audit_checkpoint)
    ax = au.add_parser("export-checkpoints", help="write every checkpoint to a file kept elsewhere")
    ax.add_argument("--out", required=True)
    ax.set_defaults(func=cli.audit_export)
    al = au.add_parser("list", help="entries, oldest first")
    al.add_argument("--subject", help="only this envelope, contract or template")
    al.set_defaults(func=cli.audit_list)

    sd = sub.add_parser("send", help="send a contract for signature")
    sd.add_argument("id")
    sd.add_argument(
        "--signer",
        action="append",
        required=True,
        help="NAME,EMAIL,ROLE[,GROUP] (repeatable; same GROUP = parallel, groups in order)",
    )
    sd.add_argument("--cc", action="append", default=[], help="NAME,EMAIL of a copy recipient")
    sd.add_argument(
        "--sender", required=True, help="e-mail of the sender (gets decline/expiry notices)"
    )
    sd.add_argument(
        "--auth",
        choices=["email_link", "email_code", "sms_code"],
        help="default: the workflow defaults (Admin page; e-mail code out of the box)",
    )
    sd.add_argument(
        "--reminder-hours", type=float, help="default: the workflow defaults (48 out of the box)"
    )
    sd.add_argument("--expires-days", type=int, default=30)
    sd.set_defaults(func=cli.send)
    vd = sub.add_parser("void", help="void an envelope (with a reason)")
    vd.add_argument("envelope")
    vd.add_argument("--reason", required=True)
    vd.add_argument("--actor", required=True)
    vd.set_defaults(func=cli.void)
    ul = sub.add_parser("unlock", help="let a signer locked by wrong codes try again (audited)")
    ul.add_argument("envelope")
    ul.add_argument("signer", help="signer id (S-...), as the lock e-mail names it")
    ul.add_argument("--actor", required=True)
    ul.set_defaults(func=cli.unlock)
    sub.add_parser(
        "remind", help="send due reminders and expire envelopes (for cron; idempotent)"
    ).set_defaults(func=cli.remind)
    sub.add_parser(
        "deliver-mail", help="send the outbox over SMTP (COVENANT_SMTP_*); failures retry"
    ).set_defaults(func=cli.deliver_mail)
    cp = sub.add_parser(
        "complete", help="retry sealing a fully signed envelope (after a TSA failure)"
    )
    cp.add_argument("envelope")
    cp.set_defaults(func=cli.complete)
    sub.add_parser(
        "init-seal", help="create the local root CA and seal certificate if absent"
    ).set_defaults(func=cli.init_seal)
    sub.add_parser(
        "demo-users", help="create the demo dashboard users (one per role; demo only)"
    ).set_defaults(func=cli.demo_users)

    rt = sub.add_parser("retention", help="retention and legal holds").add_subparsers(
        dest="rcmd", required=True
    )
    rs = rt.add_parser("status", help="keep-until date and holds")
    rs.add_argument("id")
    rs.set_defaults(func=cli.retention_status)
    rh = rt.add_parser("hold", help="place a legal hold")
    rh.add_argument("id")
    rh.add_argument("--actor", required=True)
    rh.add_argument("--reason", required=True)
    rh.set_defaults(func=cli.retention_hold)
    rr = rt.add_parser("release", help="release the legal holds")
    rr.add_argument("id")
    rr.add_argument("--actor", required=True)
    rr.set_defaults(func=cli.retention_release)
    rp = rt.add_parser("purge", help="delete after retention")
    rp.add_argument("id")
    rp.add_argument("--actor", required=True)
    rp.set_defaults(func=cli.retention_purge)

    au2 = sub.add_parser("add-user", help="add a dashboard user (password from a prompt)")
    au2.add_argument("username")
    au2.add_argument("--name", required=True)
    au2.add_argument("--email", required=True)
    au2.add_argument(
        "--role",
        action="append",
        required=True,
        help="admin, support_manager, vendor_manager, finance, legal (repeatable)",
    )
    au2.set_defaults(func=cli.add_user)
    so = sub.add_parser("sso", help="single sign-on settings from the server").add_subparsers(
        dest="scmd", required=True
    )
    lp = so.add_parser("local-passwords", help="allow or refuse sign-in with Covenant passwords")
    lp.add_argument("state", choices=["on", "off"])
    lp.set_defaults(func=cli.sso_local_passwords)

    ex = sub.add_parser(
        "extract-terms", help="SLA terms from a contract PDF (also one signed elsewhere)"
    )
    ex.add_argument("file")
    ex.set_defaults(func=cli.extract)
    return p
