"""Templates cannot tie up or exhaust the app server: rendering has a time, a memory and an output
limit, and each refusal says what went wrong."""

from __future__ import annotations

import time

import pytest
from contracts_fixtures import example

from contracts.documents import render
from contracts.domain.fields import ContractFields
from contracts.errors import TemplateError

FIELDS = ContractFields.model_validate(example("saas-support"))


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ 'x' * 10**10 }}", "more than 256 MiB of memory"),
        (
            "{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}{% endfor %}",
            "took longer than 1 s",
        ),
        ("{% for a in range(99999) %}{{ 'y' * 100 }}{% endfor %}", "beyond 1,000,000 characters"),
    ],
)
def test_a_hostile_template_is_refused_quickly(monkeypatch, template, message):
    monkeypatch.setattr(render, "RENDER_SECONDS", 1.0)
    start = time.perf_counter()
    with pytest.raises(TemplateError, match=message):
        render.render_text(template, FIELDS)
    assert time.perf_counter() - start < 3


def test_an_ordinary_template_renders_and_names_unknown_fields():
    assert render.render_text("{{ title }} for {{ customer.name }}", FIELDS).startswith("SaaS")
    with pytest.raises(TemplateError, match="nope"):
        render.render_text("{{ nope }}", FIELDS)
