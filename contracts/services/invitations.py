"""The invitation e-mail: what a signer receives, with their personal link to the signing page."""

from __future__ import annotations

import os

from contracts.adapters.unit_of_work import AbstractUnitOfWork
from contracts.domain.envelope import Envelope

BASE_URL = os.environ.get("COVENANT_BASE_URL", "http://127.0.0.1:8501")


def link(token: str, base_url: str | None) -> str:
    return f"{(base_url or BASE_URL).rstrip('/')}/sign?token={token}"


def invite(
    uow: AbstractUnitOfWork,
    env: Envelope,
    tokens: dict[str, str],
    title: str,
    base_url: str | None,
    reminder: bool = False,
) -> None:
    for signer_id, token in tokens.items():
        s = env.signer(signer_id)
        word = "Reminder: " if reminder else ""
        uow.envelopes.queue_mail(
            s.email,
            f"{word}please sign: {title}",
            f'Hello {s.name},\n\n{env.sender} asks you to sign "{title}" as {s.role}.\n\n'
            f"Open the contract and sign: {link(token, base_url)}\n\n"
            "This link is personal; do not forward it. "
            f"It expires on {env.expires_at:%Y-%m-%d %H:%M} UTC.\n",
            envelope_id=env.id,
        )
