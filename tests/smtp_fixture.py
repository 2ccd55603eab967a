"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import email
import re
import socket

import pytest
from aiosmtpd.controller import Controller

from contracts.adapters.mailer import SmtpConfig


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"

    def to(self, addr: str) -> list:
        return [m for m in self.messages if m["To"] == addr]

    def last_code(self, addr: str) -> str:
        bodies = [
            m.get_body().get_content() for m in self.to(addr) if "code" in m["Subject"].lower()
        ]
        return re.search(r"\b(\d{6})\b", bodies[-1]).group(1)

    def last_link_token(self, addr: str) -> str:
        bodies = [
            m.get_body().get_content()
            for m in self.to(addr)
            if "please sign" in m["Subject"].lower()
        ]
        return re.search(r"/sign\?token=([A-Za-z0-9_\-]+)", bodies[-1]).group(1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    port = _free_port()
    ctl = Controller(inbox, hostname="127.0.0.1", port=port)
    ctl.start()
    yield inbox, SmtpConfig("127.0.0.1", port, False, None, None, "covenant@test.invalid")
    ctl.stop()
