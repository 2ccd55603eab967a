"""Saved import recipes: validated by the engine, versioned, audited, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from contracts.adapters import audit
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.errors import SettingsError
from contracts.services.recipes import MAX_VERSIONS, recipe_versions, saved_recipes
from flows.recipes import all_recipes, save
from sla_engine.errors import RecipeError
from sla_engine.ingest import recipes

MINE = """recipe: acme-desk
title: Acme's own help desk
columns:
  ticket_id: Case
  severity: Urgency
  created_at: Opened
  status: State
statuses:
  solved: [Done]
"""


def test_saving_again_makes_a_new_version_and_each_save_is_audited(engine):
    first = save(UnitOfWork(engine), MINE, "sam")
    again = save(UnitOfWork(engine), MINE, "sam")  # unchanged: no new version
    second = save(UnitOfWork(engine), MINE.replace("[Done]", "[Done, Closed]"), "kim")
    assert (first.version, again.version, second.version) == (1, 1, 2)
    versions = recipe_versions(UnitOfWork(engine), "acme-desk")
    assert [(v.version, v.saved_by) for v in versions] == [(1, "sam"), (2, "kim")]
    with UnitOfWork(engine) as uow:
        saved = [e for e in audit.entries(uow.session) if e.kind == "recipe.saved"]
    assert [(e.actor, e.payload["version"]) for e in saved] == [("sam", 1), ("kim", 2)]
    assert recipes.parse(saved_recipes(UnitOfWork(engine))["acme-desk"].text).statuses == {
        "solved": ["done", "closed"]
    }


def test_a_saved_recipe_is_offered_beside_the_builtin_ones(engine):
    save(UnitOfWork(engine), MINE, "sam")
    book = all_recipes(UnitOfWork(engine))
    assert "acme-desk" in book and "hubspot-tickets" in book
    assert book["acme-desk"].columns["created_at"] == ["Opened"]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("recipe: x\ncolumns: {opened: Opened}", RecipeError),
        ("recipe: '<script>'\n", RecipeError),
        ("recipe: x\nstatuses: {closed: [Done]}", RecipeError),
    ],
)
def test_an_invalid_recipe_is_never_stored(engine, text, error):
    with pytest.raises(error):
        save(UnitOfWork(engine), text, "sam")
    assert saved_recipes(UnitOfWork(engine)) == {}


def test_old_versions_beyond_the_limit_are_dropped_not_the_new_one(engine):
    for i in range(MAX_VERSIONS + 3):
        save(UnitOfWork(engine), MINE.replace("Acme's own", f"Acme's own ({i})"), "sam")
    versions = recipe_versions(UnitOfWork(engine), "acme-desk")
    assert len(versions) == MAX_VERSIONS and versions[-1].version == MAX_VERSIONS + 3


def test_a_bad_name_is_refused_by_the_service_too(engine):
    from contracts.services.recipes import save_recipe

    with pytest.raises(SettingsError, match="recipe name"):
        save_recipe(UnitOfWork(engine), "../../etc", "recipe: x\n", "sam")


def test_cli_saves_lists_shows_and_refuses_recipes(engine, tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = {
        **os.environ,
        "DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "PYTHONPATH": str(root),
    }

    def flows(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "flows", "--store", str(tmp_path / "store"), *args],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    mine = tmp_path / "acme.yaml"
    mine.write_text(MINE)
    saved = flows("recipes", "save", str(mine), "--actor", "sam")
    assert saved.returncode == 0 and "saved acme-desk, version 1" in saved.stdout, saved.stderr
    listed = flows("recipes", "list")
    assert "acme-desk\tgeneric" in listed.stdout and "hubspot-tickets\t" in listed.stdout
    shown = flows("recipes", "show", "acme-desk")
    assert recipes.parse(shown.stdout).columns["created_at"] == ["Opened"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("recipe: x\ncolumns: {opened: Opened}")
    refused = flows("recipes", "save", str(bad), "--actor", "sam")
    assert refused.returncode != 0 and "'opened' is not a fact" in refused.stderr
    assert "Traceback" not in refused.stderr
