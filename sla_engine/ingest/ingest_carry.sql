-- The merged tickets t_in and events e_in: the previous generation's tickets this batch did not
-- change, and the batch's loaded and updated ones (old_base/old_events hold the whole store here).
CREATE OR REPLACE TEMP TABLE e_in AS
SELECT o.* FROM old_events o
WHERE NOT EXISTS (SELECT 1 FROM nb_class c WHERE c.contract_id = o.contract_id AND c.ticket_id = o.ticket_id
                  AND c.outcome <> 'unchanged')
UNION ALL
SELECT * FROM e_new;
DROP TABLE e_new;

CREATE OR REPLACE TEMP TABLE t_in AS
SELECT o.* FROM old_base o
WHERE NOT EXISTS (SELECT 1 FROM nb_class c WHERE c.contract_id = o.contract_id AND c.ticket_id = o.ticket_id
                  AND c.outcome <> 'unchanged')
UNION ALL BY NAME  -- stores written before `notes` existed have no such column
SELECT n.* FROM nb n JOIN nb_class c USING (contract_id, ticket_id) WHERE c.outcome <> 'unchanged';
