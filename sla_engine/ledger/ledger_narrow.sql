-- An incremental ledger build judges only: the tickets whose facts this generation changed or added
-- (`changed`), the tickets still open in the previous ledger (`prev_live`), and every ticket of a
-- contract whose terms changed (`retermed`). The evaluation's inputs are narrowed to those tickets.
CREATE OR REPLACE TEMP TABLE judge_keys AS
SELECT contract_id, ticket_id FROM changed
UNION
SELECT contract_id, ticket_id FROM prev_live;

CREATE OR REPLACE TEMP TABLE judge_tickets AS
WITH changed_or_open AS (
    SELECT t.* FROM tickets t SEMI JOIN judge_keys k USING (contract_id, ticket_id)
), retermed_contract AS (
    SELECT t.* FROM tickets t WHERE t.contract_id IN (SELECT contract_id FROM retermed)
)
SELECT * FROM changed_or_open
UNION
SELECT * FROM retermed_contract;

CREATE OR REPLACE TEMP TABLE judge_status_log AS
SELECT s.* FROM status_log s SEMI JOIN judge_tickets t USING (tid);

CREATE OR REPLACE TEMP TABLE judge_severity_log AS
SELECT s.* FROM severity_log s SEMI JOIN judge_tickets t USING (tid);

-- what the latest-fact scan reads (the evaluation itself reads them chunk by chunk)
CREATE OR REPLACE TEMP VIEW tickets AS SELECT * FROM judge_tickets;
CREATE OR REPLACE TEMP VIEW status_log AS SELECT * FROM judge_status_log;
CREATE OR REPLACE TEMP VIEW severity_log AS SELECT * FROM judge_severity_log;
