/* demo.h — the parts of the demo city, each loaded in the caller's write transaction
 * and audited as operator actions. Each returns how many records it wrote, or -1. */
#ifndef UNIOPS_DEMO_H
#define UNIOPS_DEMO_H

#include "store/store.h"

int demo_load_catalog(store_conn *c, err *e);

#endif
