-- 0008 cheaper writes. On SQLite this migration also rewrites enumerated CHECK constraints
-- and the audit key (see 0008_cheaper_writes.sqlite.sql); PostgreSQL evaluates IN lists
-- cheaply and keys audit_log by seq already, so here only the two plain deadline indexes
-- of wo_clocks go: the escalation scan uses the partial indexes of 0006 and the list
-- filters reach clocks through their work order. Fewer indexes, fewer writes per clock.
DROP INDEX wo_clocks_due_idx;
DROP INDEX wo_clocks_warn_idx;
