/* rbac.c — the permission table and role helpers.
 *
 * The three separated administrators (三员分立) are kept apart here: sysadmin manages
 * organisations and users but has no audit permission; auditor reads the audit trail and
 * nothing else; secadmin owns role assignment, password/session policy and unlocking.
 */
#include "auth/rbac.h"

#include <stdio.h>
#include <string.h>

static const char *const role_names[] = {
#define X(name, party, label) #name,
    ROLES(X)
#undef X
};
static const char *const role_parties[] = {
#define X(name, party, label) party,
    ROLES(X)
#undef X
};
static const char *const role_labels[] = {
#define X(name, party, label) label,
    ROLES(X)
#undef X
};

#define P(role, res, act, scope) {ROLE_##role, res, act, scope}
const permission rbac_permissions[] = {
    /* system administrator: organisations and users */
    P(sysadmin, "org", "read", SCOPE_ALL),
    P(sysadmin, "catalog", "read", SCOPE_ALL),
    P(sysadmin, "calendar", "read", SCOPE_ALL),
    P(sysadmin, "sla", "read", SCOPE_ALL),
    P(sysadmin, "org", "create", SCOPE_ALL),
    P(sysadmin, "org", "update", SCOPE_ALL),
    P(sysadmin, "org", "deactivate", SCOPE_ALL),
    P(sysadmin, "user", "read", SCOPE_ALL),
    P(sysadmin, "user", "create", SCOPE_ALL),
    P(sysadmin, "user", "update", SCOPE_ALL),
    P(sysadmin, "user", "deactivate", SCOPE_ALL),
    P(sysadmin, "user", "reset_password", SCOPE_ALL),
    P(sysadmin, "role", "read", SCOPE_ALL),
    P(sysadmin, "webhook", "read", SCOPE_ALL),
    P(sysadmin, "webhook", "create", SCOPE_ALL),
    P(sysadmin, "webhook", "update", SCOPE_ALL),
    P(sysadmin, "webhook", "deactivate", SCOPE_ALL),
    /* security administrator: roles, password and session policy, locks */
    P(secadmin, "user", "read", SCOPE_ALL),
    P(secadmin, "user", "assign_roles", SCOPE_ALL),
    P(secadmin, "user", "unlock", SCOPE_ALL),
    P(secadmin, "user", "revoke_sessions", SCOPE_ALL),
    P(secadmin, "role", "read", SCOPE_ALL),
    P(secadmin, "policy", "read", SCOPE_ALL),
    P(secadmin, "policy", "update", SCOPE_ALL),
    P(secadmin, "org", "read", SCOPE_ALL),
    P(secadmin, "catalog", "read", SCOPE_ALL),
    P(secadmin, "calendar", "read", SCOPE_ALL),
    /* audit administrator: the audit trail and nothing else */
    P(auditor, "audit", "read", SCOPE_ALL),
    /* management party staff: the catalogue, calendars and agreements are theirs */
    P(manager, "org", "read", SCOPE_ALL),
    P(manager, "user", "read", SCOPE_ALL),
    P(manager, "catalog", "read", SCOPE_ALL),
    P(manager, "catalog", "create", SCOPE_ALL),
    P(manager, "catalog", "update", SCOPE_ALL),
    P(manager, "catalog", "deactivate", SCOPE_ALL),
    P(manager, "calendar", "read", SCOPE_ALL),
    P(manager, "work_order", "read", SCOPE_ALL),
    P(manager, "work_order", "create", SCOPE_ALL),
    P(manager, "work_order", "comment", SCOPE_ALL),
    P(manager, "work_order", "callback", SCOPE_ALL),
    P(manager, "sla_report", "read", SCOPE_ALL),
    P(manager, "calendar", "create", SCOPE_ALL),
    P(manager, "calendar", "update", SCOPE_ALL),
    P(manager, "calendar", "deactivate", SCOPE_ALL),
    P(manager, "sla", "read", SCOPE_ALL),
    P(manager, "sla", "create", SCOPE_ALL),
    P(manager, "sla", "update", SCOPE_ALL),
    /* customer departments */
    P(dept_admin, "org", "read", SCOPE_ALL),
    P(dept_admin, "catalog", "read", SCOPE_ALL),
    P(dept_admin, "calendar", "read", SCOPE_ALL),
    P(dept_admin, "work_order", "read", SCOPE_OWN_ORG_TREE),
    P(dept_admin, "work_order", "create", SCOPE_OWN_ORG_TREE),
    P(dept_admin, "work_order", "comment", SCOPE_OWN_ORG_TREE),
    P(dept_admin, "sla_report", "read", SCOPE_OWN_ORG_TREE),
    P(dept_admin, "sla", "read", SCOPE_OWN_ORG_TREE),
    P(dept_admin, "user", "read", SCOPE_OWN_ORG_TREE),
    P(requester, "org", "read", SCOPE_ALL),
    P(requester, "catalog", "read", SCOPE_ALL),
    P(requester, "calendar", "read", SCOPE_ALL),
    P(requester, "work_order", "read", SCOPE_OWN_ORG_TREE),
    P(requester, "work_order", "create", SCOPE_OWN_ORG_TREE),
    P(requester, "work_order", "comment", SCOPE_OWN_ORG_TREE),
    P(requester, "sla", "read", SCOPE_OWN_ORG_TREE),
    /* supervision reads everything */
    P(supervisor, "org", "read", SCOPE_ALL),
    P(supervisor, "catalog", "read", SCOPE_ALL),
    P(supervisor, "calendar", "read", SCOPE_ALL),
    P(supervisor, "work_order", "read", SCOPE_ALL),
    P(supervisor, "work_order", "comment", SCOPE_ALL),
    P(supervisor, "sla_report", "read", SCOPE_ALL),
    P(supervisor, "sla", "read", SCOPE_ALL),
    P(supervisor, "user", "read", SCOPE_ALL),
    /* service providers */
    P(service_desk, "org", "read", SCOPE_ALL),
    P(service_desk, "catalog", "read", SCOPE_ALL),
    P(service_desk, "calendar", "read", SCOPE_ALL),
    P(service_desk, "work_order", "read", SCOPE_OWN_ORG_TREE),
    P(service_desk, "work_order", "create", SCOPE_ALL),
    P(service_desk, "work_order", "comment", SCOPE_OWN_ORG_TREE),
    P(service_desk, "work_order", "callback", SCOPE_OWN_ORG_TREE),
    P(service_desk, "sla", "read", SCOPE_OWN_ORG_TREE),
    P(service_desk, "user", "read", SCOPE_ALL),
    P(engineer, "org", "read", SCOPE_ALL),
    P(engineer, "catalog", "read", SCOPE_ALL),
    P(engineer, "calendar", "read", SCOPE_ALL),
    P(engineer, "work_order", "read", SCOPE_OWN_ORG_TREE),
    P(engineer, "work_order", "comment", SCOPE_OWN_ORG_TREE),
    P(engineer, "sla", "read", SCOPE_OWN_ORG_TREE),
    P(provider_manager, "org", "read", SCOPE_ALL),
    P(provider_manager, "catalog", "read", SCOPE_ALL),
    P(provider_manager, "calendar", "read", SCOPE_ALL),
    P(provider_manager, "work_order", "read", SCOPE_OWN_ORG_TREE),
    P(provider_manager, "work_order", "comment", SCOPE_OWN_ORG_TREE),
    P(provider_manager, "sla_report", "read", SCOPE_OWN_ORG_TREE),
    P(provider_manager, "sla", "read", SCOPE_OWN_ORG_TREE),
    P(provider_manager, "user", "read", SCOPE_OWN_ORG_TREE),
};
#undef P
const unsigned rbac_npermissions = sizeof rbac_permissions / sizeof rbac_permissions[0];

