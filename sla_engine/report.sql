-- Monthly compliance per contract x severity tier x metric, from the narrow relation `per_ticket`.
WITH m AS (
    SELECT terms_key, month, resp_tier_key AS tier_key, 'response' AS metric, resp_met AS met FROM per_ticket
    UNION ALL
    SELECT terms_key, month, res_tier_key AS tier_key, 'resolution' AS metric, res_met AS met FROM per_ticket
), g AS (
    SELECT tier_key, month, metric,
           count(*) AS tickets,
           count(*) FILTER (WHERE met) AS met,
           count(*) FILTER (WHERE NOT met) AS breached,
           count(*) FILTER (WHERE met IS NULL) AS pending
    FROM m GROUP BY tier_key, month, metric
)
SELECT x.contract_id, x.terms_id, g.month, x.severity, g.metric, g.tickets, g.met, g.breached, g.pending,
       round(100.0 * g.met / nullif(g.met + g.breached, 0), 4) AS compliance_pct,
       x.target_pct
FROM g JOIN t_tiers x USING (tier_key)
ORDER BY x.contract_id, g.month, x.severity, g.metric
