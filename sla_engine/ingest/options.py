"""How to read one export beyond its profile: what a recipe, the Ingest page or the CLI says about
its columns, statuses, codes, date order and history. One typed value crosses from each edge to
the profiles (profiles/registry.py turns it into the profile's mapping); a cache key is its JSON.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any

Columns = dict[str, str | list[str]]  # engine field -> a column or candidates (or JSON paths)


@dataclass(frozen=True)
class ReadOptions:
    recipe: str | None = None  # the recipe's name, reported with the batch
    mapping_file: str | None = None  # a YAML or JSON mapping file (the CLI's --mapping)
    # an event log's columns (profile eventlog) and the statuses that mark a first response
    case: str | None = None
    status: str | None = None
    time: str | None = None
    severity: str | None = None
    contract_col: str | None = None
    response_status: tuple[str, ...] = ()
    columns: Columns = field(default_factory=dict)
    statuses: dict[str, list[str]] = field(default_factory=dict)  # meaning -> status values
    status_names: dict[str, str] = field(default_factory=dict)  # status code -> name
    severity_names: dict[str, str] = field(default_factory=dict)  # severity code -> name
    date_order: str | None = None  # "day-first" | "month-first" for numeric dates
    records: str | None = None  # the key of a JSON export's list of records
    long_history: dict[str, Any] | None = None  # a recipe's history shape (recipes.LongHistory)

    def over(self, base: ReadOptions) -> ReadOptions:
        """These options stated over `base` (a recipe's): each one stated here wins, and named
        columns are added to the base's."""
        stated = {k: v for k, v in asdict(self).items() if v not in (None, (), {}, [])}
        if "columns" in stated:
            stated["columns"] = {**base.columns, **self.columns}
        if "response_status" in stated:
            stated["response_status"] = tuple(stated["response_status"])
        return replace(base, **stated)

    def with_date_order(self, order: str | None) -> ReadOptions:
        return replace(self, date_order=order) if order else self

    def to_json(self) -> str:
        """A stable text of these options (a cache key; from_json reads it back)."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ReadOptions:
        data = json.loads(text)
        data["response_status"] = tuple(data.get("response_status") or ())
        return cls(**data)
