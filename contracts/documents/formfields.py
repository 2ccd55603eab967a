"""The form-field convention that carries SLA terms inside a contract PDF.

Any PDF whose AcroForm text fields follow these names carries its SLA terms,
whoever produced or signed it. Values are plain text:

| field | value |
|---|---|
| `sla.contract_id`, `sla.version` | text |
| `sla.effective_from`, `sla.effective_to` | `YYYY-MM-DD` (`effective_to` may be empty) |
| `sla.timezone` | IANA zone |
| `sla.week.mon` ... `sla.week.sun` | `09:00-12:00,13:00-17:00` (empty = closed) |
| `sla.holidays.country`, `sla.holidays.subdivision` | codes (empty = none) |
| `sla.holidays.observed`, `sla.met_when_equal` | `true` / `false` |
| `sla.extra_holidays` | `YYYY-MM-DD,YYYY-MM-DD` |
| `sla.tiers` | tier names in order: `P1,P2` |
| `sla.tier.<T>.response_minutes`, `.resolution_minutes`, `.target_pct` | numbers |
| `sla.tier.<T>.clock` | `business` / `calendar` |
| `sla.severity_map` | `label=tier;label=tier` |
| `sla.pause_statuses`, `sla.resolved_statuses` | `a;b;c` |
| `sla.severity_change` | `from_change` / `retroactive` |
| `sla.monthly_fee`, `sla.currency` | number, ISO code |
| `sla.credits.kind` | `bands` / `per_point` / `none` |
| `sla.credits.bands` | `below:credit;below:credit` e.g. `95:5;90:10` |
| `sla.credits.credit_pct_per_point`, `.cap_pct`, `.min_tickets` | numbers |
| `sla.credits.combine`, `sla.credits.metrics` | `max`/`sum`; `response;resolution` |
"""

from __future__ import annotations

from contracts.errors import TermsExtractionError
from sla_engine.rulebook.terms import DAYS, Terms

PREFIX = "sla."


def _num(v: float) -> str:
    return (
        repr(float(v))
        if not float(v).is_integer()
        else str(int(v))
        if abs(v) < 1e15
        else repr(float(v))
    )


def terms_to_fields(t: Terms) -> dict[str, str]:
    """Terms -> {field name: text}, following the convention above."""
    f: dict[str, str] = {
        "sla.contract_id": t.contract_id,
        "sla.version": t.version or "",
        "sla.effective_from": t.effective_from.isoformat(),
        "sla.effective_to": t.effective_to.isoformat() if t.effective_to else "",
        "sla.timezone": t.calendar.timezone,
        "sla.holidays.country": t.calendar.holidays.country if t.calendar.holidays else "",
        "sla.holidays.subdivision": (t.calendar.holidays.subdivision or "")
        if t.calendar.holidays
        else "",
        "sla.holidays.observed": "true"
        if (t.calendar.holidays is None or t.calendar.holidays.observed)
        else "false",
        "sla.extra_holidays": ",".join(d.isoformat() for d in t.calendar.extra_holidays),
        "sla.tiers": ",".join(t.tiers),
        "sla.severity_map": ";".join(f"{k}={v}" for k, v in t.severity_map.items()),
        "sla.pause_statuses": ";".join(t.pause_statuses),
        "sla.resolved_statuses": ";".join(t.resolved_statuses),
        "sla.severity_change": t.severity_change,
        "sla.met_when_equal": "true" if t.met_when_equal else "false",
        "sla.monthly_fee": _num(t.monthly_fee),
        "sla.currency": t.currency,
        "sla.credits.kind": t.credits.kind,
        "sla.credits.cap_pct": _num(t.credits.cap_pct),
        "sla.credits.min_tickets": str(t.credits.min_tickets),
        "sla.credits.combine": t.credits.combine,
        "sla.credits.metrics": ";".join(t.credits.metrics),
    }
    for day in DAYS:
        f[f"sla.week.{day}"] = ",".join(f"{s}-{e}" for s, e in t.calendar.week.get(day, []))
    for name, tier in t.tiers.items():
        f[f"sla.tier.{name}.response_minutes"] = _num(tier.response_minutes)
        f[f"sla.tier.{name}.resolution_minutes"] = _num(tier.resolution_minutes)
        f[f"sla.tier.{name}.clock"] = tier.clock
        f[f"sla.tier.{name}.target_pct"] = _num(tier.target_pct)
    if t.credits.kind == "bands":
        f["sla.credits.bands"] = ";".join(
            f"{_num(b.below_pct)}:{_num(b.credit_pct)}" for b in t.credits.bands
        )
    if t.credits.kind == "per_point":
        f["sla.credits.credit_pct_per_point"] = _num(t.credits.credit_pct_per_point)
    return f


def _split(v: str, sep: str) -> list[str]:
    return [p.strip() for p in v.split(sep) if p.strip()]


