-- Tickets paused at the evaluation instant: their current status is one the terms in force pause
-- (rulebook_history.sql's statuses, the same the evaluation excludes). An open metric of such a
-- ticket has no breach instant while it stays paused (at_risk.py, alerts).
WITH
-- @include rulebook_history
named AS (
    SELECT t.contract_id, t.ticket_id, true AS paused_now FROM paused_now JOIN tickets t USING (tid)
)
SELECT * FROM named
