-- Per-ticket results with names and targets, for `evaluate`, drill-down and evidence.
SELECT t.ticket_id, t.contract_id, b.terms_id, b.severity, p.month, t.created_us, p.resp_at, p.res_at,
       p.resp_done, p.resp_el, a.resp_us AS resp_target, a.target_pct AS resp_target_pct, p.resp_met,
       p.res_done, p.res_el, b.res_us AS res_target, b.target_pct AS res_target_pct, p.res_met,
       p.paused, a.severity AS resp_sev
FROM per_ticket p
JOIN tickets t USING (tid)
JOIN t_tiers a ON a.tier_key = p.resp_tier_key
JOIN t_tiers b ON b.tier_key = p.res_tier_key
