-- Per-ticket SLA evaluation. Inputs (views or tables, all times in UTC epoch microseconds):
--   tickets(tid, ticket_id, contract_id, severity, created_us, first_response_us, resolved_us, has_history)
--   status_log(tid, status, start_us, end_us)      -- lower-cased status, end NULL = current
--   severity_log(tid, start_us, severity)         -- tier names; first row is the initial severity
--   t_terms(terms_id, contract_id, from_us, to_us, cal_base, met_when_equal, retro)
--   t_tiers(terms_id, severity, resp_us, res_us, business, target_pct)
--   t_status(terms_id, status, kind)               -- kind 'pause' | 'resolved'
--   t_cal(ckey, cum_us, s1, e1, s2, e2, offset_us) -- ckey = cal_base + UTC hour number
-- Variable as_of (SET VARIABLE, bound by the caller): evaluation instant; nothing after it is known.
-- cum(t): business microseconds before t = cum at t's hour + business part of the hour before t.
WITH
tk AS (
    SELECT t.tid, t.ticket_id, t.contract_id, t.severity, t.created_us, t.has_history,
           CASE WHEN t.first_response_us <= getvariable('as_of') THEN t.first_response_us END AS fr_us,
           CASE WHEN t.resolved_us <= getvariable('as_of') THEN t.resolved_us END AS rs_us,
           m.terms_id, m.cal_base, m.met_when_equal, m.retro
    FROM tickets t
    JOIN t_terms m
      ON t.contract_id = m.contract_id AND t.created_us >= m.from_us AND t.created_us < m.to_us
    WHERE t.created_us <= getvariable('as_of')
),
-- ---- status history (only tickets that have one) ----
st AS (
    SELECT s.tid, s.start_us,
           CASE WHEN s.end_us <= getvariable('as_of') THEN s.end_us END AS end_us,
           k.kind
    FROM status_log s
    JOIN tk ON tk.tid = s.tid
    LEFT JOIN t_status k ON k.terms_id = tk.terms_id AND k.status = s.status
    WHERE s.start_us <= getvariable('as_of')
),
hist AS (
    SELECT tid,
           CASE WHEN bool_or(end_us IS NULL AND kind = 'resolved')
                THEN coalesce(max(end_us) FILTER (WHERE kind IS DISTINCT FROM 'resolved'), min(start_us))
           END AS res_us,
           bool_or(kind = 'resolved') AS has_res
    FROM st GROUP BY tid
),
-- ---- per-ticket completion instants: the status history decides resolution when it has resolved statuses ----
tk2 AS (
    SELECT tk.*,
           CASE WHEN h.has_res THEN h.res_us ELSE tk.rs_us END AS res_end,
           coalesce(tk.fr_us, CASE WHEN h.has_res THEN h.res_us ELSE tk.rs_us END) AS resp_end
    FROM tk LEFT JOIN hist h ON h.tid = tk.tid
),
-- ---- severity in force (only tickets with a severity history) ----
sv AS (
    SELECT tk2.tid,
           r.severity AS resp_sev, CASE WHEN tk2.retro THEN tk2.created_us ELSE r.start_us END AS resp_start,
           f.severity AS res_sev, CASE WHEN tk2.retro THEN tk2.created_us ELSE f.start_us END AS res_start
    FROM tk2
    ASOF JOIN severity_log r ON r.tid = tk2.tid AND r.start_us <= coalesce(tk2.resp_end, getvariable('as_of'))
    ASOF JOIN severity_log f ON f.tid = tk2.tid AND f.start_us <= coalesce(tk2.res_end, getvariable('as_of'))
    WHERE tk2.has_history
),
tk3 AS (
    SELECT tk2.tid, tk2.ticket_id, tk2.contract_id, tk2.severity, tk2.created_us, tk2.terms_id, tk2.cal_base,
           tk2.met_when_equal, tk2.resp_end, tk2.res_end,
           CASE WHEN tk2.retro OR sv.tid IS NULL THEN tk2.severity ELSE sv.resp_sev END AS resp_sev,
           CASE WHEN tk2.retro OR sv.tid IS NULL THEN tk2.severity ELSE sv.res_sev END AS res_sev,
           coalesce(sv.resp_start, tk2.created_us) AS resp_start,
           coalesce(sv.res_start, tk2.created_us) AS res_start,
           coalesce(tk2.resp_end, getvariable('as_of')) AS resp_eval,
           coalesce(tk2.res_end, getvariable('as_of')) AS res_eval
    FROM tk2 LEFT JOIN sv ON sv.tid = tk2.tid
),
-- ---- targets ----
tk4 AS (
    SELECT tk3.*,
           a.resp_us AS resp_target, a.business AS resp_business, a.target_pct AS resp_target_pct,
           b.res_us AS res_target, b.business AS res_business, b.target_pct AS res_target_pct
    FROM tk3
    LEFT JOIN t_tiers a ON a.terms_id = tk3.terms_id AND a.severity = tk3.resp_sev
    LEFT JOIN t_tiers b ON b.terms_id = tk3.terms_id AND b.severity = tk3.res_sev
),
-- ---- excluded intervals (pauses, and resolved time before a reopen), clipped per metric ----
ex AS (
    SELECT st.tid, st.start_us AS a, coalesce(st.end_us, getvariable('as_of')) AS b
    FROM st JOIN hist h ON h.tid = st.tid
    WHERE st.kind = 'pause' OR (st.kind = 'resolved' AND (h.res_us IS NULL OR st.start_us < h.res_us))
),
exc AS (
    SELECT ex.tid,
           greatest(ex.a, k.resp_start) AS ra, least(ex.b, k.resp_eval) AS rb, k.resp_business,
           greatest(ex.a, k.res_start) AS sa, least(ex.b, k.res_eval) AS sb, k.res_business,
           k.cal_base
    FROM ex JOIN tk4 k ON k.tid = ex.tid
),
exq AS (
    SELECT exc.tid,
           sum(CASE WHEN rb <= ra THEN 0
                    WHEN resp_business THEN cumv(rb, c1.cum_us, c1.s1, c1.e1, c1.s2, c1.e2) - cumv(ra, c2.cum_us, c2.s1, c2.e1, c2.s2, c2.e2) ELSE rb - ra END) AS resp_ex,
           sum(CASE WHEN sb <= sa THEN 0
                    WHEN res_business THEN cumv(sb, c3.cum_us, c3.s1, c3.e1, c3.s2, c3.e2) - cumv(sa, c4.cum_us, c4.s1, c4.e1, c4.s2, c4.e2) ELSE sb - sa END) AS res_ex
    FROM exc
    JOIN t_cal c1 ON c1.ckey = exc.cal_base + greatest(exc.rb, exc.ra) // 3600000000
    JOIN t_cal c2 ON c2.ckey = exc.cal_base + exc.ra // 3600000000
    JOIN t_cal c3 ON c3.ckey = exc.cal_base + greatest(exc.sb, exc.sa) // 3600000000
    JOIN t_cal c4 ON c4.ckey = exc.cal_base + exc.sa // 3600000000
    GROUP BY exc.tid
),
-- ---- elapsed ----
el AS (
    SELECT k.*,
           date_trunc('month', make_timestamp(k.created_us + cc.offset_us))::DATE AS month,
           (CASE WHEN k.resp_business THEN cumv(k.resp_eval, ce1.cum_us, ce1.s1, ce1.e1, ce1.s2, ce1.e2) - cumv(k.resp_start, cs1.cum_us, cs1.s1, cs1.e1, cs1.s2, cs1.e2)
                 ELSE k.resp_eval - k.resp_start END) - coalesce(q.resp_ex, 0) AS resp_el,
           (CASE WHEN k.res_business THEN cumv(k.res_eval, ce2.cum_us, ce2.s1, ce2.e1, ce2.s2, ce2.e2) - cumv(k.res_start, cs2.cum_us, cs2.s1, cs2.e1, cs2.s2, cs2.e2)
                 ELSE k.res_eval - k.res_start END) - coalesce(q.res_ex, 0) AS res_el,
           coalesce(q.res_ex, 0) AS paused
    FROM tk4 k
    JOIN t_cal cc ON cc.ckey = k.cal_base + k.created_us // 3600000000
    JOIN t_cal cs1 ON cs1.ckey = k.cal_base + k.resp_start // 3600000000
    JOIN t_cal ce1 ON ce1.ckey = k.cal_base + k.resp_eval // 3600000000
    JOIN t_cal cs2 ON cs2.ckey = k.cal_base + k.res_start // 3600000000
    JOIN t_cal ce2 ON ce2.ckey = k.cal_base + k.res_eval // 3600000000
    LEFT JOIN exq q ON q.tid = k.tid
)
SELECT ticket_id, contract_id, terms_id, res_sev AS severity, month, created_us,
       resp_end IS NOT NULL AS resp_done, resp_el, resp_target, resp_target_pct,
       CASE WHEN resp_target IS NULL THEN NULL
            WHEN resp_end IS NOT NULL THEN (resp_el < resp_target OR (met_when_equal AND resp_el = resp_target))
            WHEN resp_el > resp_target OR (NOT met_when_equal AND resp_el = resp_target) THEN false
       END AS resp_met,
       res_end IS NOT NULL AS res_done, res_el, res_target, res_target_pct,
       CASE WHEN res_target IS NULL THEN NULL
            WHEN res_end IS NOT NULL THEN (res_el < res_target OR (met_when_equal AND res_el = res_target))
            WHEN res_el > res_target OR (NOT met_when_equal AND res_el = res_target) THEN false
       END AS res_met,
       paused, resp_sev
FROM el
