"""User-supplied text shown as text. Streamlit renders Markdown (links, images, HTML-like colour
tags) in titles, captions, alerts and markdown; anything a user, a signer or an export wrote goes
through `plain()` first, so `[Re-verify here](https://evil.example)` stays those characters."""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$=&])")


def plain(text: object) -> str:
    """Escape every Markdown-active character (and ':' so that no URL is auto-linked)."""
    return _SPECIAL.sub(r"\\\1", str(text)).replace("\n", "  \n")
