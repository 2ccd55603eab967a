"""The IT administrator's settings in the browser: the groups-to-roles mapping of single sign-on
and the retention years per template, saved on the Admin page and audited; screenshots at desktop
and phone width."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit_server import CHROMIUM, SHOTS, demo_world, free_port, login, running_app, settled

from contracts.adapters.orm import make_engine
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.services import retention
from contracts.services.sso import sso_settings

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="needs Debian chromium (make test installs it)"
)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    env = demo_world(tmp_path_factory.mktemp("it-admin"))
    with running_app(env, free_port()) as base:
        yield base, env


@pytest.mark.parametrize("size", [(1400, 1000), (390, 844)], ids=["desktop", "phone"])
def test_an_admin_maps_groups_to_roles_and_sets_retention(world, browser, size):
    from playwright.sync_api import expect

    base, env = world
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    login(page, base, "admin")
    page.goto(base + "/admin", wait_until="domcontentloaded")
    expect(page.get_by_role("heading", name="Administration").first).to_be_visible(timeout=60000)
    settled(page)
    page.get_by_role("tab", name="Single sign-on").click()
    expect(page.get_by_text("No identity provider is configured")).to_be_visible()
    mapping = page.get_by_role(
        "textbox", name="Groups to Covenant roles (one per line: group = role, role)"
    )
    mapping.fill("finance = finance\nit-ops = admin, legal")
    page.locator('[data-testid="stForm"]').filter(has_text="Groups claim").get_by_role(
        "button", name="Save"
    ).click()
    expect(page.get_by_text("Saved (recorded in the audit trail).").first).to_be_visible(
        timeout=60000
    )
    settled(page)
    page.screenshot(path=str(SHOTS / f"admin-sso-{size[0]}.png"), full_page=True)
    page.get_by_role("tab", name="Retention and privacy").click()
    page.get_by_role("textbox", name="Years per template (NAME = YEARS)").fill("saas-support = 10")
    page.locator('[data-testid="stForm"]').filter(has_text="Years per template").get_by_role(
        "button", name="Save"
    ).click()
    expect(page.get_by_text("Saved (recorded in the audit trail).").first).to_be_visible(
        timeout=60000
    )
    expect(page.get_by_text(re.compile("are read past and never stored"))).to_be_visible()
    settled(page)
    page.screenshot(path=str(SHOTS / f"admin-retention-{size[0]}.png"), full_page=True)
    eng = make_engine(env["DATABASE_URL"])
    assert sso_settings(UnitOfWork(eng)).group_roles == {
        "finance": ["finance"],
        "it-ops": ["admin", "legal"],
    }
    assert retention.overrides(UnitOfWork(eng)).per_template == {"saas-support": 10}
    # a mapping to a role that does not exist is refused in the page's words
    page.get_by_role("tab", name="Single sign-on").click()
    mapping.fill("finance = treasurer")
    page.locator('[data-testid="stForm"]').filter(has_text="Groups claim").get_by_role(
        "button", name="Save"
    ).click()
    expect(page.get_by_text("roles are some of").first).to_be_visible(timeout=60000)
    page.close()
