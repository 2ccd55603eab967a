"""Contract PDFs: what a person reads, what machines read back, and what independent tools say."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys

import pytest
from contracts_fixtures import ROOT, example
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject

from contracts.documents.extract import extract_terms
from contracts.documents.formfields import fields_to_terms, terms_to_fields
from contracts.documents.pdf import ATTACHMENT, render_pdf, sha256_bytes
from contracts.documents.render import render_text
from contracts.documents.starters import starter_templates
from contracts.domain.fields import validate_fields
from contracts.errors import TemplateError, TermsExtractionError
from sla_engine.rulebook.terms import parse_terms

STARTERS = {t.name: t for t in starter_templates()}


def build(name: str, values: dict | None = None) -> tuple[bytes, object]:
    t = STARTERS[name]
    f = validate_fields(values or example(name))
    text = render_text(t.latest.text, f)
    return render_pdf("C-TEST", f.title, f, text, f"{name} v1"), f


def page_text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize(
    "name, must_read",
    [
        (
            "saas-support",
            [
                "SaaS Support Agreement",
                "Acme Retail Inc.",
                "Cloudworks LLC",
                "Production down",
                "4 hours",
                "below 95 %",
                "Dana Whitfield",
                "Ravi Menon",
                "renews automatically",
                "State of New York",
            ],
        ),
        (
            "healthcare-it",
            [
                "Healthcare IT Support Contract",
                "business associate",
                "no case later than 30 calendar",
                "10 days' written notice",
                "AES-256",
                "Dr. Elena Ortiz",
                "Sam Keller",
                "Hannah Cho",
            ],
        ),
        (
            "hardware-maintenance",
            [
                "On-Premises Hardware Maintenance",
                "on site within 4",
                "Sundays 02:00-06:00",
                "at least 10 days",
                "Linnea Berg",
                "Mon 07:00-12:00, 13:00-18:00",
            ],
        ),
    ],
)
def test_starter_pdf_reads_as_a_contract(name, must_read):
    pdf, _ = build(name)
    text = " ".join(page_text(pdf).split())
    for phrase in must_read:
        assert phrase in text, phrase
    assert "{{" not in text and "{%" not in text


@pytest.mark.parametrize("health, present", [(False, False), (True, True)])
def test_conditional_clause_appears_only_when_its_condition_holds(health, present):
    values = example("saas-support")
    if health:
        values["handles_health_data"] = True
        values["hipaa"] = example("healthcare-it")["hipaa"]
    pdf, _ = build("saas-support", values)
    assert ("Business Associate terms" in " ".join(page_text(pdf).split())) is present


@pytest.mark.parametrize("name", list(STARTERS))
def test_terms_round_trip_exactly_through_the_pdf(name):
    pdf, f = build(name)
    assert extract_terms(pdf) == f.terms("C-TEST", f"{name} v1")


def strip_attachment(pdf: bytes) -> bytes:
    """The same PDF without the embedded JSON, as another e-signature product might return it."""
    w = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    del w.root_object[NameObject("/Names")]
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def test_terms_from_form_fields_alone():
    pdf, f = build("hardware-maintenance")
    bare = strip_attachment(pdf)
    assert ATTACHMENT not in PdfReader(io.BytesIO(bare)).attachments
    assert extract_terms(bare) == f.terms("C-TEST", "hardware-maintenance v1")


def test_missing_and_malformed_fields_are_each_named():
    pdf, _ = build("saas-support")
    w = PdfWriter(clone_from=PdfReader(io.BytesIO(strip_attachment(pdf))))
    w.update_page_form_field_values(
        w.pages[0],
        {"sla.tier.P2.target_pct": "ninety-five", "sla.credits.bands": "95"},
        auto_regenerate=False,
    )
    fields = w.root_object["/AcroForm"]["/Fields"]
    for i, ref in enumerate(list(fields)):
        if ref.get_object().get("/T") == "sla.timezone":
            del fields[i]
            break
    out = io.BytesIO()
    w.write(out)
    with pytest.raises(TermsExtractionError) as err:
        extract_terms(out.getvalue(), "signed-elsewhere.pdf")
    named = dict(err.value.problems)
    assert named["sla.timezone"] == "missing"
    assert "not a number" in named["sla.tier.P2.target_pct"]
    assert "not below:credit" in named["sla.credits.bands"]
    assert str(err.value).startswith("signed-elsewhere.pdf: ")


def test_not_a_pdf():
    with pytest.raises(TermsExtractionError, match="not a readable PDF"):
        extract_terms(b"%PDF-1.4 garbage", "x.pdf")


@pytest.mark.parametrize(
    "text",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{% include '/etc/passwd' %}",
        "{{ undefined_field }}",
        "{{ customer.name.__class__.__init__.__globals__ }}",
    ],
)
def test_templates_cannot_run_code_or_read_files(text):
    with pytest.raises(TemplateError):
        render_text(text, validate_fields(example("saas-support")))


@pytest.mark.skipif(
    shutil.which("qpdf") is None, reason="qpdf not installed (make test installs it as root)"
)
@pytest.mark.parametrize("name", list(STARTERS))
def test_qpdf_check_passes(tmp_path, name):
    pdf, _ = build(name)
    p = tmp_path / "c.pdf"
    p.write_bytes(pdf)
    r = subprocess.run(["qpdf", "--check", str(p)], capture_output=True, text=True)
    assert r.returncode == 0 and "No syntax or stream encoding errors" in r.stdout


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_pages_render_to_png(tmp_path):
    pdf, _ = build("healthcare-it")
    (tmp_path / "c.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", str(tmp_path / "c.pdf"), str(tmp_path / "page")],
        check=True,
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 2 and all(p.stat().st_size > 5000 for p in pages)


def test_fingerprint_is_sha256_of_the_bytes():
    pdf, _ = build("saas-support")
    import hashlib

    assert sha256_bytes(pdf) == hashlib.sha256(pdf).hexdigest()


ZONES = ["America/New_York", "Europe/Berlin", "Asia/Kolkata", "UTC"]
TIME = st.integers(0, 23 * 60).map(lambda m: f"{m // 60:02d}:{m % 60:02d}")


@st.composite
def terms_docs(draw):
    tiers = {}
    for name in draw(
        st.lists(
            st.sampled_from(["P1", "P2", "P3", "Sev 4", "urgent"]),
            min_size=1,
            max_size=4,
            unique=True,
        )
    ):
        tiers[name] = {
            "response_minutes": draw(
                st.floats(0.5, 1e5, allow_nan=False).map(lambda x: round(x, 2))
            ),
            "resolution_minutes": draw(st.integers(1, 10**6)),
            "clock": draw(st.sampled_from(["business", "calendar"])),
            "target_pct": draw(st.floats(0, 100).map(lambda x: round(x, 3))),
        }
    week = {}
    for day in draw(
        st.lists(st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]), unique=True)
    ):
        s = draw(st.integers(0, 22 * 60))
        e = draw(st.integers(s + 1, 24 * 60))
        week[day] = [
            [f"{s // 60:02d}:{s % 60:02d}", "24:00" if e == 1440 else f"{e // 60:02d}:{e % 60:02d}"]
        ]
    kind = draw(st.sampled_from(["bands", "per_point", "none"]))
    credits = {
        "kind": kind,
        "cap_pct": draw(st.floats(0, 100).map(lambda x: round(x, 2))),
        "min_tickets": draw(st.integers(0, 50)),
        "combine": draw(st.sampled_from(["max", "sum"])),
    }
    if kind == "bands":
        credits["bands"] = [
            {"below_pct": draw(st.integers(1, 100)), "credit_pct": draw(st.integers(0, 50))}
            for _ in range(draw(st.integers(1, 3)))
        ]
    if kind == "per_point":
        credits["credit_pct_per_point"] = draw(st.floats(0.1, 10).map(lambda x: round(x, 3)))
    return {
        "contract_id": draw(st.text("ABCXYZ-0123", min_size=1, max_size=12)),
        "effective_from": "2025-01-01",
        "effective_to": draw(st.sampled_from([None, "2026-06-30"])),
        "calendar": {
            "timezone": draw(st.sampled_from(ZONES)),
            "week": week,
            "holidays": draw(
                st.sampled_from(
                    [
                        None,
                        {"country": "US", "subdivision": "CA", "observed": False},
                        {"country": "DE", "subdivision": None, "observed": True},
                    ]
                )
            ),
            "extra_holidays": draw(
                st.lists(st.sampled_from(["2025-12-24", "2025-12-31"]), unique=True)
            ),
        },
        "tiers": tiers,
        "severity_map": {f"label {i}": t for i, t in enumerate(tiers)},
        "pause_statuses": draw(
            st.lists(st.sampled_from(["pending", "on hold", "waiting"]), unique=True)
        ),
        "resolved_statuses": ["solved", "closed"],
        "severity_change": draw(st.sampled_from(["from_change", "retroactive"])),
        "met_when_equal": draw(st.booleans()),
        "monthly_fee": draw(st.floats(0, 1e7).map(lambda x: round(x, 2))),
        "currency": draw(st.sampled_from(["USD", "EUR"])),
        "credits": credits,
    }


@settings(max_examples=150, deadline=None)
@given(doc=terms_docs())
def test_form_field_convention_round_trips(doc):
    terms = parse_terms(doc)[0]
    assert fields_to_terms(terms_to_fields(terms), "x") == terms


@pytest.mark.usefixtures("seal_env")
def test_cli_end_to_end(tmp_path):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'c.sqlite'}",
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "COVENANT_CACHE": str(tmp_path / "cache"),
    }

    def cli(*args):
        return subprocess.run(
            [sys.executable, "-m", "contracts", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
        )

    assert "saas-support" in cli("template", "install-starters").stdout
    assert "v1 published" in cli("template", "list").stdout
    bad = tmp_path / "bad.json"
    bad.write_text('{"title": "x"}')
    r = cli("contract", "create", "--template", "saas-support@1", "--fields", str(bad))
    assert r.returncode == 2 and "parties: missing" in r.stderr and "Traceback" not in r.stderr
    r = cli(
        "contract",
        "create",
        "--template",
        "saas-support@1",
        "--fields",
        str(ROOT / "data/templates/examples/saas-support.json"),
    )
    assert r.returncode == 0, r.stderr
    cid = r.stdout.split()[1]
    r = cli("contract", "pdf", cid, "--out", str(tmp_path / "c.pdf"))
    assert r.returncode == 0 and "sha256" in r.stdout
    r = cli("contract", "terms", cid, "--at", "2025-03-01")
    assert r.returncode == 2 and "no signed SLA terms" in r.stderr
    r = cli("contract", "set-state", cid, "signed")  # only the signing workflow signs
    assert r.returncode == 2 and "becomes signed only when its envelope completes" in r.stderr
    from signing_fixtures import sign_through_the_workflow

    from contracts.adapters.orm import make_engine

    sign_through_the_workflow(make_engine(env["DATABASE_URL"]), cid)
    r = cli("contract", "terms", cid, "--at", "2025-03-01")
    assert r.returncode == 0 and '"contract_id": "' + cid in r.stdout
    r = cli("extract-terms", str(tmp_path / "c.pdf"))
    assert r.returncode == 0 and '"P1"' in r.stdout
