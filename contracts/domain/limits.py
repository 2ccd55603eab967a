"""Bounds and shapes of every value a stranger can send: signers' names and addresses, typed and
drawn signatures, reasons. Checked where the value enters, with a message that names the field."""

from __future__ import annotations

import re
import unicodedata

from contracts.errors import SigningError

MAX_NAME = 200  # a person's name, a role, a typed signature
MAX_EMAIL = 254  # RFC 5321 path limit
MAX_PHONE = 32
MAX_REASON = 2000  # decline and void reasons
MAX_DRAWING_BYTES = 512 * 1024  # a drawn signature as a PNG data URL
DRAWING_PREFIX = "data:image/png;base64,"

_EMAIL = re.compile(
    r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)


def _has_control(value: str, allow_newlines: bool = False) -> bool:
    for ch in value:
        if allow_newlines and ch in "\n\r\t":
            continue
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            return True
    return False


def one_line(value: str, what: str, limit: int = MAX_NAME) -> str:
    """A single line of text (a name, a role): no line breaks or control characters, bounded."""
    value = (value or "").strip()
    if not value:
        raise SigningError(f"{what} is empty")
    if len(value) > limit:
        raise SigningError(
            f"{what} is {len(value):,} characters long; at most {limit:,} are allowed"
        )
    if _has_control(value):
        raise SigningError(f"{what} contains a line break or a control character")
    return value


def email_address(value: str, what: str) -> str:
    """An e-mail address as mail headers can carry it (no display name, no line breaks)."""
    value = (value or "").strip()
    if len(value) > MAX_EMAIL or _has_control(value) or not _EMAIL.match(value):
        shown = value[:60] + ("…" if len(value) > 60 else "")
        raise SigningError(f"{what} {shown!r} is not a valid e-mail address")
    return value


def reason_text(value: str, what: str) -> str:
    """A reason in the signer's or sender's words: line breaks allowed, bounded."""
    value = (value or "").strip()
    if not value:
        raise SigningError(f"{what}: say why")
    if len(value) > MAX_REASON:
        raise SigningError(
            f"{what} is {len(value):,} characters long; at most {MAX_REASON:,} are allowed"
        )
    if _has_control(value, allow_newlines=True):
        raise SigningError(f"{what} contains control characters")
    return value


def drawing(value: str) -> str:
    """A drawn signature: a PNG data URL of bounded size."""
    if not value.startswith(DRAWING_PREFIX):
        raise SigningError("a drawn signature must be a PNG image")
    if len(value) > MAX_DRAWING_BYTES:
        raise SigningError(
            f"the drawn signature is {len(value) // 1024:,} KiB; at most "
            f"{MAX_DRAWING_BYTES // 1024:,} KiB are allowed: draw it again, smaller"
        )
    return value


def header_safe(value: str) -> str:
    """A mail header value built from stored text (a contract title): line breaks become spaces."""
    return " ".join("".join(" " if _has_control(ch) else ch for ch in value).split())
