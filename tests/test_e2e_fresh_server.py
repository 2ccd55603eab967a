"""A link to a page: through the router (the sign-in first, then that page), even as the first visit
to a fresh app process (a restart, or one more instance behind the proxy), when Streamlit would run
a page on its own with a menu of every page file if the pages sat in a folder named `pages/`."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from streamlit_server import CHROMIUM, demo_world, free_port, running_app, settled

from contracts.services.users import DEMO_PASSWORD

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="needs Debian chromium (make test installs it)"
)


@pytest.fixture
def world(tmp_path) -> dict[str, str]:
    """Built before the browser starts (sealing runs its own event loop; Playwright holds one)."""
    return demo_world(tmp_path)


def test_the_first_visit_to_a_fresh_server_at_a_page_link_gets_the_sign_in(world, browser):
    with running_app(world, free_port()) as base:  # nobody has opened the app yet
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(base + "/compliance", wait_until="domcontentloaded")
        page.get_by_label("Username").first.wait_for(timeout=60000)
        settled(page)
        body = page.inner_text("body")
        assert "Please sign in to see this page" not in body  # the page did not run by itself
        assert "Page not found" not in body
        for name in ("admin", "audit", "outbox", "credits"):  # no list of the app's page files
            assert page.get_by_role("link", name=name, exact=True).count() == 0, name
        page.get_by_label("Username").first.fill("support")
        page.get_by_label("Password", exact=True).first.fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Login", exact=True).first.click()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible(timeout=60000)
        settled(page)
        # signed in, on the page the link asked for; the menu has the support manager's pages
        expect(page.get_by_role("heading", name="Compliance").first).to_be_visible(timeout=60000)
        expect(page.get_by_role("link", name="At risk")).to_be_visible()
        assert page.get_by_role("link", name="Admin").count() == 0
        # another role's link: that page's refusal, naming who may open it
        page.goto(base + "/admin", wait_until="domcontentloaded")
        expect(page.get_by_text("does not give access to this page")).to_be_visible(timeout=60000)
        assert "Page not found" not in page.inner_text("body")
        assert page.locator('[data-testid="stDataFrame"]').count() == 0  # and no data


def test_a_link_to_a_persons_home_page_opens_it_not_page_not_found(world, browser):
    """The home page is served at "/"; its own address (a bookmark, a colleague's link) must open
    it too: finance's home is Credits, a support manager's the Overview."""
    with running_app(world, free_port()) as base:
        for user, path, heading in (
            ("finance", "/credits", "Service credits"),
            ("support", "/overview", "Overview"),
        ):
            page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
            page.goto(base + path, wait_until="domcontentloaded")
            page.get_by_label("Username").first.wait_for(timeout=60000)
            settled(page)
            assert "Page not found" not in page.inner_text("body")
            page.get_by_label("Username").first.fill(user)
            page.get_by_label("Password", exact=True).first.fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Login", exact=True).first.click()
            expect(page.get_by_role("button", name="Sign out")).to_be_visible(timeout=60000)
            settled(page)
            expect(page.get_by_role("heading", name=heading).first).to_be_visible(timeout=60000)
            page.goto(base + path, wait_until="domcontentloaded")  # the address again, signed in
            expect(page.get_by_role("heading", name=heading).first).to_be_visible(timeout=60000)
            settled(page)
            assert "Page not found" not in page.inner_text("body"), (user, path)
            page.close()
