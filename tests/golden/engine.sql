-- Named constants and the business-time lookup the rulebook (evaluate.sql) is written in.
-- Instants are UTC epoch microseconds.
CREATE OR REPLACE TEMP MACRO us_per_second() AS 1000000;
CREATE OR REPLACE TEMP MACRO us_per_minute() AS 60000000;
CREATE OR REPLACE TEMP MACRO us_per_hour() AS 3600000000;

-- the evaluation instant: nothing after it is known (SET VARIABLE as_of, bound by the caller)
CREATE OR REPLACE TEMP MACRO as_of() AS getvariable('as_of');
-- an instant recorded in the data, if it has happened by the evaluation instant
CREATE OR REPLACE TEMP MACRO known(t) AS CASE WHEN t <= getvariable('as_of') THEN t END;

-- Business time before t is read from t's UTC hour row k (1-based) of t_cal_l:
--   q[k]   = cum_seconds << 2 | kind   (kind 0 = closed hour, 1 = open all hour, 2 = partly open)
--   seg[k] = s1 << 18 | e1 << 12 | s2 << 6 | e2   (minutes 0..60; read only for partly open hours)
-- Bounds in minutes are exact: business windows start and end on whole local minutes and UTC offsets
-- are whole minutes (checked when the table is built). Most hours are closed or open all hour, so the
-- common case is one lookup, a shift and a modulo.
CREATE OR REPLACE TEMP MACRO hour_row(cal_base, t) AS cal_base + t // us_per_hour() + 1;
CREATE OR REPLACE TEMP MACRO open_part(o, p, shift_s, shift_e) AS
    greatest(0, least(o, ((p >> shift_e) & 63) * us_per_minute()) - ((p >> shift_s) & 63) * us_per_minute());
-- business microseconds before t, from its hour's q and seg values
CREATE OR REPLACE TEMP MACRO business_before_hour(t, q, s) AS
    (q >> 2) * us_per_second() + CASE q & 3 WHEN 0 THEN 0 WHEN 1 THEN t % us_per_hour()
        ELSE open_part(t % us_per_hour(), s, 18, 12) + open_part(t % us_per_hour(), s, 6, 0) END;
CREATE OR REPLACE TEMP MACRO business_before_at(t, q, k, seg) AS business_before_hour(t, q, seg[k]);
-- business microseconds before t in the calendar whose hours start at cal_base
CREATE OR REPLACE TEMP MACRO business_before(t, cal_base, q, seg) AS
    business_before_at(t, q[hour_row(cal_base, t)], hour_row(cal_base, t), seg);
-- the time a clock counts between a and b: business time on a business clock, all of it on 24x7
CREATE OR REPLACE TEMP MACRO clock_time(business, a, b, cal_base, q, seg) AS
    CASE WHEN business THEN business_before(b, cal_base, q, seg) - business_before(a, cal_base, q, seg)
         ELSE b - a END;
-- met: under the target, or equal to it where the terms say equal is met; an open metric is breached
-- only once it has passed the target (NULL = still running, not yet judged)
CREATE OR REPLACE TEMP MACRO verdict(done, elapsed, target, met_when_equal) AS
    CASE WHEN done THEN (elapsed < target OR (met_when_equal AND elapsed = target))
         WHEN elapsed > target OR (NOT met_when_equal AND elapsed = target) THEN false END;

