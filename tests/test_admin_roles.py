"""Admin, "Change a user": the Roles box shows the roles of the user picked, whichever was picked
before, and saving changes exactly that user's roles (the defect: the first user's roles, admin,
stayed in the box, so "Save roles" would have made anyone an administrator)."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from contracts.adapters.orm import make_engine
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.services.users import ensure_demo_users, list_users

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def admin_page(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("COVENANT_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("COVENANT_DEMO", "1")
    eng = make_engine(url)
    ensure_demo_users(UnitOfWork(eng))
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app_pages" / "admin.py"), default_timeout=90)
    for k, v in {
        "authentication_status": True,
        "roles": ["admin"],
        "username": "admin",
        "name": "Avery Admin",
    }.items():
        at.session_state[k] = v
    return at.run(), eng


def _roles_box(at: AppTest):
    return next(m for m in at.multiselect if m.label.startswith("Roles of"))


def _roles_of(eng, username: str) -> list[str]:
    return next(u["roles"] for u in list_users(UnitOfWork(eng)) if u["username"] == username)


@pytest.mark.parametrize("first", ["admin", "support"])
def test_the_roles_box_follows_the_user_picked(admin_page, first):
    at, eng = admin_page
    at.selectbox(key="edit_user").select(first).run()
    for who, expected in [("finance", ["finance"]), ("vendor", ["vendor_manager"]), (first, None)]:
        at.selectbox(key="edit_user").select(who).run()
        assert not at.exception, at.exception
        assert _roles_box(at).value == (expected or _roles_of(eng, who)), who


def test_saving_changes_only_the_picked_users_roles(admin_page):
    at, eng = admin_page
    at.selectbox(key="edit_user").select("admin").run()
    at.selectbox(key="edit_user").select("finance").run()
    save = next(b for b in at.button if b.label == "Save roles")
    assert save.disabled  # nothing changed yet: nothing to save
    _roles_box(at).select("legal").run()
    assert any("adds legal" in c.value for c in at.caption)
    next(b for b in at.button if b.label == "Save roles").click().run()
    assert _roles_of(eng, "finance") == ["finance", "legal"]
    assert _roles_of(eng, "admin") == ["admin"]
    assert "admin" not in _roles_of(eng, "finance")
