"""Text written with hard line breaks (the disclosure, a template's clauses) shown so that it
reflows on any screen: paragraphs are joined, `## ` headings stay headings, and every word is
shown as text (ui/text.plain), never as markup."""

from __future__ import annotations

import re

import streamlit as st

from ui.text import plain

_ITEM = re.compile(r"^(\d+[.)]|[-*•])\s")


def paragraphs(text: str) -> list[tuple[str, str]]:
    """(kind, text) per block: 'heading', 'item' (a numbered or bulleted point) or 'para'.
    Inside a block single line breaks vanish; a list item starts a block, and so does a line
    back at the margin after an item's indented continuation lines."""
    out: list[tuple[str, str]] = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        kind, words = "para", list[str]()  # the block being gathered
        for raw in block.splitlines():
            line = raw.strip()
            if not line:
                continue
            starts = line.startswith("#") or _ITEM.match(line) is not None
            back_at_margin = kind == "item" and not raw[:1].isspace()
            if (starts or back_at_margin) and words:
                out.append((kind, " ".join(words)))
                words = []
            if line.startswith("#"):
                out.append(("heading", line.lstrip("#").strip()))
                kind = "para"
                continue
            if not words:
                kind = "item" if _ITEM.match(line) else "para"
            words.append(line)
        if words:
            out.append((kind, " ".join(words)))
    return out


def show(text: str) -> None:
    for kind, body in paragraphs(text):
        if kind == "heading":
            st.markdown(f"**{plain(body)}**")
        else:
            st.markdown(plain(body))