-- evaluate.sql --
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
-- The rulebook's rules for tickets with a status and/or severity history, as CTEs that
-- evaluate.sql judges with and explain.sql draws from (included by `-- @include rulebook_history`,
-- sqlfiles.sql): each rule written once.
--   history_terms_in_force  the terms version in force when the ticket was created
--   statuses                each status span known by now, with what the terms make of it
--   resolution              start of the last unbroken run of resolved statuses (a reopen voids
--                           an earlier resolution)
--   first_response          the history's resolution wins over the export's; the response
--                           defaults to it
--   severity                the severity in force for each metric, and the instant its clock
--                           starts ('from_change': that severity's change; 'retroactive': creation)
--   excluded_spans          time not counted, with its reason: 'pause' (the status) or
--                           'reopened' (time resolved before a reopen)
--   pauses                  excluded time inside each metric's window, on that metric's clock
--   paused_now              tickets whose current status is one the terms pause (no breach
--                           instant while it lasts: the timeline, at-risk and alerts)
history_terms_in_force AS (
    SELECT t.tid, t.severity, t.created_us, x.terms_key, x.contract_id, x.cal_base, x.met_when_equal, x.retro,
           known(t.first_response_us) AS fr_us,
           known(t.resolved_us) AS rs_us
    FROM tickets t
    JOIN (SELECT DISTINCT terms_key, contract_id, from_us, to_us, cal_base, met_when_equal, retro FROM t_tiers) x
      ON x.contract_id = t.contract_id AND t.created_us >= x.from_us AND t.created_us < x.to_us
    WHERE t.has_history AND t.created_us <= as_of()
),
statuses AS (  -- each status span known by now, with what the terms make of it (pause, resolved, or none)
    SELECT s.tid, s.status, s.start_us, known(s.end_us) AS end_us, k.kind
    FROM status_log s
    JOIN history_terms_in_force h ON h.tid = s.tid
    LEFT JOIN t_status k ON k.terms_key = h.terms_key AND k.status = s.status
    WHERE s.start_us <= as_of()
),
resolution AS (  -- start of the last unbroken run of resolved statuses, when the ticket is resolved now
    SELECT tid,
           CASE WHEN bool_or(end_us IS NULL AND kind = 'resolved')
                THEN coalesce(max(end_us) FILTER (WHERE kind IS DISTINCT FROM 'resolved'), min(start_us))
           END AS res_us,
           bool_or(kind = 'resolved') AS has_res
    FROM statuses GROUP BY tid
),
first_response AS (  -- the status history's resolution wins over the export's; the response defaults to it
    SELECT h.*,
           CASE WHEN r.has_res THEN r.res_us ELSE h.rs_us END AS res_end,
           coalesce(h.fr_us, CASE WHEN r.has_res THEN r.res_us ELSE h.rs_us END) AS resp_end
    FROM history_terms_in_force h LEFT JOIN resolution r ON r.tid = h.tid
),
severity_changes AS (  -- the severity in force when each metric completed (or now), and since when
    SELECT f.tid,
           arg_max(v.severity, v.start_us) FILTER (WHERE v.start_us <= coalesce(f.resp_end, as_of())) AS resp_sev,
           max(v.start_us) FILTER (WHERE v.start_us <= coalesce(f.resp_end, as_of())) AS resp_since,
           arg_max(v.severity, v.start_us) FILTER (WHERE v.start_us <= coalesce(f.res_end, as_of())) AS res_sev,
           max(v.start_us) FILTER (WHERE v.start_us <= coalesce(f.res_end, as_of())) AS res_since
    FROM first_response f JOIN severity_log v ON v.tid = f.tid
    GROUP BY f.tid
),
severity AS (  -- 'retroactive' terms, or no change: the final severity (tickets.severity), clocks from creation
    SELECT f.tid, f.terms_key, f.contract_id, f.created_us, f.cal_base, f.met_when_equal,
           f.resp_end, f.res_end,
           CASE WHEN f.retro OR c.tid IS NULL THEN f.severity ELSE c.resp_sev END AS resp_sev,
           CASE WHEN f.retro OR c.tid IS NULL THEN f.severity ELSE c.res_sev END AS res_sev,
           CASE WHEN f.retro OR c.tid IS NULL THEN f.created_us ELSE c.resp_since END AS resp_start,
           CASE WHEN f.retro OR c.tid IS NULL THEN f.created_us ELSE c.res_since END AS res_start,
           coalesce(f.resp_end, as_of()) AS resp_eval,
           coalesce(f.res_end, as_of()) AS res_eval
    FROM first_response f LEFT JOIN severity_changes c ON c.tid = f.tid
),
tiers AS (  -- each metric's tier, target and clock
    SELECT s.*,
           a.tier_key AS resp_tier_key, a.resp_us AS resp_target, a.business AS resp_business,
           b.tier_key AS res_tier_key, b.res_us AS res_target, b.business AS res_business
    FROM severity s
    JOIN t_tiers a ON a.terms_key = s.terms_key AND a.severity = s.resp_sev
    JOIN t_tiers b ON b.terms_key = s.terms_key AND b.severity = s.res_sev
),
excluded_spans AS (  -- pauses, and time spent resolved before a reopen
    SELECT s.tid, s.start_us AS a, coalesce(s.end_us, as_of()) AS b, s.status,
           CASE WHEN s.kind = 'pause' THEN 'pause' ELSE 'reopened' END AS reason
    FROM statuses s JOIN resolution r ON r.tid = s.tid
    WHERE s.kind = 'pause' OR (s.kind = 'resolved' AND (r.res_us IS NULL OR s.start_us < r.res_us))
),
paused_spans AS (  -- each excluded span clipped to each metric's window
    SELECT e.tid, k.cal_base,
           greatest(e.a, k.resp_start) AS ra, least(e.b, k.resp_eval) AS rb, k.resp_business,
           greatest(e.a, k.res_start) AS sa, least(e.b, k.res_eval) AS sb, k.res_business
    FROM excluded_spans e JOIN tiers k ON k.tid = e.tid
),
pauses AS (  -- excluded time inside each metric's window, on that metric's clock
    SELECT p.tid,
           sum(CASE WHEN rb <= ra THEN 0 ELSE clock_time(resp_business, ra, rb, cal_base, L.q, L.seg) END)
               AS resp_ex,
           sum(CASE WHEN sb <= sa THEN 0 ELSE clock_time(res_business, sa, sb, cal_base, L.q, L.seg) END)
               AS res_ex
    FROM paused_spans p CROSS JOIN t_cal_l L
    GROUP BY p.tid
),
paused_now AS (
    SELECT DISTINCT tid FROM statuses WHERE kind = 'pause' AND end_us IS NULL
),
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
