-- A small batch's own tickets: the loaded and updated ones and their events, nothing else. Its
-- generation adds them as one layer over the previous generation's relations (gen_files.py), and
-- it commits them as a change set (store_table.py): nothing it did not change is read or written.
CREATE OR REPLACE TEMP TABLE t_in AS
SELECT n.* FROM nb n JOIN nb_class c USING (contract_id, ticket_id) WHERE c.outcome <> 'unchanged';

ALTER TABLE e_new RENAME TO e_in;
