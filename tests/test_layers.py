"""The README's layering claims, held by the imports themselves (read with `ast`, not by running
anything): which package may import which, and where engine connections are opened."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = ("sla_engine", "contracts", "flows", "ui", "app_pages")


def _imports(package: str) -> dict[str, set[str]]:
    """module path -> the modules it imports (absolute names)."""
    out: dict[str, set[str]] = {}
    for f in sorted((ROOT / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
        out[str(f.relative_to(ROOT))] = names
    return out


def _offenders(package: str, forbidden: tuple[str, ...], allowed: tuple[str, ...] = ()) -> list:
    return sorted(
        f"{path}: {name}"
        for path, names in _imports(package).items()
        for name in names
        if name.split(".")[0] in forbidden and name not in allowed
    )


@pytest.mark.parametrize(
    ("package", "forbidden", "allowed", "claim"),
    [
        (
            "sla_engine",
            ("streamlit", "contracts", "flows", "ui", "app_pages", "sqlalchemy"),
            (),
            "the SLA engine knows nothing of contracts, flows or the app",
        ),
        (
            "contracts",
            ("streamlit", "flows", "ui", "app_pages", "duckdb", "sla_engine"),
            ("sla_engine.rulebook.terms",),
            "contracts knows the SLA engine only through the SLA terms document",
        ),
        (
            "flows",
            ("streamlit", "ui", "app_pages"),
            (),
            "flows cross both engines and never draw",
        ),
        (
            "app_pages",
            ("sqlalchemy", "duckdb"),
            (),
            "pages read widgets, call a function and render: no SQL of their own",
        ),
    ],
)
def test_a_package_imports_only_what_the_readme_says(package, forbidden, allowed, claim):
    assert _offenders(package, forbidden, allowed) == [], claim


def test_every_engine_connection_is_opened_by_sqlfiles_connect():
    opened = sorted(
        str(f.relative_to(ROOT))
        for package in OURS
        for f in (ROOT / package).rglob("*.py")
        if "duckdb.connect(" in f.read_text(encoding="utf-8")
    )
    assert opened == ["sla_engine/sqlfiles.py"]


def test_the_pause_and_resolved_lists_are_read_by_the_rulebook_only():
    """Which statuses pause or resolve is the terms' (terms.py), installed once for the SQL
    rulebook (engine.py's t_status); the timeline, at-risk and alerts read the rulebook's spans and
    paused_now instead of matching statuses again in Python."""
    readers = sorted(
        str(f.relative_to(ROOT))
        for f in (ROOT / "sla_engine").rglob("*.py")
        if "pause_statuses" in f.read_text(encoding="utf-8")
        or "resolved_statuses" in f.read_text(encoding="utf-8")
    )
    assert readers == ["sla_engine/rulebook/engine.py", "sla_engine/rulebook/terms.py"]


def test_every_included_rulebook_fragment_exists_and_is_used():
    import re

    sql_dir = ROOT / "sla_engine"
    included = {
        m
        for f in sql_dir.rglob("*.sql")
        for m in re.findall(r"^-- @include (\w+)\s*$", f.read_text(encoding="utf-8"), re.M)
    }
    assert included == {"rulebook_history"}
    assert all(len(list(sql_dir.rglob(f"{name}.sql"))) == 1 for name in included)


# the engine's parts, bottom up: each imports only the parts below it (and sqlfiles, errors)
ENGINE_LAYERS = ("rulebook", "store", "ledger", "ingest", "reports")


def _engine_part_imports() -> dict[str, set[tuple[str, str]]]:
    """part -> {(module path, imported engine part)} for imports that cross parts."""
    out: dict[str, set[tuple[str, str]]] = {part: set() for part in ENGINE_LAYERS}
    for part in ENGINE_LAYERS:
        for path, names in _imports(f"sla_engine/{part}").items():
            for name in names:
                bits = name.split(".")
                if bits[0] == "sla_engine" and len(bits) > 1 and bits[1] in ENGINE_LAYERS:
                    if bits[1] != part:
                        out[part].add((path, bits[1]))
    return out


def test_the_engines_parts_are_layers_each_importing_only_those_below():
    """The rulebook judges what it is given (no file, ledger or report); the store keeps facts and
    the relations derived from them; the ledger keeps verdicts; ingest writes through all three;
    reports read. No cycle: a newcomer reads them bottom up."""
    upward = sorted(
        f"{path} imports sla_engine.{target}"
        for part, edges in _engine_part_imports().items()
        for path, target in edges
        if ENGINE_LAYERS.index(target) > ENGINE_LAYERS.index(part)
    )
    assert upward == []


def test_the_layer_test_sees_the_imports_it_judges():
    """The layer test is not vacuous: the parts do import downward, as drawn."""
    edges = {(part, target) for part, e in _engine_part_imports().items() for _, target in e}
    assert {("store", "rulebook"), ("ledger", "store"), ("ingest", "ledger")} <= edges
    assert ("reports", "ingest") in edges  # plain files are read through ingest's readers


@pytest.mark.parametrize(
    ("forbidden", "claim"),
    [
        (
            (
                "sla_engine.ingest.run",
                "sla_engine.ingest.merge",
                "sla_engine.store.table",
                "sla_engine.store.maintain",
                "sla_engine.store.migrate",
                "sla_engine.ledger.build",
                "sla_engine.ledger.register",
            ),
            "reports read: they import nothing that commits to the store or registers terms",
        ),
    ],
)
def test_reports_only_read(forbidden, claim):
    found = sorted(
        f"{path}: {name}"
        for path, names in _imports("sla_engine/reports").items()
        for name in names
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    )
    assert found == [], claim


@pytest.mark.parametrize("package", ["flows", "ui", "app_pages"])
def test_flows_and_pages_reach_the_database_only_through_units_of_work(package):
    """No flow or page runs a SQL statement of its own: they hold an `Engine` (the handle a unit
    of work is opened on) and nothing else of SQLAlchemy; every query is a repository's method
    in contracts/adapters/."""
    found = sorted(
        f"{path}: {name}"
        for path, names in _imports(package).items()
        for name in names
        if (name == "sqlalchemy" or name.startswith("sqlalchemy.")) and name != "sqlalchemy.engine"
    )
    assert found == []


def test_no_flow_or_page_reaches_into_a_session():
    """`uow.session` is the repositories' business (a flow that used it would run its own SQL)."""
    used = sorted(
        str(f.relative_to(ROOT))
        for package in ("flows", "ui", "app_pages")
        for f in (ROOT / package).rglob("*.py")
        if "uow.session" in f.read_text(encoding="utf-8")
    )
    assert used == []


def test_services_reach_the_database_only_through_repositories():
    """Services hold the rules and take a unit of work; every statement is a repository's method
    in contracts/adapters/ (no service imports SQLAlchemy or touches `uow.session`)."""
    users = sorted(
        path
        for path, names in _imports("contracts/services").items()
        if any(n == "sqlalchemy" or n.startswith("sqlalchemy.") for n in names)
    )
    touching = sorted(
        str(f.relative_to(ROOT))
        for f in (ROOT / "contracts" / "services").rglob("*.py")
        if "uow.session" in f.read_text(encoding="utf-8")
    )
    assert users == [] and touching == []


def test_only_config_py_reads_the_environment():
    """Every setting is read through config.py (its name, default and meaning listed there); the
    worker passes its environment on to the process of its heavy jobs, which is not a read."""
    readers = sorted(
        f"{path}: {line.strip()}"
        for package in (*OURS, "app.py", "serve.py")
        for f in ([ROOT / package] if package.endswith(".py") else (ROOT / package).rglob("*.py"))
        for path in [str(f.relative_to(ROOT))]
        for line in f.read_text(encoding="utf-8").splitlines()
        if ("os.environ" in line or "getenv(" in line) and "dict(os.environ)" not in line
    )
    assert readers == []


def test_the_stores_parked_files_are_in_the_generic_exports_shape():
    """The store keeps parked rows as a generic export a re-route reads back; it cannot import the
    profiles (a lower layer), so its column lists are held equal to theirs here."""
    from sla_engine.ingest.profiles.base import EVENT_FIELDS, TICKET_FIELDS
    from sla_engine.store.parked_files import EVENT_COLUMNS, TICKET_COLUMNS

    assert (TICKET_COLUMNS, EVENT_COLUMNS) == (TICKET_FIELDS, EVENT_FIELDS)
