-- What a ticket's timeline draws from its history: every span of time the rulebook does not count,
-- with its reason ('pause' in a status the terms pause, 'reopened' for time resolved before a
-- reopen). The rules are rulebook_history.sql's (the same CTEs evaluate.sql judges with);
-- timeline.py only cuts these spans and the calendar into segments.
WITH
-- @include rulebook_history
drawn AS (SELECT tid, a AS start_us, b AS end_us, reason, status FROM excluded_spans)
SELECT * FROM drawn ORDER BY tid, start_us
