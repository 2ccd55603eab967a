"""The starter templates shipped in data/templates (YAML: name, title, description, requires,
text)."""

from __future__ import annotations

from pathlib import Path

import yaml

from contracts.domain.template import Template
from contracts.errors import TemplateError

STARTERS = Path(__file__).resolve().parents[2] / "data" / "templates"


def load_template_file(path: Path) -> Template:
    """A template definition file -> a Template with one draft version."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TemplateError(f"{path}: cannot read template: {exc}") from exc
    missing = [k for k in ("name", "title", "text") if not doc or k not in doc]
    if missing:
        raise TemplateError(f"{path}: missing {', '.join(missing)}")
    return Template.create(
        doc["name"],
        doc["title"],
        doc["text"],
        list(doc.get("requires") or []),
        doc.get("description", ""),
    )


def starter_templates() -> list[Template]:
    return [load_template_file(p) for p in sorted(STARTERS.glob("*.yaml"))]
