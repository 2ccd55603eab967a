"""The SLA terms document: one per contract version, validated by pydantic.

The contracts package produces these from signed contracts; people may also
write them by hand. `python -m sla_engine schema` prints the JSON Schema.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sla_engine.errors import TermsError

# how terms versions say where they come from (Terms.version)
SIGNED_IN_COVENANT = "signed in Covenant"
SIGNED_ELSEWHERE = "signed elsewhere"


def signed_elsewhere(who: str, day: date) -> str:
    """The version label of terms uploaded by hand for a contract signed in another product."""
    return f"{SIGNED_ELSEWHERE}: terms uploaded by {who} on {day:%Y-%m-%d}"


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Metric = Literal["response", "resolution"]
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")


def known_zone(name: str) -> str:
    """The zone name, if the IANA database knows it (the one rule for every zone a user names)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone {name!r}") from exc
    return name


def hhmm_to_minutes(text: str) -> int:
    """'08:30' -> 510; '24:00' -> 1440 (only meaningful as an end)."""
    if not _HHMM.match(text):
        raise ValueError(f"time {text!r} is not HH:MM (00:00..23:59, or 24:00 as an end)")
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def _both_metrics() -> list[Metric]:
    return ["response", "resolution"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HolidaySource(_Strict):
    """Public holidays from the `holidays` package."""

    country: str = Field(description="ISO 3166-1 alpha-2 code, e.g. US, DE, GB")
    subdivision: str | None = Field(default=None, description="state/province code, e.g. CA, BY")
    observed: bool = Field(default=True, description="include the observed (substitute) days")


class Calendar(_Strict):
    """Business hours as local wall-clock intervals in an IANA zone."""

    timezone: str = Field(description="IANA time zone, e.g. America/New_York")
    week: dict[Weekday, list[tuple[str, str]]] = Field(
        description="per weekday, [start, end] pairs as HH:MM local time; "
        "24:00 allowed as an end; "
        "a missing day is closed"
    )
    holidays: HolidaySource | None = None
    extra_holidays: list[date] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        return known_zone(v)

    @field_validator("week")
    @classmethod
    def _windows_valid(
        cls, week: dict[str, list[tuple[str, str]]]
    ) -> dict[str, list[tuple[str, str]]]:
        for day, windows in week.items():
            spans = []
            for start, end in windows:
                try:
                    s, e = hhmm_to_minutes(start), hhmm_to_minutes(end)
                except ValueError as exc:
                    raise ValueError(f"{day}: {exc}") from exc
                if s == 1440:
                    raise ValueError(f"{day}: 24:00 can only end a window")
                if e <= s:
                    raise ValueError(f"{day}: window {start}-{end} ends before it starts")
                spans.append((s, e))
            spans.sort()
            for (_s1, e1), (s2, _e2) in zip(spans, spans[1:], strict=False):
                if s2 < e1:
                    raise ValueError(f"{day}: windows overlap around {s2 // 60:02d}:{s2 % 60:02d}")
        return week

    def minute_windows(self) -> dict[int, list[tuple[int, int]]]:
        """Weekday index (Mon=0) -> sorted [(start_min, end_min)]."""
        return {
            DAYS.index(day): sorted((hhmm_to_minutes(s), hhmm_to_minutes(e)) for s, e in wins)
            for day, wins in self.week.items()
        }

    @property
    def is_24x7(self) -> bool:
        """Every day open 00:00-24:00: real elapsed time, holidays ignored."""
        return all(self.minute_windows().get(i) == [(0, 1440)] for i in range(7))

    def fingerprint(self) -> str:
        """Stable id: identical calendars share one precomputed table."""
        canon = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(canon.encode()).hexdigest()[:16]


class Tier(_Strict):
    response_minutes: float = Field(gt=0)
    resolution_minutes: float = Field(gt=0)
    clock: Literal["business", "calendar"] = "business"
    target_pct: float = Field(
        ge=0, le=100, description="share of tickets that must meet the target"
    )


class _CreditsBase(_Strict):
    cap_pct: float = Field(default=100.0, ge=0, le=100, description="cap as % of the monthly fee")
    min_tickets: int = Field(
        default=1, ge=0, description="fewer tickets in a tier-month: not measurable"
    )
    combine: Literal["max", "sum"] = Field(
        default="max",
        description="how tier x metric credits make one monthly credit: "
        "the worst one (max) or their sum",
    )
    metrics: list[Metric] = Field(default_factory=_both_metrics)


class Band(_Strict):
    below_pct: float = Field(ge=0, le=100)
    credit_pct: float = Field(ge=0, le=100)


class BandCredits(_CreditsBase):
    kind: Literal["bands"]
    bands: list[Band] = Field(min_length=1)


class PerPointCredits(_CreditsBase):
    kind: Literal["per_point"]
    credit_pct_per_point: float = Field(gt=0)


class NoCredits(_CreditsBase):
    kind: Literal["none"]


Credits = Annotated[BandCredits | PerPointCredits | NoCredits, Field(discriminator="kind")]


_STATUS_SEPARATORS = re.compile(r"[\s_\-]+")
# What the contract form proposes; a terms document that omits pause_statuses pauses on nothing.
SUGGESTED_PAUSE_STATUSES = ["pending", "on hold"]


def status_name(text: str) -> str:
    """A status as the terms name it: lower case, one space between words ("On-Hold" and
    "on_hold" are "on hold")."""
    return _STATUS_SEPARATORS.sub(" ", str(text).strip().lower()).strip()


def spellings(name: str) -> set[str]:
    """The ways a help desk writes a status the terms name (the store keeps statuses lower-cased
    as exported): "on hold", "on-hold", "on_hold". The one place this rule lives: the engine's
    status table, the timeline and the at-risk list all match through it."""
    canonical = status_name(name)
    return {canonical, canonical.replace(" ", "-"), canonical.replace(" ", "_")}


class Terms(_Strict):
    """One version of a contract's SLA terms."""

    contract_id: str = Field(
        min_length=1,
        max_length=100,
        description="any printable text up to 100 characters (no line breaks or control codes)",
    )
    version: str | None = Field(
        default=None, description="label of this version, e.g. the template version"
    )
    effective_from: date
    effective_to: date | None = Field(
        default=None, description="last day in force (inclusive); null = open"
    )
    calendar: Calendar
    tiers: dict[str, Tier] = Field(min_length=1)
    severity_map: dict[str, str] = Field(
        default_factory=dict, description="export's severity label -> tier name (case-insensitive)"
    )
    pause_statuses: list[str] = Field(default_factory=list)
    resolved_statuses: list[str] = Field(default_factory=lambda: ["solved", "resolved", "closed"])
    severity_change: Literal["from_change", "retroactive"] = "from_change"
    met_when_equal: bool = True
    monthly_fee: float = Field(default=0.0, ge=0)
    currency: str = "USD"
    credits: Credits = Field(default_factory=lambda: NoCredits(kind="none"))

    @field_validator("contract_id")
    @classmethod
    def _printable(cls, v: str) -> str:
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in v):
            raise ValueError("a contract id cannot hold line breaks or control characters")
        return v

    @field_validator("pause_statuses", "resolved_statuses")
    @classmethod
    def _status_names(cls, v: list[str]) -> list[str]:
        names: list[str] = []
        for raw in v:
            name = status_name(raw)
            if not name:
                raise ValueError("a status name cannot be empty")
            if name not in names:
                names.append(name)
        return names

    @model_validator(mode="after")
    def _consistent(self) -> Terms:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        for label, tier in self.severity_map.items():
            if tier not in self.tiers:
                raise ValueError(
                    f"severity_map[{label!r}] names tier {tier!r}, which is not in tiers"
                )
        overlap = set(self.pause_statuses) & set(self.resolved_statuses)
        if overlap:
            raise ValueError(f"statuses both pause and resolve: {sorted(overlap)}")
        return self

    def tier_for(self, label: str) -> str | None:
        """Map an export's severity label to a tier name, or None when unknown."""
        lowered = {k.lower(): k for k in self.tiers}
        key = label.strip().lower()
        if key in lowered:
            return lowered[key]
        mapped = {k.strip().lower(): v for k, v in self.severity_map.items()}
        return mapped.get(key)

    @property
    def terms_id(self) -> str:
        """Contract id + effective date: unique per version."""
        return f"{self.contract_id}@{self.effective_from.isoformat()}"


