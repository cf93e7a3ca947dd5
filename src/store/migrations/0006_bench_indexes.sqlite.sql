-- 0006 indexes found missing by `make bench` (docs/benchmarks.md) on a million work orders.
-- The escalation job scans every 5 s for running clocks past their warning instant or their
-- deadline that it has not handled yet (escalation.c). On the full deadline indexes it walks
-- every overdue clock it already escalated — tens of thousands on a big backlog, ~15 ms a
-- scan at 1M orders. These indexes hold only running clocks still waiting to be handled, so
-- a scan reads just the rows it returns, however large the history and the backlog grow.
CREATE INDEX wo_clocks_escalate_idx ON wo_clocks(due_at) WHERE started_at > 0 AND escalated = 0;
CREATE INDEX wo_clocks_warn_pending_idx ON wo_clocks(warn_at) WHERE started_at > 0 AND warned = 0;
