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
