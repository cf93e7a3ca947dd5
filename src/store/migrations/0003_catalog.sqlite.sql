-- 0003 service catalogue (服务目录, clause 6.1.5): area → group → item.
CREATE TABLE catalog_items (
  id INTEGER PRIMARY KEY,
  level TEXT NOT NULL CHECK (level IN ('area','group','item')),
  parent_id BIGINT REFERENCES catalog_items(id),
  code TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT,
  clause TEXT,
  object_classes TEXT NOT NULL DEFAULT '',
  service_mode TEXT CHECK (service_mode IN ('on_site','remote','backup_support','duty')),
  default_priority TEXT CHECK (default_priority IN ('P1','P2','P3','P4')),
  needs_approval INTEGER NOT NULL DEFAULT 0,
  active INTEGER NOT NULL DEFAULT 1,
  version BIGINT NOT NULL DEFAULT 1,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX catalog_items_code_uq ON catalog_items(code);
CREATE INDEX catalog_items_parent_idx ON catalog_items(parent_id);
