"""What follows a completed envelope is written once (flows/bus.py), and every place that
completes an envelope hands the event to it."""

from __future__ import annotations

import ast
from pathlib import Path

from contracts.domain.events import EnvelopeCompleted
from flows import bus

ROOT = Path(__file__).resolve().parents[1]
# who may call register_signed directly: the handler itself, and the commands that register a
# family on purpose (the CLI's `register`, the Contracts page's "Measure" button, ending a
# contract, and the demo rebuilding a family an interrupted run had already signed)
DIRECT = {
    "flows/bus.py",
    "flows/cli.py",
    "flows/measure.py",
    "flows/demo.py",
    "app_pages/contracts.py",
}


def _calls(name: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for package in ("app_pages", "flows", "contracts", "ui"):
        for f in (ROOT / package).rglob("*.py"):
            tree = ast.parse(f.read_text(encoding="utf-8"))
            n = sum(
                1
                for node in ast.walk(tree)
                if isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None)) == name
            )
            if n:
                out[str(f.relative_to(ROOT))] = n
    return out


def test_a_completed_envelope_is_measured_by_one_handler():
    assert bus.HANDLERS[EnvelopeCompleted] == [bus.measure_signed_terms]


def test_the_signing_page_the_retry_the_cli_the_worker_and_the_demo_hand_over_the_event():
    handing = _calls("handle")
    for place in (
        "app_pages/sign.py",
        "app_pages/contracts.py",
        "flows/cli.py",
        "flows/measure.py",
        "flows/demo.py",
    ):
        assert handing.get(place), f"{place} does not hand EnvelopeCompleted to the bus"
    assert set(_calls("register_signed")) <= DIRECT


def test_an_unknown_event_has_no_handler(tmp_path):
    class Unheard:
        pass

    assert bus.handle(Unheard(), None, None, "test") == []  # type: ignore[arg-type]
