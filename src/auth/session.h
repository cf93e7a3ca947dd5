/* session.h — login sessions kept in the database, so any instance serves any request.
 *
 * The client holds a random bearer token; the database holds only its SHA-256. A session
 * ends when revoked, after `session_idle_minutes` without use, or `session_max_hours`
 * after login, whichever comes first.
 */
#ifndef UNIOPS_SESSION_H
#define UNIOPS_SESSION_H

#include <stdint.h>

#include "auth/policy.h"
#include "auth/rbac.h"
#include "store/store.h"

#define SESSION_TOKEN_LEN 48

/* Creates a session for user_id (inside the caller's write transaction). */
int session_create(store_conn *c, int64_t user_id, const char *ip, const security_policy *pol,
                   char token[SESSION_TOKEN_LEN], int64_t *session_id, int64_t *expires_at, err *e);
/* Resolves a token to its principal, refreshing last use. ERR_unauthenticated when the
 * token is unknown, revoked or expired, or the user or their organisation is inactive. */
int session_authenticate(store_conn *c, const char *token, const security_policy *pol, principal *out,
                         err *e);
/* Revokes one session / every session of a user. Returns sessions revoked or -1. */
int64_t session_revoke(store_conn *c, int64_t session_id, err *e);
int64_t session_revoke_user(store_conn *c, int64_t user_id, err *e);
/* Loads the principal for a user id (no session). ERR_not_found when missing. */
int principal_load(store_conn *c, int64_t user_id, principal *out, err *e);

#endif
