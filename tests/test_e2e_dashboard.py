"""Dashboard journeys in headless Chromium (Debian's, via Playwright): log in, see the chart, drill
down, export."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit_server import CHROMIUM, SHOTS, demo_world, free_port, login, running_app

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="needs Debian chromium (make test installs it)"
)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    env = demo_world(tmp_path_factory.mktemp("dash"))
    with running_app(env, free_port()) as base:
        yield base


def test_support_manager_sees_chart_drills_down_and_exports(app, browser, tmp_path):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 1800})
    page = context.new_page()
    login(page, app, "support")
    expect(page.get_by_role("heading", name="Overview").first).to_be_visible(timeout=60000)
    expect(page.get_by_text("Envelopes awaiting signature")).to_be_visible(timeout=60000)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=60000)
    expect(page.get_by_role("button", name="Login", exact=True)).to_have_count(0, timeout=30000)
    page.screenshot(path=str(SHOTS / "overview.png"))
    page.get_by_role("link", name="Compliance").click()
    expect(page.get_by_role("heading", name="Compliance").first).to_be_visible(timeout=60000)
    page.locator(".js-plotly-plot").first.wait_for(state="visible", timeout=60000)
    expect(page.get_by_role("heading", name="Drill down").first).to_be_visible(timeout=30000)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=60000)
    page.screenshot(path=str(SHOTS / "compliance.png"))
    with page.expect_download() as dl:
        page.get_by_role("button", name="Evidence (CSV)").click()
    path = tmp_path / "evidence.csv"
    dl.value.save_as(path)
    assert path.read_text().startswith("ticket,state,created")
    assert page.get_by_role("link", name="Credits").count() == 0  # not a finance user
    # the session cookie was set by the server: HttpOnly (no script reads it), SameSite=Strict
    (cookie,) = [c for c in context.cookies() if c["name"] == "covenant_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert "covenant_session" not in page.evaluate("document.cookie")
    # the session survives a reload and a new tab (server-side session, token in a cookie)
    page.reload(wait_until="domcontentloaded")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible(timeout=60000)
    tab = context.new_page()
    tab.goto(app, wait_until="domcontentloaded")
    expect(tab.get_by_role("button", name="Sign out")).to_be_visible(timeout=60000)
    tab.close()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Login", exact=True).first).to_be_visible(timeout=30000)
    # sign-out cleared the cookie from the server (a script could not: it is HttpOnly)
    page.wait_for_timeout(1000)
    assert not [c for c in context.cookies() if c["name"] == "covenant_session" and c["value"]]
    page.reload(wait_until="domcontentloaded")  # signed out on the server: the cookie is no key
    expect(page.get_by_role("button", name="Login", exact=True).first).to_be_visible(timeout=60000)
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def test_finance_exports_credits(app, browser, tmp_path):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    login(page, app, "finance")
    page.get_by_role("link", name="Credits").click()
    expect(page.get_by_role("heading", name="Service credits").first).to_be_visible(timeout=60000)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=60000)
    page.screenshot(path=str(SHOTS / "credits.png"))
    with page.expect_download() as dl:
        page.get_by_role("button", name="Credits (XLSX)").click()
    path = tmp_path / "credits.xlsx"
    dl.value.save_as(path)
    import pandas as pd

    with pd.ExcelFile(path) as book:
        assert book.sheet_names == ["Summary", "Credits"]
    df = pd.read_excel(path, sheet_name="Credits")
    assert {"Contract", "Month", "Credit %", "Amount", "Why"} <= set(df.columns) and len(df) > 0
    assert pd.api.types.is_numeric_dtype(df["Amount"])  # numbers as numbers
