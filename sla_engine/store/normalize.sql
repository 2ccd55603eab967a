-- Derive the engine's relations from base tickets `t_in` and change events `e_in`.
-- t_in(contract_id, ticket_id, severity, created_us, first_response_us, resolved_us)
-- e_in(contract_id, ticket_id, changed_us, field, value, seq)
-- tid numbers the tickets in (contract_id, ticket_id) order from tid_base + 1 (a small batch's layer
-- numbers its tickets above every earlier tid: gen_files.py), and n_t holds them in that order: a
-- table made from a sorted query keeps its rows in that order and row_number() OVER () follows the
-- table's order (DuckDB's order preservation), so n_t is written in key order without a second sort
CREATE OR REPLACE TEMP TABLE n_sorted AS SELECT * FROM t_in ORDER BY contract_id, ticket_id;
CREATE OR REPLACE TEMP TABLE n_t AS
SELECT row_number() OVER () + getvariable('tid_base') AS tid, * FROM n_sorted;
DROP TABLE n_sorted;

CREATE OR REPLACE TEMP TABLE status_log AS
SELECT t.tid, lower(trim(e.value)) AS status, e.changed_us AS start_us,
       lead(e.changed_us) OVER (PARTITION BY t.tid ORDER BY e.changed_us, e.seq) AS end_us
FROM e_in e JOIN n_t t USING (contract_id, ticket_id)
WHERE e.field = 'status';

-- severity over time: the ticket's severity at creation (its severity column, unless a history row
-- at or before creation says otherwise), then each later change at its own instant; repeats collapsed
CREATE OR REPLACE TEMP TABLE severity_log AS
WITH changes AS (
    SELECT t.tid, t.created_us, e.changed_us, e.seq, e.value AS severity
    FROM e_in e JOIN n_t t USING (contract_id, ticket_id)
    WHERE e.field = 'severity'
), before AS (  -- the last history row at or before creation, if any
    SELECT tid, severity,
           row_number() OVER (PARTITION BY tid ORDER BY changed_us DESC, seq DESC) AS r
    FROM changes WHERE changed_us <= created_us
), at_creation AS (
    SELECT t.tid, t.created_us AS start_us, coalesce(b.severity, t.severity) AS severity, 0 AS k
    FROM n_t t LEFT JOIN before b ON b.tid = t.tid AND b.r = 1
    WHERE t.tid IN (SELECT tid FROM changes)
), later AS (
    SELECT tid, changed_us AS start_us, severity,
           row_number() OVER (PARTITION BY tid ORDER BY changed_us, seq) AS k
    FROM changes WHERE changed_us > created_us
), ordered AS (
    SELECT tid, start_us, severity, lag(severity) OVER (PARTITION BY tid ORDER BY k) AS prev
    FROM (SELECT * FROM at_creation UNION ALL SELECT * FROM later)
)
SELECT tid, start_us, severity FROM ordered WHERE prev IS NULL OR prev <> severity;

CREATE OR REPLACE TEMP TABLE tickets AS
WITH last_sev AS (SELECT tid, arg_max(severity, start_us) AS severity, count(*) AS n FROM severity_log GROUP BY tid),
     has_status AS (SELECT DISTINCT tid FROM status_log)
SELECT t.tid, t.ticket_id, t.contract_id, coalesce(l.severity, t.severity) AS severity,
       t.created_us, t.first_response_us, t.resolved_us,
       (h.tid IS NOT NULL OR coalesce(l.n, 0) > 1) AS has_history
FROM n_t t
LEFT JOIN last_sev l USING (tid)
LEFT JOIN has_status h USING (tid);

-- only tickets whose severity changed need the severity log
DELETE FROM severity_log WHERE tid IN (SELECT tid FROM severity_log GROUP BY tid HAVING count(*) = 1);
-- n_t (t_in numbered by tid) stays: derive() drops it unless the caller writes from it
