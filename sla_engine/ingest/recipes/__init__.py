"""Import recipes: how one help desk's export maps to Covenant's facts, as data.

A recipe names, for each canonical fact (ticket, customer, severity, created, first response,
resolved, closed, status, status since, pending since, updated), the column or JSON path that
holds it; what each status value means (open, solved, paused, deleted, merged); the codes a help
desk writes for its statuses; the list of records in a JSON envelope; and, for a second file in a
long shape (ticket, field, value, at), which fields are the status and the severity.

Recipes are YAML. The built-in ones (`builtin/*.yaml`) are grounded in each vendor's documented
export or API fields; users save their own on the Ingest page (versioned and audited by
contracts/services/recipes.py) or pass a file to the CLI (`--recipe NAME|FILE`). A recipe is read
by the engine's profiles as the options of one ingest (`Recipe.options`): the named profile is
the preset it starts from, and every field the recipe names must exist in the file (no fallback).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from sla_engine.errors import RecipeError
from sla_engine.ingest.options import ReadOptions
from sla_engine.ingest.profiles.ticketfile import FIELDS
from sla_engine.rulebook.terms import known_zone

BUILTIN = Path(__file__).parent / "builtin"
FACTS = FIELDS  # the facts a ticket table is read for (profiles/ticketfile.py)
MEANINGS = ("open", "solved", "paused", "deleted", "merged")
MAX_YAML_BYTES = 64_000
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,47}$")
_BRACKET = re.compile(r"""\[\s*['"]([^'"\]]+)['"]\s*\]""")
# JSONPath's filter `[?(@.name=='x')]` is written as the shorter selector `[name=x]`
_FILTER = re.compile(r"""\[\?\(\s*@\.([A-Za-z0-9_]+)\s*==?\s*['"]([^'"]*)['"]\s*\)\]""")
_INDEX = re.compile(r"\[(\d+)\]")


def column_path(text: str) -> str:
    """A column name or JSON path as the flattened export names it: `$.properties.x`,
    `properties/x` and `properties["x"]` all become `properties.x` (nested JSON objects are
    flattened with dots, XML attributes as `column.attribute`). An item of a list is chosen by
    a selector, `requestFieldValues[fieldId=priority].value.name` (JSONPath's
    `[?(@.fieldId=='priority')]` is read the same), or by its position, `cycles[0]` = `cycles.0`
    (profiles/selectors.py reads them)."""
    s = str(text).strip()
    if s.startswith("$."):
        s = s[2:]
    s = _FILTER.sub(r"[\1=\2]", s)
    s = _INDEX.sub(r".\1", s)
    s = _BRACKET.sub(r".\1", s)
    if "/" in s and " " not in s and "[" not in s:
        s = s.replace("/", ".")
    return s.strip(".")


class LongHistory(BaseModel):
    """Changes of the status and the severity, one per row: which columns hold the ticket, the
    field's name, its new value and the instant, and which field names are the status and the
    severity. Without `field` and `value`, each change names its field by a key of its own
    (Zendesk ticket events' child events: `{"status": "open"}`): `fields` then names, for the
    status and the severity, the columns that hold the new value. The changes are a second file,
    or (`same_file`) a list inside each ticket record (JSM's `status` history)."""

    model_config = ConfigDict(extra="forbid")
    ticket: str = Field(min_length=1, max_length=200)
    field: str | None = Field(None, min_length=1, max_length=200)
    value: str | None = Field(None, min_length=1, max_length=200)
    at: str = Field(min_length=1, max_length=200)
    same_file: bool = False
    # the ticket file's column the history's `ticket` refers to, when it is not the ticket id
    # (Salesforce CaseHistory names the case's Id, ServiceNow sys_audit the incident's sys_id)
    key: str | None = Field(None, min_length=1, max_length=200)
    # a list of changes inside each record (Zendesk ticket audits: `events`), unrolled first
    each: str | None = Field(None, min_length=1, max_length=200)
    fields: dict[Literal["status", "severity"], list[str]] = Field(min_length=1)

    @field_validator("fields", mode="before")
    @classmethod
    def _listed(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return {k: [x] if isinstance(x, str) else x for k, x in v.items()}
        return v

    @field_validator("ticket", "field", "value", "at")
    @classmethod
    def _path(cls, v: str | None) -> str | None:
        return v if v is None else column_path(v)

    @model_validator(mode="after")
    def _shape(self) -> LongHistory:
        if (self.field is None) != (self.value is None):
            raise ValueError(
                "name both field and value (one row per change of a named field), or neither "
                "(fields then names the columns that hold each new value)"
            )
        if self.same_file and not self.each:
            raise ValueError("same_file needs each: the list of changes inside a ticket record")
        if self.field is None:
            self.fields = {k: [column_path(c) for c in v] for k, v in self.fields.items()}
        return self


class Recipe(BaseModel):
    """One import recipe (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")
    recipe: str = Field(description="its name")
    title: str = Field("", max_length=200)
    source: str = Field("", max_length=500, description="the vendor documentation it follows")
    profile: Literal["generic", "zendesk", "jsm", "servicenow", "freshdesk"] = "generic"
    records: str | None = Field(None, max_length=200, description="JSON list of records")
    columns: dict[str, list[str]] = Field(default_factory=dict)
    status_names: dict[str, str] = Field(default_factory=dict)
    # codes an export writes for its severities (GLPI's priority 5 is "very high"): the name is
    # what the contract's severity_map and tiers read
    severity_names: dict[str, str] = Field(default_factory=dict)
    statuses: dict[Literal["open", "solved", "paused", "deleted", "merged"], list[str]] = Field(
        default_factory=dict
    )
    date_order: Literal["day-first", "month-first"] | None = None
    timezone: str | None = Field(
        None,
        max_length=64,
        description="zone of times written with no offset, when the vendor fixes it",
    )
    history: LongHistory | None = None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str | None) -> str | None:
        return v if v is None else known_zone(v)

    @field_validator("recipe")
    @classmethod
    def _name(cls, v: str) -> str:
        if not NAME.match(v.strip()):
            raise ValueError(
                "a name of 1 to 48 letters, digits, spaces, dots, dashes or underscores"
            )
        return v.strip()

    @field_validator("columns", mode="before")
    @classmethod
    def _columns(cls, v: Any) -> Any:
        if not isinstance(v, dict):
            return v
        out = {}
        for fact, col in v.items():
            if fact not in FACTS:
                raise ValueError(f"{fact!r} is not a fact; facts are {', '.join(FACTS)}")
            cands = [col] if isinstance(col, str) else col
            if not isinstance(cands, list) or not cands or len(cands) > 10:
                raise ValueError(f"{fact}: a column name or a list of up to 10")
            out[fact] = [column_path(str(c))[:200] for c in cands]
        return out

    @field_validator("status_names", mode="before")
    @classmethod
    def _names(cls, v: Any) -> Any:
        return _code_names(v, 500, "status", lower_names=True)

    @field_validator("severity_names", mode="before")
    @classmethod
    def _severity_names(cls, v: Any) -> Any:
        # a severity's name keeps its case: the contract's severity map is read case-insensitively
        return _code_names(v, 100, "severity", lower_names=False)

    @field_validator("statuses", mode="before")
    @classmethod
    def _statuses(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return {
                k: [str(x).strip().lower()[:200] for x in ([x] if isinstance(x, str) else x)]
                for k, x in v.items()
            }
        return v

    def options(self) -> ReadOptions:
        """The ingest options this recipe stands for (read by profiles/registry.py)."""
        return ReadOptions(
            recipe=self.recipe,
            columns={k: list(v) for k, v in self.columns.items()},
            statuses={k: list(v) for k, v in self.statuses.items()},
            status_names=dict(self.status_names),
            severity_names=dict(self.severity_names),
            date_order=self.date_order,
            records=self.records,
            long_history=self.history.model_dump() if self.history is not None else None,
        )

    def to_yaml(self) -> str:
        data = self.model_dump(exclude_defaults=True, exclude_none=True)
        data = {"recipe": self.recipe, **data}
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _code_names(v: Any, most: int, what: str, lower_names: bool) -> Any:
    """A {code: name} mapping as a recipe keeps it: codes trimmed and lower-cased, names trimmed
    (and lower-cased when asked), at most `most` of them."""
    if not isinstance(v, dict):
        return v
    if len(v) > most:
        raise ValueError(f"at most {most} {what} names")
    out = {}
    for code, name in v.items():
        text = str(name).strip()
        out[str(code).strip().lower()[:200]] = (text.lower() if lower_names else text)[:200]
    return out


def parse(text: str, where: str = "the recipe") -> Recipe:
    """A recipe from YAML (or JSON) text; RecipeError names the key that is wrong."""
    if len(text.encode("utf-8")) > MAX_YAML_BYTES:
        raise RecipeError(f"{where}: over {MAX_YAML_BYTES:,} bytes; a recipe is a short text")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RecipeError(f"{where}: not readable YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise RecipeError(f"{where}: a recipe is a mapping with recipe, profile, columns, …")
    try:
        return Recipe.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "recipe"
        raise RecipeError(f"{where}: {key}: {first['msg']}") from exc


def builtin() -> dict[str, Recipe]:
    """The shipped recipes by name (a copy: the caller may add to it)."""
    return dict(_shipped())


@functools.cache
def _shipped() -> dict[str, Recipe]:
    """Read once per process: the shipped files do not change while it runs (the Ingest page
    would otherwise parse them at every rerun)."""
    out = {}
    for path in sorted(BUILTIN.glob("*.yaml")):
        r = parse(path.read_text(encoding="utf-8"), path.name)
        out[r.recipe] = r
    return out


def load(name_or_file: str) -> Recipe:
    """A built-in recipe by name, or a recipe file (the CLI's --recipe)."""
    shipped = builtin()
    if name_or_file in shipped:
        return shipped[name_or_file]
    p = Path(name_or_file)
    if p.suffix.lower() in (".yaml", ".yml", ".json") and p.is_file():
        return parse(p.read_text(encoding="utf-8"), str(p))
    raise RecipeError(
        f"no recipe {name_or_file!r}: name a built-in one ({', '.join(sorted(shipped))}) or a "
        ".yaml file"
    )


CORE = ("ticket_id", "severity", "created_at")


def matching(
    columns: list[str],
    among: dict[str, Recipe],
    detected: str | None,
    second_file: bool | list[str] = False,
) -> list[str]:
    """Recipes that fit an export, best first (a suggestion the page shows, never applied
    unseen): recipes whose every named column is present (the most facts first); then the presets
    of the profile detected from the columns; then recipes whose ticket, severity and creation
    columns are present but not all the others. A recipe that reads a second file fits only when
    one is given (and, given its columns, only when they hold the history's columns), and then
    comes first among its equals."""
    have = {c.strip().lower() for c in columns}
    second = {c.strip().lower() for c in second_file} if isinstance(second_file, list) else None

    def present(cands: list[str], names: set[str] = have) -> bool:
        # a selector (`list[key=value].path`) is present when its list is
        return any(c.split("[", 1)[0].lower() in names for c in cands)

    fits = []
    for name, r in among.items():
        reads_second = r.history is not None and not r.history.same_file
        if reads_second and not second_file:
            continue
        if reads_second and second is not None and r.history is not None:
            if not all(present([c], second) for c in _history_columns(r.history)):
                continue
        history_first = 0 if reads_second else 1
        if r.columns:
            found = sum(present(c) for c in r.columns.values())
            if found == len(r.columns):
                fits.append((0, history_first, -found, name))
            elif all(present(r.columns.get(f, [f])) for f in CORE):
                fits.append((2, history_first, -found, name))
        elif detected is not None and r.profile == detected:
            fits.append((1, history_first, 0, name))
    return [name for *_, name in sorted(fits)]


def _history_columns(h: LongHistory) -> list[str]:
    """The columns a history names that a reader shows before any list is unrolled."""
    named = [h.ticket, h.at] + ([h.field, h.value] if h.field and h.value else [])
    if h.each is None:
        return named
    inside = h.each.lower() + "."
    return [h.each] + [c for c in named if not c.lower().startswith(inside)]
