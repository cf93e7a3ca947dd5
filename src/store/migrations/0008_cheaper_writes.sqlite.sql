-- 0008 cheaper writes (docs/benchmarks.md, "What a create costs").
--
-- SQLite compiles `x IN ('a','b','c')` with three or more constants into a small
-- temporary b-tree built afresh each time the statement runs — for a CHECK constraint,
-- on every INSERT and UPDATE. Creating a work order paid for ten of them (its six
-- enumerated columns, each clock's metric, the event's kind): a fifth of the CPU of a
-- create, most of it inside the single writer. The same rules written as OR chains cost a
-- few comparisons. The tables are rebuilt with SQLite's documented procedure (new table,
-- copy, drop, rename, indexes); the migration runner turns foreign-key enforcement off
-- around it and runs PRAGMA foreign_key_check before it commits.
--
-- audit_log's key becomes INTEGER PRIMARY KEY (an alias of the rowid), which drops a
-- separate unique index that every audited write had to update. The two plain deadline
-- indexes of wo_clocks are dropped: the escalation scan uses the partial indexes of 0006
-- and the list filters reach clocks through their work order.

CREATE TABLE work_orders_0008 (
  id INTEGER PRIMARY KEY,
  number TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type = 'incident' OR type = 'request' OR type = 'consultation' OR type = 'complaint'),
  channel TEXT NOT NULL CHECK (channel = 'web' OR channel = 'hotline' OR channel = 'api' OR channel = 'alert'
                               OR channel = 'email'),
  customer_org_id BIGINT NOT NULL REFERENCES orgs(id),
  requester_id BIGINT REFERENCES users(id),
  catalog_item_id BIGINT REFERENCES catalog_items(id),
  asset_id BIGINT,
  impact TEXT NOT NULL CHECK (impact = 'high' OR impact = 'medium' OR impact = 'low'),
  urgency TEXT NOT NULL CHECK (urgency = 'high' OR urgency = 'medium' OR urgency = 'low'),
  priority TEXT NOT NULL CHECK (priority = 'P1' OR priority = 'P2' OR priority = 'P3' OR priority = 'P4'),
  priority_reason TEXT,
  title TEXT NOT NULL,
  description TEXT,
  state TEXT NOT NULL CHECK (state = 'new' OR state = 'assigned' OR state = 'accepted' OR state = 'arrived'
                             OR state = 'in_progress' OR state = 'pending' OR state = 'resolved'
                             OR state = 'closed' OR state = 'cancelled'),
  pending_reason TEXT,
  provider_org_id BIGINT REFERENCES orgs(id),
  assignee_id BIGINT REFERENCES users(id),
  backup_support INTEGER NOT NULL DEFAULT 0,
  sla_version_id BIGINT REFERENCES sla_versions(id),
  sla_source TEXT,
  calendar_id BIGINT REFERENCES calendars(id),
  reported_at BIGINT NOT NULL,
  resolved_at BIGINT,
  closed_at BIGINT,
  resolution TEXT,
  rating INTEGER,
  rating_comment TEXT,
  active INTEGER NOT NULL DEFAULT 1,
  version BIGINT NOT NULL DEFAULT 1,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
INSERT INTO work_orders_0008 SELECT * FROM work_orders;
DROP TABLE work_orders;
ALTER TABLE work_orders_0008 RENAME TO work_orders;
CREATE UNIQUE INDEX work_orders_number_uq ON work_orders(number);
CREATE INDEX work_orders_customer_idx ON work_orders(customer_org_id, state, id);
CREATE INDEX work_orders_provider_idx ON work_orders(provider_org_id, state, id);
CREATE INDEX work_orders_reported_idx ON work_orders(reported_at);

CREATE TABLE wo_clocks_0008 (
  work_order_id BIGINT NOT NULL REFERENCES work_orders(id),
  metric TEXT NOT NULL CHECK (metric = 'response' OR metric = 'arrival' OR metric = 'resolution'),
  target_ms BIGINT NOT NULL,
  spent_ms BIGINT NOT NULL,
  started_at BIGINT NOT NULL,
  due_at BIGINT NOT NULL,
  warn_at BIGINT NOT NULL,
  stopped_at BIGINT NOT NULL,
  breached INTEGER NOT NULL DEFAULT 0,
  warned INTEGER NOT NULL DEFAULT 0,
  escalated INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (work_order_id, metric)
);
INSERT INTO wo_clocks_0008 SELECT * FROM wo_clocks;
DROP TABLE wo_clocks;
ALTER TABLE wo_clocks_0008 RENAME TO wo_clocks;
CREATE INDEX wo_clocks_escalate_idx ON wo_clocks(due_at) WHERE started_at > 0 AND escalated = 0;
CREATE INDEX wo_clocks_warn_pending_idx ON wo_clocks(warn_at) WHERE started_at > 0 AND warned = 0;

CREATE TABLE wo_events_0008 (
  id INTEGER PRIMARY KEY,
  work_order_id BIGINT NOT NULL REFERENCES work_orders(id),
  at BIGINT NOT NULL,
  actor_id BIGINT,
  actor_name TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind = 'action' OR kind = 'comment' OR kind = 'worklog'),
  action TEXT,
  from_state TEXT,
  to_state TEXT,
  body TEXT,
  minutes INTEGER
);
INSERT INTO wo_events_0008 SELECT * FROM wo_events;
DROP TABLE wo_events;
ALTER TABLE wo_events_0008 RENAME TO wo_events;
CREATE INDEX wo_events_wo_idx ON wo_events(work_order_id, id);

CREATE TABLE outbox_0008 (
  id INTEGER PRIMARY KEY,
  delivery_id TEXT NOT NULL,
  webhook_id BIGINT NOT NULL REFERENCES webhooks(id),
  event TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status = 'pending' OR status = 'delivered' OR status = 'dead'),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  claimed_by TEXT,
  claimed_until BIGINT NOT NULL DEFAULT 0,
  delivered_at BIGINT,
  last_error TEXT,
  created_at BIGINT NOT NULL
);
INSERT INTO outbox_0008 SELECT * FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_0008 RENAME TO outbox;
CREATE UNIQUE INDEX outbox_delivery_uq ON outbox(delivery_id);
CREATE INDEX outbox_due_idx ON outbox(status, next_attempt_at);

CREATE TABLE audit_log_0008 (
  seq INTEGER PRIMARY KEY,
  at BIGINT NOT NULL,
  actor_id BIGINT,
  actor_name TEXT NOT NULL,
  actor_org_id BIGINT,
  ip TEXT NOT NULL,
  request_id TEXT NOT NULL,
  action TEXT NOT NULL,
  resource TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  before_json TEXT,
  after_json TEXT,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
INSERT INTO audit_log_0008 SELECT * FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_0008 RENAME TO audit_log;
CREATE INDEX audit_at_idx ON audit_log(at);
CREATE INDEX audit_actor_idx ON audit_log(actor_id, seq);
CREATE INDEX audit_resource_idx ON audit_log(resource, resource_id, seq);
CREATE INDEX audit_action_idx ON audit_log(action, seq);
