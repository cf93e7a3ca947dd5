/* rbac.h — roles, the permission table (role → action on resource, with a data scope),
 * and the principal a request acts as. Deny by default: what is not in the table is refused.
 */
#ifndef UNIOPS_RBAC_H
#define UNIOPS_RBAC_H

#include <stdint.h>

/* X(role, party, label_zh) — every role, the party whose organisations may hold it. */
#define ROLES(X)                                  \
  X(sysadmin, "management", "系统管理员")         \
  X(secadmin, "management", "安全管理员")         \
  X(auditor, "management", "审计管理员")          \
  X(manager, "management", "运维管理人员")        \
  X(dept_admin, "customer", "部门管理员")         \
  X(requester, "customer", "服务申请人")          \
  X(supervisor, "supervision", "监理人员")        \
  X(service_desk, "service", "服务台")            \
  X(engineer, "service", "运维工程师")            \
  X(provider_manager, "service", "服务方项目经理")

typedef enum {
#define X(name, party, label) ROLE_##name,
  ROLES(X)
#undef X
  ROLE__COUNT
} role_id;

typedef enum { SCOPE_NONE = 0, SCOPE_OWN_ORG_TREE = 1, SCOPE_ALL = 2 } data_scope;

/* Who a request acts as; filled by the auth middleware from the session. */
typedef struct principal {
  int64_t user_id;
  char username[64];
  int64_t org_id;
  char party[16];
  uint32_t roles; /* bit (1u << role_id) */
  int must_change_password;
  int64_t session_id;
} principal;

/* Role name ↔ id. Returns -1 for an unknown name. */
int rbac_role_from_name(const char *name);
const char *rbac_role_name(role_id r);
const char *rbac_role_party(role_id r);
const char *rbac_role_label(role_id r);

/* Parses "a,b,c" into a role bit set; -1 and *bad set to the first unknown name (copied
 * into bad, cap bytes) on error; an empty list is an error too. */
int rbac_parse_roles(const char *list, uint32_t *out, char *bad, unsigned cap);
/* Writes the role list as "a,b" (table order) into out. */
void rbac_format_roles(uint32_t roles, char *out, unsigned cap);
/* 0 when every role in `roles` belongs to `party`; else -1 and the offending role id in *bad. */
int rbac_roles_fit_party(uint32_t roles, const char *party, int *bad);

/* The widest scope any of the principal's roles grants for action on resource. */
data_scope rbac_scope(const principal *p, const char *resource, const char *action);

/* One row of the permission table, for listing (GET /api/v1/roles) and tests. */
typedef struct permission {
  role_id role;
  const char *resource;
  const char *action;
  data_scope scope;
} permission;
extern const permission rbac_permissions[];
extern const unsigned rbac_npermissions;

#endif