int rbac_role_from_name(const char *name) {
  for (int i = 0; i < ROLE__COUNT; i++)
    if (strcmp(role_names[i], name) == 0) return i;
  return -1;
}

const char *rbac_role_name(role_id r) { return (unsigned)r < ROLE__COUNT ? role_names[r] : "?"; }
const char *rbac_role_party(role_id r) { return (unsigned)r < ROLE__COUNT ? role_parties[r] : "?"; }
const char *rbac_role_label(role_id r) { return (unsigned)r < ROLE__COUNT ? role_labels[r] : "?"; }

int rbac_parse_roles(const char *list, uint32_t *out, char *bad, unsigned cap) {
  uint32_t bits = 0;
  char name[64];
  const char *p = list ? list : "";
  if (bad && cap) bad[0] = '\0';
  while (*p) {
    const char *comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    if (n == 0 || n >= sizeof name) {
      if (bad && cap) snprintf(bad, cap, "%.*s", (int)(n < 60 ? n : 60), p);
      return -1;
    }
    memcpy(name, p, n);
    name[n] = '\0';
    int r = rbac_role_from_name(name);
    if (r < 0) {
      if (bad && cap) snprintf(bad, cap, "%s", name);
      return -1;
    }
    bits |= 1u << r;
    p += n;
    if (*p == ',') {
      p++;
      if (!*p) return -1; /* trailing comma */
    }
  }
  if (!bits) return -1;
  *out = bits;
  return 0;
}

void rbac_format_roles(uint32_t roles, char *out, unsigned cap) {
  unsigned o = 0;
  out[0] = '\0';
  for (int i = 0; i < ROLE__COUNT; i++) {
    if (!(roles & (1u << i))) continue;
    int n = snprintf(out + o, cap - o, "%s%s", o ? "," : "", role_names[i]);
    if (n < 0 || (unsigned)n >= cap - o) break;
    o += (unsigned)n;
  }
}

int rbac_roles_fit_party(uint32_t roles, const char *party, int *bad) {
  for (int i = 0; i < ROLE__COUNT; i++) {
    if ((roles & (1u << i)) && strcmp(role_parties[i], party) != 0) {
      if (bad) *bad = i;
      return -1;
    }
  }
  return 0;
}

data_scope rbac_scope(const principal *p, const char *resource, const char *action) {
  data_scope best = SCOPE_NONE;
  for (unsigned i = 0; i < rbac_npermissions; i++) {
    const permission *perm = &rbac_permissions[i];
    if (!(p->roles & (1u << perm->role))) continue;
    if (strcmp(perm->resource, resource) != 0 || strcmp(perm->action, action) != 0) continue;
    if (perm->scope > best) best = perm->scope;
  }
  return best;
}
