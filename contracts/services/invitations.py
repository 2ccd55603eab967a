"""The invitation e-mail: what a signer receives, with their personal link to the signing page."""

from __future__ import annotations

import config
from contracts.adapters.unit_of_work import AbstractUnitOfWork
from contracts.domain.envelope import Envelope

DEFAULT_BASE_URL = "http://127.0.0.1:8501"  # make run's address


def public_base_url(served_at: str | None = None) -> tuple[str, str]:
    """The address signing links point to, and where it comes from: COVENANT_BASE_URL when the
    operator set it, else the address the app is served on (as the browser that acted saw it),
    else make run's local address."""
    configured = config.get("COVENANT_BASE_URL")
    if configured:
        return configured.rstrip("/"), "COVENANT_BASE_URL"
    if served_at:
        return served_at.rstrip("/"), "the address the app is served on"
    return DEFAULT_BASE_URL, "the default of make run (set COVENANT_BASE_URL in production)"


def link(token: str, base_url: str | None) -> str:
    return f"{public_base_url(base_url)[0]}/sign?token={token}"


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
