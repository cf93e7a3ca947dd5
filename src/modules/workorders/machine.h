/* machine.h — the work-order lifecycle as an explicit table: each action names the states
 * it may start from, the state it leads to, the roles that may take it and the side
 * (customer or provider) whose organisation the actor must belong to. Pure data + lookups.
 *
 *   new(待受理) → assigned(已派单) → accepted(已接单) → [arrived(已到场)] → in_progress(处理中)
 *   ↔ pending(挂起) → resolved(已解决) → closed(已关闭); reject: resolved → in_progress;
 *   cancel from new/assigned/accepted; transfer, reassign, escalate, set_priority keep or
 *   reset the state as listed in machine.c.
 */
#ifndef UNIOPS_WO_MACHINE_H
#define UNIOPS_WO_MACHINE_H

#include <stdint.h>

#define WO_STATES(X)                  \
  X(new, "待受理")                    \
  X(assigned, "已派单")               \
  X(accepted, "已接单")               \
  X(arrived, "已到场")                \
  X(in_progress, "处理中")            \
  X(pending, "挂起")                  \
  X(resolved, "已解决")               \
  X(closed, "已关闭")                 \
  X(cancelled, "已取消")

typedef enum {
#define X(name, label) WO_##name,
  WO_STATES(X)
#undef X
  WO__NSTATES
} wo_state;

#define WO_SAME (-1)

typedef enum { SIDE_DESK, SIDE_PROVIDER, SIDE_CUSTOMER, SIDE_CUSTOMER_OR_DESK } wo_side;

typedef struct wo_action {
  const char *name;
  uint32_t from;  /* bit (1u << state) */
  int to;         /* a wo_state or WO_SAME */
  uint32_t roles; /* bit (1u << role_id) */
  wo_side side;
} wo_action;

/* The action named `name`, or NULL. */
const wo_action *wo_action_find(const char *name);
/* State name ↔ id (-1 when unknown) and the Chinese label. */
int wo_state_from_name(const char *name);
const char *wo_state_name(int s);
const char *wo_state_label(int s);
/* Is the state open (the work is not finished: not resolved, closed or cancelled)? */
int wo_state_open(int s);
/* The priority from impact × urgency ("high", "medium", "low"): P1..P4, or NULL. */
const char *wo_priority_matrix(const char *impact, const char *urgency);

extern const wo_action wo_actions[];
extern const int wo_nactions;

#endif
