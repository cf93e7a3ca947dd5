/* achievement.h — SLA achievement (达成率, clause 9.1.2.4) from the work orders' clocks,
 * and the provider's monthly SLA self-assessment report (JSON or .xlsx). */
#ifndef UNIOPS_ACHIEVEMENT_H
#define UNIOPS_ACHIEVEMENT_H

#include "http/req.h"

/* GET /api/v1/sla/achievement?from=…&to=…&group_by=provider|customer|priority|catalog_item|metric */
void sla_achievement_h(req *r);
/* GET /api/v1/sla/self-assessment?provider_org_id=…&month=YYYY-MM[&format=xlsx] */
void sla_self_assessment_h(req *r);

#endif
