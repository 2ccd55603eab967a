-- One row per judged ticket (the evaluation `ev` of the tickets in `tickets`): who it is, which terms
-- version and tiers judged it, by name (positions change with the terms list; names do not), the
-- verdicts, and whether it is final: both metrics complete, so no later instant can change it.
SELECT t.contract_id, t.ticket_id, ev.tid, x.terms_id, ev.month,
       a.severity AS resp_sev, b.severity AS res_sev, ev.resp_met, ev.res_met,
       ev.resp_done AND ev.res_done AS final, getvariable('part')::INTEGER AS part
FROM ev
JOIN tickets t USING (tid)
JOIN (SELECT DISTINCT terms_key, terms_id FROM t_tiers) x USING (terms_key)
JOIN t_tiers a ON a.tier_key = ev.resp_tier_key
JOIN t_tiers b ON b.tier_key = ev.res_tier_key
