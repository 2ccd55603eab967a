-- A generic export of N tickets (six contracts, 5 % open) and a status history for every fifth.
-- Placeholders: {tickets} and {history} (paths), the variable n = N (set before).
COPY (
  SELECT 'T' || i::VARCHAR AS ticket_id,
         ['NYC','BER','SYD','BLR','SAO','247'][1 + (hash(i) % 6)::INT] AS contract_id,
         ['P1','P2','P3','P4'][1 + (hash(i * 7) % 4)::INT] AS severity,
         strftime(to_timestamp(1704067200 + (hash(i * 3) % 63072000)::BIGINT), '%Y-%m-%dT%H:%M:%SZ')
           AS created_at,
         strftime(to_timestamp(1704067200 + (hash(i * 3) % 63072000)::BIGINT
                  + 60 + (hash(i * 5) % 7200)::BIGINT), '%Y-%m-%dT%H:%M:%SZ') AS first_response_at,
         CASE WHEN hash(i * 11) % 20 = 0 THEN NULL ELSE
         strftime(to_timestamp(1704067200 + (hash(i * 3) % 63072000)::BIGINT
                  + 3600 + (hash(i * 13) % 259200)::BIGINT), '%Y-%m-%dT%H:%M:%SZ') END AS resolved_at
  FROM range(getvariable('n')) t(i)
) TO '{tickets}' (HEADER, DELIMITER ',');
COPY (
  SELECT 'T' || i::VARCHAR AS ticket_id,
         strftime(to_timestamp(1704067200 + (hash(i * 3) % 63072000)::BIGINT + 1800), '%Y-%m-%dT%H:%M:%SZ')
           AS changed_at,
         'status' AS field,
         'pending' AS value
  FROM range(getvariable('n')) t(i) WHERE i % 5 = 0
) TO '{history}' (HEADER, DELIMITER ',');
