"""Browser journeys (Debian chromium via Playwright): a support manager ingests a real ServiceNow
export and
drills into a breach; legal creates a contract with the generated form and sends it; every page
renders."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from helpers import FIXTURES, SHARED
from streamlit_server import CHROMIUM, SHOTS, demo_world, free_port, login, running_app, settled

from sla_engine.ingest.run import ingest
from sla_engine.rulebook.terms import load_terms
from sla_engine.store.core import Store

UCI = SHARED / "uci-incident-event-log" / "incident_event_log.csv.gz"
UCI_TERMS = FIXTURES / "terms_uci.json"
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="needs Debian chromium (make test installs it)"
)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    root = tmp_path_factory.mktemp("journeys")
    env = demo_world(root)
    # the UCI contract's terms, without the priority labels: the support manager maps them on the
    # Ingest page
    terms = [t.model_copy(update={"severity_map": {}}) for t in load_terms(UCI_TERMS)]
    Store(root / "store").add_terms(terms)
    WORLD["db"] = env["DATABASE_URL"]
    with running_app(env, free_port()) as base:
        yield base


WORLD: dict[str, str] = {}  # the journeys' database, for checking what a page stored


UCI_LABELS = {"1 - Critical": "P1", "2 - High": "P2", "3 - Moderate": "P3", "4 - Low": "P4"}


def choose(page, label: str, option: str) -> None:
    """Pick an option of the Streamlit selectbox whose label is `label` (typing filters long
    lists)."""
    page.get_by_role("combobox", name=label, exact=True).first.click()
    page.keyboard.type(option)
    page.get_by_role("option", name=option, exact=True).first.click()
    settled(page)


def no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
        '[data-testid="stException"]'
    ).first.inner_text()


@pytest.mark.skipif(
    not UCI.exists(), reason=f"{UCI} is not here: ../shared/data must sit beside the checkout"
)
def test_support_manager_ingests_a_real_servicenow_export_and_drills_into_a_breach(
    app, browser, tmp_path
):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    login(page, app, "support")
    page.get_by_role("link", name="Ingest").click()
    expect(page.get_by_role("heading", name="Ingest a help-desk export").first).to_be_visible(
        timeout=60000
    )
    uploader = page.locator('[data-testid="stFileUploader"] input[type="file"]')
    uploader.first.set_input_files(str(UCI))
    # the ServiceNow preset was suggested from the columns; the export has naive times and no
    # contract column
    expect(page.get_by_role("combobox", name="Import recipe")).to_have_value(
        re.compile("^servicenow — "), timeout=120000
    )
    settled(page)
    choose(page, "Time zone of the export's times (they carry no offset)", "America/Sao_Paulo")
    choose(page, "Contract (when the file has no contract column)", "UCI-SN")
    expect(page.get_by_text("141,712 rows")).to_be_visible(timeout=120000)
    # ServiceNow's priority labels are not the contract's tiers yet: map them here, before loading
    expect(
        page.get_by_text(re.compile("carry priority labels that no contract maps"))
    ).to_be_visible(timeout=120000)
    for label, tier in UCI_LABELS.items():
        box = page.get_by_role("combobox", name=re.compile(f"UCI-SN: “{label}”"))
        box.first.click()
        page.keyboard.type(tier)
        page.get_by_role("option", name=tier, exact=True).first.click()
        settled(page)
    page.screenshot(path=str(SHOTS / "ingest-map-priorities.png"))
    page.get_by_role("button", name="Save these priority mappings").click()
    settled(page)
    expect(page.get_by_text(re.compile("carry priority labels"))).to_have_count(0, timeout=120000)
    page.get_by_role("button", name="Ingest", exact=True).click()
    expect(page.get_by_text("rows: 141712 in")).to_be_visible(timeout=240000)
    settled(page)
    report = (
        page.locator('[data-testid="stAlert"]').filter(has_text="ingest report").first.inner_text()
    )
    # the same figures as the command line with the labels in the terms document
    cli_store = Store(tmp_path / "cli")
    cli_store.add_terms(load_terms(UCI_TERMS))
    cli = ingest(cli_store, UCI, "servicenow", tz="America/Sao_Paulo", contract="UCI-SN")
    for line in cli.text().splitlines()[1:3]:  # rows and distinct tickets
        assert line.strip() in report, (line, report)
    assert cli.loaded_rows == 141_691
    page.screenshot(path=str(SHOTS / "ingest.png"))
    with page.expect_download() as dl:
        page.get_by_role("button", name="Quarantined rows (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(Path(dl.value.path()).read_text())))
    assert len({r["row"] for r in rows}) == 21 and all(r["reason"] and r["column"] for r in rows)
    assert {r["file"] for r in rows} == {
        "incident_event_log.csv.gz"
    }  # the upload's name, not a temporary path
    no_exception(page)

    # the new contract's months are on the Compliance page; drill into a breach and export the
    # evidence
    page.get_by_role("link", name="Compliance").click()
    expect(page.get_by_role("heading", name="Compliance").first).to_be_visible(timeout=60000)
    settled(page)
    choose(page, "Contract", "UCI-SN")
    expect(page.locator(".js-plotly-plot").first).to_contain_text("UCI-SN", timeout=60000)
    expect(page.get_by_role("heading", name="Drill down").first).to_be_visible(timeout=60000)
    # the drill-down of this contract (its months are 2016-17), not the previous contract's
    # (2024-26) still on screen
    expect(page.get_by_text(re.compile(r"tickets in 201[67]-\d\d"))).to_be_visible(timeout=120000)
    settled(page)
    no_exception(page)
    with page.expect_download() as dl:
        page.get_by_role("button", name="Evidence (CSV)").click()
    evidence = list(csv.DictReader(io.StringIO(Path(dl.value.path()).read_text())))
    assert evidence and evidence[0]["ticket"].startswith("INC")  # ServiceNow incident numbers
    assert {r["state"] for r in evidence} <= {"breached", "pending"}


def test_legal_creates_a_contract_with_the_form_and_sends_it(app, browser):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    login(page, app, "legal")
    page.get_by_role("link", name="Contracts").click()
    expect(page.get_by_role("heading", name="Contracts and templates").first).to_be_visible(
        timeout=60000
    )
    settled(page)
    page.get_by_role("tab", name="New contract").click()
    choose(page, "Template version", "saas-support@1")
    title = page.get_by_label("Title", exact=True)
    expect(title).to_have_count(
        1, timeout=30000
    )  # the previous template's form is gone (stale until the rerun ends)
    settled(page)
    expect(title).to_have_count(1, timeout=30000)
    expect(title).to_have_value("SaaS Support Agreement")
    title.fill("Support for Initech (browser)")
    title.press("Enter")
    settled(page)

    def css_key(key: str) -> str:  # Streamlit's class for a widget key: st-key-<key, [^\w-]→->
        return "st-key-" + re.sub(r"[^a-zA-Z0-9_-]", "-", key)

    def cell(key: str):
        return page.locator(f"div.{css_key('ff.saas-support@1.' + key)} input").first

    # the tables keep every edit: the customer's name, and a tier added as a new row
    cell("parties.0.name").fill("Initech Corp.")
    cell("parties.0.name").press("Enter")
    settled(page)
    page.locator(f"div.{css_key('ff.saas-support@1.sla.tiers.add')} button").click()
    settled(page)
    from contracts_fixtures import example

    new_row = len(example("saas-support")["sla"]["tiers"])  # rows are numbered from 0
    for field, value in (
        ("key", "P4"),
        ("response_minutes", "480"),
        ("resolution_minutes", "2400"),
        ("target_pct", "80"),
    ):
        cell(f"sla.tiers.{new_row}.{field}").fill(value)
        cell(f"sla.tiers.{new_row}.{field}").press("Enter")
        settled(page)
    page.wait_for_timeout(3000)  # the defect lost edits seconds later: they must still be there
    settled(page)
    expect(cell("parties.0.name")).to_have_value("Initech Corp.")
    expect(cell(f"sla.tiers.{new_row}.key")).to_have_value("P4")
    expect(page.get_by_text("Summary before saving")).to_be_visible()
    page.screenshot(path=str(SHOTS / "contract-form.png"))
    page.get_by_role("button", name="Create draft contract").click()
    created = page.get_by_text("Created C-")
    expect(created).to_be_visible(timeout=60000)
    cid = created.inner_text().split()[1]
    settled(page)
    from contracts.adapters.orm import make_engine
    from contracts.adapters.unit_of_work import UnitOfWork

    with UnitOfWork(make_engine(WORLD["db"])) as uow:
        made = uow.repo.get_contract(cid).typed
    assert made.party("customer").name == "Initech Corp."
    assert made.sla.tiers["P4"].resolution_minutes == 2400

    page.get_by_role("tab", name="Send for signature").click()
    choose(page, "Contract", cid)
    page.get_by_role("button", name="Send for signature").click()
    expect(page.get_by_text("Sent: envelope E-")).to_be_visible(timeout=60000)
    settled(page)
    no_exception(page)

    page.get_by_role(
        "tab", name="Contracts"
    ).click()  # the list shows the envelope and each signer's status
    choose(page, "Open", cid)
    expect(page.get_by_text("— sent")).to_be_visible(timeout=60000)
    page.screenshot(path=str(SHOTS / "contracts.png"))
    no_exception(page)


PAGES = [
    ("Overview", "Overview"),
    ("Compliance", "Compliance"),
    ("At risk", "At risk"),
    ("Credits", "Service credits"),
    ("Ingest", "Ingest a help-desk export"),
    ("Renewals", "Renewals"),
    ("Contracts", "Contracts and templates"),
    ("Audit", "Audit trail"),
    ("Admin", "Administration"),
]


def test_every_page_renders_for_an_admin(app, browser):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 1400})
    login(page, app, "admin")
    for link, heading in PAGES:
        page.get_by_role("link", name=link, exact=True).click()
        # while the rerun is in flight the previous render may still be in the page
        expect(page.get_by_role("heading", name=heading).first).to_be_visible(timeout=60000)
        settled(page)
        expect(page.get_by_role("heading", name=heading)).to_have_count(1, timeout=60000)
        no_exception(page)
        if link in ("Renewals", "Audit", "Admin"):  # the others are pictured by the journeys
            page.screenshot(path=str(SHOTS / f"page-{link.lower()}.png"))


def test_support_manager_builds_a_recipe_for_an_unknown_csv_and_loads_it(app, browser, tmp_path):
    """A help desk no recipe knows: the columns and status meanings are chosen on the page from
    the export itself, the recipe is saved by name, and the load uses it."""
    from playwright.sync_api import expect

    csv_text = (
        "Case,Urgency,Opened,Answered,State,State since\n"
        "R1,P2,2026-10-05T10:00:00-04:00,2026-10-05T10:30:00-04:00,Done,2026-10-05T12:00:00-04:00\n"
        "R2,P2,2026-10-06T10:00:00-04:00,,Fresh,2026-10-06T10:00:00-04:00\n"
    )
    path = tmp_path / "unknown-desk.csv"
    path.write_text(csv_text)
    page = browser.new_page(viewport={"width": 1366, "height": 1800})
    login(page, app, "support")
    page.get_by_role("link", name="Ingest").click()
    page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(
        str(path)
    )
    expect(page.get_by_role("combobox", name="Import recipe")).to_be_visible(timeout=60000)
    settled(page)
    for label, column in {
        "Ticket id": "Case",
        "Priority / severity": "Urgency",
        "Created": "Opened",
        "First response": "Answered",
        "Status": "State",
        "Status changed / last updated": "State since",
    }.items():
        choose(page, label, column)
    choose(page, "“Done”", "solved")
    choose(page, "“Fresh”", "open")
    choose(page, "Contract (when the file has no contract column)", "ACME-SAAS")
    name = page.get_by_role("textbox", name="Recipe name")
    name.fill("unknown-desk")
    name.press("Enter")
    settled(page)
    page.get_by_role("button", name="Save recipe").click()
    settled(page)
    expect(page.get_by_text("Saved unknown-desk, version 1.")).to_be_visible(timeout=60000)
    expect(page.get_by_role("combobox", name="Import recipe")).to_have_value(
        re.compile("^unknown-desk"), timeout=30000
    )
    expect(page.get_by_text("How the first tickets will load")).to_be_visible(timeout=60000)
    no_exception(page)
    page.screenshot(path=str(SHOTS / "ingest-recipe-built.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 1800})
    settled(page)
    page.screenshot(path=str(SHOTS / "ingest-recipe-built-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 1800})
    page.get_by_role("button", name="Ingest", exact=True).click()
    expect(page.get_by_text("rows: 2 in")).to_be_visible(timeout=120000)
    report = (
        page.locator('[data-testid="stAlert"]').filter(has_text="ingest report").first.inner_text()
    )
    assert "2 loaded" in report and "read with the recipe 'unknown-desk'" in report, report
    no_exception(page)
