"""Typed contract fields (pydantic): what a template asks for, validated before anything renders.

The SLA section reuses the SLA engine's calendar, tier and credit models, so the numbers a vendor
signs are exactly the numbers the engine measures.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from contracts.errors import FieldsError
from sla_engine.rulebook.terms import (
    SUGGESTED_PAUSE_STATUSES,
    Calendar,
    Credits,
    NoCredits,
    Terms,
    Tier,
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Party(_Strict):
    role: Literal["customer", "vendor"]
    name: str = Field(min_length=1)
    address: str = Field(min_length=1)
    registration: str | None = Field(default=None, description="company number / VAT id")


class SignerRole(_Strict):
    party: Literal["customer", "vendor"]
    title: str = Field(min_length=1, description="e.g. Chief Information Officer")
    name: str = Field(min_length=1)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class SlaSection(_Strict):
    """The SLA terms without the contract id and dates (those come from the contract)."""

    calendar: Calendar
    tiers: dict[str, Tier] = Field(min_length=1)
    tier_descriptions: dict[str, str] = Field(default_factory=dict)
    severity_map: dict[str, str] = Field(default_factory=dict)
    pause_statuses: list[str] = Field(default_factory=lambda: list(SUGGESTED_PAUSE_STATUSES))
    resolved_statuses: list[str] = Field(default_factory=lambda: ["solved", "resolved", "closed"])
    severity_change: Literal["from_change", "retroactive"] = "from_change"
    met_when_equal: bool = True
    monthly_fee: float = Field(ge=0)
    currency: str = Field(default="USD", min_length=3, max_length=3)
    credits: Credits = Field(default_factory=lambda: NoCredits(kind="none"))


class HipaaClause(_Strict):
    breach_notification_days: int = Field(ge=1, le=60, description="HIPAA caps this at 60 days")
    audit_rights_notice_days: int = Field(ge=1)
    encryption_standard: str = Field(
        min_length=1, description="e.g. TLS 1.2+ in transit, AES-256 at rest"
    )


class OnSiteClause(_Strict):
    response_hours: float = Field(gt=0, description="engineer on site within this many hours")
    coverage_area: str = Field(min_length=1)
    patch_window: str = Field(min_length=1, description="e.g. Sundays 02:00-06:00 local time")
    scheduled_maintenance_notice_days: int = Field(ge=0)


class ContractFields(_Strict):
    """Everything every template needs; conditional clauses are optional blocks."""

    title: str = Field(min_length=1)
    parties: list[Party] = Field(min_length=2)
    signers: list[SignerRole] = Field(min_length=2)
    scope: list[str] = Field(min_length=1, description="included services")
    exclusions: list[str] = Field(default_factory=list)
    sla: SlaSection
    start_date: date
    end_date: date
    auto_renew: bool = True
    renewal_term_months: int = Field(default=12, ge=1)
    notice_period_days: int = Field(ge=0)
    liability_cap: float = Field(ge=0, description="in the SLA currency")
    governing_law: str = Field(min_length=1)
    data_protection: str = Field(min_length=1)
    confidentiality_years: int = Field(ge=0)
    handles_health_data: bool = False
    hipaa: HipaaClause | None = None
    hardware_maintenance: bool = False
    on_site: OnSiteClause | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ContractFields:
        if self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        roles = {p.role for p in self.parties}
        if roles != {"customer", "vendor"}:
            raise ValueError("parties need one customer and one vendor")
        if self.handles_health_data and self.hipaa is None:
            raise ValueError("hipaa: required when handles_health_data is true")
        if self.hardware_maintenance and self.on_site is None:
            raise ValueError("on_site: required when hardware_maintenance is true")
        for label, tier in self.sla.severity_map.items():
            if tier not in self.sla.tiers:
                raise ValueError(f"sla.severity_map[{label!r}] names unknown tier {tier!r}")
        return self

    def party(self, role: str) -> Party:
        return next(p for p in self.parties if p.role == role)

    def terms(self, contract_id: str, version: str | None = None) -> Terms:
        """The SLA terms document the engine reads, for this contract's term."""
        sla = self.sla.model_dump(exclude={"tier_descriptions"})
        return Terms.model_validate(
            {
                "contract_id": contract_id,
                "version": version,
                "effective_from": self.start_date,
                "effective_to": self.end_date,
                **sla,
            }
        )


def validate_fields(values: dict) -> ContractFields:
    """Values -> ContractFields, or FieldsError naming every missing or invalid field."""
    try:
        return ContractFields.model_validate(values)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "(fields)"
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "missing" or err.get("input", "") is None:
                msg = "missing"  # an empty cell (None), not a wrong value
            problems.append((loc, msg))
        raise FieldsError(problems) from exc
