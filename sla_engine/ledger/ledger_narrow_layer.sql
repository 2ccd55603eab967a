-- An incremental build over a small batch's generation: the previous generation's files plus one
-- layer, every ticket the batch did not change keeping its tid (gen_files.py). The tickets to
-- judge are the layer's own (changed or added) and the previous ledger's open ones the layer did
-- not replace or delete: read from the layer and from the previous ledger's copy of its open
-- tickets' rows (`prev_live_*`), never from the whole store. (With new terms for a contract the
-- whole contract is judged again: ledger_narrow.sql.)
CREATE OR REPLACE TEMP TABLE judge_tickets AS
SELECT * FROM layer_tickets
UNION ALL BY NAME
SELECT * FROM prev_live_tickets WHERE tid NOT IN (SELECT tid FROM layer_dropped);

CREATE OR REPLACE TEMP TABLE judge_status_log AS
SELECT * FROM layer_status_log
UNION ALL BY NAME
SELECT * FROM prev_live_status_log WHERE tid NOT IN (SELECT tid FROM layer_dropped);

CREATE OR REPLACE TEMP TABLE judge_severity_log AS
SELECT * FROM layer_severity_log
UNION ALL BY NAME
SELECT * FROM prev_live_severity_log WHERE tid NOT IN (SELECT tid FROM layer_dropped);

-- what the latest-fact scan reads (the evaluation itself reads them chunk by chunk)
CREATE OR REPLACE TEMP VIEW tickets AS SELECT * FROM judge_tickets;
CREATE OR REPLACE TEMP VIEW status_log AS SELECT * FROM judge_status_log;
CREATE OR REPLACE TEMP VIEW severity_log AS SELECT * FROM judge_severity_log;
