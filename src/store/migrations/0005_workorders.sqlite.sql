-- 0005 work orders (工单) with SLA clocks, their event log, callbacks and numbering.
CREATE TABLE work_orders (
  id INTEGER PRIMARY KEY,
  number TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('incident','request','consultation','complaint')),
  channel TEXT NOT NULL CHECK (channel IN ('web','hotline','api','alert','email')),
  customer_org_id BIGINT NOT NULL REFERENCES orgs(id),
  requester_id BIGINT REFERENCES users(id),
  catalog_item_id BIGINT REFERENCES catalog_items(id),
  asset_id BIGINT,
  impact TEXT NOT NULL CHECK (impact IN ('high','medium','low')),
  urgency TEXT NOT NULL CHECK (urgency IN ('high','medium','low')),
  priority TEXT NOT NULL CHECK (priority IN ('P1','P2','P3','P4')),
  priority_reason TEXT,
  title TEXT NOT NULL,
  description TEXT,
  state TEXT NOT NULL CHECK (state IN ('new','assigned','accepted','arrived','in_progress','pending','resolved','closed','cancelled')),
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
CREATE UNIQUE INDEX work_orders_number_uq ON work_orders(number);
CREATE INDEX work_orders_customer_idx ON work_orders(customer_org_id, state, id);
CREATE INDEX work_orders_provider_idx ON work_orders(provider_org_id, state, id);
CREATE INDEX work_orders_reported_idx ON work_orders(reported_at);

-- One row per clock; the absolute deadlines sit in indexed columns so "what breaches next"
-- and "what needs a warning now" are single indexed queries.
CREATE TABLE wo_clocks (
  work_order_id BIGINT NOT NULL REFERENCES work_orders(id),
  metric TEXT NOT NULL CHECK (metric IN ('response','arrival','resolution')),
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
CREATE INDEX wo_clocks_due_idx ON wo_clocks(due_at);
CREATE INDEX wo_clocks_warn_idx ON wo_clocks(warn_at);

CREATE TABLE wo_events (
  id INTEGER PRIMARY KEY,
  work_order_id BIGINT NOT NULL REFERENCES work_orders(id),
  at BIGINT NOT NULL,
  actor_id BIGINT,
  actor_name TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('action','comment','worklog')),
  action TEXT,
  from_state TEXT,
  to_state TEXT,
  body TEXT,
  minutes INTEGER
);
CREATE INDEX wo_events_wo_idx ON wo_events(work_order_id, id);

CREATE TABLE wo_callbacks (
  id INTEGER PRIMARY KEY,
  work_order_id BIGINT NOT NULL REFERENCES work_orders(id),
  at BIGINT NOT NULL,
  caller_id BIGINT NOT NULL REFERENCES users(id),
  reached INTEGER NOT NULL,
  satisfied INTEGER,
  note TEXT
);
CREATE INDEX wo_callbacks_wo_idx ON wo_callbacks(work_order_id);

CREATE TABLE wo_number_seq (
  day TEXT PRIMARY KEY,
  last BIGINT NOT NULL
);
