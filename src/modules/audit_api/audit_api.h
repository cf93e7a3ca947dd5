/* audit_api.h — reading and verifying the audit trail over HTTP (auditor only). */
#ifndef UNIOPS_AUDIT_API_H
#define UNIOPS_AUDIT_API_H

#include "http/req.h"

void audit_list(req *r);   /* GET /api/v1/audit */
void audit_verify_h(req *r); /* GET /api/v1/audit/verify */

#endif
