"""The certificate of completion: who signed, how they were identified, what they consented to, and
when."""

from __future__ import annotations

from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table

from contracts.documents.styles import GRID, STYLES
from contracts.domain.envelope import Envelope


def _cell(text: str) -> Paragraph:
    return Paragraph(escape(str(text)), STYLES["cell"])


def certificate_flowables(
    env: Envelope, original_sha256: str, signed_sha256: str, events: list[dict]
) -> list:
    """Flowables for the certificate pages (appended to the signed contract before sealing)."""
    out = [
        Paragraph("Certificate of completion", STYLES["title"]),
        Paragraph(f"Envelope {escape(env.id)} · contract {escape(env.contract_id)}", STYLES["sub"]),
    ]
    facts = [
        ["Original document SHA-256 (as sent)", original_sha256],
        [
            "Signed document SHA-256 (contract pages with signatures, before this certificate and "
            "the seal)",
            signed_sha256,
        ],
        ["Sent by", env.sender],
        ["Sent at (UTC)", env.created_at.isoformat(timespec="seconds")],
        [
            "Signer authentication",
            {
                "email_link": "e-mail link",
                "email_code": "e-mail link + one-time code",
                "sms_code": "e-mail link + SMS one-time code",
            }[env.auth_method],
        ],
        ["Routing", " then ".join("+".join(s.name for s in env.group(g)) for g in env.groups())],
    ]
    t = Table([[_cell(a), _cell(b)] for a, b in facts], colWidths=[62 * mm, 106 * mm])
    t.setStyle(GRID)
    out += [t, Paragraph("Signers", STYLES["h"])]
    for s in env.signers:
        consent = s.consent or {}
        rows = [
            ["Name / e-mail / role", f"{s.name} <{s.email}> · {s.role} · signer ID {s.id}"],
            [
                "Authentication",
                ("one-time code verified " + s.code_verified_at.isoformat(timespec="seconds"))
                if s.code_verified_at
                else "e-mail link",
            ],
            [
                "Consent to electronic records",
                f"disclosure v{consent.get('version', '-')} sha256 "
                f"{consent.get('sha256', '-')} at {consent.get('at', '-')}",
            ],
            [
                "IP address / user agent",
                f"{(s.signature or {}).get('ip') or '-'} / "
                f"{(s.signature or {}).get('user_agent') or '-'}",
            ],
            [
                "Sent / viewed / signed (UTC)",
                " / ".join(
                    d.isoformat(timespec="seconds") if d else "-"
                    for d in (s.invited_at, s.viewed_at, s.signed_at)
                ),
            ],
            [
                "Signature",
                f"{(s.signature or {}).get('kind', '-')}: {(s.signature or {}).get('value', '-')}",
            ],
        ]
        st = Table([[_cell(a), _cell(b)] for a, b in rows], colWidths=[48 * mm, 120 * mm])
        st.setStyle(GRID)
        out += [st, Spacer(1, 4)]
    out.append(Paragraph("Events", STYLES["h"]))
    ev = [["#", "Time (UTC)", "Event", "Actor", "IP", "Details"]]
    for e in events:
        ev.append(
            [
                str(e["seq"]),
                e["at"][:19],
                e["kind"].removeprefix("envelope."),
                e["actor"],
                e.get("ip") or "",
                _cell(
                    ", ".join(
                        f"{k}={v}" for k, v in e["payload"].items() if k not in ("user_agent",)
                    )
                ),
            ]
        )
    et = Table(ev, colWidths=[8 * mm, 30 * mm, 26 * mm, 38 * mm, 20 * mm, 46 * mm], repeatRows=1)
    et.setStyle(GRID)
    out += [
        et,
        Spacer(1, 4),
        Paragraph(
            "Each event above is an entry of Covenant's hash-chained audit trail. This file is "
            "sealed with a "
            "certification signature that permits no changes: any later modification invalidates "
            "it.",
            STYLES["small"],
        ),
    ]
    return out
