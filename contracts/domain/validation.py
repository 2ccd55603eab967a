"""Field values checked against one template version: the common schema plus the version's
requirements."""

from __future__ import annotations

from contracts.domain.fields import ContractFields, validate_fields
from contracts.domain.template import TemplateVersion
from contracts.errors import FieldsError

REQUIREMENT_FLAGS = {"hipaa": "handles_health_data", "on_site": "hardware_maintenance"}


def fields_for(version: TemplateVersion, values: dict) -> ContractFields:
    """Every missing or invalid field is named in one FieldsError."""
    problems: list[tuple[str, str]] = []
    for req in version.requires:
        if values.get(req) in (None, {}, ""):
            problems.append((req, "required by this template"))
        flag = REQUIREMENT_FLAGS.get(req)
        if flag and values.get(flag) is not True:
            problems.append((flag, f"must be true for this template ({req} clauses)"))
    try:
        fields = validate_fields(values)
    except FieldsError as exc:
        raise FieldsError(
            problems + [p for p in exc.problems if p[0] not in {q[0] for q in problems}]
        ) from exc
    if problems:
        raise FieldsError(problems)
    return fields
