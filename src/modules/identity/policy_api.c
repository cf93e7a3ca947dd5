/* policy_api.c — the security policy endpoints (secadmin) and the role catalogue. */
#include <inttypes.h>

#include "audit/audit.h"
#include "auth/policy.h"
#include "modules/identity/identity.h"

void policy_get_h(req *r) {
  if (!req_require(r, "policy", "read")) return;
  err e;
  err_clear(&e);
  store_conn *c = req_conn(r);
  if (!c) return;
  security_policy p;
  policy_invalidate();
  if (policy_load(c, &p, &e) != 0) {
    req_reply_err(r, &e);
  } else {
    json_t *j = policy_to_json(&p);
    req_etag(r, j);
    req_reply(r, 200, j);
  }
  req_conn_done(r, c);
}

void policy_patch_h(req *r) {
  if (!req_require(r, "policy", "update")) return;
  int64_t version = req_if_match(r);
  if (!version) return;
  json_t *body = req_json_body(r);
  if (!body) return;
  err e;
  err_clear(&e);
  json_t *before = NULL, *after = NULL, *db = NULL, *da = NULL;
  store_conn *c = req_conn(r);
  if (!c) goto done;
  security_policy p;
  if (store_begin(c, STORE_WRITE, &e) != 0) goto fail;
  policy_invalidate();
  if (policy_load(c, &p, &e) != 0) goto fail;
  if (version != p.version) {
    err_set(&e, ERR_version_conflict, "If-Match", "the policy is at version %" PRId64 ", not %" PRId64, p.version, version);
    goto fail;
  }
  before = policy_to_json(&p);
  if (json_object_size(body) == 0) {
    err_set(&e, ERR_validation_failed, NULL, "nothing to change: the body has no fields");
    goto fail;
  }
  if (policy_apply_json(&p, body, &e) != 0) goto fail;
  if (policy_save(c, &p, version, &e) != 0) goto fail;
  after = policy_to_json(&p);
  audit_diff(before, after, &db, &da);
  if (req_audit(r, c, "update", "policy", 1, db, da, &e) != 0) goto fail;
  if (store_commit(c, &e) != 0) goto fail;
  policy_invalidate();
  req_etag(r, after);
  req_reply(r, 200, after);
  after = NULL;
  goto done;
fail:
  req_reply_err(r, &e);
done:
  if (c) store_rollback(c);
  policy_invalidate();
  req_conn_done(r, c);
  json_decref(body);
  json_decref(before);
  json_decref(after);
  json_decref(db);
  json_decref(da);
}

void roles_list(req *r) {
  if (!req_require(r, "role", "read")) return;
  json_t *items = json_array();
  for (int i = 0; i < ROLE__COUNT; i++) {
    json_t *perms = json_array();
    for (unsigned j = 0; j < rbac_npermissions; j++) {
      const permission *p = &rbac_permissions[j];
      if ((int)p->role != i) continue;
      json_array_append_new(perms, json_pack("{s:s, s:s, s:s}", "resource", p->resource, "action", p->action, "scope",
                                             p->scope == SCOPE_ALL ? "all" : "own_org_tree"));
    }
    json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:o}", "name", rbac_role_name((role_id)i), "party",
                                           rbac_role_party((role_id)i), "label", rbac_role_label((role_id)i),
                                           "permissions", perms));
  }
  req_reply(r, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}
