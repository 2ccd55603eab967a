-- The rulebook: how each ticket is judged against the SLA terms it was created under.
-- Inputs (views or tables; instants are UTC epoch microseconds):
--   tickets(tid, ticket_id, contract_id, severity, created_us, first_response_us, resolved_us, has_history)
--   status_log(tid, status, start_us, end_us)       -- lower-cased status; end NULL = current status
--   severity_log(tid, start_us, severity)          -- only tickets whose severity changed
--   t_tiers(tier_key, terms_key, contract_id, severity, from_us, to_us, cal_base, met_when_equal, retro,
--           resp_us, res_us, business, target_pct) -- one row per terms version x tier
--   t_status(terms_key, status, kind)               -- kind 'pause' | 'resolved'
--   t_cal_l(q, seg, off)                            -- the packed hourly calendars (macros.sql)
--   t_cal_rows(k, q, seg, off)                      -- the same, one row per hour k
-- The macros (as_of, known, clock_time, verdict, ...) live in macros.sql; the CTEs for tickets with a
-- history live in rulebook_history.sql (included below, and by the timeline's and at-risk's queries).
--
-- Rules, in the order the CTEs below apply them:
--   terms in force   a ticket is judged by the terms version in force, in the contract's zone, when it
--                    was created, and by the tier of its severity
--   resolution       the resolution instant of the export; with a status history, the start of the last
--                    unbroken run of resolved statuses (a reopen voids an earlier resolution)
--   first response   the first response instant, else the resolution (resolving answers the ticket)
--   severity         with a severity history, each metric uses the tier in force when it completed (or
--                    now), its clock starting at that severity change ('from_change'); 'retroactive'
--                    terms judge both metrics by the final severity, clocks from creation
--   pauses           time in a pause status, and time resolved before a reopen, is not counted
--   elapsed          the clock's time from start to completion (or now) minus the paused time
--   met              see the verdict macro: an open metric is breached once it passes its target
-- Output: tid, terms_key, month, resp_tier_key, res_tier_key, resp_at, res_at (when each metric completed,
--         NULL while pending), resp_done, resp_el, resp_met, res_done, res_el, res_met, paused.
WITH
-- ======== tickets without history (one severity, no pauses): most tickets, judged in one pass ========
plain_terms_in_force AS (
    SELECT t.tid, x.tier_key, x.terms_key, x.cal_base, x.business, x.met_when_equal, x.resp_us, x.res_us,
           t.created_us,
           known(t.resolved_us) AS res_end,
           coalesce(known(t.first_response_us), known(t.resolved_us)) AS resp_end  -- first response
    FROM tickets t
    JOIN t_tiers x
      ON x.contract_id = t.contract_id AND x.severity = t.severity
     AND t.created_us >= x.from_us AND t.created_us < x.to_us
    WHERE NOT t.has_history AND t.created_us <= as_of()
),
plain_hour_rows AS (  -- each instant's calendar row, looked up once
    SELECT p.*,
           coalesce(resp_end, as_of()) AS resp_eval,
           coalesce(res_end, as_of()) AS res_eval,
           hour_row(cal_base, created_us) AS k0,
           hour_row(cal_base, coalesce(resp_end, as_of())) AS k1,
           hour_row(cal_base, coalesce(res_end, as_of())) AS k2
    FROM plain_terms_in_force p
),
plain_lookups AS (  -- the three hours' rows (t_cal_rows holds the packed lists as rows; every
                    -- instant up to as_of() is inside the calendar span, so each hour is there)
    SELECT h.*, a.q AS q0, b.q AS q1, c.q AS q2, a.off AS off0, a.seg AS seg0, b.seg AS seg1,
           c.seg AS seg2
    FROM plain_hour_rows h
    JOIN t_cal_rows a ON a.k = h.k0
    JOIN t_cal_rows b ON b.k = h.k1
    JOIN t_cal_rows c ON c.k = h.k2
),
plain_elapsed AS (
    SELECT f.tid, f.terms_key,
           date_trunc('month', make_timestamp(f.created_us + f.off0))::DATE AS month,
           f.tier_key AS resp_tier_key, f.tier_key AS res_tier_key,
           f.resp_end AS resp_at, f.res_end AS res_at,
           f.resp_end IS NOT NULL AS resp_done,
           CASE WHEN f.business THEN business_before_hour(f.resp_eval, f.q1, f.seg1)
                                     - business_before_hour(f.created_us, f.q0, f.seg0)
                ELSE f.resp_eval - f.created_us END AS resp_el,
           f.resp_us AS resp_target,
           f.res_end IS NOT NULL AS res_done,
           CASE WHEN f.business THEN business_before_hour(f.res_eval, f.q2, f.seg2)
                                     - business_before_hour(f.created_us, f.q0, f.seg0)
                ELSE f.res_eval - f.created_us END AS res_el,
           f.res_us AS res_target,
           0::BIGINT AS paused, f.met_when_equal
    FROM plain_lookups f
),
-- ======== tickets with a status and/or severity history: the rules in rulebook_history.sql ========
-- @include rulebook_history
history_elapsed AS (
    SELECT k.tid, k.terms_key,
           date_trunc('month', make_timestamp(k.created_us + L.off[hour_row(k.cal_base, k.created_us)]))::DATE
               AS month,
           k.resp_tier_key, k.res_tier_key,
           k.resp_end AS resp_at, k.res_end AS res_at,
           k.resp_end IS NOT NULL AS resp_done,
           clock_time(k.resp_business, k.resp_start, k.resp_eval, k.cal_base, L.q, L.seg)
               - coalesce(p.resp_ex, 0) AS resp_el,
           k.resp_target,
           k.res_end IS NOT NULL AS res_done,
           clock_time(k.res_business, k.res_start, k.res_eval, k.cal_base, L.q, L.seg)
               - coalesce(p.res_ex, 0) AS res_el,
           k.res_target,
           coalesce(p.res_ex, 0)::BIGINT AS paused, k.met_when_equal
    FROM tiers k
    CROSS JOIN t_cal_l L
    LEFT JOIN pauses p ON p.tid = k.tid
),
elapsed AS (
    SELECT * FROM plain_elapsed
    UNION ALL
    SELECT * FROM history_elapsed
)
SELECT tid, terms_key, month, resp_tier_key, res_tier_key, resp_at, res_at,
       resp_done, resp_el, verdict(resp_done, resp_el, resp_target, met_when_equal) AS resp_met,
       res_done, res_el, verdict(res_done, res_el, res_target, met_when_equal) AS res_met,
       paused
FROM elapsed
