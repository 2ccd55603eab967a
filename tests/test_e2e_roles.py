"""Journeys of the roles not walked elsewhere, in headless Chromium at a desktop (1400x1000) and a
phone (390x844) size, asserting what a person sees, with screenshots saved for review: a newcomer
on the Overview, an administrator changing another user's roles, a vendor manager on Renewals,
and a support manager with a new customer's export."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit_server import CHROMIUM, SHOTS, demo_world, free_port, login, running_app, settled

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="needs Debian chromium (make test installs it)"
)
SIZES = {"desktop": {"width": 1400, "height": 1000}, "phone": {"width": 390, "height": 844}}
WORLD: dict[str, str] = {}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    env = demo_world(tmp_path_factory.mktemp("roles"))
    WORLD["db"] = env["DATABASE_URL"]
    WORLD["store"] = env["COVENANT_STORE"]
    with running_app(env, free_port()) as base:
        yield base


def _shot(page, name: str, size: str) -> None:
    page.set_viewport_size({"width": SIZES[size]["width"], "height": 2000})  # the whole page
    page.screenshot(path=str(SHOTS / f"{name}-{size}.png"))
    page.set_viewport_size(SIZES[size])


@pytest.mark.parametrize("size", list(SIZES))
def test_a_newcomer_learns_what_the_overview_shows(app, browser, size):
    from playwright.sync_api import expect

    page = browser.new_page(viewport=SIZES[size])
    login(page, app, "vendor")
    expect(page.get_by_role("heading", name="Overview").first).to_be_visible(timeout=60000)
    settled(page)
    expect(page.get_by_text("the latest complete month with tickets")).to_be_visible()
    expect(page.get_by_text("below target · trend")).to_be_visible()
    _shot(page, "overview-newcomer", size)
    page.close()


def test_an_admin_changes_another_users_roles_without_granting_admin(app, browser):
    from playwright.sync_api import expect

    from contracts.adapters.orm import make_engine
    from contracts.adapters.unit_of_work import UnitOfWork
    from contracts.services.users import list_users

    page = browser.new_page(viewport=SIZES["desktop"])
    login(page, app, "admin")
    page.get_by_role("link", name="Admin", exact=True).click()
    expect(page.get_by_role("heading", name="Administration").first).to_be_visible(timeout=60000)
    settled(page)
    user = page.get_by_role("combobox", name="User", exact=True)
    user.click()
    page.keyboard.type("finance")
    page.get_by_role("option", name="finance", exact=True).first.click()
    settled(page)
    box = page.get_by_label("Roles of finance")
    expect(box).to_be_visible(timeout=30000)
    widget = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Roles of finance")
    tags = widget.locator(".react-aria-ComboBox [data-tag]")  # the roles the box shows
    roles_shown = [tags.nth(i).get_attribute("aria-label") for i in range(tags.count())]
    assert roles_shown == ["finance"], roles_shown
    expect(page.get_by_role("button", name="Save roles")).to_be_disabled()
    box.click()
    page.keyboard.type("legal")
    page.get_by_role("option", name="legal", exact=True).first.click()
    page.keyboard.press("Escape")
    settled(page)
    expect(page.get_by_text("Saving changes finance: adds legal")).to_be_visible(timeout=30000)
    _shot(page, "admin-change-roles", "desktop")
    page.get_by_role("button", name="Save roles").click()
    expect(page.get_by_text("Roles of finance saved")).to_be_visible(timeout=30000)
    roles = {u["username"]: u["roles"] for u in list_users(UnitOfWork(make_engine(WORLD["db"])))}
    assert roles["finance"] == ["finance", "legal"] and "admin" not in roles["finance"]
    page.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_a_vendor_manager_reads_where_each_contract_stands_on_renewal(app, browser, size):
    from playwright.sync_api import expect

    page = browser.new_page(viewport=SIZES[size])
    login(page, app, "vendor")
    page.goto(app + "/renewals", wait_until="domcontentloaded")
    expect(page.get_by_role("heading", name="Renewals").first).to_be_visible(timeout=60000)
    settled(page)
    table = page.locator('[data-testid="stDataFrame"]').first
    expect(table).to_be_visible(timeout=60000)
    _shot(page, "renewals", size)
    page.close()


def test_a_support_manager_with_a_new_customer_is_told_what_must_exist_first(app, browser):
    from playwright.sync_api import expect

    page = browser.new_page(viewport=SIZES["phone"])
    login(page, app, "support")
    page.goto(app + "/ingest", wait_until="domcontentloaded")
    expect(page.get_by_role("heading", name="Ingest a help-desk export").first).to_be_visible(
        timeout=60000
    )
    settled(page)
    page.get_by_text("A new customer? What must exist before their tickets load").click()
    expect(page.get_by_text("Legal creates it from a template")).to_be_visible(timeout=30000)
    expect(page.get_by_role("link", name="Contracts")).to_be_visible()
    _shot(page, "ingest-new-customer", "phone")
    page.close()


def test_a_support_manager_creates_an_alert_rule_and_sees_its_alerts(app, browser):
    from playwright.sync_api import expect

    from contracts.adapters.orm import make_engine
    from contracts.adapters.unit_of_work import UnitOfWork
    from flows import alerts
    from sla_engine.reports.analysis import now_us
    from sla_engine.store.core import Store

    page = browser.new_page(viewport=SIZES["desktop"])
    login(page, app, "support")
    page.goto(app + "/at_risk", wait_until="domcontentloaded")
    settled(page)
    page.get_by_role("link", name=re.compile("alert rules and what they sent")).click()
    expect(page.get_by_role("heading", name="Alerts before a breach").first).to_be_visible(
        timeout=90000
    )
    settled(page)
    page.get_by_text("Add an alert rule").click()
    page.get_by_role("textbox", name="Name", exact=True).fill("Breaches at ACME")
    page.get_by_role("textbox", name="Thresholds (comma-separated)").fill("breach")
    page.get_by_role("textbox", name="E-mail addresses (one per line)").fill("ops@acme.example")
    page.get_by_role("button", name="Add the rule").click()
    expect(page.get_by_text(re.compile(r"Alert rule \d+ added"))).to_be_visible(timeout=60000)
    # the worker's tick (here called directly): the demo's open tickets are long breached
    report = alerts.tick(
        Store(Path(WORLD["store"])), UnitOfWork(make_engine(WORLD["db"])), now_us()
    )
    assert report.alerts > 0
    page.reload(wait_until="domcontentloaded")
    expect(page.get_by_role("heading", name="Alerts before a breach").first).to_be_visible(
        timeout=90000
    )
    settled(page)
    expect(page.get_by_text(re.compile(r"The last \d+ alert\(s\) of rule"))).to_be_visible(
        timeout=60000
    )
    _shot(page, "alerts-history", "desktop")
    page.close()
