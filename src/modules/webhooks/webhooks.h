/* webhooks.h — notification subscriptions (generic signed webhook, WeCom, DingTalk,
 * Feishu robots) and the outbox they are fed from, with dead letters visible. */
#ifndef UNIOPS_WEBHOOKS_H
#define UNIOPS_WEBHOOKS_H

#include "http/req.h"

void webhooks_list(req *r);
void webhooks_get(req *r);
void webhooks_create(req *r);
void webhooks_patch(req *r);
void webhooks_deactivate(req *r);
void webhooks_activate(req *r);
void outbox_list_h(req *r);   /* GET /api/v1/outbox?status=pending|delivered|dead */
void outbox_retry_h(req *r);  /* POST /api/v1/outbox/{id}/retry (a dead letter) */

#endif
