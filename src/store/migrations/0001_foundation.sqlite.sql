-- 0001 foundation: organisations, users, sessions, settings, the audit trail.
-- Times are INTEGER milliseconds since the epoch (UTC). Booleans are 0/1.
CREATE TABLE orgs (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  party TEXT NOT NULL CHECK (party IN ('management','customer','supervision','service')),
  parent_id BIGINT REFERENCES orgs(id),
  contact TEXT,
  phone TEXT,
  active INTEGER NOT NULL DEFAULT 1,
  version BIGINT NOT NULL DEFAULT 1,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX orgs_name_uq ON orgs(name);
CREATE INDEX orgs_parent_idx ON orgs(parent_id);

CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL,
  display_name TEXT NOT NULL,
  org_id BIGINT NOT NULL REFERENCES orgs(id),
  roles TEXT NOT NULL,
  email TEXT,
  phone TEXT,
  password_hash TEXT NOT NULL,
  must_change_password INTEGER NOT NULL DEFAULT 1,
  failed_logins INTEGER NOT NULL DEFAULT 0,
  locked_until BIGINT NOT NULL DEFAULT 0,
  password_changed_at BIGINT NOT NULL DEFAULT 0,
  last_login_at BIGINT,
  active INTEGER NOT NULL DEFAULT 1,
  version BIGINT NOT NULL DEFAULT 1,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_username_uq ON users(username);
CREATE INDEX users_org_idx ON users(org_id);

CREATE TABLE sessions (
  id INTEGER PRIMARY KEY,
  token_hash TEXT NOT NULL,
  user_id BIGINT NOT NULL REFERENCES users(id),
  created_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0,
  ip TEXT
);
CREATE UNIQUE INDEX sessions_token_uq ON sessions(token_hash);
CREATE INDEX sessions_user_idx ON sessions(user_id);

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  version BIGINT NOT NULL DEFAULT 1,
  updated_at BIGINT NOT NULL
);

CREATE TABLE audit_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq BIGINT NOT NULL,
  hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_log (
  seq BIGINT PRIMARY KEY,
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
CREATE INDEX audit_at_idx ON audit_log(at);
CREATE INDEX audit_actor_idx ON audit_log(actor_id, seq);
CREATE INDEX audit_resource_idx ON audit_log(resource, resource_id, seq);
CREATE INDEX audit_action_idx ON audit_log(action, seq);

-- Idempotency-Key on POST: a retried create returns the first result instead of a duplicate.
CREATE TABLE idempotency_keys (
  user_id BIGINT NOT NULL,
  idem_key TEXT NOT NULL,
  path TEXT NOT NULL,
  status BIGINT NOT NULL,
  body TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (user_id, idem_key)
);

-- The security policy (secadmin) starts at the defaults of the standard's baseline.
INSERT INTO settings (key, value, version, updated_at) VALUES ('security_policy',
  '{"lockout_minutes":15,"lockout_threshold":5,"password_min_classes":3,"password_min_length":8,"session_idle_minutes":30,"session_max_hours":12}',
  1, 0);