def _format_errors(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(document)"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


def parse_terms(obj: object, source: str = "<terms>") -> list[Terms]:
    """A document or a list of documents -> validated Terms (errors name the source and field)."""
    docs = obj if isinstance(obj, list) else [obj]
    out: list[Terms] = []
    for i, doc in enumerate(docs):
        where = source if len(docs) == 1 else f"{source}[{i}]"
        try:
            out.append(Terms.model_validate(doc))
        except ValidationError as exc:
            raise TermsError(f"{where}: {_format_errors(exc)}") from exc
    check_no_overlap(out)
    return out


def load_terms(path: str | Path) -> list[Terms]:
    """Read JSON or YAML terms (one document or a list)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise TermsError(f"{p}: cannot read: {exc.strerror}") from exc
    try:
        obj = yaml.safe_load(text) if p.suffix.lower() in (".yaml", ".yml") else json.loads(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise TermsError(
            f"{p}: not valid {'YAML' if p.suffix in ('.yaml', '.yml') else 'JSON'}: {exc}"
        ) from exc
    return parse_terms(obj, str(p))


def check_no_overlap(terms: list[Terms]) -> None:
    """Two versions of one contract must not be in force on the same day."""
    by_contract: dict[str, list[Terms]] = {}
    for t in terms:
        by_contract.setdefault(t.contract_id, []).append(t)
    for cid, versions in by_contract.items():
        versions.sort(key=lambda t: t.effective_from)
        for a, b in zip(versions, versions[1:], strict=False):
            if a.effective_to is None or a.effective_to >= b.effective_from:
                raise TermsError(
                    f"contract {cid}: version from {a.effective_from} overlaps version from "
                    f"{b.effective_from}"
                )


def json_schema() -> dict:
    """The published JSON Schema of one terms document."""
    schema = Terms.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Covenant SLA terms"
    return schema
