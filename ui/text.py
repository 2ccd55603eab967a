"""User-supplied text shown as text. Streamlit renders Markdown (links, images, HTML-like colour
tags) in titles, captions, alerts and markdown; anything a user, a signer or an export wrote goes
through `plain()` first, so `[Re-verify here](https://evil.example)` stays those characters."""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$=&])")


# the renderer finds URLs, www. names and e-mail addresses in text *after* escapes are read, so
# escaping cannot stop an auto-link: an invisible word joiner (U+2060) inside each pattern does
_AUTOLINKS = (
    ("://", ":/\u2060/"),
    ("@", "@\u2060"),
    ("www.", "www\u2060."),
    ("WWW.", "WWW\u2060."),
)


def plain(text: object) -> str:
    """Escape every Markdown-active character, and break every URL, www. name and e-mail
    address so that none is auto-linked."""
    out = str(text)
    for pattern, broken in _AUTOLINKS:
        out = out.replace(pattern, broken)
    return _SPECIAL.sub(r"\\\1", out).replace("\n", "  \n")


_LABEL_SPECIAL = re.compile(r"([\\`*{}\[\]()<>!|~:$&#])")
# an underscore inside a word never opens or closes emphasis (CommonMark), so `not_priority` is
# left as written; one at a word's edge is escaped
_EDGE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def plain_label(text: object) -> str:
    """For a widget's label, whose raw text is also its accessible name: escapes only what forms
    inline markup (links, images, emphasis, code, colour and emoji tags, HTML) and breaks
    auto-links, so a screen reader does not read a backslash before every dash or dot. The label
    must start with our own words, never with the stranger's text (a block marker such as "- "
    or "1. " is markup only at the start)."""
    out = str(text).replace("\n", " ")
    for pattern, broken in _AUTOLINKS:
        out = out.replace(pattern, broken)
    return _EDGE_UNDERSCORE.sub(r"\\_", _LABEL_SPECIAL.sub(r"\\\1", out))
