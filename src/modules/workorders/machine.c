/* machine.c — the transition table of work orders and the priority matrix. */
#include "modules/workorders/machine.h"

#include <string.h>

#include "auth/rbac.h"

#define S(x) (1u << WO_##x)
#define R(x) (1u << ROLE_##x)
#define OPEN_WORK (S(accepted) | S(arrived) | S(in_progress) | S(pending))
#define DESK (R(service_desk) | R(manager))
#define FIELD (R(engineer) | R(provider_manager) | R(service_desk))
#define CUSTOMER (R(requester) | R(dept_admin))

const wo_action wo_actions[] = {
    {"assign", S(new) | S(assigned), WO_assigned, DESK, SIDE_DESK},
    {"accept", S(assigned), WO_accepted, FIELD, SIDE_PROVIDER},
    {"arrive", S(accepted), WO_arrived, R(engineer) | R(provider_manager), SIDE_PROVIDER},
    {"start", S(accepted) | S(arrived), WO_in_progress, FIELD, SIDE_PROVIDER},
    {"pend", S(in_progress), WO_pending, FIELD, SIDE_PROVIDER},
    {"resume", S(pending), WO_in_progress, FIELD, SIDE_PROVIDER},
    {"resolve", S(in_progress), WO_resolved, FIELD, SIDE_PROVIDER},
    {"confirm", S(resolved), WO_closed, CUSTOMER, SIDE_CUSTOMER},
    {"reject", S(resolved), WO_in_progress, CUSTOMER, SIDE_CUSTOMER},
    {"cancel", S(new) | S(assigned) | S(accepted), WO_cancelled, CUSTOMER | DESK, SIDE_CUSTOMER_OR_DESK},
    {"transfer", S(assigned) | S(accepted), WO_assigned, DESK, SIDE_DESK},
    {"reassign", S(assigned) | OPEN_WORK, WO_SAME, R(provider_manager) | DESK, SIDE_PROVIDER},
    {"escalate", OPEN_WORK, WO_SAME, R(engineer) | R(provider_manager), SIDE_PROVIDER},
    {"set_priority", S(new) | S(assigned) | OPEN_WORK, WO_SAME, DESK, SIDE_DESK},
};
const int wo_nactions = (int)(sizeof wo_actions / sizeof wo_actions[0]);

static const char *const state_names[] = {
#define X(name, label) #name,
    WO_STATES(X)
#undef X
};
static const char *const state_labels[] = {
#define X(name, label) label,
    WO_STATES(X)
#undef X
};

const wo_action *wo_action_find(const char *name) {
  for (int i = 0; i < wo_nactions; i++)
    if (strcmp(wo_actions[i].name, name) == 0) return &wo_actions[i];
  return NULL;
}

int wo_state_from_name(const char *name) {
  for (int i = 0; i < WO__NSTATES; i++)
    if (strcmp(state_names[i], name) == 0) return i;
  return -1;
}

const char *wo_state_name(int s) { return s >= 0 && s < WO__NSTATES ? state_names[s] : "?"; }
const char *wo_state_label(int s) { return s >= 0 && s < WO__NSTATES ? state_labels[s] : "?"; }

int wo_state_open(int s) { return s != WO_resolved && s != WO_closed && s != WO_cancelled; }

const char *wo_priority_matrix(const char *impact, const char *urgency) {
  static const char *const levels[] = {"high", "medium", "low"};
  int i = -1, u = -1;
  for (int k = 0; k < 3; k++) {
    if (impact && strcmp(impact, levels[k]) == 0) i = k;
    if (urgency && strcmp(urgency, levels[k]) == 0) u = k;
  }
  if (i < 0 || u < 0) return NULL;
  /* high/high P1; one step down P2; two P3; three or four P4 */
  static const char *const prio[] = {"P1", "P2", "P3", "P4", "P4"};
  return prio[i + u];
}
