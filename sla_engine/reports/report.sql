-- Monthly compliance per contract x severity tier x metric, from `per_metric(tier_key, month, metric,
-- met, n)`: n tickets of that tier and month whose metric was met (true), breached (false) or is still
-- pending (NULL). Per-ticket evaluations come in with n = 1, the ledger's kept totals with their count.
WITH g AS (
    SELECT tier_key, month, metric,
           sum(n)::BIGINT AS tickets,
           coalesce(sum(n) FILTER (WHERE met), 0)::BIGINT AS met,
           coalesce(sum(n) FILTER (WHERE NOT met), 0)::BIGINT AS breached,
           coalesce(sum(n) FILTER (WHERE met IS NULL), 0)::BIGINT AS pending
    FROM per_metric GROUP BY tier_key, month, metric
)
SELECT x.contract_id, x.terms_id, g.month, x.severity, g.metric, g.tickets, g.met, g.breached, g.pending,
       round(100.0 * g.met / nullif(g.met + g.breached, 0), 4) AS compliance_pct,
       x.target_pct
FROM g JOIN t_tiers x USING (tier_key)
ORDER BY x.contract_id, g.month, x.severity, g.metric
