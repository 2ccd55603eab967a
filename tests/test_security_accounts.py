"""Accounts: demo users only in demo mode on the embedded database (and a banner while they are
active), an administrator's password reset and a user's own change, both audited."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from contracts.adapters import audit
from contracts.adapters.orm import make_engine
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.errors import UserError
from contracts.services.sessions import sign_in
from contracts.services.users import (
    DEMO_PASSWORD,
    change_own_password,
    create_user,
    ensure_demo_users,
    reset_password,
)

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def test_demo_users_are_refused_outside_demo_mode(engine, monkeypatch):
    monkeypatch.delenv("COVENANT_DEMO", raising=False)
    with pytest.raises(UserError, match="only in the one-machine demo"):
        ensure_demo_users(UnitOfWork(engine))
    monkeypatch.setenv("COVENANT_DEMO", "1")
    if engine.dialect.name == "postgresql":  # a configured database server: never
        with pytest.raises(UserError, match="never on a configured database server"):
            ensure_demo_users(UnitOfWork(engine))
    else:
        assert "admin" in ensure_demo_users(UnitOfWork(engine))


def test_demo_users_cannot_sign_in_outside_demo_mode(tmp_path, monkeypatch):
    eng = make_engine(f"sqlite:///{tmp_path / 'c.sqlite'}")
    monkeypatch.setenv("COVENANT_DEMO", "1")
    ensure_demo_users(UnitOfWork(eng))
    create_user(UnitOfWork(eng), "ops", "Ops", "ops@x.example", "a-long-password", ["admin"], "cli")
    assert sign_in(UnitOfWork(eng), "admin", DEMO_PASSWORD, "10.0.0.1")[0].username == "admin"
    monkeypatch.delenv("COVENANT_DEMO")
    with pytest.raises(UserError, match="incorrect"):
        sign_in(UnitOfWork(eng), "admin", DEMO_PASSWORD, "10.0.0.2")
    assert sign_in(UnitOfWork(eng), "ops", "a-long-password", "10.0.0.3")[0].username == "ops"


@pytest.mark.parametrize("demo", [True, False])
def test_the_app_shows_a_banner_while_demo_users_are_active(tmp_path, monkeypatch, demo):
    url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("COVENANT_COOKIE_KEY", "test-cookie-key-not-secret-0123456789abcdef")
    monkeypatch.setenv("COVENANT_DEMO", "1")
    ensure_demo_users(UnitOfWork(make_engine(url)))
    if not demo:
        monkeypatch.delenv("COVENANT_DEMO")
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=60).run()
    banner = [w.value for w in at.warning if "Demo mode" in w.value]
    assert bool(banner) is demo


def test_password_reset_and_own_change_are_audited(engine):
    create_user(
        UnitOfWork(engine), "fran", "Fran", "fran@x.example", DEMO_PASSWORD, ["finance"], "admin"
    )
    reset_password(UnitOfWork(engine), "fran", "reset-by-admin-1", "admin")
    with pytest.raises(UserError, match="current password is not right"):
        change_own_password(UnitOfWork(engine), "fran", DEMO_PASSWORD, "fran-chose-this-1")
    change_own_password(UnitOfWork(engine), "fran", "reset-by-admin-1", "fran-chose-this-1")
    with pytest.raises(UserError, match="at least 10"):
        change_own_password(UnitOfWork(engine), "fran", "fran-chose-this-1", "short")
    with UnitOfWork(engine) as uow:
        rows = [(r.kind, r.actor) for r in audit.entries(uow.session, "user:fran")]
        assert not [
            r for r in audit.entries(uow.session, "user:fran") if "fran-chose" in str(r.payload)
        ]
    assert ("user.password_reset", "admin") in rows and ("user.password_changed", "fran") in rows
