"""The validation rules, as data: each names the rule, the field whose column a quarantined row is
reported under, when a row breaks it (SQL over the checked rows) and the reason it is given.

A row is quarantined for the first rule it breaks, in the order written here (so a row with no
contract is not also reported for its dates). Ticket rules read the columns `validate` prepares:
`contract` (after --contract and the customer keys), `ticket_id` (stripped), the raw text of each
field, `<time>_us`, `<time>_blank`, `<time>_bad` for each time field, `minutes` (Zendesk's reply
time), `label` and `tier` (the severity). Event rules read `changed_*`, `field`, `value`, `tier`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sla_engine.ingest.timeparse import PLAUSIBLE_TEXT

# a time later than the upload (beyond clock skew) is a typo or a placeholder, never a fact
FUTURE_SLACK_HOURS = 1
FUTURE_TEXT = f"now + {FUTURE_SLACK_HOURS} hour"
NO_PRIORITY_REASON = "no priority"
NO_PRIORITY_LABEL = "(no priority)"  # the label a contract maps to a tier for empty priorities


@dataclass(frozen=True)
class Rule:
    name: str  # the rule's identity: the quarantine's `rule` column (data, never parsed)
    field: str  # engine field; the export's column name is reported
    when: str  # SQL: true when the row breaks the rule
    reason: str  # SQL: the reason text, for people
    value: str = "NULL"  # SQL: the rule's parameter (the label, the customer key), the `value`


# the routing rules: a row quarantined by one of these waits (parked.py) until a contract's customer
# keys or priority labels route it, and the Ingest page offers to map its `value`
ROUTES_NOWHERE = "customer key routes nowhere"
NO_PRIORITY_RULE = "no priority"
UNKNOWN_SEVERITY_RULE = "unknown severity"
UNKNOWN_SEVERITY_IN_HISTORY = "unknown severity in history"

# rules of the accounting itself (not row predicates), named like the others
DUPLICATE_RULE = "duplicate ticket id"
LOST_RULE = "ticket quarantined with its other rows"
PROFILE_RULE = "rejected by the profile"


def _text(column: str) -> str:
    """The first 40 characters of a cell, as a reason quotes it."""
    return f"substr(coalesce({column}, ''), 1, 40)"


# before duplicates are looked for: who the ticket belongs to and whether it has an id
IDENTITY_RULES: tuple[Rule, ...] = (
    Rule(
        "contract differs from the chosen one",
        "contract_id",
        "contract_mismatch",
        "'contract differs from the stated contract ' || getvariable('contract')",
    ),
    Rule(
        ROUTES_NOWHERE,
        "contract_id",
        "getvariable('routing') AND contract IS NOT NULL AND NOT known_contract",
        "'no contract for customer key ' || contract",
        "contract",
    ),
    Rule(
        "empty ticket id", "ticket_id", "ticket_id IS NULL OR ticket_id = ''", "'empty ticket id'"
    ),
    Rule(
        "unknown contract",
        "contract_id",
        "contract IS NULL OR NOT known_contract",
        "'unknown contract ' || coalesce(contract, '(empty)') || ': no SLA terms registered'",
        "contract",
    ),
)

DUPLICATE_REASON = "'duplicate ticket id in file (rows ' || dup_rows || ')'"


def _time_rules(name: str, required: bool) -> tuple[Rule, ...]:
    stem = name.removesuffix("_at")
    unparseable = f"'unparseable time ' || {_text(name)}"
    rules = [
        Rule(
            f"{stem}: unparseable",
            name,
            f"{stem}_bad",
            f"{unparseable} || CASE WHEN getvariable('tz') IS NULL"
            " THEN ' (a naive time needs the export''s time zone)' ELSE '' END",
        )
    ]
    if required:
        rules.append(Rule(f"{stem}: missing", name, f"{stem}_blank", "'missing creation time'"))
    rules.append(
        Rule(
            f"{stem}: implausible",
            name,
            f"implausible_us({stem}_us)",
            f"'time ' || {_text(name)} || ' is {PLAUSIBLE_TEXT}'",
        )
    )
    rules.append(
        Rule(
            f"{stem}: in the future",
            name,
            f"{stem}_us >= getvariable('future_us')",
            f"'time ' || {_text(name)} || ' is later than the upload (" + FUTURE_TEXT + ")'",
        )
    )
    return tuple(rules)


# after duplicates: the times, their order and the severity
TICKET_RULES: tuple[Rule, ...] = (
    *_time_rules("created_at", required=True),
    *_time_rules("first_response_at", required=False),
    *_time_rules("resolved_at", required=False),
    Rule(
        "reply minutes not a number",
        "first_response_at",
        "minutes_text IS NOT NULL AND py_strip(minutes_text) <> '' AND minutes IS NULL",
        "'not a number of minutes'",
    ),
    Rule(
        "first response before creation",
        "first_response_at",
        "first_response_us < created_us",
        "'first response before creation'",
    ),
    Rule(
        "resolved before creation",
        "resolved_at",
        "resolved_us < created_us",
        "'resolved before creation'",
    ),
    Rule(
        NO_PRIORITY_RULE,
        "severity",
        f"tier IS NULL AND label = '{NO_PRIORITY_LABEL}'",
        f"'{NO_PRIORITY_REASON}'",
    ),
    Rule(
        UNKNOWN_SEVERITY_RULE,
        "severity",
        "tier IS NULL",
        "'unknown severity ' || coalesce(severity, '')",
        "coalesce(severity, '')",
    ),
)

# history rows (status and severity changes), after the ticket they belong to is known
EVENT_RULES: tuple[Rule, ...] = (
    Rule(
        "history row of no valid ticket",
        "history_ticket_id",
        "getvariable('history_file') AND owners = 0",
        "'no valid ticket with this id in the tickets file'",
    ),
    Rule(
        "history row of a ticket id in several contracts",
        "history_ticket_id",
        "owners > 1",
        "'ticket id is in more than one contract of the tickets file; the history row cannot "
        "say which'",
    ),
    Rule(
        "change time unparseable",
        "changed_at",
        "changed_bad OR changed_blank",
        "'unparseable or missing change time'",
    ),
    Rule(
        "change time implausible",
        "changed_at",
        "implausible_us(changed_us)",
        f"'change time ' || {_text('changed_at')} || ' is {PLAUSIBLE_TEXT}'",
    ),
    Rule(
        UNKNOWN_SEVERITY_IN_HISTORY,
        "history_severity",
        "field = 'severity' AND tier IS NULL",
        "'unknown severity ' || coalesce(value, '')",
        "coalesce(value, '')",
    ),
    Rule(
        "empty status",
        "history_status",
        "field = 'status' AND (value IS NULL OR py_strip(value) = '')",
        "'empty status'",
    ),
)

LOST_REASON = "ticket quarantined (see its other rows)"


def first_broken(rules: tuple[Rule, ...], first: int = 0) -> str:
    """SQL: the number of the first rule a row breaks (numbered from `first`), NULL if none."""
    return (
        "CASE " + " ".join(f"WHEN {r.when} THEN {first + i}" for i, r in enumerate(rules)) + " END"
    )


def value_of(rules: tuple[Rule, ...], first: int = 0) -> str:
    """SQL: the parameter of the rule numbered `rule_no` (NULL for rules without one)."""
    return (
        "CASE rule_no "
        + " ".join(f"WHEN {first + i} THEN {r.value}" for i, r in enumerate(rules))
        + " END"
    )


def reason_of(rules: tuple[Rule, ...], first: int = 0) -> str:
    """SQL: the reason of the rule numbered `rule_no` (asked only of the rows that broke one)."""
    return (
        "CASE rule_no "
        + " ".join(f"WHEN {first + i} THEN {r.reason}" for i, r in enumerate(rules))
        + " END"
    )
