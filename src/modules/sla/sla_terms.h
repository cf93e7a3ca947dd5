/* sla_terms.h — the terms of one SLA agreement version as a JSON document, and their
 * validation (pure apart from reference checks done by the caller). Shape:
 *   {"valid_from":"2026-01-01","valid_to":"2026-12-31","calendar_id":1,
 *    "targets":{"P1":{"response_s":900,"arrival_s":3600,"resolution_s":14400},"P2":…,"P3":…,"P4":…},
 *    "item_overrides":[{"catalog_item_id":12,"targets":{"P2":{…}}}],
 *    "major_guarantees":[{"name":"国庆保障","from":"2026-09-30","to":"2026-10-08",
 *                          "calendar_id":2,"targets":{"P1":{…}}}],
 *    "indicators":[{"metric":"response_on_time_rate","target":0.95}],
 *    "note":"…"}
 */
#ifndef UNIOPS_SLA_TERMS_H
#define UNIOPS_SLA_TERMS_H

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"

/* The quantitative indicators (9.1.1.3) an agreement can be assessed on. */
#define SLA_METRICS(X)                   \
  X(response_on_time_rate, "响应及时率")  \
  X(arrival_on_time_rate, "到场及时率")   \
  X(resolution_on_time_rate, "解决及时率") \
  X(satisfaction_rate, "满意率")          \
  X(inspection_completion_rate, "巡检完成率")

/* Validates terms (keys, types, bounds, ordering of targets, date ranges, overlapping
 * guarantee periods, duplicate items/metrics). Reference ids (calendars, catalogue items)
 * are checked by the caller. */
int sla_terms_validate(const json_t *terms, err *e);

typedef struct sla_targets {
  int64_t response_s, arrival_s, resolution_s; /* arrival_s 0 = not measured */
} sla_targets;

/* Picks the targets for a priority ("P1".."P4") at a local civil date (days since epoch),
 * for an optional catalogue item (0 = none): a major-guarantee period covering the date
 * wins, then an item override, then the base targets. *source names which ("major_guarantee",
 * "item_override", "agreement"); *guarantee the period's name or NULL; *calendar_id the
 * guarantee's own calendar when it has one, else the version's. Terms must be valid. */
void sla_terms_pick(const json_t *terms, const char *priority, int32_t day, int64_t catalog_item_id,
                    sla_targets *out, const char **source, const char **guarantee, int64_t *calendar_id);

#endif
