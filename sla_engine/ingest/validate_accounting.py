"""Every input row accounted for: the quarantine entries of a validation (each row under the first
rule it broke, with its column) and the kept rows, each with its ticket; the rows of a ticket that
did not survive go with it."""

from __future__ import annotations

import duckdb
import pandas as pd

from sla_engine.ingest.validate_rules import (
    DUPLICATE_REASON,
    EVENT_RULES,
    IDENTITY_RULES,
    LOST_REASON,
    TICKET_RULES,
    reason_of,
    value_of,
)
from sla_engine.ingest.validate_times import TIME_FIELDS
from sla_engine.sqlfiles import fetch


def account_rows(con: duckdb.DuckDBPyConnection, rows_are_tickets: bool) -> None:
    """q_all: every quarantine entry (grp 0 the main file, 1 the history file), numbered by the
    rule it broke; v_rows: the input rows kept, each with its ticket."""
    hist = "CASE WHEN getvariable('history_file') THEN 1 ELSE 0 END"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE v_q_all AS
        WITH broken AS (
            SELECT 0 AS grp, id_rule AS rule_no, _pos AS pos, _row AS row,
                   {reason_of(IDENTITY_RULES).replace("rule_no", "id_rule")} AS reason,
                   ({value_of(IDENTITY_RULES).replace("rule_no", "id_rule")})::VARCHAR AS value
            FROM v_t1 WHERE id_rule IS NOT NULL
            UNION ALL
            SELECT 0, {len(IDENTITY_RULES)}, t._pos, t._row, {DUPLICATE_REASON}, t.ticket_id
            FROM v_t1s t JOIN (
                SELECT ticket_id, array_to_string(list(_row ORDER BY _pos)[1:5], ', ') AS dup_rows
                FROM v_t1s WHERE id_rule IS NULL AND dup GROUP BY ticket_id
            ) d USING (ticket_id)
            WHERE t.id_rule IS NULL AND t.dup
            UNION ALL
            SELECT 0, v_t4.rule_no, v_t4._pos, v_t4._row,
                   {reason_of(TICKET_RULES, len(IDENTITY_RULES) + 1)},
                   ({value_of(TICKET_RULES, len(IDENTITY_RULES) + 1)})::VARCHAR
            FROM v_t4
            JOIN (SELECT _pos, severity, {", ".join(TIME_FIELDS)} FROM v_t1) x USING (_pos)
            WHERE v_t4.rule_no IS NOT NULL
            UNION ALL
            SELECT {hist}, v_e2.rule_no, v_e2._pos, v_e2._row, {reason_of(EVENT_RULES, 100)},
                   ({value_of(EVENT_RULES, 100)})::VARCHAR
            FROM v_e2 JOIN (SELECT _pos, changed_at FROM v_e1) x USING (_pos)
            WHERE v_e2.rule_no IS NOT NULL
        )
        SELECT CASE WHEN k = 1 THEN {hist} ELSE 0 END AS grp, -2 + k AS rule_no,
               row_number() OVER () AS pos, row, "column", reason,
               (SELECT rule FROM v_rule_columns WHERE no = -1) AS rule, NULL::VARCHAR AS value
        FROM v_rejected
        UNION ALL
        SELECT b.grp, b.rule_no, b.pos, b.row, c.name, b.reason, c.rule, b.value
        FROM broken b JOIN v_rule_columns c ON c.no = b.rule_no"""
    )
    if rows_are_tickets:
        con.execute(
            "CREATE OR REPLACE TEMP VIEW v_rows AS SELECT _row, ticket_id, contract_id, _pos"
            " FROM v_tickets"
        )
        return
    # the rows of tickets that did not survive go too (every row accounted for)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE v_rows0 AS
        WITH kept AS (SELECT ticket_id, any_value(contract_id) AS contract_id
                      FROM v_tickets GROUP BY ticket_id),
             taken AS (SELECT DISTINCT row FROM v_q_all WHERE grp = 0),
             cells AS (SELECT _pos, _row, py_strip(ticket_id) AS ticket_id FROM _ex_rows)
        -- a row is its ticket's own row where it is one (an id may be kept in two contracts),
        -- else it belongs to the ticket of its id
        SELECT r._pos, r._row, r.ticket_id, coalesce(own.contract_id, k.contract_id) AS contract_id,
               k.ticket_id IS NOT NULL AS kept, t.row IS NOT NULL AS taken
        FROM cells r LEFT JOIN kept k USING (ticket_id)
        LEFT JOIN v_tickets own ON own._row = r._row AND own.ticket_id = r.ticket_id
        LEFT JOIN taken t ON t.row = r._row"""
    )
    con.execute(
        f"""INSERT INTO v_q_all
        SELECT 0, 1000, _pos, _row, (SELECT name FROM v_rule_columns WHERE no = 1000),
               '{LOST_REASON}', (SELECT rule FROM v_rule_columns WHERE no = 1000), ticket_id
        FROM v_rows0 WHERE NOT kept AND NOT taken AND NOT getvariable('history_file')"""
    )
    con.execute(
        "CREATE OR REPLACE TEMP VIEW v_rows AS SELECT _row, ticket_id, contract_id, _pos"
        " FROM v_rows0 WHERE kept AND NOT taken"
    )


def quarantine_table(
    con: duckdb.DuckDBPyConnection, file: str, history_file: str | None
) -> pd.DataFrame:
    """One entry per (file, row): the first rule the row broke; the main file's rows first."""
    con.execute("SET VARIABLE main_file = ?", [file])
    con.execute("SET VARIABLE hist_file = ?", [history_file or file])
    con.execute(
        """CREATE OR REPLACE TEMP TABLE v_quarantine AS
        SELECT grp, CASE WHEN grp = 1 THEN getvariable('hist_file') ELSE getvariable('main_file')
               END AS file, row, arg_min("column", (rule_no, pos)) AS "column",
               arg_min(reason, (rule_no, pos)) AS reason,
               arg_min(rule, (rule_no, pos)) AS rule, arg_min(value, (rule_no, pos)) AS value
        FROM v_q_all GROUP BY grp, row"""
    )
    out = fetch(
        con,
        'SELECT file, row, "column", reason, rule, value FROM v_quarantine ORDER BY grp, file, row',
    )
    return out.astype(
        {
            "file": object,
            "row": "int64",
            "column": object,
            "reason": object,
            "rule": object,
            "value": object,
        }
    )
