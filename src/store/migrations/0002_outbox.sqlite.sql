-- 0002 notifications: webhook subscriptions and the transactional outbox.
-- An audited change writes one outbox row per matching subscription in the same
-- transaction; the delivery job sends them (at least once, with a stable delivery_id).
CREATE TABLE webhooks (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('webhook','wecom','dingtalk','feishu')),
  url TEXT NOT NULL,
  secret TEXT,
  events TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 1,
  version BIGINT NOT NULL DEFAULT 1,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX webhooks_name_uq ON webhooks(name);

CREATE TABLE outbox (
  id INTEGER PRIMARY KEY,
  delivery_id TEXT NOT NULL,
  webhook_id BIGINT NOT NULL REFERENCES webhooks(id),
  event TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending','delivered','dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  claimed_by TEXT,
  claimed_until BIGINT NOT NULL DEFAULT 0,
  delivered_at BIGINT,
  last_error TEXT,
  created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX outbox_delivery_uq ON outbox(delivery_id);
CREATE INDEX outbox_due_idx ON outbox(status, next_attempt_at);

-- Which instance ran which singleton job last (for operators; the lock itself is
-- an advisory lock on PostgreSQL and the process on SQLite).
CREATE TABLE job_runs (
  name TEXT PRIMARY KEY,
  last_started_at BIGINT NOT NULL,
  last_finished_at BIGINT,
  last_instance TEXT NOT NULL,
  last_result TEXT
);
