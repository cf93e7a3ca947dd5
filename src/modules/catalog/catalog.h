/* catalog.h — the service catalogue (服务目录): a tree of service areas, groups and items;
 * each item names the service-object classes it applies to, its service mode, default
 * priority and whether the customer must approve. Read by everyone, kept by the
 * management party. */
#ifndef UNIOPS_CATALOG_H
#define UNIOPS_CATALOG_H

#include "http/req.h"
#include "resource/resource.h"

extern const resource_desc catalog_desc;

void catalog_list(req *r);
void catalog_tree(req *r); /* GET /api/v1/catalog/tree: the whole active tree, nested */
void catalog_get(req *r);
void catalog_create(req *r);
void catalog_patch(req *r);
void catalog_deactivate(req *r);
void catalog_activate(req *r);

/* Inserts one node from a create body (as the API would) in the caller's transaction;
 * audit as an operator action is the caller's. Used by the demo loader. */
int catalog_insert(store_conn *c, json_t *body, int64_t *id, err *e);
/* Output form: object_classes as an array. */
void catalog_decorate(json_t *rec);

#endif
