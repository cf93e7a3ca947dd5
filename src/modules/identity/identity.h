/* identity.h — logging in and out, the current user, changing one's own password,
 * the security policy (secadmin) and the role catalogue. */
#ifndef UNIOPS_IDENTITY_H
#define UNIOPS_IDENTITY_H

#include "http/req.h"

void sessions_create(req *r);   /* POST /api/v1/sessions */
void sessions_delete(req *r);   /* DELETE /api/v1/sessions/current */
void me_get(req *r);            /* GET /api/v1/me */
void me_password(req *r);       /* POST /api/v1/me/password */
void policy_get_h(req *r);      /* GET /api/v1/security-policy */
void policy_patch_h(req *r);    /* PATCH /api/v1/security-policy */
void roles_list(req *r);        /* GET /api/v1/roles */

#endif
