-- 0007 work-order attachments, stored once per content (SHA-256) and referenced by name.
-- Content is base64 text so both backends store it the same way (and several instances
-- share it through the database).
CREATE TABLE blobs (
  sha256 TEXT PRIMARY KEY,
  size BIGINT NOT NULL,
  data TEXT NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE TABLE wo_attachments (
  id INTEGER PRIMARY KEY,
  work_order_id BIGINT NOT NULL REFERENCES work_orders(id),
  sha256 TEXT NOT NULL REFERENCES blobs(sha256),
  name TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size BIGINT NOT NULL,
  uploaded_by BIGINT NOT NULL REFERENCES users(id),
  created_at BIGINT NOT NULL
);
CREATE INDEX wo_attachments_wo_idx ON wo_attachments(work_order_id);
