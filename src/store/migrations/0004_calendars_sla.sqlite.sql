-- 0004 business calendars and service level agreements (clauses 8, 9.1.1, 9.1.2).
-- A calendar is stored as its canonical JSON document (week periods, holidays, make-up days).
CREATE TABLE calendars (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  doc TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 1,
  version BIGINT NOT NULL DEFAULT 1,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX calendars_name_uq ON calendars(name);

-- An agreement between a provider and a customer (NULL: every customer). Its terms live in
-- immutable versions: an edit adds a version; work measured under an old one keeps it.
CREATE TABLE sla_agreements (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  provider_org_id BIGINT NOT NULL REFERENCES orgs(id),
  customer_org_id BIGINT REFERENCES orgs(id),
  current_version BIGINT NOT NULL,
  active INTEGER NOT NULL DEFAULT 1,
  version BIGINT NOT NULL DEFAULT 1,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX sla_agreements_name_uq ON sla_agreements(name);
CREATE INDEX sla_agreements_provider_idx ON sla_agreements(provider_org_id);
CREATE INDEX sla_agreements_customer_idx ON sla_agreements(customer_org_id);

CREATE TABLE sla_versions (
  id INTEGER PRIMARY KEY,
  agreement_id BIGINT NOT NULL REFERENCES sla_agreements(id),
  version_no BIGINT NOT NULL,
  valid_from TEXT NOT NULL,
  valid_to TEXT NOT NULL,
  calendar_id BIGINT NOT NULL REFERENCES calendars(id),
  terms TEXT NOT NULL,
  effective_at BIGINT NOT NULL,
  superseded_at BIGINT,
  created_by TEXT NOT NULL,
  note TEXT
);
CREATE UNIQUE INDEX sla_versions_agreement_uq ON sla_versions(agreement_id, version_no);
