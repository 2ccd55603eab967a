"""The README's claims a newcomer acts on, held by the code: the roles table is ui/access.py, every
file "Where things are" and the tree name exists, and the two commands are the Makefile's."""

from __future__ import annotations

import re
from pathlib import Path

from ui.access import PAGES

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = README.index(f"## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end > 0 else None]


def test_the_roles_table_is_the_access_table():
    rows = re.findall(r"^\| ([A-Z][\w ]+) \| ([\w, -]+) \| .+ \|$", _section("The app"), re.M)
    readme = {title: who for title, who in rows if title != "page"}
    code = {
        spec.title: (
            "every signed-in user"
            if spec.roles is None
            else ", ".join(sorted(str(r) for r in spec.roles)) or "admin"
        )
        for spec in PAGES
    }
    assert readme == code


def test_every_file_where_things_are_names_exists():
    named = set(
        re.findall(
            r"`((?:sla_engine|contracts|flows|ui|app_pages|tests|bench)/[\w/.*-]+)`",
            _section("Where things are"),
        )
    )
    assert len(named) > 40  # the section is read, not skipped
    missing = sorted(n for n in named if not list(ROOT.glob(n)))
    assert missing == []


def test_the_two_commands_are_the_makefiles():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    commands = re.findall(r"^make (\w+)", _section("Two commands"), re.M)
    assert commands == ["run", "test"]
    for target in commands:
        assert re.search(rf"^{target}:", makefile, re.M), target
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


TEST_ONLY = {"COVENANT_SCREENSHOTS"}  # read by the browser tests, not by Covenant


def test_every_setting_the_docs_name_is_one_config_reads():
    import config

    docs = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    named = {
        n
        for f in docs
        for n in re.findall(r"\b(COVENANT_[A-Z_]*[A-Z]|DATABASE_(?:OWNER_)?URL)\b", f.read_text())
    }
    assert len(named) > 20
    assert sorted(named - TEST_ONLY - set(config.SETTINGS)) == []


def test_every_name_where_things_are_points_to_is_defined_in_that_file():
    """`file.py` (`name`, …): each name is a function, class or constant of that file, so a
    newcomer who opens it finds the rule."""
    pairs = re.findall(
        r"`((?:[\w]+/)+[\w]+\.py)` \(((?:`\w+`(?:, )?)+)\)", _section("Where things are")
    )
    assert len(pairs) >= 8
    missing = []
    for path, names in pairs:
        text = (ROOT / path).read_text(encoding="utf-8")
        for name in re.findall(r"`(\w+)`", names):
            if not re.search(rf"^\s*(?:def|class|async def) {name}\b|^{name}\s*[:=]", text, re.M):
                missing.append(f"{path}: {name}")
    assert missing == []
