"""One flow in a real browser (Debian chromium via Playwright): legal creates a contract from a
starter template with a customer key and a priority label, sends it; two signers sign on a phone;
then, with no other step, a support manager ingests the customer's export and sees the contract's
tiers on Compliance, and the evidence PDF names the sealed document's SHA-256."""

from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path

import pytest
from streamlit_server import CHROMIUM, SHOTS, free_port, running_app, settled
from streamlit_server import CHROMIUM_ARGS as ARGS

from contracts.adapters.mailer import deliver
from contracts.adapters.orm import make_engine
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.services import templates as template_service
from contracts.services.users import create_user

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() or not shutil.which("pdfsig"),
    reason="needs Debian chromium and poppler-utils (make test installs them as root)",
)
PASSWORD = "e2e-password-123"
EXPORT = (
    "ticket_id,contract_id,severity,created_at,first_response_at,resolved_at\n"
    # Hooli's help desk calls its priorities Urgent and Normal; the contract maps them
    "HD-1,Hooli Inc,Urgent,2025-03-04T10:00:00-05:00,2025-03-04T13:00:00-05:00,"
    "2025-03-04T18:00:00-05:00\n"
    "HD-2,Hooli Inc,Urgent,2025-03-05T10:00:00-05:00,2025-03-05T10:10:00-05:00,"
    "2025-03-05T11:00:00-05:00\n"
    "HD-3,Hooli Inc,P3,2025-03-06T10:00:00-05:00,2025-03-06T11:00:00-05:00,"
    "2025-03-07T11:00:00-05:00\n"
)


@pytest.fixture
def server(tmp_path, smtp, seal_ca):
    inbox, cfg = smtp
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'c.sqlite'}",
        "COVENANT_SMTP_HOST": cfg.host,
        "COVENANT_SMTP_PORT": str(cfg.port),
        "COVENANT_MAIL_FROM": cfg.sender,
        "COVENANT_SEAL_KEY": str(seal_ca["seal-key"]),
        "COVENANT_SEAL_CERT": str(seal_ca["seal-cert"]),
        "COVENANT_SEAL_CHAIN": str(seal_ca["root-cert"]),
        "COVENANT_STORE": str(tmp_path / "store"),
        "COVENANT_CACHE": str(tmp_path / "cache"),
    }
    eng = make_engine(env["DATABASE_URL"])
    template_service.install_starters(UnitOfWork(eng))
    for user, role in (("lee", "legal"), ("sam", "support_manager")):
        create_user(
            UnitOfWork(eng), user, user.title(), f"{user}@acme.example", PASSWORD, [role], "test"
        )
    with running_app(env, port) as base:
        yield base, inbox, cfg, eng


def sign_in(page, base: str, user: str) -> None:
    from playwright.sync_api import expect

    page.goto(base, wait_until="domcontentloaded")
    page.get_by_label("Username").first.wait_for(timeout=60000)
    settled(page)
    page.get_by_label("Username").first.fill(user)
    page.get_by_label("Password", exact=True).first.fill(PASSWORD)
    page.get_by_role("button", name="Login", exact=True).first.click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible(timeout=60000)
    settled(page)


def choose(page, label: str, option: str) -> None:
    page.get_by_role("combobox", name=label, exact=True).first.click()
    page.keyboard.type(option)
    page.get_by_role("option", name=option, exact=True).first.click()
    settled(page)


