/* users.h — user accounts: descriptor, the rules on roles (they must fit the party of
 * the user's organisation; the three administrator roles are exclusive), the API handlers
 * and the pieces the CLI shares. */
#ifndef UNIOPS_USERS_H
#define UNIOPS_USERS_H

#include <stdint.h>

#include "http/req.h"
#include "resource/resource.h"

extern const resource_desc user_desc;

void users_list(req *r);
void users_get(req *r);
void users_create(req *r);
void users_patch(req *r);
void users_deactivate(req *r);
void users_activate(req *r);
void users_put_roles(req *r);     /* secadmin */
void users_unlock(req *r);        /* secadmin */
void users_revoke_sessions(req *r); /* secadmin */
void users_reset_password(req *r);  /* sysadmin: a new initial password, must change */

/* Username rule: 3..64 of [A-Za-z0-9._@-], starting with a letter or digit. */
int users_check_username(const char *u, err *e);
/* Roles must be known, fit the organisation's party, and hold at most one of the three
 * administrator roles. Looks up the org's party (and that it is active). */
int users_check_roles(store_conn *c, int64_t org_id, uint32_t roles, err *e);
/* Parses a JSON array of role names into a bit set (field names the errors). */
int users_roles_from_json(const json_t *arr, uint32_t *out, err *e);
/* Checks a validated create body (username rule, roles, initial password against the
 * policy) and moves roles/password into `internal` columns (roles text, password hash,
 * must_change_password = 1). The administrator roles only with allow_admin_roles (CLI). */
int users_prepare_new(store_conn *c, json_t *body, json_t *internal, int allow_admin_roles, err *e);
/* A user record for output: roles as an array, "locked" derived. */
void users_decorate(json_t *rec);

#endif
