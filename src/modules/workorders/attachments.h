/* attachments.h — files attached to work orders: uploaded as the raw request body,
 * size-limited by --max-body, stored once per content hash, served with headers that keep
 * a browser from running them. */
#ifndef UNIOPS_ATTACHMENTS_H
#define UNIOPS_ATTACHMENTS_H

#include "http/req.h"

void wo_attach(req *r);           /* POST /api/v1/work-orders/{id}/attachments?name=… (raw body) */
void wo_attachments_list(req *r); /* GET /api/v1/work-orders/{id}/attachments */
void attachment_get(req *r);      /* GET /api/v1/attachments/{id} */

#endif
