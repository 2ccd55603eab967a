"""The one place a page turns a named error into a message: `with shown_errors(): ...`.

Named errors (contracts, SLA engine, cross-engine flows) say what went wrong in the user's words;
they
are shown with st.error. Anything else is a bug and is not caught here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from contracts.errors import ContractsError
from flows.errors import FlowError
from sla_engine.errors import NoContractColumn, SlaEngineError
from ui.text import plain

NAMED_ERRORS: tuple[type[Exception], ...] = (ContractsError, SlaEngineError, FlowError)
# what a page says to do next, by the error's kind (the CLI writes its own: sla_engine/cli.py)
PAGE_ADVICE: dict[type[Exception], str] = {
    NoContractColumn: ": choose it under “Contract (when the file has no contract column)”",
}


@contextmanager
def shown_errors(
    prefix: str = "", suffix: str = "", stop: bool = False, words: dict[str, str] | None = None
) -> Iterator[None]:
    """Run a user action; a named error is shown (between `prefix` and `suffix`) and, with `stop`,
    ends the page run. `words` replaces text the user must not see (a server path becomes the
    uploaded file's name; a CLI flag becomes the page's control). st.rerun and st.stop pass
    through."""
    try:
        yield
    except NAMED_ERRORS as exc:
        text = str(exc)
        for old, new in (words or {}).items():
            text = text.replace(old, new)
        advice = PAGE_ADVICE.get(type(exc), "")
        st.error(f"{prefix}{plain(text)}{plain(advice)}{suffix}")
        if stop:
            st.stop()
