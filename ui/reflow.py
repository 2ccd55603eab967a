"""Text written with hard line breaks (the disclosure, a template's clauses) shown so that it
reflows on any screen: paragraphs are joined, `## ` headings stay headings, and every word is
shown as text (ui/text.plain), never as markup."""

from __future__ import annotations

import streamlit as st

from ui.text import plain


def paragraphs(text: str) -> list[tuple[str, str]]:
    """(kind, text) per block: 'heading' or 'para'; single line breaks inside a block vanish."""
    out: list[tuple[str, str]] = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        lines = [line.strip() for line in block.strip().splitlines() if line.strip()]
        while lines and lines[0].startswith("#"):
            out.append(("heading", lines.pop(0).lstrip("#").strip()))
        if lines:
            out.append(("para", " ".join(lines)))
    return out


def show(text: str) -> None:
    for kind, body in paragraphs(text):
        if kind == "heading":
            st.markdown(f"**{plain(body)}**")
        else:
            st.markdown(plain(body))
