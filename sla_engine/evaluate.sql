-- Per-ticket SLA evaluation, narrow (integers only) so that 10M tickets stay fast.
-- Inputs (views or tables; times are UTC epoch microseconds):
--   tickets(tid, ticket_id, contract_id, severity, created_us, first_response_us, resolved_us, has_history)
--   status_log(tid, status, start_us, end_us)       -- lower-cased status; end NULL = current status
--   severity_log(tid, start_us, severity)          -- only tickets whose severity changed
--   t_tiers(tier_key, terms_key, contract_id, severity, from_us, to_us, cal_base, met_when_equal, retro,
--           resp_us, res_us, business, target_pct) -- one row per terms version x tier
--   t_status(terms_key, status, kind)               -- kind 'pause' | 'resolved'
--   t_cal_l(q, seg, off)                            -- one row: packed hourly calendar rows as lists,
--                                                   -- hour h of a calendar at index cal_base + h + 1
-- Variable as_of (SET VARIABLE, bound by the caller): nothing after it is known.
-- cum(t) = business microseconds before t; business time between a and b is cum(b) - cum(a).
-- Output: tid, terms_key, month, resp_tier_key, res_tier_key, resp_at, res_at (when each metric completed,
--         NULL while pending), resp_done, resp_el, resp_met, res_done, res_el, res_met, paused.
WITH
-- ======== fast path: tickets without history (one severity, no pauses) ========
f0 AS (
    SELECT t.tid, x.tier_key, x.terms_key, x.cal_base, x.business, x.met_when_equal, x.resp_us, x.res_us,
           t.created_us,
           CASE WHEN t.resolved_us <= getvariable('as_of') THEN t.resolved_us END AS res_end,
           coalesce(CASE WHEN t.first_response_us <= getvariable('as_of') THEN t.first_response_us END,
                    CASE WHEN t.resolved_us <= getvariable('as_of') THEN t.resolved_us END) AS resp_end
    FROM tickets t
    JOIN t_tiers x
      ON x.contract_id = t.contract_id AND x.severity = t.severity
     AND t.created_us >= x.from_us AND t.created_us < x.to_us
    WHERE NOT t.has_history AND t.created_us <= getvariable('as_of')
),
f1 AS (
    SELECT f0.*,
           coalesce(resp_end, getvariable('as_of')) AS resp_eval,
           coalesce(res_end, getvariable('as_of')) AS res_eval,
           cal_base + created_us // 3600000000 + 1 AS k0,
           cal_base + coalesce(resp_end, getvariable('as_of')) // 3600000000 + 1 AS k1,
           cal_base + coalesce(res_end, getvariable('as_of')) // 3600000000 + 1 AS k2
    FROM f0
),
f2 AS (
    SELECT f.*, L.q[f.k0] AS q0, L.q[f.k1] AS q1, L.q[f.k2] AS q2, L.off[f.k0] AS off0, L.seg
    FROM f1 f CROSS JOIN t_cal_l L
),
fast AS (
    SELECT f.tid, f.terms_key,
           date_trunc('month', make_timestamp(f.created_us + f.off0))::DATE AS month,
           f.tier_key AS resp_tier_key, f.tier_key AS res_tier_key,
           f.resp_end AS resp_at, f.res_end AS res_at,
           f.resp_end IS NOT NULL AS resp_done,
           CASE WHEN f.business THEN cumq(f.resp_eval, f.q1, f.k1, f.seg) - cumq(f.created_us, f.q0, f.k0, f.seg)
                ELSE f.resp_eval - f.created_us END AS resp_el,
           f.resp_us AS resp_target,
           f.res_end IS NOT NULL AS res_done,
           CASE WHEN f.business THEN cumq(f.res_eval, f.q2, f.k2, f.seg) - cumq(f.created_us, f.q0, f.k0, f.seg)
                ELSE f.res_eval - f.created_us END AS res_el,
           f.res_us AS res_target,
           0::BIGINT AS paused, f.met_when_equal
    FROM f2 f
),
-- ======== history path: status and/or severity history ========
hk AS (
    SELECT t.tid, t.severity, t.created_us, x.terms_key, x.contract_id, x.cal_base, x.met_when_equal, x.retro,
           CASE WHEN t.first_response_us <= getvariable('as_of') THEN t.first_response_us END AS fr_us,
           CASE WHEN t.resolved_us <= getvariable('as_of') THEN t.resolved_us END AS rs_us
    FROM tickets t
    JOIN (SELECT DISTINCT terms_key, contract_id, from_us, to_us, cal_base, met_when_equal, retro FROM t_tiers) x
      ON x.contract_id = t.contract_id AND t.created_us >= x.from_us AND t.created_us < x.to_us
    WHERE t.has_history AND t.created_us <= getvariable('as_of')
),
st AS (
    SELECT s.tid, s.start_us,
           CASE WHEN s.end_us <= getvariable('as_of') THEN s.end_us END AS end_us,
           k.kind
    FROM status_log s
    JOIN hk ON hk.tid = s.tid
    LEFT JOIN t_status k ON k.terms_key = hk.terms_key AND k.status = s.status
    WHERE s.start_us <= getvariable('as_of')
),
-- final resolution = start of the last unbroken run of resolved statuses, when the history has any
hist AS (
    SELECT tid,
           CASE WHEN bool_or(end_us IS NULL AND kind = 'resolved')
                THEN coalesce(max(end_us) FILTER (WHERE kind IS DISTINCT FROM 'resolved'), min(start_us))
           END AS res_us,
           bool_or(kind = 'resolved') AS has_res
    FROM st GROUP BY tid
),
hk2 AS (
    SELECT hk.*,
           CASE WHEN h.has_res THEN h.res_us ELSE hk.rs_us END AS res_end,
           coalesce(hk.fr_us, CASE WHEN h.has_res THEN h.res_us ELSE hk.rs_us END) AS resp_end
    FROM hk LEFT JOIN hist h ON h.tid = hk.tid
),
-- severity in force when each metric completed (or now), and since when
sv AS (
    SELECT hk2.tid,
           arg_max(r.severity, r.start_us) FILTER (WHERE r.start_us <= coalesce(hk2.resp_end, getvariable('as_of'))) AS resp_sev,
           max(r.start_us) FILTER (WHERE r.start_us <= coalesce(hk2.resp_end, getvariable('as_of'))) AS resp_since,
           arg_max(r.severity, r.start_us) FILTER (WHERE r.start_us <= coalesce(hk2.res_end, getvariable('as_of'))) AS res_sev,
           max(r.start_us) FILTER (WHERE r.start_us <= coalesce(hk2.res_end, getvariable('as_of'))) AS res_since
    FROM hk2 JOIN severity_log r ON r.tid = hk2.tid
    GROUP BY hk2.tid
),
hk3 AS (
    SELECT hk2.tid, hk2.terms_key, hk2.contract_id, hk2.created_us, hk2.cal_base, hk2.met_when_equal,
           hk2.resp_end, hk2.res_end,
           CASE WHEN hk2.retro OR sv.tid IS NULL THEN hk2.severity ELSE sv.resp_sev END AS resp_sev,
           CASE WHEN hk2.retro OR sv.tid IS NULL THEN hk2.severity ELSE sv.res_sev END AS res_sev,
           CASE WHEN hk2.retro OR sv.tid IS NULL THEN hk2.created_us ELSE sv.resp_since END AS resp_start,
           CASE WHEN hk2.retro OR sv.tid IS NULL THEN hk2.created_us ELSE sv.res_since END AS res_start,
           coalesce(hk2.resp_end, getvariable('as_of')) AS resp_eval,
           coalesce(hk2.res_end, getvariable('as_of')) AS res_eval
    FROM hk2 LEFT JOIN sv ON sv.tid = hk2.tid
),
hk4 AS (
    SELECT hk3.*,
           a.tier_key AS resp_tier_key, a.resp_us AS resp_target, a.business AS resp_business,
           b.tier_key AS res_tier_key, b.res_us AS res_target, b.business AS res_business
    FROM hk3
    JOIN t_tiers a ON a.terms_key = hk3.terms_key AND a.severity = hk3.resp_sev
    JOIN t_tiers b ON b.terms_key = hk3.terms_key AND b.severity = hk3.res_sev
),
-- excluded intervals: pauses, and time spent resolved before a reopen; clipped to each metric's window
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
    FROM ex JOIN hk4 k ON k.tid = ex.tid
),
exq AS (
    SELECT e.tid,
           sum(CASE WHEN rb <= ra THEN 0
                    WHEN resp_business THEN cumq(rb, L.q[cal_base + rb // 3600000000 + 1], cal_base + rb // 3600000000 + 1, L.seg) - cumq(ra, L.q[cal_base + ra // 3600000000 + 1], cal_base + ra // 3600000000 + 1, L.seg)
                    ELSE rb - ra END) AS resp_ex,
           sum(CASE WHEN sb <= sa THEN 0
                    WHEN res_business THEN cumq(sb, L.q[cal_base + sb // 3600000000 + 1], cal_base + sb // 3600000000 + 1, L.seg) - cumq(sa, L.q[cal_base + sa // 3600000000 + 1], cal_base + sa // 3600000000 + 1, L.seg)
                    ELSE sb - sa END) AS res_ex
    FROM exc e CROSS JOIN t_cal_l L
    GROUP BY e.tid
),
slow AS (
    SELECT k.tid, k.terms_key,
           date_trunc('month', make_timestamp(k.created_us + L.off[k.cal_base + k.created_us // 3600000000 + 1]))::DATE AS month,
           k.resp_tier_key, k.res_tier_key,
           k.resp_end AS resp_at, k.res_end AS res_at,
           k.resp_end IS NOT NULL AS resp_done,
           (CASE WHEN k.resp_business
                 THEN cumq(k.resp_eval, L.q[k.cal_base + k.resp_eval // 3600000000 + 1], k.cal_base + k.resp_eval // 3600000000 + 1, L.seg)
                      - cumq(k.resp_start, L.q[k.cal_base + k.resp_start // 3600000000 + 1], k.cal_base + k.resp_start // 3600000000 + 1, L.seg)
                 ELSE k.resp_eval - k.resp_start END) - coalesce(q.resp_ex, 0) AS resp_el,
           k.resp_target,
           k.res_end IS NOT NULL AS res_done,
           (CASE WHEN k.res_business
                 THEN cumq(k.res_eval, L.q[k.cal_base + k.res_eval // 3600000000 + 1], k.cal_base + k.res_eval // 3600000000 + 1, L.seg)
                      - cumq(k.res_start, L.q[k.cal_base + k.res_start // 3600000000 + 1], k.cal_base + k.res_start // 3600000000 + 1, L.seg)
                 ELSE k.res_eval - k.res_start END) - coalesce(q.res_ex, 0) AS res_el,
           k.res_target,
           coalesce(q.res_ex, 0)::BIGINT AS paused, k.met_when_equal
    FROM hk4 k
    CROSS JOIN t_cal_l L
    LEFT JOIN exq q ON q.tid = k.tid
),
both_paths AS (
    SELECT * FROM fast
    UNION ALL
    SELECT * FROM slow
)
SELECT tid, terms_key, month, resp_tier_key, res_tier_key, resp_at, res_at,
       resp_done, resp_el,
       CASE WHEN resp_done THEN (resp_el < resp_target OR (met_when_equal AND resp_el = resp_target))
            WHEN resp_el > resp_target OR (NOT met_when_equal AND resp_el = resp_target) THEN false
       END AS resp_met,
       res_done, res_el,
       CASE WHEN res_done THEN (res_el < res_target OR (met_when_equal AND res_el = res_target))
            WHEN res_el > res_target OR (NOT met_when_equal AND res_el = res_target) THEN false
       END AS res_met,
       paused
FROM both_paths
