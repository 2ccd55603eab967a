-- Monthly compliance per contract x severity tier x metric, from the per-ticket relation `per_ticket`.
SELECT contract_id, terms_id, month, severity, metric,
       count(*) AS tickets,
       count(*) FILTER (WHERE met) AS met,
       count(*) FILTER (WHERE NOT met) AS breached,
       count(*) FILTER (WHERE met IS NULL) AS pending,
       round(100.0 * count(*) FILTER (WHERE met) / nullif(count(*) FILTER (WHERE met IS NOT NULL), 0), 4)
           AS compliance_pct,
       any_value(target_pct) AS target_pct
FROM (
    SELECT contract_id, terms_id, month, resp_sev AS severity, 'response' AS metric,
           resp_met AS met, resp_target_pct AS target_pct
    FROM per_ticket WHERE resp_target IS NOT NULL
    UNION ALL
    SELECT contract_id, terms_id, month, severity, 'resolution' AS metric,
           res_met AS met, res_target_pct AS target_pct
    FROM per_ticket WHERE res_target IS NOT NULL
)
GROUP BY contract_id, terms_id, month, severity, metric
ORDER BY contract_id, month, severity, metric
