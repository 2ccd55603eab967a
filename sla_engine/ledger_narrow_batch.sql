-- An incremental ledger build right after an ingest judges the same tickets as ledger_narrow.sql,
-- without looking for them among the generation's: the ingest hands over the rows of the tickets
-- its batch loaded or updated (batch_*, numbered as in this generation), and the previous ledger's
-- open tickets that the batch did not touch have the same facts as when that ledger was built
-- (live_*). Those are numbered after the batch's, so every judged ticket has its own tid.
CREATE OR REPLACE TEMP TABLE changed AS SELECT contract_id, ticket_id FROM batch_tickets;

CREATE OR REPLACE TEMP TABLE still_open AS
SELECT l.tid AS old_tid,
       (SELECT coalesce(max(tid), 0) FROM batch_tickets) + row_number() OVER (ORDER BY l.tid) AS tid
FROM live_tickets l ANTI JOIN changed c USING (contract_id, ticket_id);

CREATE OR REPLACE TEMP TABLE judge_tickets AS
SELECT * FROM batch_tickets
UNION ALL BY NAME
SELECT l.* REPLACE (s.tid AS tid) FROM live_tickets l JOIN still_open s ON s.old_tid = l.tid;

CREATE OR REPLACE TEMP TABLE judge_status_log AS
SELECT * FROM batch_status_log
UNION ALL BY NAME
SELECT l.* REPLACE (s.tid AS tid) FROM live_status_log l JOIN still_open s ON s.old_tid = l.tid;

CREATE OR REPLACE TEMP TABLE judge_severity_log AS
SELECT * FROM batch_severity_log
UNION ALL BY NAME
SELECT l.* REPLACE (s.tid AS tid) FROM live_severity_log l JOIN still_open s ON s.old_tid = l.tid;

-- what the latest-fact scan reads (the evaluation itself reads them chunk by chunk)
CREATE OR REPLACE TEMP VIEW tickets AS SELECT * FROM judge_tickets;
CREATE OR REPLACE TEMP VIEW status_log AS SELECT * FROM judge_status_log;
CREATE OR REPLACE TEMP VIEW severity_log AS SELECT * FROM judge_severity_log;
