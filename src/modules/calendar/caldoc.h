/* caldoc.h — the JSON document form of a business calendar, parsed strictly into a
 * cal_calendar and rendered back:
 *
 *   {"name": "office hours",
 *    "week": {"mon": [["08:30","12:00"], ["14:00","17:30"]], "tue": [...], "wed": [...],
 *             "thu": [...], "fri": [...], "sat": [], "sun": []},
 *    "holidays": ["2026-10-01", ...],
 *    "workdays": ["2026-09-20", ...]}
 *
 * "name" and "week" with all seven days are required; "holidays" (days off) and "workdays"
 * (make-up working days, 调休, which work Monday's hours) may be omitted and then are empty.
 * A document is canonical when its periods and dates are sorted ascending; rendering a
 * parsed canonical document gives back an equal document.
 */
#ifndef UNIOPS_CALDOC_H
#define UNIOPS_CALDOC_H

#include <jansson.h>
#include <stddef.h>

#include "core/err.h"
#include "modules/calendar/calmath.h"

#define CALDOC_NAME_MAX_CHARS 100 /* characters (Unicode code points) */
#define CALDOC_NAME_BUF 401       /* bytes enough for any valid name in UTF-8, plus NUL */
#define CALDOC_MAX_DATES 2000     /* per list */

/* Validates doc and fills *out. Rules, each failure naming the offending field:
 *   - doc is an object whose keys are among name, week, holidays, workdays
 *     (else ERR_unknown_field, field = the key; inside "week", field = "week.<key>");
 *   - name: a string of 1..100 characters, not blank, no control characters;
 *   - week: an object with all of mon tue wed thu fri sat sun (missing → "week.<day>");
 *     each day an array of at most CAL_MAX_PERIODS [start, end] pairs of "HH:MM" strings
 *     (field "week.mon[1]", or "week.mon[1][0]" for one bad time), start < end, "24:00" only
 *     as an end, ascending and non-overlapping (an overlap names both periods; touching
 *     periods such as 12:00/12:00 are allowed);
 *   - holidays, workdays: arrays of at most CALDOC_MAX_DATES "YYYY-MM-DD" strings (field
 *     "holidays[3]"), no duplicates, every workday a Saturday or Sunday, no date in both.
 * Dates may come in any order; out gets them sorted ascending in freshly malloc'ed arrays
 * (NULL when empty) that the caller releases with caldoc_free.
 * name_out (may be NULL) receives the name; name_cap should be CALDOC_NAME_BUF — a name that
 * does not fit is an ERR_internal failure.
 * Returns 0, or -1 with e filled (ERR_validation_failed, ERR_unknown_field, or ERR_internal
 * when memory runs out); on failure *out is left zeroed and nothing needs freeing. */
int caldoc_parse(const json_t *doc, cal_calendar *out, char *name_out, size_t name_cap, err *e);

/* Frees the holiday and workday arrays of a calendar filled by caldoc_parse and zeroes their
 * pointers and counts. NULL-safe; calling it twice is harmless. */
void caldoc_free(cal_calendar *c);

/* The document form of c: a new reference the caller owns, or NULL if memory runs out.
 * name may be NULL, in which case the "name" key is left out. Periods are rendered as
 * stored ("24:00" for an end of 1440) and dates as "YYYY-MM-DD", in the calendar's order. */
json_t *caldoc_render(const cal_calendar *c, const char *name);

#endif