def test_a_contract_signed_in_covenant_is_the_one_measured(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright
    from pypdf import PdfReader

    base, inbox, cfg, eng = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        legal = browser.new_page(viewport={"width": 1400, "height": 1800})
        sign_in(legal, base, "lee")
        legal.get_by_role("link", name="Contracts").click()
        expect(legal.get_by_role("heading", name="Contracts and templates").first).to_be_visible(
            timeout=60000
        )
        settled(legal)
        legal.get_by_role("tab", name="New contract").click()
        choose(legal, "Template version", "saas-support@1")
        settled(legal)  # the form redraws for the chosen version: fill the new one, not the old
        legal.get_by_role("textbox", name="Contract number (optional)").fill("HOOLI-2025")
        legal.get_by_role(
            "textbox", name="Customer keys in the help desk's exports (one per line)"
        ).fill("Hooli Inc")
        legal.get_by_role(
            "textbox", name="Help-desk priority labels (one per line: label = tier)"
        ).fill("Urgent = P1\nNormal = P3")
        settled(legal)
        legal.get_by_role("button", name="Create draft contract").click()
        expect(legal.get_by_text("Created HOOLI-2025")).to_be_visible(timeout=60000)
        settled(legal)
        legal.get_by_role("tab", name="Send for signature").click()
        choose(legal, "Contract", "HOOLI-2025")
        legal.get_by_role("button", name="Send for signature").click()
        expect(legal.get_by_text("Sent: envelope E-")).to_be_visible(timeout=60000)
        legal.close()

        signed = 0
        for _ in range(4):  # the signers of each routing group, as they are invited
            deliver(eng, cfg)
            invited = {m["To"] for m in inbox.messages if "please sign" in m["Subject"].lower()}
            done = {m["To"] for m in inbox.messages if m["Subject"].startswith("Completed")}
            todo = sorted(invited - {a for a in getattr(inbox, "_signed", set())})
            if done or not todo:
                break
            for addr in todo:
                link = next(
                    m.get_body().get_content()
                    for m in reversed(inbox.to(addr))
                    if "please sign" in m["Subject"].lower()
                )
                url = base + "/sign?" + link.split("/sign?")[1].split()[0]
                phone = browser.new_page(viewport={"width": 390, "height": 844})
                phone.goto(url, wait_until="domcontentloaded")
                phone.get_by_role("heading", name="Sign a contract").wait_for(timeout=30000)
                phone.get_by_role("button", name="Send me a one-time code by e-mail").click()
                expect(phone.get_by_text("A 6-digit code was sent")).to_be_visible(timeout=30000)
                phone.get_by_label("One-time code").fill(inbox.last_code(addr))
                phone.get_by_role("button", name="Verify code").click()
                phone.get_by_text(
                    "I agree to receive and sign this contract electronically"
                ).click()
                phone.get_by_role("button", name="Continue").click()
                phone.get_by_label("Type your full name").fill("Signer " + addr.split("@")[0])
                phone.get_by_label("Type your full name").press("Enter")
                phone.get_by_role("button", name="I agree and sign this contract").click()
                expect(phone.get_by_text(re.compile(r"^Signed\. ")).first).to_be_visible(
                    timeout=90000
                )
                phone.close()
                inbox._signed = getattr(inbox, "_signed", set()) | {addr}
                signed += 1
        assert signed == 2

        support = browser.new_page(viewport={"width": 1400, "height": 1800})
        sign_in(support, base, "sam")
        support.get_by_role("link", name="Ingest").click()
        expect(
            support.get_by_role("heading", name="Ingest a help-desk export").first
        ).to_be_visible(timeout=60000)
        export = tmp_path / "hooli.csv"
        export.write_text(EXPORT)
        support.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(
            str(export)
        )
        expect(support.get_by_text("3 rows")).to_be_visible(timeout=60000)
        settled(support)
        assert support.get_by_text("no contract lists yet").count() == 0  # routed by its key
        assert support.get_by_text("no contract maps").count() == 0  # Urgent = P1 at creation
        support.get_by_role("button", name="Ingest", exact=True).click()
        expect(support.get_by_text("3 loaded")).to_be_visible(timeout=120000)
        settled(support)
        support.get_by_role("link", name="Compliance").click()
        expect(support.get_by_role("heading", name="Compliance").first).to_be_visible(timeout=60000)
        settled(support)
        expect(support.locator(".js-plotly-plot").first).to_contain_text(
            "HOOLI-2025", timeout=60000
        )
        support.screenshot(path=str(SHOTS / "signed-measured-compliance.png"))
        with support.expect_download() as dl:
            support.get_by_role("button", name="Evidence (PDF)").click()
        text = " ".join(
            page.extract_text()
            for page in PdfReader(io.BytesIO(Path(dl.value.path()).read_bytes())).pages
        )
        browser.close()
    with UnitOfWork(eng) as uow:
        (env,) = uow.envelopes.for_contract("HOOLI-2025")
        assert env.status == "completed"
    assert env.final_sha256 in "".join(text.split())
