"""Which contract a ticket belongs to, and which tier its help desk's priority label means, beyond
what the SLA terms say: the operational settings a contract keeps (customer keys such as a Zendesk
organization or a ServiceNow company, and severity labels such as `1 - Critical` -> `P1`), handed
to the ingest by the caller. Labels and keys are matched without regard to case or surrounding
spaces."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Routing:
    customer_keys: dict[str, str] = field(default_factory=dict)  # key -> contract id
    severity_aliases: dict[str, dict[str, str]] = field(
        default_factory=dict
    )  # contract -> label -> tier

    @classmethod
    def of(cls, keys: dict[str, str], aliases: dict[str, dict[str, str]]) -> Routing:
        return cls(
            {norm(k): v for k, v in keys.items() if norm(k)},
            {c: {norm(label): tier for label, tier in m.items()} for c, m in aliases.items()},
        )

    def contract_for(self, value: str) -> str | None:
        return self.customer_keys.get(norm(value))

    def fingerprint(self) -> str:
        """Part of an ingest's identity: the same file routed differently is a different load."""
        text = json.dumps([self.customer_keys, self.severity_aliases], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def norm(value: str | None) -> str:
    return " ".join((value or "").split()).lower()
