"""Renewal brief PDF: valid (qpdf), figures equal to the report's, charts drawn with their
labels."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date

import pytest

from flows.renewal_brief import ContractTerm, renewal_brief_pdf, summary
from sla_engine import analysis, ledger
from sla_engine.demo import build_demo
from sla_engine.store import Store

pytestmark = pytest.mark.skipif(
    not (shutil.which("qpdf") and shutil.which("pdftotext")),
    reason="qpdf and pdftotext (Debian qpdf, poppler-utils) are needed; make test installs them",
)


@pytest.fixture(scope="module")
def figures(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("brief") / "store")
    build_demo(store.root)
    as_of = ledger.load(store.current(), store.terms()).settled_us
    rep, _ = analysis.store_report(store, as_of)
    return rep, analysis.credits(rep, store.terms())


def test_brief_is_a_valid_pdf_with_the_reports_figures_and_charts(figures, tmp_path):
    rep, cr = figures
    terms = {
        "ACME-SAAS": ContractTerm(
            "Acme Corp", date(2027, 1, 1), date(2026, 10, 2), date(2026, 12, 31)
        ),
        "GLOBEX-EU": ContractTerm(None, None, None, None),
    }
    pdf = renewal_brief_pdf(rep, cr, terms, "2026-11-01 00:00 UTC", today=date(2026, 9, 2))
    path = tmp_path / "brief.pdf"
    path.write_bytes(pdf)
    subprocess.run(["qpdf", "--check", str(path)], check=True, capture_output=True)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "Renewal brief: ACME-SAAS, GLOBEX-EU" in text
    assert (
        "2026-10-02 (30" in text and "not on file" in text
    )  # notice deadline, and none for GLOBEX
    acme = rep[rep["contract_id"] == "ACME-SAAS"]
    missed = acme.loc[acme["status"] == "missed", "month"].nunique()
    row = summary(rep, cr, "ACME-SAAS", terms["ACME-SAAS"], date(2026, 9, 2))
    assert row["months with a missed target"] == missed and row["breached tickets"] == int(
        acme["breached"].sum()
    )
    assert missed > 0  # the demo has bad months: the brief must list them
    first_missed = acme[acme["status"] == "missed"].sort_values("month").iloc[0]
    assert first_missed["month"] in text
    # the charts: titles, axis labels (months, percentages) and the tier legend are drawn text
    assert (
        text.count("Resolution: % within target by month") == 2
        and "Service credits by month" in text
    )
    assert "100%" in text and "P1" in text
    pages = subprocess.run(
        ["qpdf", "--show-npages", str(path)], check=True, capture_output=True, text=True
    ).stdout
    assert int(pages) >= 3  # summary + one page per contract
