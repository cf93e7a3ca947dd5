/* orgs.h — organisations of the four parties (管理方/使用方/监理方/服务方) and their tree. */
#ifndef UNIOPS_ORGS_H
#define UNIOPS_ORGS_H

#include "http/req.h"
#include "resource/resource.h"

extern const resource_desc org_desc;

void orgs_list(req *r);
void orgs_get(req *r);
void orgs_create(req *r);
void orgs_patch(req *r);
void orgs_deactivate(req *r);
void orgs_activate(req *r);

/* Cross-record rules for a validated create body (the parent exists, same party). */
int orgs_check_new(store_conn *c, const json_t *body, err *e);

/* Validates a party name. 1 when known. */
int org_party_valid(const char *party);

#endif
