"""The embedded signing page under Streamlit's AppTest: one signer, e-mail code, consent, typed
signature."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import streamlit as st
from contracts_fixtures import example
from streamlit.testing.v1 import AppTest

from contracts.adapters.mailer import deliver
from contracts.adapters.orm import make_engine
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.services import contracts as contract_service
from contracts.services import signing
from contracts.services import templates as template_service

PAGE = str(Path(__file__).resolve().parents[1] / "app_pages" / "sign.py")
A, B = "a@customer.example", "b@vendor.example"

pytestmark = pytest.mark.usefixtures("seal_env")


@pytest.fixture
def setup(tmp_path, monkeypatch, smtp):
    inbox, cfg = smtp
    url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("COVENANT_STORE", str(tmp_path / "store"))
    for k, v in (
        ("COVENANT_SMTP_HOST", cfg.host),
        ("COVENANT_SMTP_PORT", str(cfg.port)),
        ("COVENANT_MAIL_FROM", cfg.sender),
    ):
        monkeypatch.setenv(k, v)
    st.cache_resource.clear()
    eng = make_engine(url)
    template_service.install_starters(UnitOfWork(eng))
    cid = contract_service.create_contract(
        UnitOfWork(eng), "saas-support", example("saas-support")
    ).id
    env = signing.send_for_signature(
        UnitOfWork(eng),
        cid,
        [
            {"name": "Ann", "email": A, "role": "CIO", "group": 1},
            {"name": "Bob", "email": B, "role": "VP", "group": 2},
        ],
        "legal@customer.example",
    )
    deliver(eng, cfg)
    return eng, inbox, env


def page(token: str | None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    if token:
        at.query_params["token"] = token
    return at.run()


def test_without_token_explains(setup):
    at = page(None)
    assert not at.exception and "link in your invitation" in at.info[0].value


def test_bad_token_refused(setup):
    at = page("nope")
    assert "not valid" in at.error[0].value


def test_first_signer_journey(setup):
    eng, inbox, env = setup
    token = inbox.last_link_token(A)
    at = page(token)
    assert at.subheader[0].value == "SaaS Support Agreement"
    at.button(key="send_code").click().run()
    code = inbox.last_code(A)
    at.text_input(key="code").input("000000" if code != "000000" else "111111")
    at.button[1].click().run()
    assert "not right" in at.error[0].value
    at.text_input(key="code").input(code)
    at.button[1].click().run()
    assert "Consent to electronic records" in at.markdown[1].value or any(
        "Consent" in m.value for m in at.markdown
    )
    # the disclosure reflows: paragraphs, not the source's hard line breaks
    from contracts.domain import disclosure

    shown = [m.value for m in at.markdown]
    assert len(disclosure.TEXT.splitlines()) > 3 and not any(m.count("\n") > 2 for m in shown)
    at.checkbox(key="agree").check().run()
    at.button(key="consent").click().run()
    assert any(b.label == "I agree and sign this contract" for b in at.button)
    assert any(e.label.startswith("Read the clauses as text") for e in at.expander)
    at.text_input(key="typed_name").input("Ann Example").run()
    at.button(key="sign").click().run()
    assert "next signer has been invited" in at.success[0].value
    assert not [b for b in at.button if b.key == "sign"]
    assert inbox.last_link_token(B)  # Bob got his invitation by SMTP
    with UnitOfWork(eng) as uow:
        e = uow.envelopes.get(env)
        assert e.signers[0].status == "signed" and e.signers[0].signature["value"] == "Ann Example"


def _sign_as(inbox, addr: str, name: str) -> AppTest:
    at = page(inbox.last_link_token(addr))
    at.button(key="send_code").click().run()
    at.text_input(key="code").input(inbox.last_code(addr))
    at.button[1].click().run()
    at.checkbox(key="agree").check().run()
    at.button(key="consent").click().run()
    at.text_input(key="typed_name").input(name).run()
    return at.button(key="sign").click().run()


def test_both_signers_complete_the_envelope(setup):
    eng, inbox, env = setup
    assert not inbox.to(B)
    _sign_as(inbox, A, "Ann Example")
    at = _sign_as(inbox, B, "Bob Example")
    assert "Everyone has signed" in at.success[0].value
    # the page ends in its finished state: the sealed copy to download, no sign button left
    assert not [b for b in at.button if b.key == "sign"]
    assert [d for d in at.get("download_button") if "signed contract" in d.proto.label]
    # signed -> measured with no other step: the engine has the sealed document's terms
    from sla_engine.store.core import Store

    (terms,) = Store(Path(os.environ["COVENANT_STORE"])).terms()
    assert terms.version.startswith("signed in Covenant")
    assert any(m["Subject"].startswith("Completed") for m in inbox.to(A))
    at2 = page(inbox.last_link_token(B))  # after completion the link offers the signed copy
    assert "Everyone has signed" in at2.success[0].value
    (copy,) = at2.get("download_button")
    assert copy.proto.label == "Download the signed contract (PDF)"
    assert not [b for b in at2.button if b.key == "sign"]


OUTBOX = str(Path(__file__).resolve().parents[1] / "app_pages" / "outbox.py")


def test_outbox_page_only_in_demo_mode_without_smtp(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'o.sqlite'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("COVENANT_SMTP_HOST", raising=False)
    st.cache_resource.clear()
    eng = make_engine(url)
    template_service.install_starters(UnitOfWork(eng))
    cid = contract_service.create_contract(
        UnitOfWork(eng), "saas-support", example("saas-support")
    ).id
    signing.send_for_signature(
        UnitOfWork(eng), cid, [{"name": "Ann", "email": A, "role": "CIO"}], "legal@customer.example"
    )

    def as_admin():
        at = AppTest.from_file(OUTBOX, default_timeout=30)
        at.session_state["authentication_status"] = True
        at.session_state["roles"] = ["admin"]
        return at.run()

    monkeypatch.delenv("COVENANT_DEMO", raising=False)
    at = as_admin()
    assert "only in the one-machine demo" in at.error[0].value
    monkeypatch.setenv("COVENANT_DEMO", "1")
    at = as_admin()
    assert not at.exception
    assert any("/sign?token=" in t.value for t in at.text)
    assert list(at.dataframe[0].value["to"]) == [A]


def test_a_contract_title_with_markup_is_shown_as_text(tmp_path, monkeypatch, smtp):
    """The signing page needs no login: a title must not become a live link or an image there."""
    inbox, cfg = smtp
    url = f"sqlite:///{tmp_path / 'm.sqlite'}"
    monkeypatch.setenv("DATABASE_URL", url)
    st.cache_resource.clear()
    eng = make_engine(url)
    template_service.install_starters(UnitOfWork(eng))
    title = "[Re-verify here](https://evil.example) ![x](https://evil.example/p.png) :red[urgent]"
    values = {**example("saas-support"), "title": title}
    cid = contract_service.create_contract(UnitOfWork(eng), "saas-support", values).id
    signing.send_for_signature(
        UnitOfWork(eng),
        cid,
        [{"name": "Ann [me](https://evil.example)", "email": A, "role": "CIO"}],
        "legal@customer.example",
        auth_method="email_link",
    )
    deliver(eng, cfg)
    at = page(inbox.last_link_token(A))
    shown = at.subheader[0].value + " " + at.caption[0].value
    assert "](" not in shown.replace("\\]\\(", "")  # every link bracket is escaped
    # escaped, and the URL broken by a word joiner so that no auto-linker finds it
    assert "\\[Re\\-verify here\\]\\(https\\:/\u2060/evil\\.example\\)" in shown
    assert ":red[" not in shown and "Ann \\[me\\]" in shown
