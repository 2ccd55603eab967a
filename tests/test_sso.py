"""Single sign-on: a person's Covenant account and roles from an identity provider's claims
(contracts/services/sso.py), and the whole OpenID Connect flow in headless Chromium against a real
provider on loopback (oidc-provider-mock): a user in the "finance" group lands on Credits and
cannot open Admin; local passwords switched off are refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit_server import CHROMIUM, SHOTS, demo_world, free_port, running_app, settled

from contracts.adapters.orm import make_engine
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.errors import SettingsError, UserError
from contracts.services.sessions import session_user, sign_in
from contracts.services.sso import (
    SSO_SESSION_LIFETIME,
    WITHDRAWN,
    claims_too_old,
    set_sso_settings,
    sign_in_sso,
)
from contracts.services.users import create_user, set_active

ISS = "https://login.acme.example"
MAPPING = {"groups_claim": "groups", "group_roles": {"finance": ["finance"], "it": ["admin"]}}


def _claims(**over) -> dict:
    return {
        "iss": ISS,
        "sub": "u-1",
        "email": "fiona@acme.example",
        "name": "Fiona",
        "groups": ["finance"],
    } | over


def test_first_sign_in_creates_the_account_with_the_mapped_roles(engine):
    set_sso_settings(UnitOfWork(engine), MAPPING, "ida")
    user, token = sign_in_sso(UnitOfWork(engine), _claims(), "10.0.0.9")
    assert user.username == "fiona.acme.example" and user.roles == ["finance"]
    assert session_user(UnitOfWork(engine), token).roles == ["finance"]
    # the provider decides roles at every sign-in
    user2, _ = sign_in_sso(UnitOfWork(engine), _claims(groups=["finance", "it"]), None)
    assert user2.roles == ["admin", "finance"]
    with UnitOfWork(engine) as uow:
        kinds = [e["kind"] for e in uow.audit_entries("user:fiona.acme.example")]
    assert "user.created" in kinds and "user.roles_changed" in kinds
    assert kinds.count("user.signed_in") == 2


def test_a_single_sign_on_session_ends_after_a_working_day(engine):
    from datetime import timedelta

    from contracts.domain.events import utcnow

    set_sso_settings(UnitOfWork(engine), MAPPING, "ida")
    t0 = utcnow()
    _user, token = sign_in_sso(UnitOfWork(engine), _claims(), None, now=t0)
    later = t0 + SSO_SESSION_LIFETIME
    assert session_user(UnitOfWork(engine), token, now=later - timedelta(minutes=1)) is not None
    assert session_user(UnitOfWork(engine), token, now=later + timedelta(minutes=1)) is None


@pytest.mark.parametrize(
    ("age_hours", "too_old"),
    [(0, False), (7.9, False), (8.1, True), (None, False), ("1", False), (True, False)],
)
def test_an_old_answer_from_the_provider_is_not_turned_into_a_new_session(age_hours, too_old):
    from contracts.domain.events import utcnow

    now = utcnow()
    iat = (
        now.timestamp() - age_hours * 3600
        if isinstance(age_hours, float | int) and not isinstance(age_hours, bool)
        else age_hours
    )
    assert claims_too_old({"iat": iat}, now) is too_old


def test_an_identity_provider_that_does_not_answer_leaves_the_session_to_its_lifetime():
    from streamlit_server import free_port

    from contracts.adapters.oidc_userinfo import IdpAnswer, ask

    closed = f"http://127.0.0.1:{free_port()}/.well-known/openid-configuration"
    assert ask(closed, "token") is IdpAnswer.UNREACHABLE


@pytest.mark.parametrize(
    ("claims", "why"),
    [
        (_claims(groups=["marketing"]), "give no Covenant role"),
        (_claims(groups=None), "give no Covenant role"),
        (_claims(sub=""), "no subject"),
    ],
)
def test_who_is_refused(engine, claims, why):
    set_sso_settings(UnitOfWork(engine), MAPPING, "ida")
    with pytest.raises(UserError, match=why):
        sign_in_sso(UnitOfWork(engine), claims, None)


def test_a_local_account_of_the_same_name_is_not_taken_over(engine):
    set_sso_settings(UnitOfWork(engine), MAPPING, "ida")
    create_user(
        UnitOfWork(engine),
        "fiona.acme.example",
        "Fiona",
        "f@acme.example",
        "a-long-password",
        ["legal"],
        "ida",
    )
    with pytest.raises(UserError, match="not linked to this identity"):
        sign_in_sso(UnitOfWork(engine), _claims(), None)
    # nor can another provider's subject with the same e-mail
    sign_in_sso(UnitOfWork(engine), _claims(email="g@acme.example", sub="u-2"), None)
    with pytest.raises(UserError, match="not linked"):
        sign_in_sso(UnitOfWork(engine), _claims(email="g@acme.example", iss="https://evil"), None)


def test_a_disabled_account_loses_access_and_cannot_sign_in_again(engine):
    set_sso_settings(UnitOfWork(engine), MAPPING, "ida")
    _, token = sign_in_sso(UnitOfWork(engine), _claims(), None)
    set_active(UnitOfWork(engine), "fiona.acme.example", False, "ida")
    assert session_user(UnitOfWork(engine), token) is None  # at the next page run
    with pytest.raises(UserError, match="disabled"):
        sign_in_sso(UnitOfWork(engine), _claims(), None)


def test_local_passwords_switched_off_are_refused_and_sso_accounts_have_none(engine):
    create_user(
        UnitOfWork(engine),
        "sam",
        "Sam",
        "s@acme.example",
        "a-long-password",
        ["support_manager"],
        "ida",
    )
    set_sso_settings(UnitOfWork(engine), MAPPING, "ida")
    sign_in_sso(UnitOfWork(engine), _claims(), None)
    with pytest.raises(UserError, match="password|not right|wrong"):
        sign_in(UnitOfWork(engine), "fiona.acme.example", "!sso:", None)
    set_sso_settings(UnitOfWork(engine), MAPPING | {"local_passwords": False}, "ida")
    with pytest.raises(UserError, match="switched off"):
        sign_in(UnitOfWork(engine), "sam", "a-long-password", None)


def test_a_mapping_to_a_role_that_does_not_exist_is_refused(engine):
    with pytest.raises(SettingsError, match="roles are some of"):
        set_sso_settings(UnitOfWork(engine), {"group_roles": {"x": ["superuser"]}}, "ida")


@pytest.fixture
def world(tmp_path):
    """Built before the browser starts (pyhanko's sealing runs its own event loop)."""
    return demo_world(tmp_path)


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian chromium")
def test_a_finance_user_signs_in_through_the_identity_provider(world, tmp_path, browser):
    import json
    import subprocess
    import sys
    import time
    import urllib.request

    from playwright.sync_api import expect

    env = world
    eng = make_engine(env["DATABASE_URL"])
    set_sso_settings(UnitOfWork(eng), MAPPING, "ida")
    port, idp_port = free_port(), free_port()
    fiona = {
        "sub": "fiona",
        "email": "fiona@acme.example",
        "name": "Fiona Finance",
        "groups": ["finance"],
    }
    idp = subprocess.Popen(  # a real OpenID Connect provider, in its own process, on loopback
        [
            sys.executable,
            "-W",
            "ignore",
            "-m",
            "oidc_provider_mock",
            "--port",
            str(idp_port),
            "--user-claims",
            json.dumps(fiona),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    issuer = f"http://127.0.0.1:{idp_port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{issuer}/.well-known/openid-configuration", timeout=1)
                break
            except OSError:
                time.sleep(0.25)
        secrets = tmp_path / "secrets.toml"
        secrets.write_text(
            "[auth]\n"
            f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
            'cookie_secret = "test-only-cookie-secret-0123456789abcdef"\n'
            'client_id = "covenant"\n'
            'client_secret = "test-only-client-secret"\n'
            f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n'
            'expose_tokens = ["access"]\n'
        )
        env = {**env, "COVENANT_SSO_RECHECK_SECONDS": "0"}  # ask the provider at every run
        with running_app(env, port, ("--secrets.files", str(secrets))) as base:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(base)
            page.get_by_role("button", name=re.compile("Sign in with")).click()
            page.get_by_role("button", name="fiona").click()  # the provider's sign-in
            expect(page.get_by_role("heading", name="Service credits").first).to_be_visible(
                timeout=60000
            )
            settled(page)
            page.screenshot(path=str(SHOTS / "sso-finance-lands-on-credits.png"))
            expect(page.get_by_role("link", name="Admin", exact=True)).to_have_count(0)
            page.goto(f"{base}/admin")
            expect(page.get_by_text("does not give access to this page")).to_be_visible(
                timeout=60000
            )
            settled(page)
            page.get_by_role("button", name="Sign out").click()
            # the provider's end of session (RP-initiated logout), then back to Covenant
            end = page.get_by_role("button", name="End session")
            back = page.get_by_role("button", name=re.compile("Sign in with"))
            expect(end.or_(back).first).to_be_visible(timeout=60000)
            if end.count():
                end.click()
            expect(page.get_by_role("button", name=re.compile("Sign in with"))).to_be_visible(
                timeout=60000
            )
            # signed in again; then the provider deprovisions her (revokes her tokens)
            page.get_by_role("button", name=re.compile("Sign in with")).click()
            page.get_by_role("button", name="fiona").click()
            expect(page.get_by_role("heading", name="Service credits").first).to_be_visible(
                timeout=60000
            )
            revoke = urllib.request.Request(
                f"{issuer}/users/fiona/revoke-tokens", method="POST", data=b""
            )
            assert urllib.request.urlopen(revoke, timeout=10).status == 204
            page.reload()  # her next page run: the provider refuses her token
            end = page.get_by_role("button", name="End session")
            expect(end.or_(back).first).to_be_visible(timeout=60000)
            if end.count():
                end.click()
            expect(page.get_by_role("button", name=re.compile("Sign in with"))).to_be_visible(
                timeout=60000
            )
            expect(page.get_by_role("heading", name="Service credits")).to_have_count(0)
            settled(page)
            page.screenshot(path=str(SHOTS / "sso-deprovisioned-signed-out.png"))
            page.close()
    finally:
        idp.terminate()
        idp.wait(15)
    with UnitOfWork(eng) as uow:
        entries = uow.audit_entries("user:fiona.acme.example")
    kinds = [e["kind"] for e in entries]
    assert "user.created" in kinds and "user.signed_in" in kinds and "user.signed_out" in kinds
    withdrawn = [e for e in entries if e["kind"] == "user.signed_out" and e["payload"].get("why")]
    assert [e["payload"]["why"] for e in withdrawn] == [WITHDRAWN]


def test_an_administrator_on_the_server_can_switch_passwords_back_on(engine):
    import os
    import subprocess
    import sys

    set_sso_settings(UnitOfWork(engine), MAPPING | {"local_passwords": False}, "ida")
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    done = subprocess.run(
        [sys.executable, "-m", "contracts", "sso", "local-passwords", "on"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    from contracts.services.sso import sso_settings

    now = sso_settings(UnitOfWork(engine))
    assert now.local_passwords and now.group_roles == MAPPING["group_roles"]