def fields_to_terms(fields: dict[str, str | None], source: str) -> Terms:
    """{field name: text} -> Terms; every missing or malformed field is named in one error."""
    problems: list[tuple[str, str]] = []

    def get(name: str, required: bool = True) -> str:
        v = fields.get(name)
        if v is None:
            if required:
                problems.append((name, "missing"))
            return ""
        return str(v).strip()

    def number(name: str) -> float | None:
        v = get(name)
        if v == "":
            return None
        try:
            return float(v)
        except ValueError:
            problems.append((name, f"not a number: {v!r}"))
            return None

    def boolean(name: str) -> bool:
        v = get(name).lower()
        if v not in ("true", "false"):
            if v:
                problems.append((name, f"not true/false: {v!r}"))
            return True
        return v == "true"

    week = {}
    for day in DAYS:
        spans = []
        for part in _split(get(f"sla.week.{day}", required=False), ","):
            if part.count("-") != 1:
                problems.append((f"sla.week.{day}", f"not HH:MM-HH:MM: {part!r}"))
                continue
            spans.append(tuple(x.strip() for x in part.split("-")))
        if spans:
            week[day] = spans
    country = get("sla.holidays.country", required=False)
    tiers = {}
    for name in _split(get("sla.tiers"), ","):
        tiers[name] = {
            "response_minutes": number(f"sla.tier.{name}.response_minutes"),
            "resolution_minutes": number(f"sla.tier.{name}.resolution_minutes"),
            "clock": get(f"sla.tier.{name}.clock"),
            "target_pct": number(f"sla.tier.{name}.target_pct"),
        }
    kind = get("sla.credits.kind")
    credits: dict = {
        "kind": kind,
        "cap_pct": number("sla.credits.cap_pct"),
        "min_tickets": number("sla.credits.min_tickets"),
        "combine": get("sla.credits.combine", required=False) or "max",
        "metrics": _split(get("sla.credits.metrics", required=False) or "response;resolution", ";"),
    }
    if kind == "bands":
        bands = []
        for part in _split(get("sla.credits.bands"), ";"):
            try:
                below, credit = (float(x) for x in part.split(":"))
                bands.append({"below_pct": below, "credit_pct": credit})
            except ValueError:
                problems.append(("sla.credits.bands", f"not below:credit: {part!r}"))
        credits["bands"] = bands
    elif kind == "per_point":
        credits["credit_pct_per_point"] = number("sla.credits.credit_pct_per_point")
    severity_map = {}
    for part in _split(get("sla.severity_map", required=False), ";"):
        if "=" not in part:
            problems.append(("sla.severity_map", f"not label=tier: {part!r}"))
            continue
        k, v = part.split("=", 1)
        severity_map[k.strip()] = v.strip()
    doc = {
        "contract_id": get("sla.contract_id"),
        "version": get("sla.version", required=False) or None,
        "effective_from": get("sla.effective_from"),
        "effective_to": get("sla.effective_to", required=False) or None,
        "calendar": {
            "timezone": get("sla.timezone"),
            "week": week,
            "holidays": {
                "country": country,
                "subdivision": get("sla.holidays.subdivision", required=False) or None,
                "observed": boolean("sla.holidays.observed"),
            }
            if country
            else None,
            "extra_holidays": _split(get("sla.extra_holidays", required=False), ","),
        },
        "tiers": tiers,
        "severity_map": severity_map,
        "pause_statuses": _split(get("sla.pause_statuses", required=False), ";"),
        "resolved_statuses": _split(get("sla.resolved_statuses", required=False), ";"),
        "severity_change": get("sla.severity_change"),
        "met_when_equal": boolean("sla.met_when_equal"),
        "monthly_fee": number("sla.monthly_fee"),
        "currency": get("sla.currency"),
        "credits": credits,
    }
    if problems:
        raise TermsExtractionError(source, problems)
    from pydantic import ValidationError

    try:
        if credits.get("min_tickets") is not None:
            credits["min_tickets"] = int(credits["min_tickets"])
        return Terms.model_validate(doc)
    except ValidationError as exc:
        raise TermsExtractionError(
            source, [(_field_name(err["loc"]), err["msg"]) for err in exc.errors()]
        ) from exc


def _field_name(loc: tuple) -> str:
    """Map a pydantic location back to the form-field name a person would fix."""
    parts = [str(p) for p in loc]
    if parts[:1] == ["tiers"] and len(parts) >= 3:
        return f"sla.tier.{parts[1]}.{parts[2]}"
    if parts[:2] == ["calendar", "week"] and len(parts) >= 3:
        return f"sla.week.{parts[2]}"
    if parts[:1] == ["calendar"]:
        return "sla." + ".".join(parts[1:])
    return "sla." + ".".join(parts)
