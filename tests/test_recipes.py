"""Built-in import recipes: each vendor's documented export through ingest, figures checked by hand.

The fixtures in tests/fixtures/recipes/ follow each vendor's documented field names and encodings
(HubSpot CRM v3 properties, Intercom epoch seconds and `statistics`, Zammad `expand=true` names,
GLPI status codes and naive server times, Salesforce SOQL records with CaseHistory, osTicket's
agent export). The contract runs a 24x7 UTC clock: P1 response 60 / resolution 240 minutes, P2
240 / 1440; judged as of 2025-03-31T00:00Z, so a ticket paused since 2025-03-04T12:00Z shows
26.5 days = 38,160 paused minutes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from helpers import FIXTURES, terms_doc

from sla_engine.errors import RecipeError
from sla_engine.ingest import recipes
from sla_engine.ingest.options import ReadOptions
from sla_engine.ingest.routing import Routing
from sla_engine.ingest.run import ingest
from sla_engine.reports.analysis import parse_as_of
from sla_engine.reports.tickets import ticket_figures
from sla_engine.rulebook.terms import parse_terms
from sla_engine.store.core import Store

HERE = FIXTURES / "recipes"
AS_OF = parse_as_of("2025-03-31T00:00:00+00:00")
CLOCK = {"clock": "calendar", "target_pct": 90}
DOC = terms_doc(
    contract_id="R",
    calendar={"timezone": "UTC"},
    tiers={
        "P1": {"response_minutes": 60, "resolution_minutes": 240, **CLOCK},
        "P2": {"response_minutes": 240, "resolution_minutes": 1440, **CLOCK},
    },
    pause_statuses=[
        "pending",
        "on hold",
        "waiting on contact",
        "snoozed",
        "pending reminder",
        "pending close",
        "waiting for customer",
    ],
    resolved_statuses=["solved", "resolved", "closed"],
    severity_map={
        "urgent": "P1",
        "high": "P1",
        "priority": "P1",
        "3 high": "P1",
        "1": "P1",
        "1 - critical": "P1",
        "3 - moderate": "P2",
        "medium": "P2",
        "normal": "P2",
        "low": "P2",
        "not_priority": "P2",
        "2 normal": "P2",
    },
)
# customer keys of the fixtures that carry one (Zammad organization, GLPI entity, SF account)
ROUTES = Routing(customer_keys={"acme": "R", "root entity > acme": "R"})
D = "2025-03-0"

# recipe -> (file, second file, zone, stated contract, extra options, rows, loaded, quarantined,
#            {ticket: (tier, first response, resolved, paused min, response met, resolution met)})
CASES: dict[str, tuple] = {
    "zendesk-audits": (
        "zendesk-tickets.json",
        "zendesk-audits.json",
        None,
        "R",
        {},
        2,
        2,
        0,
        {
            # audits: pending 10:00-11:00, solved 13:00; no reply metric, so the response counts
            # at the resolution (180 min > 60)
            "901": ("P1", D + "3T13:00:00Z", D + "3T13:00:00Z", 60, "false", "true"),
            "902": ("P2", "", "", 0, "false", "false"),
        },
    ),
    "zendesk-ticket-events": (
        "zendesk-tickets.json",
        "zendesk-ticket-events.json",
        None,
        "R",
        {},
        2,
        2,
        0,
        {
            # the same changes as the audits above, as incremental ticket events whose child
            # events name their field by a key ({"status": "pending"}); tags changes unused
            "901": ("P1", D + "3T13:00:00Z", D + "3T13:00:00Z", 60, "false", "true"),
            "902": ("P2", "", "", 0, "false", "false"),
        },
    ),
    "jsm-servicedesk-requests": (
        "jsm-servicedesk-requests.json",
        None,
        None,
        "R",
        {},
        3,
        2,
        1,  # HD-3's request type has no Priority field: no severity
        {
            # first response = end of the first "Time to first response" cycle (09:40, 40 min);
            # status history: waiting for customer 10:00-11:00, resolved 12:00: 180 - 60 = 120
            "HD-1": ("P1", D + "3T09:40:00Z", D + "3T12:00:00Z", 60, "true", "true"),
            # waiting for customer since 11:00 on the 4th: 26 days 13 hours to the 31st
            "HD-2": ("P2", D + "4T10:00:00Z", "", 38220, "true", ""),
        },
    ),
    "jira-xml": (
        "jira-search.xml",
        None,
        None,
        "R",
        {},
        3,
        3,
        0,
        {
            # RFC 2822 dates; Date of First Response chosen among the custom fields by its name
            "SUP-1": ("P1", D + "3T09:20:00Z", D + "3T11:00:00Z", 0, "true", "true"),
            # waiting for customer since updated (12:00 +01:00 = 11:00Z): 26 days 13 hours
            "SUP-2": ("P2", D + "4T09:30:00Z", "", 38220, "true", ""),
            # no Date of First Response among its custom fields: no response yet
            "SUP-3": ("P2", "", "", 0, "false", "false"),
        },
    ),
    "servicenow-sys-audit": (
        "servicenow-incidents.json",
        "servicenow-sys-audit.csv",
        "UTC",
        "R",
        {},
        2,
        2,
        0,
        {
            # sys_audit (by sys_id): on hold 10:00-11:00, resolved (6) at 12:00, closed next day
            "INC0010001": ("P1", D + "3T09:20:00Z", D + "3T12:00:00Z", 60, "true", "true"),
            "INC0010002": ("P2", D + "5T09:00:00Z", "", 0, "true", "false"),
        },
    ),
    "zendesk-explore": (
        "zendesk-explore.csv",
        None,
        "UTC",
        "R",
        {},
        3,
        3,
        0,
        {
            # first reply 30 minutes after creation
            "601": ("P1", D + "3T09:30:00Z", D + "3T11:00:00Z", 0, "true", "true"),
            "602": ("P2", D + "4T09:45:00Z", "", 38280, "true", ""),
            # Open again although solved earlier: measured as open; no reply yet
            "603": ("P1", "", "", 0, "false", "false"),
        },
    ),
    "hubspot-tickets": (
        "hubspot-tickets.json",
        None,
        None,
        "R",
        {},
        4,
        4,
        0,
        {
            # stage 4 = closed: resolved at closed_date
            "5001": ("P1", D + "3T09:40:00Z", D + "3T12:00:00Z", 0, "true", "true"),
            # stage 2 = waiting on contact: paused since the last modification (12:00)
            "5002": ("P2", D + "4T11:00:00Z", "", 38160, "true", ""),
            "5003": ("P2", "", "", 0, "false", "false"),
            "5004": ("P1", D + "6T10:00:00Z", D + "6T14:00:00Z", 0, "false", "false"),
        },
    ),
    "intercom-conversations": (
        "intercom-conversations.json",
        None,
        None,
        "R",
        {},
        3,
        3,
        0,
        {
            "101": ("P1", D + "3T09:20:00Z", D + "3T11:00:00Z", 0, "true", "true"),
            # open again after last_close_at: measured as open, not resolved
            "102": ("P2", D + "4T10:00:00Z", "", 0, "true", "false"),
            # snoozed since its last update (11:00)
            "103": ("P2", D + "5T09:30:00Z", "", 36780, "true", ""),
        },
    ),
    "zammad-tickets": (
        "zammad-tickets.json",
        None,
        None,
        None,
        {},
        3,
        2,
        1,  # 31012 was merged
        {
            "31011": ("P1", D + "3T09:50:00Z", D + "3T12:30:00Z", 0, "true", "true"),
            "31013": ("P2", D + "4T09:00:00Z", "", 38280, "true", ""),
        },
    ),
    "glpi-tickets": (
        "glpi-tickets.json",
        None,
        "UTC",
        None,
        {},
        3,
        3,
        0,
        {
            # priority 4 = "high" (the recipe's severity_names), 3 = "medium"
            "1": ("P1", D + "3T09:30:00Z", D + "3T11:00:00Z", 0, "true", "true"),
            # status 4 pending since begin_waiting_date 09:00
            "2": ("P2", D + "4T08:10:00Z", "", 38340, "true", ""),
            # status 5 solved with no solvedate: resolved at date_mod; no take-into-account
            # time, so the response counts at the resolution (720 min > 240)
            "3": ("P2", D + "5T20:00:00Z", D + "5T20:00:00Z", 0, "false", "true"),
        },
    ),
    "salesforce-cases": (
        "salesforce-cases.json",
        "salesforce-casehistory.csv",
        None,
        None,
        {},
        2,
        2,
        0,
        {
            # CaseHistory: Working 09:30, On Hold 10:00-11:00, Closed 13:00: 240 - 60 = 180 min
            "00001001": ("P1", D + "3T13:00:00Z", D + "3T13:00:00Z", 60, "false", "true"),
            "00001002": ("P2", "", "", 0, "false", "false"),
        },
    ),
    "osticket-tickets": (
        "osticket-tickets.csv",
        None,
        "UTC",
        "R",
        {"date_order": "month-first"},
        3,
        3,
        0,
        {
            "100001": ("P1", D + "3T11:30:00Z", D + "3T11:30:00Z", 0, "false", "true"),
            "100002": ("P2", "", "", 0, "false", "false"),
            # Resolved with no close date: resolved at Last Updated (2:00 pm)
            "100003": ("P2", D + "5T14:00:00Z", D + "5T14:00:00Z", 0, "false", "true"),
        },
    ),
}


def test_every_builtin_recipe_that_names_columns_has_a_fixture_case():
    """The presets (a profile and no columns) are tested by test_vendor_shapes.py."""
    named = {n for n, r in recipes.builtin().items() if r.columns or r.history}
    assert named == set(CASES) | {"servicenow-display-values"}
    presets = {n: r.profile for n, r in recipes.builtin().items() if not named & {n}}
    assert set(presets.values()) == {"zendesk", "servicenow", "jsm", "freshdesk"}


@pytest.mark.parametrize(
    ("file", "best"),
    [
        ("salesforce-cases.json", "salesforce-cases"),
        ("zendesk-tickets.json", "zendesk-audits"),
        ("intercom-conversations.json", "intercom-conversations"),
        ("servicenow-incidents.json", "servicenow-sys-audit"),
        ("hubspot-tickets.json", "hubspot-tickets"),
        ("zendesk-explore.csv", "zendesk-explore"),
        ("osticket-tickets.csv", "osticket-tickets"),
        ("glpi-tickets.json", "glpi-tickets"),
        ("jsm-servicedesk-requests.json", "jsm-servicedesk-requests"),
        ("zendesk-tickets.json", "zendesk-ticket-events"),
        ("jira-search.xml", "jira-xml"),
    ],
)
def test_the_recipe_that_fits_an_export_is_suggested_first(file, best):
    from sla_engine.ingest.profiles.registry import detect_profile
    from sla_engine.ingest.readers import read_table

    columns = list(read_table(HERE / file).columns)
    second: bool | list[str] = False
    if CASES.get(best) and CASES[best][1]:
        second = list(read_table(HERE / CASES[best][1]).columns)
    fits = recipes.matching(columns, recipes.builtin(), detect_profile(columns), second)
    assert fits[0] == best


def test_a_zendesk_ticket_file_alone_suggests_the_zendesk_preset_not_a_lookalike():
    """id, priority, created_at are also Intercom's names: a recipe fits fully only when every
    column it names is present."""
    from sla_engine.ingest.profiles.registry import detect_profile
    from sla_engine.ingest.readers import read_table

    columns = list(read_table(HERE / "zendesk-tickets.json").columns)
    assert recipes.matching(columns, recipes.builtin(), detect_profile(columns))[0] == "zendesk"


@pytest.mark.parametrize("cell", ['{"not": "a list"}', "not json at all"])
def test_a_history_list_that_is_not_a_list_is_refused_naming_it(tmp_path, cell):
    from sla_engine.errors import IngestError
    from sla_engine.ingest.profiles.companions import long_history

    h = pd.DataFrame(
        {"ticket_id": ["901"], "created_at": ["2025-03-03T09:00:00Z"], "events": [cell]}
    )
    shape = recipes.load("zendesk-audits").history.model_dump()
    with pytest.raises(IngestError, match="events of record 1"):
        long_history(h.astype("string"), "audits.json", shape, "zendesk", {})


def test_a_known_profile_suggests_its_preset():
    columns = ["number", "incident_state", "sys_mod_count", "opened_at", "priority"]
    assert recipes.matching(columns, recipes.builtin(), "servicenow") == ["servicenow"]


@pytest.mark.parametrize("name", list(CASES))
def test_recipe_reads_its_vendors_export_with_hand_checked_figures(tmp_path, name):
    file, second, tz, contract, extra, rows, loaded, quarantined, expected = CASES[name]
    store = Store(tmp_path / "store")
    store.add_terms(parse_terms(DOC))
    recipe = recipes.load(name)
    rep = ingest(
        store,
        HERE / file,
        recipe.profile,
        tz=tz,
        contract=contract,
        routing=ROUTES,
        history=HERE / second if second else None,
        options=ReadOptions(**extra).over(recipe.options()),
    )
    assert (rep.input_rows, rep.loaded_rows, rep.quarantined_rows) == (
        rows,
        loaded,
        quarantined,
    ), rep.text()
    assert f"read with the recipe {name!r}" in rep.text()
    got = ticket_figures(store, AS_OF, "R").set_index("ticket_id")
    assert sorted(got.index) == sorted(expected), rep.text()
    for ticket, (tier, first, resolved, paused, resp, res) in expected.items():
        row = got.loc[ticket]
        seen = (
            row["severity"],
            row["first_response_at"],
            row["resolved_at"],
            round(float(row["paused_minutes"])),
            row["response_met"],
            row["resolution_met"],
        )
        assert seen == (tier, first, resolved, paused, resp, res), (ticket, row["notes"])


def test_a_reopened_ticket_says_so_in_its_notes_and_in_the_report(tmp_path):
    store = Store(tmp_path / "store")
    store.add_terms(parse_terms(DOC))
    recipe = recipes.load("intercom-conversations")
    rep = ingest(
        store,
        HERE / "intercom-conversations.json",
        "generic",
        contract="R",
        options=recipe.options(),
    )
    assert "1 tickets carry a resolution time but their status is open" in rep.text()
    notes = ticket_figures(store, AS_OF, "R").set_index("ticket_id").loc["102", "notes"]
    assert "reopened: status open now" in notes and "statistics.last_close_at" in notes


def test_servicenow_display_values_read_value_and_display_value_objects(tmp_path):
    """sysparm_display_value=all: every field is {value, display_value}; the recipe reads the
    UTC `value` of times and the display value of the priority and company."""
    record = {
        "number": {"value": "INC0010001", "display_value": "INC0010001"},
        "company": {"value": "a1b2", "display_value": "Acme"},
        "priority": {"value": "1", "display_value": "1 - Critical"},
        "state": {"value": "6", "display_value": "Resolved"},
        "opened_at": {"value": "2025-03-03 09:00:00", "display_value": "03-03-2025 10:00:00"},
        "work_start": {"value": "2025-03-03 09:45:00", "display_value": "03-03-2025 10:45:00"},
        "resolved_at": {"value": "2025-03-03 12:00:00", "display_value": "03-03-2025 13:00:00"},
        "closed_at": {"value": "", "display_value": ""},
        "sys_updated_on": {"value": "2025-03-03 12:00:00", "display_value": "03-03-2025 13:00"},
    }
    path = tmp_path / "incidents.json"
    import json

    path.write_text(json.dumps({"result": [record]}))
    doc = dict(DOC, severity_map={"1 - critical": "P1"})
    store = Store(tmp_path / "store")
    store.add_terms(parse_terms(doc))
    recipe = recipes.load("servicenow-display-values")
    rep = ingest(
        store, path, recipe.profile, tz=recipe.timezone, routing=ROUTES, options=recipe.options()
    )
    assert rep.loaded_rows == 1, rep.text()
    row = ticket_figures(store, AS_OF, "R").set_index("ticket_id").loc["INC0010001"]
    # work_start's value (UTC), not the resolution: 45 minutes, met
    assert (row["first_response_at"], row["resolved_at"]) == (
        D + "3T09:45:00Z",
        D + "3T12:00:00Z",
    )
    assert (row["response_met"], row["resolution_met"]) == ("true", "true")


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("properties.hs_pipeline_stage", "properties.hs_pipeline_stage"),
        ("$.properties.hs_pipeline_stage", "properties.hs_pipeline_stage"),
        ("properties/hs_pipeline_stage", "properties.hs_pipeline_stage"),
        ('fields["priority"]["name"]', "fields.priority.name"),
        ("$.statistics['first_admin_reply_at']", "statistics.first_admin_reply_at"),
        ("Date Created", "Date Created"),
        (
            "$.sla.values[?(@.name=='Time to first response')].completedCycles[0].stopTime",
            "sla.values[name=Time to first response].completedCycles.0.stopTime",
        ),
        ("requestFieldValues[fieldId=priority].value.name", None),
        ("Created at / UTC", "Created at / UTC"),
    ],
)
def test_a_json_path_names_the_flattened_column(written, read):
    assert recipes.column_path(written) == (written if read is None else read)


@pytest.mark.parametrize("name", sorted(recipes.builtin()))
def test_a_recipe_survives_its_own_yaml(name):
    r = recipes.load(name)
    assert recipes.parse(r.to_yaml()) == r


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("recipe: x\ncolumns: {ticket: id}", "'ticket' is not a fact"),
        ("recipe: x\nstatuses: {stopped: [hold]}", "statuses.stopped"),
        ("recipe: x\nprofile: eventlog", "profile"),
        ("recipe: ../etc\n", "recipe"),
        ("recipe: x\nhistory: {ticket: a, field: b, value: c}", "history.at"),
        ("recipe: x\nsurprise: 1", "surprise"),
        ("- just a list", "a recipe is a mapping"),
        ("recipe: [unclosed", "not readable YAML"),
        ("recipe: x\ncolumns: {status: " + "[a, b, c, d, e, f, g, h, i, j, k]}", "up to 10"),
        (
            "recipe: x\nhistory: {ticket: a, field: b, at: c, fields: {status: s}}",
            "both field and value",
        ),
        (
            "recipe: x\nhistory: {ticket: a, at: c, same_file: true, fields: {status: s}}",
            "same_file needs each",
        ),
    ],
)
def test_a_wrong_recipe_is_refused_naming_the_key(text, says):
    with pytest.raises(RecipeError, match=None) as err:
        recipes.parse(text, "my.yaml")
    assert says in str(err.value) and str(err.value).startswith("my.yaml")


def test_a_recipe_naming_a_column_the_file_lacks_is_refused_with_the_column(tmp_path):
    store = Store(tmp_path / "store")
    store.add_terms(parse_terms(DOC))
    recipe = recipes.parse(
        "recipe: wrong\ncolumns: {ticket_id: Ticket Number, severity: Priority, created_at: opened}"
    )
    from sla_engine.errors import IngestError

    with pytest.raises(IngestError, match="opened"):
        ingest(
            store,
            HERE / "osticket-tickets.csv",
            "generic",
            tz="UTC",
            contract="R",
            options=recipe.options(),
        )


def test_cli_lists_recipes_and_ingests_with_one(tmp_path):
    env_store = tmp_path / "store"
    store = Store(env_store)
    store.add_terms(parse_terms(DOC))
    run = [sys.executable, "-m", "sla_engine", "--store", str(env_store)]
    listed = subprocess.run([*run, "recipes"], capture_output=True, text=True, check=True)
    assert "hubspot-tickets" in listed.stdout and "salesforce-cases" in listed.stdout
    out = subprocess.run(
        [
            *run,
            "ingest",
            str(HERE / "hubspot-tickets.json"),
            "--recipe",
            "hubspot-tickets",
            "--contract",
            "R",
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert "4 in = 4 loaded" in out.stdout
    own = tmp_path / "mine.yaml"
    own.write_text(
        recipes.load("intercom-conversations")
        .to_yaml()
        .replace("intercom-conversations", "my-intercom")
    )
    out = subprocess.run(
        [
            *run,
            "ingest",
            str(HERE / "intercom-conversations.json"),
            "--recipe",
            str(own),
            "--contract",
            "R",
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert "read with the recipe 'my-intercom'" in out.stdout
    bad = subprocess.run(
        [*run, "ingest", str(HERE / "hubspot-tickets.json"), "--recipe", "nope"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode != 0 and "no recipe 'nope'" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_figures_with_the_recipe_equal_a_hand_renamed_generic_file(tmp_path):
    """The oracle: the HubSpot records written out by hand as the generic columns give the same
    per-ticket figures as the recipe reading the API response."""
    rows = [
        ("5001", "HIGH", "2025-03-03T09:00:00Z", "2025-03-03T09:40:00Z", "2025-03-03T12:00:00Z"),
        ("5003", "LOW", "2025-03-05T08:00:00Z", "", ""),
        ("5004", "URGENT", "2025-03-06T08:00:00Z", "2025-03-06T10:00:00Z", "2025-03-06T14:00:00Z"),
    ]
    plain = pd.DataFrame(
        rows, columns=["ticket_id", "severity", "created_at", "first_response_at", "resolved_at"]
    )
    path = tmp_path / "plain.csv"
    plain.to_csv(path, index=False)
    a, b = Store(tmp_path / "a"), Store(tmp_path / "b")
    for s in (a, b):
        s.add_terms(parse_terms(DOC))
    ingest(a, path, "generic", contract="R")
    recipe = recipes.load("hubspot-tickets")
    ingest(b, HERE / "hubspot-tickets.json", "generic", contract="R", options=recipe.options())
    cols = ["severity", "first_response_at", "resolved_at", "response_met", "resolution_met"]
    fa = ticket_figures(a, AS_OF, "R").set_index("ticket_id")[cols]
    fb = ticket_figures(b, AS_OF, "R").set_index("ticket_id").loc[fa.index, cols]
    pd.testing.assert_frame_equal(fa, fb)


def test_builtin_recipes_name_their_vendor_source():
    for name, r in recipes.builtin().items():
        assert r.source.startswith("https://"), name
        assert r.title, name
        assert Path(recipes.BUILTIN / f"{name}.yaml").is_file()


def test_an_export_with_a_status_column_never_says_it_has_none(tmp_path):
    """An open ticket whose status says open: the report must not claim that no status column was
    read (it was; nothing was inferred)."""
    path = tmp_path / "explore.csv"
    lines = (HERE / "zendesk-explore.csv").read_text().splitlines()
    path.write_text("\n".join([lines[0], lines[3].replace("2025-03-05T10:00:00", "")]) + "\n")
    store = Store(tmp_path / "store")
    store.add_terms(parse_terms(DOC))
    recipe = recipes.load("zendesk-explore")
    rep = ingest(store, path, recipe.profile, tz="UTC", contract="R", options=recipe.options())
    assert rep.loaded_rows == 1, rep.text()
    assert not [n for n in rep.notes if n.startswith("no status or close-time column")]


@pytest.mark.parametrize(
    ("cell", "path", "read"),
    [
        # JSM's request fields: the item whose fieldId is priority, then into its value
        (
            '[{"fieldId": "summary", "value": "x"}, {"fieldId": "Priority", '
            '"value": {"name": "High", "id": "2"}}]',
            "f[fieldId=priority].value.name",
            "High",
        ),
        ('[{"fieldId": "summary", "value": "x"}]', "f[fieldId=priority].value.name", None),
        (
            '[{"name": "TTFR", "cycles": [{"stop": "09:40"}]}]',
            "f[name=ttfr].cycles.0.stop",
            "09:40",
        ),
        ('[{"name": "TTFR", "cycles": []}]', "f[name=TTFR].cycles.0.stop", None),
        ('{"not": "a list"}', "f[name=x].y", None),
        ("not json", "f[name=x].y", None),
        (None, "f[name=x].y", None),
        ('[{"k": "a", "v": {"deep": 1}}]', "f[k=a].v", '{"deep": 1}'),
    ],
)
def test_a_selector_reads_the_matching_item_of_a_list(cell, path, read):
    from sla_engine.ingest.profiles.selectors import with_selected

    df = pd.DataFrame({"F": pd.Series([cell], dtype="string")})
    out, notes = with_selected(df, [path])
    got = out[path].iloc[0]
    assert (None if pd.isna(got) else got) == read
    assert notes[0].endswith(f"({0 if read is None else 1} of 1 records hold one)")


def test_a_selector_whose_list_is_not_in_the_file_is_refused_by_its_name(tmp_path):
    path = tmp_path / "requests.json"
    record = {"issueKey": "HD-1", "createdDate": {"iso8601": "2025-03-03T09:00:00+0000"}}
    path.write_text(json.dumps({"values": [record]}))
    store = Store(tmp_path / "store")
    store.add_terms(parse_terms(DOC))
    recipe = recipes.load("jsm-servicedesk-requests")
    from sla_engine.errors import IngestError

    # not exported with expand=status: the list of changes is named, with what to do
    with pytest.raises(IngestError, match=r"the list 'status.values', which is not in the file"):
        ingest(store, path, recipe.profile, contract="R", options=recipe.options())
    record["status"] = {"values": []}
    path.write_text(json.dumps({"values": [record]}))
    with pytest.raises(IngestError, match=r"requestFieldValues\[fieldId=priority\]"):
        ingest(store, path, recipe.profile, contract="R", options=recipe.options())


def test_a_recipe_reading_changes_from_the_records_refuses_a_second_file(tmp_path):
    store = Store(tmp_path / "store")
    store.add_terms(parse_terms(DOC))
    recipe = recipes.load("jsm-servicedesk-requests")
    from sla_engine.errors import IngestError

    with pytest.raises(IngestError, match="leave the second file out"):
        ingest(
            store,
            HERE / "jsm-servicedesk-requests.json",
            recipe.profile,
            contract="R",
            history=HERE / "zendesk-ticket-events.json",
            options=recipe.options(),
        )


def test_keyed_changes_with_none_of_their_columns_are_refused_naming_them():
    from sla_engine.errors import IngestError
    from sla_engine.ingest.profiles.companions import long_history

    h = pd.DataFrame(
        {
            "ticket_id": ["901"],
            "created_at": ["2025-03-03T09:00:00Z"],
            "child_events": ['[{"comment_present": true, "event_type": "Comment"}]'],
        }
    ).astype("string")
    shape = recipes.load("zendesk-ticket-events").history.model_dump()
    with pytest.raises(IngestError, match="child_events.status, child_events.priority"):
        long_history(h, "events.json", shape, "zendesk", {})


def test_severity_codes_are_read_by_the_recipes_names_and_the_report_counts_them(tmp_path):
    store = Store(tmp_path / "store")
    store.add_terms(parse_terms(DOC))
    recipe = recipes.load("glpi-tickets")
    rep = ingest(
        store,
        HERE / "glpi-tickets.json",
        recipe.profile,
        tz="UTC",
        routing=ROUTES,
        options=recipe.options(),
    )
    assert "3 severities written as codes, read by the recipe's names" in rep.text()
    assert "4 = high" in rep.text()


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_the_preview_says_when_the_status_history_decides_the_resolution(tmp_path, engine):
    """Zendesk audits carry no solved_at: ticket 901's resolution is its history's, which only
    the evaluation reads under the contract's resolved statuses; the preview says so rather than
    showing it unresolved."""
    from contracts.adapters.unit_of_work import UnitOfWork
    from flows.ingest import BY_HISTORY, unmapped

    store = Store(tmp_path / "store")
    store.add_terms(parse_terms(DOC))
    recipe = recipes.load("zendesk-audits")
    seen = unmapped(
        store,
        UnitOfWork(engine),
        HERE / "zendesk-tickets.json",
        recipe.profile,
        contract="R",
        history=HERE / "zendesk-audits.json",
        options=recipe.options(),
    ).preview.set_index("ticket")
    assert seen.loc["901", "resolved"] == BY_HISTORY
    plain = recipes.load("hubspot-tickets")
    seen = unmapped(
        store,
        UnitOfWork(engine),
        HERE / "hubspot-tickets.json",
        plain.profile,
        contract="R",
        options=plain.options(),
    ).preview.set_index("ticket")
    assert seen.loc["5001", "resolved"] == "2025-03-03 12:00 UTC"
    assert seen.loc["5003", "resolved"] == ""
