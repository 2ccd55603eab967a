-- Each metric's clock for tickets with a history, as the rulebook sets it: the instant it starts
-- (creation, or under 'from_change' the change to the severity in force when the metric
-- completed), the time excluded inside its window, and whether the ticket is paused now (its
-- current status is one the terms pause). Tickets without a history start at creation, exclude
-- nothing and are never paused. Rules in rulebook_history.sql.
WITH
-- @include rulebook_history
clocks AS (
    SELECT k.tid, k.resp_start, k.res_start,
           coalesce(p.resp_ex, 0)::BIGINT AS resp_ex, coalesce(p.res_ex, 0)::BIGINT AS res_ex,
           n.tid IS NOT NULL AS paused_now
    FROM tiers k
    LEFT JOIN pauses p ON p.tid = k.tid
    LEFT JOIN paused_now n ON n.tid = k.tid
)
SELECT * FROM clocks
