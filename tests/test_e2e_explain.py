"""Browser journeys (Debian chromium via Playwright): a support manager asks why a ticket breached
and what is at risk; finance filters credits, closes a month and reopens it with a reason."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit_server import CHROMIUM, SHOTS, demo_world, free_port, login, running_app, settled

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="needs Debian chromium (make test installs it)"
)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    env = demo_world(tmp_path_factory.mktemp("explain"))
    with running_app(env, free_port()) as base:
        yield base


def choose(page, label: str, option: str) -> None:
    """Pick an option of a select box. A click that lands while the page is still rerunning opens
    no list (seen under load): then close and open it again, three times at most."""
    box = page.get_by_role("combobox", name=label, exact=True).first
    wanted = page.get_by_role("option", name=option, exact=True).first
    for _ in range(3):
        settled(page)
        box.click()
        page.keyboard.type(option)
        try:
            wanted.wait_for(state="visible", timeout=10_000)
            break
        except Exception:  # noqa: BLE001 - playwright's timeout: try opening the list again
            page.keyboard.press("Escape")
    wanted.click()
    settled(page)


def no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0


def test_support_manager_sees_why_a_ticket_breached_and_what_is_at_risk(app, browser):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 2200})
    login(page, app, "support")
    page.get_by_role("link", name="Compliance").click()
    settled(page)
    choose(page, "Contract", "GLOBEX-EU")
    page.locator('[data-testid="stRadio"]').get_by_text("Resolution", exact=True).first.click()
    settled(page)
    expect(page.get_by_role("heading", name="Why this ticket").first).to_be_visible(timeout=60000)
    # the clock type the dispute was about is said in words, with the instants' offsets
    expect(page.get_by_text(re.compile(r"Resolution \(P1, 24x7 clock from"))).to_be_visible(
        timeout=60000
    )
    expect(page.get_by_text(re.compile(r"\+0[12]:00"))).not_to_have_count(0)
    expect(page.locator(".js-plotly-plot").nth(1)).to_contain_text("counted", timeout=60000)
    page.screenshot(path=str(SHOTS / "compliance-why.png"), full_page=True)
    no_exception(page)

    page.get_by_role("link", name="At risk").click()
    settled(page)
    page.get_by_text(re.compile("the newest ticket")).first.click()
    expect(page.get_by_text("Open metrics at risk")).to_be_visible(timeout=120000)
    settled(page)
    grid = page.locator('[data-testid="stDataFrame"]').first
    expect(grid).to_contain_text("GLO-003323", timeout=60000)
    page.screenshot(path=str(SHOTS / "at-risk.png"), full_page=True)
    no_exception(page)


def test_finance_filters_closes_and_reopens_a_month(app, browser):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 2000})
    login(page, app, "finance")
    page.get_by_role("link", name="Credits").click()
    settled(page)
    expect(
        page.get_by_text(re.compile(r"Credits in view \(\d{4}-\d\d to \d{4}-\d\d\)"))
    ).to_be_visible(timeout=60000)
    choose(page, "Contract", "ACME-SAAS")
    page.get_by_role("button", name="Approve and close").click()
    settled(page)
    closed = page.get_by_text(re.compile(r"Closed ACME-SAAS \d{4}-\d\d by finance at "))
    expect(closed).to_be_visible(timeout=60000)
    box = page.get_by_label("Why it is reopened (goes into the audit trail)")
    box.fill("Vendor disputes two tickets")
    box.press("Control+Enter")
    settled(page)
    page.get_by_role("button", name="Reopen").click()
    settled(page)
    expect(page.get_by_text(re.compile(r"Reopened ACME-SAAS \d{4}-\d\d by finance"))).to_be_visible(
        timeout=60000
    )
    page.screenshot(path=str(SHOTS / "credits-reopened.png"), full_page=True)
    no_exception(page)
