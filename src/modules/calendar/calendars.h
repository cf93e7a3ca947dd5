/* calendars.h — business calendars (工作日历) as stored records and their API: the JSON
 * document of caldoc.h, deadline and elapsed-time queries, and the loader other modules
 * (SLA clocks) use. */
#ifndef UNIOPS_CALENDARS_H
#define UNIOPS_CALENDARS_H

#include "http/req.h"
#include "modules/calendar/calmath.h"

void calendars_list(req *r);
void calendars_get(req *r);
void calendars_create(req *r);   /* POST: the calendar document */
void calendars_put(req *r);      /* PUT with If-Match: replace the document */
void calendars_deactivate(req *r);
void calendars_activate(req *r);
void calendars_due(req *r);      /* GET …/{id}/due?start=…&duration_s=… */
void calendars_elapsed(req *r);  /* GET …/{id}/elapsed?from=…&to=… */

/* Loads calendar id into *out (caldoc_free it). ERR_not_found when missing. */
int calendars_load(store_conn *c, int64_t id, cal_calendar *out, err *e);
/* Validates a document and inserts it (caller's write transaction; caller audits). */
int calendars_insert(store_conn *c, const json_t *doc, int64_t *id, json_t **stored, err *e);

#endif
