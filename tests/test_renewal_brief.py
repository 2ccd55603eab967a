"""Renewal brief PDF: valid (qpdf), figures equal to the report's, charts drawn with their
labels."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date

import pytest

from flows.renewal_brief import ContractTerm, renewal_brief_pdf, summary
from sla_engine.demo import build_demo
from sla_engine.ledger import core as ledger
from sla_engine.reports import analysis
from sla_engine.store.core import Store

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
    pdf = renewal_brief_pdf(
        rep, cr, terms, "2026-11-01 00:00 UTC", today=date(2026, 9, 2), sla_terms=figures_terms(rep)
    )
    path = tmp_path / "brief.pdf"
    path.write_bytes(pdf)
    subprocess.run(["qpdf", "--check", str(path)], check=True, capture_output=True)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "Renewal brief: ACME-SAAS, GLOBEX-EU" in text
    assert "2026-10-02" in text and "not on file" in text  # notice deadline, none for GLOBEX
    for section in (
        "for the negotiation",
        "Whole-term compliance",
        "The worst months",
        "Points to raise",
        "Credits as a share of fees paid",
        "Tickets created per month",
    ):
        assert section in text, section
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


def test_the_negotiation_pages_give_whole_term_figures_fees_share_and_points(figures, tmp_path):
    """Whole-term compliance per tier equals the monthly figures summed (met over judged), the
    credits' share of fees uses the terms' monthly fee for each measured month, and every point
    raised quotes figures the report holds."""
    from flows import negotiation

    rep, cr = figures
    terms = [t for t in figures_terms(rep) if t.contract_id == "ACME-SAAS"]
    acme = rep[rep["contract_id"] == "ACME-SAAS"]
    rows = {(r.tier, r.metric): r for r in negotiation.whole_term(acme, terms)}
    for (tier, metric), g in acme.groupby(["severity", "metric"]):
        judged = int(g["met"].sum() + g["breached"].sum())
        assert rows[(tier, metric)].compliance == pytest.approx(100 * g["met"].sum() / judged)
        assert rows[(tier, metric)].months_missed == int((g["status"] == "missed").sum())
    fee = {t.terms_id: t.monthly_fee for t in terms}
    months = acme.groupby("month")["terms_id"].first()
    expected_paid = sum(fee[t] for t in months)
    ((cur, owed, paid),) = negotiation.credit_share(
        cr[cr["contract_id"] == "ACME-SAAS"], negotiation.fees_paid(acme, terms)
    )
    assert paid == pytest.approx(expected_paid) and owed == pytest.approx(
        cr.loc[cr["contract_id"] == "ACME-SAAS", "amount"].sum()
    )
    said = negotiation.points(acme, cr[cr["contract_id"] == "ACME-SAAS"], terms, "ACME-SAAS")
    assert any(f"{owed:,.2f} {cur}" in p and f"{paid:,.2f} {cur}" in p for p in said)
    worst_missed = max(rows.values(), key=lambda r: r.months_missed)
    if worst_missed.months_missed >= 3:
        assert any(
            f"in {worst_missed.months_missed} of {worst_missed.months_measured}" in p for p in said
        )


def figures_terms(rep):
    """The demo's terms, as build_demo registers them."""
    from sla_engine.demo import DEMO_DIR
    from sla_engine.rulebook.terms import load_terms

    return [t for f in sorted((DEMO_DIR / "terms").glob("*.json")) for t in load_terms(f)]
