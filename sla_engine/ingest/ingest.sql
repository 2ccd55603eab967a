-- Merge a validated batch (nb_t, nb_e) into the previous generation (old_base, old_events).
-- Ticket identity is (contract_id, ticket_id); content_hash covers the ticket and its history.
-- old_base/old_events hold at least the stored rows of the batch's tickets (merge.py). What is
-- merged next: ingest_carry.sql (the whole store), ingest_changed.sql (a small batch's own
-- tickets), or, on a first load, nb itself.
CREATE OR REPLACE TEMP TABLE nb AS
WITH h AS (
    SELECT contract_id, ticket_id,
           string_agg(field || '=' || value || '@' || changed_us::VARCHAR, ';' ORDER BY changed_us, seq) AS hist
    FROM nb_e GROUP BY contract_id, ticket_id
)
SELECT t.contract_id, t.ticket_id, t.severity, t.created_us, t.first_response_us, t.resolved_us,
       md5(concat_ws('|', t.severity, t.created_us, coalesce(t.first_response_us::VARCHAR, ''),
                     coalesce(t.resolved_us::VARCHAR, ''), coalesce(h.hist, ''))) AS content_hash,
       getvariable('batch_id')::BIGINT AS batch_id,
       t.notes  -- what the profile inferred (resolution from status, paused since ...), if anything
FROM nb_t t LEFT JOIN h USING (contract_id, ticket_id);

CREATE OR REPLACE TEMP TABLE nb_class AS
SELECT n.contract_id, n.ticket_id,
       CASE WHEN o.ticket_id IS NULL THEN 'loaded'
            WHEN o.content_hash = n.content_hash THEN 'unchanged'
            ELSE 'updated' END AS outcome
FROM nb n LEFT JOIN old_base o USING (contract_id, ticket_id);

-- the events of the batch's loaded and updated tickets (an unchanged ticket keeps its stored ones)
CREATE OR REPLACE TEMP TABLE e_new AS
SELECT e.contract_id, e.ticket_id, e.changed_us, e.field, e.value, e.seq
FROM nb_e e JOIN nb_class c USING (contract_id, ticket_id) WHERE c.outcome <> 'unchanged';
