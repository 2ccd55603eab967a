"""End to end in headless Chromium: two signers in sequence, codes read from the loopback SMTP
server,
ending in a sealed PDF that pdfsig validates. Uses Debian's chromium through Playwright (no browser
download)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from contracts_fixtures import example
from signing_fixtures import nss_db
from streamlit_server import CHROMIUM, SHOTS, free_port, running_app
from streamlit_server import CHROMIUM_ARGS as ARGS

from contracts.adapters.mailer import deliver
from contracts.adapters.orm import make_engine
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.services import contracts as contract_service
from contracts.services import signing
from contracts.services import templates as template_service

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() or not shutil.which("pdfsig"),
    reason="needs Debian chromium and poppler-utils (make test installs them as root)",
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
        "COVENANT_BASE_URL": f"http://127.0.0.1:{port}",
        "COVENANT_SEAL_KEY": str(seal_ca["seal-key"]),
        "COVENANT_SEAL_CERT": str(seal_ca["seal-cert"]),
        "COVENANT_SEAL_CHAIN": str(seal_ca["root-cert"]),
        "COVENANT_STORE": str(tmp_path / "store"),
        "COVENANT_CACHE": str(tmp_path / "cache"),
    }
    with running_app(env, port) as base:
        yield base, inbox, cfg, make_engine(env["DATABASE_URL"])


def test_two_signers_in_sequence_end_with_a_validated_seal(server, tmp_path, seal_ca):
    from playwright.sync_api import expect, sync_playwright

    base, inbox, cfg, eng = server
    template_service.install_starters(UnitOfWork(eng))
    cid = contract_service.create_contract(
        UnitOfWork(eng), "saas-support", example("saas-support")
    ).id
    people = [("Ann Customer", "ann@customer.example"), ("Bob Vendor", "bob@vendor.example")]
    env_id = signing.send_for_signature(
        UnitOfWork(eng),
        cid,
        [
            {"name": n, "email": e, "role": "signer", "group": i + 1}
            for i, (n, e) in enumerate(people)
        ],
        "legal@customer.example",
        base_url=base,
    )
    deliver(eng, cfg)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        for i, (name, addr) in enumerate(people):
            link = next(
                m.get_body().get_content()
                for m in reversed(inbox.to(addr))
                if "please sign" in m["Subject"].lower()
            )
            url = link[link.index(base) :].split()[0]
            page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
            page.goto(url, wait_until="domcontentloaded")
            page.get_by_role("heading", name="Sign a contract").wait_for(timeout=30000)
            page.get_by_role("button", name="Send me a one-time code by e-mail").click()
            expect(page.get_by_text("A 6-digit code was sent")).to_be_visible(timeout=30000)
            page.get_by_label("One-time code").fill(inbox.last_code(addr))
            page.get_by_role("button", name="Verify code").click()
            page.get_by_text("I agree to receive and sign this contract electronically").click()
            page.screenshot(path=str(SHOTS / f"sign-phone-consent-{i}.png"))
            page.get_by_role("button", name="Continue").click()
            expect(page.get_by_text("Read the clauses as text")).to_be_visible(timeout=30000)
            page.screenshot(path=str(SHOTS / f"sign-phone-review-{i}.png"))
            if i == 0:  # the first signer types a name, the second one draws
                page.get_by_label("Type your full name").fill(name)
                page.get_by_label("Type your full name").press("Enter")
            else:
                page.get_by_text("Draw it").click()
                expect(page.get_by_text("Sign in the box below")).to_be_visible(timeout=30000)
                expect(page.get_by_role("button", name="Clear")).to_be_visible()
                canvas = page.locator(".canvas-root canvas").last
                canvas.wait_for(state="visible", timeout=30000)
                sign = page.get_by_role("button", name="I agree and sign this contract")
                # a stroke drawn before the canvas component is listening is lost (under load):
                # draw again, up to three times, until the drawing reaches the page
                for _attempt in range(3):
                    box = canvas.bounding_box()
                    page.mouse.move(box["x"] + 30, box["y"] + 100)
                    page.mouse.down()
                    for k in range(1, 12):
                        page.mouse.move(
                            box["x"] + 30 + 25 * k,
                            box["y"] + 100 - (30 if k % 2 else -10),
                            steps=3,
                        )
                    page.mouse.up()
                    try:
                        expect(sign).to_be_enabled(timeout=20000)
                        break
                    except AssertionError:
                        continue
                expect(sign).to_be_enabled(timeout=10000)
            page.get_by_role("button", name="I agree and sign this contract").click()
            expected = "next signer has been invited" if i == 0 else "Everyone has signed"
            expect(page.get_by_text(expected).first).to_be_visible(timeout=60000)
            # the page ends in its finished state: nothing left to press but the download
            expect(page.get_by_role("button", name="I agree and sign this contract")).to_have_count(
                0, timeout=60000
            )
            if i == 1:
                expect(
                    page.get_by_role("button", name="Download the signed contract (PDF)")
                ).to_be_visible(timeout=60000)
            page.screenshot(path=str(SHOTS / f"sign-phone-done-{i}.png"))
            page.close()
        browser.close()
    with UnitOfWork(eng) as uow:
        pdf = bytes(uow.envelopes.document(env_id, "final").data)
        assert uow.repo.get_contract(cid).state == "signed"
    f = tmp_path / "final.pdf"
    f.write_bytes(pdf)
    out = subprocess.run(
        ["pdfsig", "-nssdir", nss_db(tmp_path, seal_ca["root-cert"]), str(f)],
        capture_output=True,
        text=True,
    ).stdout
    assert "Signature is Valid." in out and "Certificate is Trusted." in out
    assert subprocess.run(["qpdf", "--check", str(f)], capture_output=True).returncode == 0
    with UnitOfWork(eng) as uow:
        kinds = {s.name: s.signature["kind"] for s in uow.envelopes.get(env_id).signers}
    assert kinds == {"Ann Customer": "typed", "Bob Vendor": "drawn"}
    from pypdf import PdfReader

    assert any(len(pg.images) for pg in PdfReader(f).pages), [
        len(pg.images) for pg in PdfReader(f).pages
    ]


HOSTILE = (
    "Offer https://evil.example/login [click](https://evil.example) "
    "![x](https://evil.example/x.png) <b>bold</b> www.evil.example mallory@evil.example"
)


def test_text_a_stranger_wrote_never_renders_as_a_link_or_an_image(server):
    """A contract title and a signer's name full of markdown, HTML, bare URLs, a www. name and an
    e-mail address: in the real browser none becomes a link, an image or markup."""
    from playwright.sync_api import expect, sync_playwright

    base, inbox, cfg, eng = server
    template_service.install_starters(UnitOfWork(eng))
    values = example("saas-support") | {"title": HOSTILE}
    cid = contract_service.create_contract(UnitOfWork(eng), "saas-support", values).id
    signing.send_for_signature(
        UnitOfWork(eng),
        cid,
        [
            {
                "name": "Eve www.evil.example",
                "email": "eve@customer.example",
                "role": "x",
                "group": 1,
            }
        ],
        "legal@customer.example",
        base_url=base,
        auth_method="email_link",
    )
    deliver(eng, cfg)
    body = next(m.get_body().get_content() for m in inbox.to("eve@customer.example"))
    url = body[body.index(base) :].split()[0]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.goto(url, wait_until="domcontentloaded")
        expect(page.get_by_text("Offer https").first).to_be_visible(timeout=60000)
        page.screenshot(path=str(SHOTS / "sign-hostile-title.png"))
        main = page.locator('[data-testid="stMain"]')
        links = main.locator("a[href*='evil']")
        assert links.count() == 0, [
            links.nth(i).evaluate("e => e.outerHTML") for i in range(links.count())
        ]
        assert main.locator("a[href^='mailto:']").count() == 0
        assert main.locator("img[src*='evil']").count() == 0
        assert main.locator("b", has_text="bold").count() == 0
        browser.close()
