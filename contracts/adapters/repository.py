"""The repository of templates and contracts: the only code that knows they are stored with
SQLAlchemy. (Envelopes have theirs in envelope_repo.py; the unit of work hands both out.)"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.adapters.orm import (
    ContractRow,
    TemplateRow,
    TemplateVersionRow,
)
from contracts.domain.contract import Contract
from contracts.domain.events import utcnow
from contracts.domain.lifecycle import ContractState
from contracts.domain.template import Template, TemplateVersion
from contracts.errors import FrozenVersionError, NotFound


class Repository:
    """Load and save aggregates; remembers what it handed out so the unit of work can collect
    events."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.seen: list[Template | Contract] = []

    # ---- templates ----
    def add_template(self, t: Template) -> None:
        if self.session.get(TemplateRow, t.name) is not None:
            raise FrozenVersionError(f"template {t.name} already exists")
        self.session.add(
            TemplateRow(name=t.name, title=t.title, description=t.description, created_at=utcnow())
        )
        self.session.flush()
        self._sync_versions(t)
        self.seen.append(t)

    def get_template(self, name: str) -> Template:
        row = self.session.get(TemplateRow, name)
        if row is None:
            raise NotFound(f"no template named {name!r}")
        versions = self.session.scalars(
            select(TemplateVersionRow)
            .where(TemplateVersionRow.template_name == name)
            .order_by(TemplateVersionRow.number)
        ).all()
        t = Template(
            name=row.name,
            title=row.title,
            description=row.description,
            versions=[
                TemplateVersion(
                    v.number,
                    v.text,
                    list(v.requires),
                    v.status,
                    v.text_sha256,
                    v.schema_sha256,
                    v.published_at,
                )
                for v in versions
            ],
        )
        self.seen.append(t)
        return t

    def list_templates(self) -> list[Template]:
        return [
            self.get_template(n)
            for n in self.session.scalars(select(TemplateRow.name).order_by(TemplateRow.name))
        ]

    def save_template(self, t: Template) -> None:
        self._sync_versions(t)

    def _sync_versions(self, t: Template) -> None:
        rows = {
            r.number: r
            for r in self.session.scalars(
                select(TemplateVersionRow).where(TemplateVersionRow.template_name == t.name)
            )
        }
        for v in t.versions:
            row = rows.get(v.number)
            if row is None:
                self.session.add(
                    TemplateVersionRow(
                        template_name=t.name,
                        number=v.number,
                        text=v.text,
                        requires=list(v.requires),
                        status=v.status,
                        text_sha256=v.text_sha256,
                        schema_sha256=v.schema_sha256,
                        published_at=v.published_at,
                    )
                )
                continue
            if row.status == "published":
                if (row.text, list(row.requires)) != (
                    v.text,
                    list(v.requires),
                ) or v.status != "published":
                    raise FrozenVersionError(
                        f"{t.name} v{v.number} is published; its stored text cannot change"
                    )
                continue
            row.text, row.requires, row.status = v.text, list(v.requires), v.status
            row.text_sha256, row.schema_sha256, row.published_at = (
                v.text_sha256,
                v.schema_sha256,
                v.published_at,
            )

    # ---- contracts ----
    def add_contract(self, c: Contract) -> None:
        self.session.add(
            ContractRow(
                id=c.id,
                template_name=c.template_name,
                template_version=c.template_version,
                template_text_sha256=c.template_text_sha256,
                fields=c.fields,
                state=str(c.state),
                supersedes=c.supersedes,
                created_at=c.created_at,
                pdf_sha256=c.pdf_sha256,
            )
        )
        self.seen.append(c)

    def get_contract(self, contract_id: str) -> Contract:
        row = self.session.get(ContractRow, contract_id)
        if row is None:
            raise NotFound(f"no contract {contract_id!r}")
        c = self._to_domain(row)
        self.seen.append(c)
        return c

    def list_contracts(self, state: str | None = None) -> list[Contract]:
        q = select(ContractRow).order_by(ContractRow.created_at)
        if state:
            q = q.where(ContractRow.state == state)
        out = [self._to_domain(r) for r in self.session.scalars(q)]
        self.seen.extend(out)
        return out

    def family(self, contract_id: str) -> list[Contract]:
        """The contract, what it supersedes and what supersedes it, oldest first."""
        root = self.get_contract(contract_id)
        while root.supersedes:
            root = self.get_contract(root.supersedes)
        out, frontier = [root], [root.id]
        while frontier:
            kids = self.session.scalars(
                select(ContractRow).where(ContractRow.supersedes.in_(frontier))
            ).all()
            frontier = [k.id for k in kids]
            out.extend(self._to_domain(k) for k in kids)
        return out

    def save_contract(self, c: Contract) -> None:
        row = self.session.get(ContractRow, c.id)
        if row is None:
            raise NotFound(f"no contract {c.id!r}")
        row.state, row.fields, row.pdf_sha256 = str(c.state), c.fields, c.pdf_sha256

    @staticmethod
    def _to_domain(row: ContractRow) -> Contract:
        return Contract(
            id=row.id,
            template_name=row.template_name,
            template_version=row.template_version,
            template_text_sha256=row.template_text_sha256,
            fields=dict(row.fields),
            state=ContractState(row.state),
            supersedes=row.supersedes,
            created_at=row.created_at,
            pdf_sha256=row.pdf_sha256,
        )
