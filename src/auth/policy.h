/* policy.h — the security policy the security administrator (secadmin) owns:
 * password rules, account lockout and session lifetimes. Stored as one JSON row in
 * `settings` (key "security_policy", versioned), cached for a few seconds per process. */
#ifndef UNIOPS_POLICY_H
#define UNIOPS_POLICY_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"

typedef struct security_policy {
  int password_min_length;   /* 8..64, default 8 */
  int password_min_classes;  /* 3..4, default 3 */
  int lockout_threshold;     /* failed logins in a row, 3..20, default 5 */
  int lockout_minutes;       /* 1..1440, default 15 */
  int session_idle_minutes;  /* 5..240, default 30 */
  int session_max_hours;     /* 1..24, default 12 */
  int64_t version;           /* settings row version */
} security_policy;

void policy_defaults(security_policy *p);
/* Current policy (cached up to 5 s; policy_invalidate() after a save). */
int policy_load(store_conn *c, security_policy *p, err *e);
void policy_invalidate(void);
json_t *policy_to_json(const security_policy *p);
/* Applies the members of patch onto *p, validating names, types and bounds. */
int policy_apply_json(security_policy *p, const json_t *patch, err *e);
/* Saves *p if the stored version still equals expect_version (the row is created by
 * migration 0001); ERR_version_conflict otherwise. Bumps p->version. Call inside a write transaction. */
int policy_save(store_conn *c, security_policy *p, int64_t expect_version, err *e);

#endif
