"""Template text -> clause blocks, in a Jinja2 sandbox: templates cannot run code or read files."""

from __future__ import annotations

from dataclasses import dataclass

from jinja2 import DictLoader, StrictUndefined
from jinja2 import TemplateError as JinjaError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from contracts.domain.fields import ContractFields
from contracts.errors import TemplateError

# an empty loader: {% include %} / {% import %} find nothing, so a template can never read a file
_ENV = ImmutableSandboxedEnvironment(
    loader=DictLoader({}),
    undefined=StrictUndefined,
    autoescape=False,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters["money"] = lambda v, cur="": f"{cur} {float(v):,.2f}".strip()


@dataclass(frozen=True)
class Block:
    kind: str  # heading | paragraph | bullet
    text: str


def render_text(text: str, fields: ContractFields, extra: dict | None = None) -> str:
    """Fill placeholders and conditional clauses; unknown names are errors, not blanks."""
    ctx = (
        fields.model_dump(mode="python")
        | {
            "customer": fields.party("customer").model_dump(),
            "vendor": fields.party("vendor").model_dump(),
        }
        | (extra or {})
    )
    try:
        return _ENV.from_string(text).render(**ctx)
    except JinjaError as exc:
        raise TemplateError(f"template cannot render: {exc}") from exc


def blocks(rendered: str) -> list[Block]:
    """'## ' headings, '- ' bullets, blank-line separated paragraphs."""
    out: list[Block] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            out.append(Block("paragraph", " ".join(para)))
            para.clear()

    for line in rendered.splitlines():
        s = line.strip()
        if not s:
            flush()
        elif s.startswith("## "):
            flush()
            out.append(Block("heading", s[3:]))
        elif s.startswith("- "):
            flush()
            out.append(Block("bullet", s[2:]))
        else:
            para.append(s)
    flush()
    return out
