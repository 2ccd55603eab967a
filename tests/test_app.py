"""Every page under AppTest as each role: allowed roles see data, others get a clear refusal; login
works."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from streamlit_server import demo_world

from contracts.adapters.orm import make_engine
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.services.users import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PAGES = {
    "overview": ({"support_manager", "vendor_manager", "finance", "legal"}, "Overview"),
    "compliance": ({"support_manager", "vendor_manager"}, "Compliance"),
    "credits": ({"finance"}, "Service credits"),
    "ingest": ({"support_manager"}, "Ingest a help-desk export"),
    "at_risk": ({"support_manager"}, "At risk"),
    "alerts": ({"support_manager"}, "Alerts"),
    "renewals": ({"vendor_manager"}, "Renewals"),
    "audit": ({"legal"}, "Audit trail"),
    "contracts": ({"legal"}, "Contracts and templates"),
    "admin": (set(), "Administration"),
    "integrations": (set(), "Integrations"),
}
ROLES = ["admin", "support_manager", "vendor_manager", "finance", "legal"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("world")
    return root, demo_world(root)["DATABASE_URL"]


@pytest.fixture(autouse=True)
def env(world, monkeypatch):
    root, url = world
    monkeypatch.setenv("COVENANT_STORE", str(root / "store"))
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("COVENANT_COOKIE_KEY", "test-cookie-key-not-secret-0123456789abcdef")
    monkeypatch.setenv("COVENANT_DEMO", "1")  # the demo world: demo users may sign in
    st.cache_resource.clear()
    st.cache_data.clear()


def as_role(page: str, role: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app_pages" / f"{page}.py"), default_timeout=90)
    at.session_state["authentication_status"] = True
    at.session_state["roles"] = [role]
    at.session_state["name"] = f"Test {role}"
    at.session_state["username"] = role
    at.session_state["email"] = f"{role}@covenant.example"
    return at.run()


@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.parametrize("role", ROLES)
def test_page_allows_or_refuses_by_role(page, role):
    allowed, title = PAGES[page]
    at = as_role(page, role)
    assert not at.exception, at.exception
    if role == "admin" or role in allowed:
        assert at.title[0].value == title
        assert not [e for e in at.error if "does not give access" in e.value]
    else:
        assert any("does not give access to this page" in e.value for e in at.error)
        assert not at.dataframe  # no data behind the refusal


def test_not_signed_in_is_refused():
    at = AppTest.from_file(str(ROOT / "app_pages" / "credits.py"), default_timeout=30).run()
    assert "Please sign in" in at.error[0].value and not at.dataframe


def test_login_wrong_then_right_password():
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert at.title[0].value == "Covenant"
    at.text_input[0].input("finance")
    at.text_input[1].input("wrong password!")
    at.button[0].click().run()
    assert "incorrect" in at.error[0].value
    at.text_input[0].input("finance")
    at.text_input[1].input(DEMO_PASSWORD)
    at.button[0].click().run()
    assert at.session_state["authentication_status"] is True and at.session_state["roles"] == [
        "finance"
    ]


def test_compliance_shows_chart_with_target_and_drilldown():
    at = as_role("compliance", "support_manager")
    at.selectbox(key="contract").select("ACME-SAAS").run()
    import base64
    import json

    import numpy as np

    def values(v):  # plotly 7 sends numeric arrays base64-encoded
        return (
            list(np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"]))
            if isinstance(v, dict)
            else v
        )

    data = json.loads(at.get("plotly_chart")[0].proto.spec)["data"]
    assert [t["name"] for t in data] == ["compliance %", "target"]
    assert set(values(data[1]["y"])) == {95.0}  # ACME P1 target drawn in
    assert len(values(data[0]["x"])) == 12  # the last twelve months by default
    trace = next(d for d in at.dataframe if "minutes counted" in d.value.columns).value
    assert {"ticket", "state", "minutes counted", "target (min)", "terms version"} <= set(
        trace.columns
    )
    assert set(trace["state"]) <= {"breached", "pending"}
    zone = "America/New_York"  # ACME's contract time zone: every time in the trace is local to it
    created, responded, resolved = (
        trace[f"{c} ({zone})"] for c in ("created", "first response", "resolved")
    )
    done = resolved != ""
    assert (created[done] <= resolved[done]).all() and (responded[done] != "").all()
    assert (
        trace.loc[trace["state"] == "pending", f"resolved ({zone})"] == ""
    ).all() or metric_is_response(at)


def metric_is_response(at) -> bool:
    return at.radio(key="metric").value == "response"


def test_credits_page_lists_amounts():
    at = as_role("credits", "finance")
    df = next(d for d in at.dataframe if "credit_pct" in d.value.columns).value
    assert len(df) > 0 and {"credit_pct", "amount", "reason", "capped"} <= set(df.columns)


def test_legal_creates_a_contract_and_sends_it():
    at = as_role("contracts", "legal")
    at.button(key="create").click().run()
    assert any("Created C-" in s.value for s in at.success)
    at = as_role("contracts", "legal")
    at.button(key="send").click().run()
    sent = [s.value for s in at.success if "Sent: envelope E-" in s.value]
    assert sent, [e.value for e in at.error]
    env_id = sent[0].split("envelope ")[1].split(".")[0]
    with UnitOfWork(make_engine(os.environ["DATABASE_URL"])) as uow:
        # decline and expiry notices go to the sender's address, not to the username "legal"
        assert uow.envelopes.get(env_id).sender == "legal@covenant.example"


def test_invalid_fields_are_shown_per_field():
    at = as_role("contracts", "legal")
    at.radio(key="new_mode").set_value("JSON").run()
    at.text_area(key="new_fields").input('{"title": "x"}').run()
    at.button(key="create").click().run()
    problems = next(d for d in at.dataframe if "problem" in d.value.columns).value
    assert {"parties", "signers", "sla", "start_date"} <= set(problems["field"])


def test_the_generated_form_creates_a_contract_and_shows_problems_under_their_fields():
    at = as_role("contracts", "legal")
    at.selectbox(key="new_tpl").set_value("saas-support@1").run()
    k = "ff.saas-support@1."
    assert (
        at.text_input(key=k + "title").value == "SaaS Support Agreement"
    )  # prefilled from the example
    assert at.text_input(key=k + "sla.calendar.timezone").value == "America/New_York"
    at.text_input(key=k + "title").input("Support for Initech").run()
    at.number_input(key=k + "notice_period_days").set_value(-5).run()
    at.text_input(key=k + "sla.calendar.timezone").input("Mars/Olympus").run()
    at.button(key="create").click().run()
    assert not at.exception, at.exception
    warnings = [m.value for m in at.markdown if m.value.startswith(":red[")]
    assert any("greater than or equal to 0" in w for w in warnings)  # under notice period days
    assert any("Mars/Olympus" in w for w in warnings)  # under the time zone
    at.number_input(key=k + "notice_period_days").set_value(60).run()
    at.text_input(key=k + "sla.calendar.timezone").input("America/Chicago").run()
    at.button(key="create").click().run()
    created = [s.value for s in at.success if "Created C-" in s.value]
    assert created, [e.value for e in at.error]
    cid = created[0].split()[1]
    with UnitOfWork(make_engine(os.environ["DATABASE_URL"])) as uow:
        c = uow.repo.get_contract(cid)
    assert c.typed.title == "Support for Initech" and c.typed.notice_period_days == 60
    assert (
        c.typed.sla.calendar.timezone == "America/Chicago" and c.typed.sla.tiers
    )  # tiers came through the table


def test_support_manager_ingests_an_export_and_sees_quarantine(world, tmp_path):
    csv = (
        "ticket_id,contract_id,severity,created_at,first_response_at,resolved_at\n"
        "N1,ACME-SAAS,P2,2026-10-05T10:00:00-04:00,2026-10-05T10:30:00-04:00,\n"
        "N2,ACME-SAAS,P9,2026-10-05T10:00:00-04:00,,\n"
    )
    at = as_role("ingest", "support_manager")
    at.file_uploader(key="upload").upload("new.csv", csv.encode(), "text/csv").run()
    assert at.selectbox(key="profile").value == "generic"
    mapping = next(d for d in at.dataframe if "Covenant field" in d.value.columns).value
    assert (
        dict(zip(mapping["Covenant field"], mapping["column in the export"], strict=False))[
            "created_at"
        ]
        == "created_at"
    )
    at.selectbox(key="profile").set_value(
        "freshdesk"
    ).run()  # the wrong profile says why before anything is loaded
    assert any(
        "freshdesk profile cannot read this file" in e.value and "Ticket ID" in e.value
        for e in at.error
    )
    at.selectbox(key="profile").set_value("generic").run()
    (copy,) = at.session_state["uploads"].values()
    assert Path(copy).exists()
    at.button(key="ingest").click().run()
    assert "1 loaded" in at.success[0].value and "1 quarantined" in at.success[0].value
    assert not Path(copy).exists() and not Path(copy).parent.exists()  # no copy left on the server
    at.run()  # a rerun (e.g. the download button) keeps the report and makes no new copy
    assert "1 loaded" in at.success[0].value and not Path(copy).parent.exists()
    q = next(d for d in at.dataframe if "reason" in d.value.columns).value
    assert list(q["reason"]) == ["unknown severity P9"] and list(q["file"]) == ["new.csv"]


def test_finance_closes_a_month_and_it_stays_frozen(world):
    from contracts.adapters import audit
    from contracts.adapters.unit_of_work import UnitOfWork

    at = as_role("credits", "finance")
    at.select_slider(key="period").set_value(("2025-01", "2025-12")).run()
    at.selectbox(key="close_pick").select("ACME-SAAS 2025-07").run()
    at.button(key="close").click().run()
    at = as_role("credits", "finance")
    at.select_slider(key="period").set_value(("2025-01", "2025-12")).run()
    df = next(d for d in at.dataframe if "status" in d.value.columns).value
    row = df[(df["contract_id"] == "ACME-SAAS") & (df["month"] == "2025-07")].iloc[0]
    assert row["status"].startswith("closed by finance at ")
    with UnitOfWork(make_engine(world[1])) as uow:
        e = audit.entries(uow.session, "ACME-SAAS")[-1]
    assert (
        e.kind == "credits.month_closed"
        and e.actor == "finance"
        and e.payload["month"] == "2025-07"
    )


def test_evidence_pdf_names_contract_terms_and_document():
    import io

    import pandas as pd
    from pypdf import PdfReader

    from flows.evidence import evidence_pdf

    facts = [
        ("Contract", "ACME-SAAS"),
        ("Terms version(s)", "ACME-SAAS@2024-11-01"),
        ("Signed document SHA-256", "ab" * 32),
    ]
    table = pd.DataFrame(
        {"ticket": ["ACM-000123"], "state": ["breached"], "minutes counted": [150.0]}
    )
    text = " ".join(
        p.extract_text()
        for p in PdfReader(io.BytesIO(evidence_pdf("Breach evidence", facts, table))).pages
    )
    for s in ("ACME-SAAS@2024-11-01", "ab" * 32, "ACM-000123", "breached", "1 tickets"):
        assert s in text.replace("\n", " "), s
    at = as_role("compliance", "support_manager")
    assert any("Evidence (PDF)" in str(b.proto.label) for b in at.get("download_button"))


def test_legal_places_a_hold_and_purge_is_refused():
    at = as_role("audit", "legal")
    at.text_input(key="hold_reason").input("Matter 17").run()
    at.button(key="hold").click().run()
    at = as_role("audit", "legal")
    assert any("Matter 17" in m.value for m in at.markdown)
    at.button(key="purge").click().run()
    assert any("legal hold" in e.value for e in at.error)


def test_admin_changes_workflow_defaults_and_they_are_audited(world):
    at = as_role("admin", "admin")
    at.number_input(key="wf_reminder").set_value(24.0)
    at.selectbox(key="wf_routing").set_value("parallel")
    at.button(key="FormSubmitter:workflow-Save workflow defaults").click().run()
    assert not at.exception, at.exception
    assert any("Workflow defaults saved" in s.value for s in at.success)
    from contracts.adapters import audit
    from contracts.adapters.unit_of_work import UnitOfWork
    from contracts.services.settings import set_workflow_defaults, workflow_defaults

    eng = make_engine(world[1])
    d = workflow_defaults(UnitOfWork(eng))
    assert (d.reminder_hours, d.routing) == (24.0, "parallel")
    with UnitOfWork(eng) as uow:
        last = [r for r in audit.entries(uow.session) if r.kind == "settings.workflow_changed"][-1]
    assert last.actor == "admin" and last.payload["routing"] == ["sequential", "parallel"]
    # the send form of the Contracts page now proposes them
    legal = as_role("contracts", "legal")
    assert legal.number_input(key="send_reminder").value == 24.0
    set_workflow_defaults(
        UnitOfWork(eng), {}, "admin"
    )  # back to the out-of-the-box defaults for the other tests


def test_admin_sees_a_contracts_calendar_and_its_holidays():
    at = as_role("admin", "admin")
    at.selectbox(key="cal_terms").set_value(
        next(o for o in at.selectbox(key="cal_terms").options if o.startswith("ACME-SAAS"))
    ).run()
    at.number_input(key="cal_year").set_value(2025).run()
    assert not at.exception, at.exception
    week = next(d for d in at.dataframe if "business hours" in d.value.columns).value.set_index(
        "day"
    )["business hours"]
    assert week["sat"] == "closed" and "–" in week["mon"]
    hol = next(d for d in at.dataframe if "source" in d.value.columns).value
    assert "Independence Day" in set(hol["name"]) and (hol["source"] == "US").any()
    assert any("America/New_York" in m.value for m in at.markdown)


def test_admin_mail_tab_says_what_is_waiting_and_how_to_configure(monkeypatch):
    monkeypatch.delenv("COVENANT_SMTP_HOST", raising=False)
    at = as_role("admin", "admin")
    assert any("No SMTP server configured" in w.value for w in at.warning)
    assert [m.label for m in at.metric][:1] == ["Waiting in the outbox"]


def test_vendor_manager_compares_contracts_and_gets_a_renewal_brief():
    at = as_role("renewals", "vendor_manager")
    assert not at.exception, at.exception
    side = next(d for d in at.dataframe if "notice deadline" in d.value.columns).value
    assert list(side["contract"]) == ["ACME-SAAS", "GLOBEX-EU"]
    assert (side["months with a missed target"] <= side["months measured"]).all()
    # the demo contracts are signed in Covenant: their notice deadlines are on file
    assert list(side["notice deadline"].str.slice(0, 10)) == ["2026-09-01", "2026-11-01"]
    assert at.get("download_button")[0].proto.label == "Renewal brief (PDF)"
    missed = next(d for d in at.dataframe if "target_pct" in d.value.columns).value
    assert (missed["compliance_pct"] < missed["target_pct"]).all() and len(missed) > 0


def test_admin_registers_terms_and_it_is_audited(world):
    from helpers import FIXTURES

    from contracts.adapters import audit

    at = as_role("admin", "admin")
    data = (FIXTURES / "acme_terms.json").read_bytes()
    at.file_uploader(key="terms_upload").upload("acme.json", data, "application/json").run()
    at.button(key="terms_register").click().run()
    assert any("Registered: ACME-2025@" in s.value for s in at.success), [e.value for e in at.error]
    with UnitOfWork(make_engine(world[1])) as uow:
        (e,) = [r for r in audit.entries(uow.session, "ACME-2025") if r.kind == "terms.registered"]
    assert e.actor == "admin" and e.payload["source"] == "acme.json"


def test_support_manager_maps_customers_and_priorities_in_the_page(world):
    from contracts.adapters import audit

    csv = (
        "ticket_id,contract_id,severity,created_at,first_response_at,resolved_at\n"
        "M1,Globex Bavaria GmbH,Dringend,2026-10-05T10:00:00+02:00,2026-10-05T10:10:00+02:00,\n"
        "M2,Globex Bavaria GmbH,Dringend,2026-10-06T10:00:00+02:00,,\n"
        "M3,Globex Bavaria GmbH,P3,2026-10-06T11:00:00+02:00,,\n"
    )
    at = as_role("ingest", "support_manager")
    at.file_uploader(key="upload").upload("globex.csv", csv.encode(), "text/csv").run()
    assert any("belong to customers that no contract lists" in w.value for w in at.warning)
    at.selectbox(key="custmap_0").set_value("GLOBEX-EU").run()
    at.button(key="save_custmap").click().run()
    assert any("priority labels that no contract maps" in w.value for w in at.warning)
    assert "Dringend" in at.selectbox(key="sevmap_0").label
    at.selectbox(key="sevmap_0").set_value("P1").run()
    at.button(key="save_sevmap").click().run()
    assert not [w for w in at.warning if "no contract" in w.value]
    at.button(key="ingest").click().run()
    assert "3 loaded" in at.success[0].value, at.success[0].value
    with UnitOfWork(make_engine(world[1])) as uow:
        changes = [
            r
            for r in audit.entries(uow.session, "GLOBEX-EU")
            if r.kind == "contract.routing_changed"
        ]
    assert [c.actor for c in changes] == ["support_manager", "support_manager"]
    assert changes[0].payload["customer_keys_added"] == ["Globex Bavaria GmbH"]
    assert changes[1].payload["labels"] == {"Dringend": "P1"}


def test_legal_sets_number_customer_keys_and_priority_labels_at_creation(world):
    from contracts.services.routing import all_routing

    at = as_role("contracts", "legal")
    at.selectbox(key="new_tpl").set_value("saas-support@1").run()
    at.text_input(key="new_number").input("INITECH-2027").run()
    at.text_area(key="new_keys").input("Initech Corp\nINITECH-ZD-4471").run()
    at.text_area(key="new_labels").input("1 - Critical = P9").run()
    at.button(key="create").click().run()
    assert any("does not have" in e.value for e in at.error)  # P9 is not one of its tiers
    at.text_area(key="new_labels").input("1 - Critical = P1\n2 - High = P2").run()
    at.button(key="create").click().run()
    assert any("Created INITECH-2027" in s.value for s in at.success), [e.value for e in at.error]
    keys, labels = all_routing(UnitOfWork(make_engine(world[1])))
    assert keys["Initech Corp"] == "INITECH-2027" and keys["INITECH-ZD-4471"] == "INITECH-2027"
    assert labels["INITECH-2027"] == {"1 - Critical": "P1", "2 - High": "P2"}


def test_parked_tickets_load_from_the_page_after_a_mapping(world):
    from contracts.services import routing

    csv = (
        "ticket_id,contract_id,severity,created_at,first_response_at,resolved_at\n"
        "PK1,Initech Sydney,Sev2,2026-10-05T10:00:00+11:00,2026-10-05T10:30:00+11:00,\n"
    )
    at = as_role("ingest", "support_manager")
    at.file_uploader(key="upload").upload("initech.csv", csv.encode(), "text/csv").run()
    at.button(key="ingest").click().run()  # loaded as is: the customer is quarantined and parked
    # nothing could be loaded: an error, not a success, with the report below it
    assert any("Nothing from this export could be loaded" in e.value for e in at.error)
    assert "1 quarantined" in at.text[0].value
    routing.update(
        UnitOfWork(make_engine(world[1])), "INITECH-APAC", "admin", add_keys=["Initech Sydney"]
    )
    at = as_role("ingest", "support_manager")
    assert any("wait for a customer key" in i.value for i in at.info)
    at.button(key="reroute").click().run()
    assert any("1 loaded" in s.value for s in at.success), [s.value for s in at.success]
    import duckdb

    from sla_engine.store.core import Store

    con = duckdb.connect()
    Store(world[0] / "store").attach(con)
    assert con.execute("SELECT contract_id FROM base WHERE ticket_id = 'PK1'").fetchall() == [
        ("INITECH-APAC",)
    ]


def test_the_drill_down_follows_the_view_and_a_clicked_bar():
    at = as_role("compliance", "support_manager")
    at.selectbox(key="contract").select("ACME-SAAS").run()
    acme = at.selectbox(key="drill_month:ACME-SAAS:P1:response")
    acme.select(acme.options[-1]).run()  # the oldest month of ACME's view
    at.selectbox(key="contract").select("INITECH-APAC").run()
    # another contract: its own drill-down, on its own worst month, not ACME's choice
    initech = at.selectbox(key="drill_month:INITECH-APAC:Sev1:response")
    table = next(d for d in at.dataframe if "compliance_pct" in d.value.columns).value
    rows = table[(table["breached"].fillna(0) + table["pending"].fillna(0)) > 0]
    flagged = rows["month"]
    worst = rows.sort_values(["compliance_pct", "breached"], ascending=[True, False]).iloc[0]
    assert initech.value == worst["month"]
    assert all(t.key != "drill_month:ACME-SAAS:P1:response" for t in at.selectbox)
    # a click on a bar drills into that month
    chosen = sorted(flagged)[0]
    at.session_state["chart"] = {
        "selection": {"points": [{"x": chosen}], "point_indices": [0], "box": [], "lasso": []}
    }
    at.run()
    assert at.selectbox(key="drill_month:INITECH-APAC:Sev1:response").value == chosen


def test_the_drill_down_explains_a_ticket_with_its_timeline():
    import json

    at = as_role("compliance", "support_manager")
    at.selectbox(key="contract").select("GLOBEX-EU").run()
    at.radio(key="metric").set_value("resolution").run()
    trace = next(d for d in at.dataframe if "minutes counted" in d.value.columns).value
    why = next(s for s in at.selectbox if s.key.startswith("why:GLOBEX-EU:"))
    ticket = trace["ticket"].iloc[0]
    assert why.value == ticket
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    timeline = charts[-1]
    names = {t["name"] for t in timeline["data"]}
    assert "counted" in names and "time in Europe/Berlin" in json.dumps(timeline["layout"])
    words = " ".join(m.value for m in at.markdown).replace("\\", "")  # markdown escapes
    counted = float(trace["minutes counted"].iloc[0])
    assert f"{counted:,.1f} minutes counted against a target of" in words
    assert "Terms version" in words and "(Europe/Berlin)" in words
    # every instant is in the contract's zone with its offset
    assert "+01:00" in words or "+02:00" in words


def test_at_risk_lists_open_tickets_by_breach_instant():
    at = as_role("at_risk", "support_manager")
    assert not at.exception
    # the demo's exports end on 2026-10-31: the page says so and offers that instant
    assert any("newest ticket in the store" in i.value for i in at.info)
    at.radio(key="ar_as_of").set_value(at.radio(key="ar_as_of").options[1]).run()
    table = next(d for d in at.dataframe if "breaches at (contract's zone)" in d.value.columns)
    df = table.value
    assert len(df) > 5
    timed = df[df["hours_to_breach"].notna()]
    hours = timed["hours_to_breach"].tolist()
    # earliest breach first, none breached yet, and each figure is its breach instant (shown in
    # the contract's zone, to the minute) minus the instant chosen, recomputed here
    assert hours == sorted(hours) and hours[0] > 0
    chosen = re.search(r"\((\d{4}-\d\d-\d\d \d\d:\d\d) UTC\)", at.radio(key="ar_as_of").value)
    as_of = pd.Timestamp(chosen.group(1), tz="UTC")
    shown = pd.to_datetime(
        timed["breaches at (contract's zone)"], format="%Y-%m-%d %H:%M %z", utc=True
    )
    recomputed = (shown - as_of).dt.total_seconds() / 3600
    assert ((recomputed - timed["hours_to_breach"]).abs() <= 1 / 60 + 0.01).all()
    at.selectbox(key="ar_within").set_value("1 week").run()
    df = next(d for d in at.dataframe if "hours_to_breach" in d.value.columns).value
    assert (df["hours_to_breach"] <= 168).all()
    at.multiselect(key="ar_contracts").set_value(["GLOBEX-EU"]).run()
    df = next(d for d in at.dataframe if "hours_to_breach" in d.value.columns).value
    assert set(df["contract_id"]) == {"GLOBEX-EU"}


def test_credits_filter_close_and_reopen_with_reason(world):

    from contracts.adapters import audit
    from contracts.adapters.unit_of_work import UnitOfWork

    at = as_role("credits", "finance")
    at.selectbox(key="contract").select("GLOBEX-EU").run()
    at.select_slider(key="period").set_value(("2026-03", "2026-03")).run()
    assert at.metric[0].label == "Credits in view (2026-03)"
    df = next(d for d in at.dataframe if "status" in d.value.columns).value
    assert list(df["month"]) == ["2026-03"] and list(df["contract_id"]) == ["GLOBEX-EU"]
    assert df["reason"].iloc[0].endswith(".")  # sentences, not codes
    at.selectbox(key="close_pick").select("GLOBEX-EU 2026-03").run()
    at.button(key="close").click().run()
    notice = at.success[0].value.replace("\\", "")
    assert notice.startswith("Closed GLOBEX-EU 2026-03 by finance at ")
    at.run()  # the confirmation stays after a rerun
    assert at.success[0].value.replace("\\", "") == notice
    df = next(d for d in at.dataframe if "status" in d.value.columns).value
    assert df["status"].iloc[0].startswith("closed by finance at ")
    at.selectbox(key="reopen_pick").select(at.selectbox(key="reopen_pick").options[0]).run()
    at.button(key="reopen").click().run()  # no reason: refused
    assert any("say why" in e.value for e in at.error)
    at.text_area(key="reopen_reason").input("Vendor disputed two P1 tickets").run()
    at.button(key="reopen").click().run()
    assert "Reopened GLOBEX-EU 2026-03 by finance" in at.success[0].value.replace("\\", "")
    with UnitOfWork(make_engine(world[1])) as uow:
        e = audit.entries(uow.session, "GLOBEX-EU")[-1]
    assert e.kind == "credits.month_reopened" and e.payload["reason"].startswith("Vendor")
    xlsx = next(b for b in at.get("download_button") if "xlsx" in str(b.proto.label).lower())
    assert xlsx is not None


def test_the_credits_workbook_is_typed_with_a_summary():
    import io
    from datetime import datetime

    import pandas as pd
    from openpyxl import load_workbook

    from sla_engine.reports.credit_invoice import credits_workbook

    view = pd.DataFrame(
        [
            {
                "contract_id": "=HYPERLINK(1)",
                "terms_id": "T@1",
                "month": "2026-03",
                "credit_pct": 5.0,
                "amount": 1250.0,
                "currency": "EUR",
                "capped": False,
                "reason": "P1 response: 90.00% is below the 95% band.",
                "closed_by": None,
                "closed_at": None,
                "recomputed_amount": 1250.0,
                "difference": 0.0,
            }
        ]
    )
    wb = load_workbook(io.BytesIO(credits_workbook(view, "2026-03")))
    assert wb.sheetnames == ["Summary", "Credits"]
    summary = wb["Summary"]
    assert summary["F4"].value == 1250.0 and "EUR" in summary["F4"].number_format
    sheet = wb["Credits"]
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, [c.value for c in sheet[2]], strict=False))
    assert isinstance(row["Month"], datetime) and row["Amount"] == 1250.0
    assert row["Status"] == "open" and not str(row["Contract"]).startswith("=")
    assert sheet.column_dimensions["K"].width == 100


def test_the_evidence_pdf_explains_each_breached_ticket_with_its_timeline(world, tmp_path):
    import io
    import shutil
    import subprocess

    from pypdf import PdfReader

    from flows.evidence import evidence_pdf
    from sla_engine.reports.analysis import parse_as_of
    from sla_engine.reports.tickets import ticket_figures
    from sla_engine.reports.timeline import ticket_timelines
    from sla_engine.reports.timeline_text import figures_in_words, segment_rows
    from sla_engine.store.core import Store

    store = Store(world[0] / "store")
    as_of = parse_as_of("2026-11-01T00:00:00+00:00")
    figs = ticket_figures(store, as_of, "GLOBEX-EU", "2026-03")
    breached = figs[figs["resolution_met"] == "false"]["ticket_id"].head(3).tolist()
    assert breached
    explained = [
        (tl.ticket_id, figures_in_words(tl), segment_rows(tl).drop(columns="ticket"))
        for tl in ticket_timelines(store, "GLOBEX-EU", breached, as_of)
    ]
    table = pd.DataFrame({"ticket": breached, "state": ["breached"] * len(breached)})
    pdf = evidence_pdf("Breach evidence", [("Contract", "GLOBEX-EU")], table, explained)
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    text = text.replace("\n", " ")
    for ticket in breached:
        assert f"Why ticket {ticket}" in text
    assert "minutes counted against a target of" in text and "counted" in text
    if shutil.which("qpdf"):
        f = tmp_path / "e.pdf"
        f.write_bytes(pdf)
        assert subprocess.run(["qpdf", "--check", str(f)], capture_output=True).returncode == 0


def test_the_timeline_of_a_ticket_across_a_weekend_holiday_pause_and_severity_change(
    tmp_path, monkeypatch
):
    """On the page: T1 (created Thu 2025-07-03 10:00 New York as P2, raised to P1 at 14:00,
    pending Mon 10:00-11:00, resolved Mon 16:00; Fri 07-04 is Independence Day)."""
    import json

    from test_timeline import timeline_store

    store = timeline_store(tmp_path)
    monkeypatch.setenv("COVENANT_STORE", str(store.root))
    st.cache_data.clear()
    at = as_role("compliance", "support_manager")
    at.radio(key="metric").set_value("resolution").run()
    at.select_slider(key="months").set_value(("2025-07", "2025-07")).run()
    assert at.selectbox(key="why:TL:P1:resolution:2025-07").value == "T1"
    words = " ".join(m.value for m in at.markdown).replace("\\", "")
    assert "Resolution (P1, business hours clock from 2025-07-03 14:00 -04:00)" in words
    assert "540.0 minutes counted against a target of 240, 60.0 paused" in words
    assert "the target was reached at 2025-07-07 10:00 -04:00" in words
    assert "holidays crossed: 2025-07-04 Independence Day" in words
    chart = json.loads(at.get("plotly_chart")[-1].proto.spec)
    names = {tr["name"] for tr in chart["data"]}
    assert {"counted", "outside business hours", "holiday", "paused"} <= names
    labels = " ".join(str(a.get("text")) for a in chart["layout"]["annotations"])
    assert "severity P1" in labels and "resolution target (240 min)" in labels


def test_compliance_says_which_tickets_no_terms_version_measures(tmp_path, monkeypatch):
    """A contract whose terms ended: its later tickets are absent from the chart, and the page
    says how many and when instead of leaving the months silently out."""
    from helpers import terms_doc

    from sla_engine.ingest.run import ingest
    from sla_engine.rulebook.terms import parse_terms
    from sla_engine.store.core import Store

    store = Store(tmp_path / "store")
    store.add_terms(
        parse_terms(
            terms_doc(contract_id="ENDED", effective_from="2025-01-01", effective_to="2025-03-31")
        )
    )
    rows = [
        ("A1", "P1", "2025-03-03T15:00:00Z", "2025-03-03T15:45:00Z", "2025-03-03T16:00:00Z"),
        ("A2", "P1", "2025-04-02T15:00:00Z", "2025-04-02T15:10:00Z", "2025-04-02T16:00:00Z"),
        ("A3", "P2", "2025-05-06T15:00:00Z", "", ""),
    ]
    path = tmp_path / "t.csv"
    pd.DataFrame(
        rows, columns=["ticket_id", "severity", "created_at", "first_response_at", "resolved_at"]
    ).to_csv(path, index=False)
    ingest(store, path, "generic", contract="ENDED")
    monkeypatch.setenv("COVENANT_STORE", str(store.root))
    at = as_role("compliance", "support_manager")
    assert not at.exception, at.exception
    assert [m for m in at.select_slider[0].options] == ["2025-03"]  # April and May: not measured
    infos = [i.value for i in at.info if "not measured" in i.value]
    assert infos == [
        "2 ENDED tickets were created between 2025-04-02 and 2025-05-06 (UTC), when no SLA terms "
        "version of ENDED was in force for their severity: they are stored but not measured in "
        "any report until terms covering those dates are added"
    ]


def test_table_edits_and_an_added_tier_reach_the_draft_then_it_is_edited_and_discarded():
    """The New contract form keeps every table edit across reruns (the defect: edits lost, the
    example's customer created under a new title), an added tier row is taken with its numbers,
    a summary shows before saving, and a draft can be edited and discarded (both audited)."""
    at = as_role("contracts", "legal")
    at.selectbox(key="new_tpl").set_value("saas-support@1").run()
    k = "ff.saas-support@1."
    at.text_input(key=k + "title").input("Support for Initech").run()
    at.text_input(key=k + "parties.0.name").input("Initech Corp.").run()
    at.text_input(key=k + "signers.0.name").input("Peter Gibbons").run()
    at.text_input(key=k + "title").input("Support for Initech Corp.").run()  # more reruns
    assert at.text_input(key=k + "parties.0.name").value == "Initech Corp."
    n = len([w for w in at.text_input if w.key and w.key.startswith(k + "sla.tiers.")])
    at.button(key=k + "sla.tiers.add").click().run()
    new = max(
        int(w.key.split(".")[-2])
        for w in at.text_input
        if w.key and w.key.startswith(k + "sla.tiers.") and w.key.endswith(".key")
    )
    assert len([w for w in at.text_input if w.key and w.key.startswith(k + "sla.tiers.")]) > n
    at.text_input(key=f"{k}sla.tiers.{new}.key").input("P4").run()
    at.number_input(key=f"{k}sla.tiers.{new}.response_minutes").set_value(480).run()
    at.number_input(key=f"{k}sla.tiers.{new}.resolution_minutes").set_value(2400).run()
    at.number_input(key=f"{k}sla.tiers.{new}.target_pct").set_value(80).run()
    summary = next(d for d in at.dataframe if "Tier" in d.value.columns).value
    assert "P4" in set(summary["Tier"])
    assert any("Initech Corp" in m.value for m in at.markdown if "Parties:" in m.value)
    at.button(key="create").click().run()
    created = [s.value for s in at.success if "Created C-" in s.value]
    assert created, [e.value for e in at.error] + [
        m.value for m in at.markdown if ":red[" in m.value
    ]
    cid = created[0].split()[1]
    with UnitOfWork(make_engine(os.environ["DATABASE_URL"])) as uow:
        c = uow.repo.get_contract(cid)
    assert c.typed.party("customer").name == "Initech Corp."
    assert c.typed.signers[0].name == "Peter Gibbons"
    assert c.typed.sla.tiers["P4"].response_minutes == 480
    # edit the draft: the form starts from its own values
    at.selectbox(key="new_start").set_value(
        next(o for o in at.selectbox(key="new_start").options if o.startswith(f"Edit draft {cid}"))
    ).run()
    e = f"ff.edit.{cid}."
    assert at.text_input(key=e + "parties.0.name").value == "Initech Corp."
    at.text_input(key=e + "title").input("Support for Initech, revised").run()
    at.button(key="save_draft").click().run()
    with UnitOfWork(make_engine(os.environ["DATABASE_URL"])) as uow:
        assert uow.repo.get_contract(cid).typed.title == "Support for Initech, revised"
        kinds = [x["kind"] for x in uow.audit_entries(cid)]
    assert "contract.draft_edited" in kinds
    # discard it from the list
    at.selectbox(key="open_contract").set_value(cid).run()
    at.text_input(key=f"discard_why_{cid}").input("made by mistake").run()
    at.button(key=f"discard_{cid}").click().run()
    with UnitOfWork(make_engine(os.environ["DATABASE_URL"])) as uow:
        assert uow.repo.get_contract(cid).state == "discarded"


def test_the_month_axis_is_continuous_and_an_overview_link_opens_its_view():
    """Months without tickets stay on the axis (no 2016-05 beside 2016-12), and a link
    /compliance?contract=…&tier=…&metric=…&month=… opens that view and month."""
    import json

    def opened(params: dict) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app_pages" / "compliance.py"), default_timeout=90)
        for k, v in {
            "authentication_status": True,
            "roles": ["support_manager"],
            "username": "support",
        }.items():
            at.session_state[k] = v
        at.query_params.update(params)
        return at.run()

    view = {"contract": "GLOBEX-EU", "tier": "P1", "metric": "resolution"}
    at = opened(view)
    assert not at.exception, at.exception
    assert at.selectbox(key="contract").value == "GLOBEX-EU"
    assert at.radio(key="metric").value == "resolution"
    assert at.selectbox(key="tier").value == "P1", at.selectbox(key="tier").options
    drill = at.selectbox(key="drill_month:GLOBEX-EU:P1:resolution")
    assert len(drill.options) > 1
    other = next(m for m in drill.options if m != drill.value)
    again = opened({**view, "month": other})
    assert again.selectbox(key="drill_month:GLOBEX-EU:P1:resolution").value == other
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    xs = list(fig["data"][0]["x"])
    expected = [str(p) for p in pd.period_range(xs[0], xs[-1], freq="M")]
    assert xs == expected


def test_the_overview_says_what_is_in_view_marks_misses_and_links_to_compliance():
    at = as_role("overview", "support_manager")
    assert not at.exception, at.exception
    month = at.selectbox(key="overview_month").value
    said = " ".join(m.value for m in at.markdown)
    assert f"Shown: **{month}**" in said and "latest complete month" in said
    table = next(d for d in at.dataframe if "Contract" in d.value.columns).value
    assert {"First response", "Resolution", "Response target", "Resolution target"} <= set(
        table.columns
    )
    assert not {"contract_id", "severity", "compliance_pct"} & set(table.columns)
    rep = monthly_report_now()
    missed = rep[(rep["month"] == month) & (rep["status"] == "missed")]
    marked = (
        table["First response"].str.startswith("▼").sum()
        + table["Resolution"].str.startswith("▼").sum()
    )
    assert marked == len(missed) > 0
    assert table["Open"].str.startswith("/compliance?contract=").all()


def monthly_report_now():
    from sla_engine.reports import analysis
    from sla_engine.store.core import Store

    rep, _ = analysis.store_report(
        Store(Path(os.environ["COVENANT_STORE"])),
        analysis.now_us() // 3_600_000_000 * 3_600_000_000,
    )
    return rep


def test_the_ingest_page_guides_a_new_customer_and_remembers_a_sources_answers():
    """What must exist first is said (with links), and the zone answered for one source is the
    next upload's starting answer."""
    csv = (
        "ticket_id,contract_id,severity,created_at,first_response_at,resolved_at\n"
        "R1,ACME-SAAS,P2,2026-10-06 10:00:00,2026-10-06 10:30:00,\n"
    )
    at = as_role("ingest", "support_manager")
    said = " ".join(m.value for m in at.markdown)
    assert "[Contracts](/contracts)" in said and "signed elsewhere" in said
    at.file_uploader(key="upload").upload("naive.csv", csv.encode(), "text/csv").run()
    tz = next(s for s in at.selectbox if s.label.startswith("Time zone of the export"))
    assert tz.value.startswith("(choose")  # three contracts, three zones: nothing to suggest yet
    tz.set_value("America/Chicago").run()
    at.button(key="ingest").click().run()
    assert "1 loaded" in at.success[0].value, [e.value for e in at.error]
    again = as_role("ingest", "support_manager")
    again.file_uploader(key="upload").upload("naive-2.csv", csv.encode(), "text/csv").run()
    tz = next(s for s in again.selectbox if s.label.startswith("Time zone of the export"))
    assert tz.value == "America/Chicago"
    assert any("last upload from this source" in c.value for c in again.caption)


def test_a_support_manager_adds_an_alert_rule_and_sees_the_secret_once(monkeypatch):
    monkeypatch.setenv("COVENANT_WEBHOOK_ALLOW_PRIVATE", "1")
    at = as_role("alerts", "support_manager")
    assert not at.exception, at.exception
    at.text_input(key="rule_name").input("Sev1 watch")
    at.text_input(key="rule_thresholds").input("80%, breach")
    at.text_area(key="rule_emails").input("ops@acme.example")
    at.selectbox(key="rule_kind").set_value("standard")
    at.text_input(key="rule_url").input("http://127.0.0.1:9/hook")
    at.button(key="FormSubmitter:new_alert_rule-Add the rule").click().run()
    assert not at.exception, at.exception
    assert any("Alert rule" in s.value and "added" in s.value for s in at.success), [
        e.value for e in at.error
    ]
    assert any(c.value.startswith("whsec_") for c in at.code)
    rules = next(d for d in at.dataframe if "Thresholds" in d.value.columns).value
    assert "80%, breach" in set(rules["Thresholds"])
    at.run()  # shown once: the secret is not on the page again
    assert not any(c.value.startswith("whsec_") for c in at.code)


def test_support_manager_builds_a_recipe_for_an_unknown_export_saves_it_and_loads(world):
    """No recipe and no profile knows these columns: the page builds one from the export's own
    columns and status values, saves it (audited), and the load uses it."""
    from contracts.adapters import audit
    from contracts.adapters.unit_of_work import UnitOfWork

    csv = (
        "Case,Urgency,Opened,Answered,State,State since\n"
        "K1,P2,2026-10-05T10:00:00-04:00,2026-10-05T10:30:00-04:00,Done,"
        "2026-10-05T12:00:00-04:00\n"
        "K2,P2,2026-10-06T10:00:00-04:00,2026-10-06T10:20:00-04:00,With client,"
        "2026-10-06T11:00:00-04:00\n"
        "K3,P2,2026-10-07T10:00:00-04:00,,Fresh,2026-10-07T10:00:00-04:00\n"
    )
    at = as_role("ingest", "support_manager")
    at.file_uploader(key="upload").upload("acme.csv", csv.encode(), "text/csv").run()
    assert at.selectbox(key="recipe").value.startswith("(none")
    scope = f"rb:{at.selectbox(key='recipe').value}:generic"
    for fact, column in {
        "ticket_id": "Case",
        "severity": "Urgency",
        "created_at": "Opened",
        "first_response_at": "Answered",
        "status": "State",
        "updated_at": "State since",
    }.items():
        at.selectbox(key=f"{scope}:{fact}").set_value(column)
    at.run()
    at.selectbox(key=f"{scope}:status:Done").set_value("solved")
    at.selectbox(key=f"{scope}:status:With client").set_value("paused")
    at.selectbox(key=f"{scope}:status:Fresh").set_value("open")
    at.selectbox(
        key="contract:generic:"
        + ",".join(sorted(["Case", "Urgency", "Opened", "Answered", "State", "State since"]))
    ).set_value("ACME-SAAS")
    at.text_input(key="recipe_name").set_value("acme-desk")
    at.run()
    assert not at.exception, at.exception
    at.button(key="save_recipe").click().run()
    assert any("Saved acme-desk, version 1" in s.value for s in at.success)
    assert at.selectbox(key="recipe").value == "acme-desk"
    loads = next(d for d in at.dataframe if "first response" in d.value.columns).value
    k1 = loads.set_index("ticket").loc["K1"]
    # Done since 12:00 New York: resolved then, shown in the contract's zone
    assert k1["resolved"].startswith("2026-10-05 12:00") and k1["contract"] == "ACME-SAAS"
    at.button(key="ingest").click().run()
    assert not at.exception, at.exception
    assert "3 loaded" in at.success[0].value, at.success[0].value
    with UnitOfWork(make_engine(world[1])) as uow:
        kinds = [e.kind for e in audit.entries(uow.session) if e.actor == "support_manager"]
    assert "recipe.saved" in kinds


def test_a_recipe_that_does_not_fit_says_what_to_map_in_the_pages_words(world):
    data = (ROOT / "tests" / "fixtures" / "recipes" / "hubspot-tickets.json").read_bytes()
    at = as_role("ingest", "support_manager")
    at.file_uploader(key="upload").upload("hubspot.json", data, "application/json").run()
    assert at.selectbox(key="recipe").value == "hubspot-tickets"
    at.selectbox(key="recipe").set_value("intercom-conversations").run()
    assert not at.exception
    said = " ".join(e.value for e in at.error)
    assert "The recipe intercom-conversations cannot read this file" in said, said
    assert "no list of records named 'conversations'" in said and "Recipe: which column" in said
    assert "/tmp" not in said and "--" not in said  # no server path, no CLI flag


def test_a_recipe_with_selectors_and_severity_codes_keeps_them_in_the_builder(world):
    """JSM's request fields are a list (the priority is chosen by a selector) and GLPI writes its
    priorities as codes: the builder shows both as the recipe says, and the page reads the
    priorities through them (the labels it asks to map are the names, not the list or codes)."""
    fixtures = ROOT / "tests" / "fixtures" / "recipes"

    def labels_to_map(at) -> list[str]:
        return [s.label for s in at.selectbox if s.key and s.key.startswith("sevmap")]

    at = as_role("ingest", "support_manager")
    data = (fixtures / "jsm-servicedesk-requests.json").read_bytes()
    at.file_uploader(key="upload").upload("requests.json", data, "application/json").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="recipe").value == "jsm-servicedesk-requests"
    scope = "rb:jsm-servicedesk-requests:generic"
    assert at.selectbox(key=f"{scope}:severity").value == (
        "requestFieldValues[fieldId=priority].value.name"
    )
    assert at.selectbox(key=f"{scope}:status:Resolved").value == "solved"
    next(s for s in at.selectbox if s.label.startswith("Contract")).set_value("ACME-SAAS").run()
    said = " ".join(labels_to_map(at))
    assert "“High” (1 tickets)" in said and "“Medium” (1 tickets)" in said, said

    glpi = as_role("ingest", "support_manager")
    data = (fixtures / "glpi-tickets.json").read_bytes()
    glpi.file_uploader(key="upload").upload("glpi.json", data, "application/json").run()
    assert glpi.selectbox(key="recipe").value == "glpi-tickets"
    scope = "rb:glpi-tickets:generic"
    assert glpi.text_input(key=f"{scope}:severity:4").value == "high"
    glpi.text_input(key=f"{scope}:severity:4").input("urgent").run()
    glpi.text_input(key="recipe_name").set_value("glpi-renamed").run()
    glpi.button(key="save_recipe").click().run()
    assert not glpi.exception, glpi.exception
    assert any("Saved glpi-renamed, version 1" in s.value for s in glpi.success)
    from contracts.adapters.unit_of_work import UnitOfWork
    from flows.recipes import all_recipes

    saved = all_recipes(UnitOfWork(make_engine(world[1])))["glpi-renamed"]
    assert saved.severity_names["4"] == "urgent" and saved.severity_names["3"] == "medium"
    assert saved.history is None and saved.statuses["paused"] == ["pending"]


def test_an_export_with_no_contract_column_says_where_to_choose_one_on_the_page(world):
    csv = "ticket_id,severity,created_at\nT1,P2,2026-10-05T10:00:00-04:00\n"
    at = as_role("ingest", "support_manager")
    at.file_uploader(key="upload").upload("nocontract.csv", csv.encode(), "text/csv").run()
    assert not at.exception, at.exception
    said = " ".join(e.value for e in at.error).replace("\\", "")  # markdown escapes
    assert "the export has no contract column" in said, said
    assert "choose it under “Contract (when the file has no contract column)”" in said, said
    assert "--contract" not in said
