/* routes.c — every endpoint of the HTTP API in one table (see docs/api.md). */
#include "http/server.h"
#include "modules/audit_api/audit_api.h"
#include "modules/calendar/calendars.h"
#include "modules/catalog/catalog.h"
#include "modules/identity/identity.h"
#include "modules/orgs/orgs.h"
#include "modules/sla/sla.h"
#include "modules/system/system.h"
#include "modules/users/users.h"
#include "modules/webhooks/webhooks.h"
#include "modules/workorders/workorders.h"
#include "modules/workorders/achievement.h"
#include "modules/workorders/attachments.h"

#define PUB ROUTE_PUBLIC
#define PWC ROUTE_BEFORE_PASSWORD_CHANGE

const route api_routes[] = {
    {"GET", "/healthz", system_healthz, PUB},
    {"GET", "/readyz", system_readyz, PUB},
    {"GET", "/metrics", system_metrics, PUB},
    {"PUT", "/api/v1/test/clock", system_test_clock, PUB},

    {"POST", "/api/v1/sessions", sessions_create, PUB},
    {"DELETE", "/api/v1/sessions/current", sessions_delete, PWC},
    {"GET", "/api/v1/me", me_get, PWC},
    {"POST", "/api/v1/me/password", me_password, PWC},

    {"GET", "/api/v1/orgs", orgs_list, 0},
    {"POST", "/api/v1/orgs", orgs_create, 0},
    {"GET", "/api/v1/orgs/{id}", orgs_get, 0},
    {"PATCH", "/api/v1/orgs/{id}", orgs_patch, 0},
    {"POST", "/api/v1/orgs/{id}/deactivate", orgs_deactivate, 0},
    {"POST", "/api/v1/orgs/{id}/activate", orgs_activate, 0},

    {"GET", "/api/v1/users", users_list, 0},
    {"POST", "/api/v1/users", users_create, 0},
    {"GET", "/api/v1/users/{id}", users_get, 0},
    {"PATCH", "/api/v1/users/{id}", users_patch, 0},
    {"POST", "/api/v1/users/{id}/deactivate", users_deactivate, 0},
    {"POST", "/api/v1/users/{id}/activate", users_activate, 0},
    {"PUT", "/api/v1/users/{id}/roles", users_put_roles, 0},
    {"POST", "/api/v1/users/{id}/unlock", users_unlock, 0},
    {"POST", "/api/v1/users/{id}/password", users_reset_password, 0},
    {"DELETE", "/api/v1/users/{id}/sessions", users_revoke_sessions, 0},

    {"GET", "/api/v1/roles", roles_list, 0},
    {"GET", "/api/v1/security-policy", policy_get_h, 0},
    {"PATCH", "/api/v1/security-policy", policy_patch_h, 0},

    {"GET", "/api/v1/catalog", catalog_list, 0},
    {"GET", "/api/v1/catalog/tree", catalog_tree, 0},
    {"POST", "/api/v1/catalog", catalog_create, 0},
    {"GET", "/api/v1/catalog/{id}", catalog_get, 0},
    {"PATCH", "/api/v1/catalog/{id}", catalog_patch, 0},
    {"POST", "/api/v1/catalog/{id}/deactivate", catalog_deactivate, 0},
    {"POST", "/api/v1/catalog/{id}/activate", catalog_activate, 0},

    {"GET", "/api/v1/calendars", calendars_list, 0},
    {"POST", "/api/v1/calendars", calendars_create, 0},
    {"GET", "/api/v1/calendars/{id}", calendars_get, 0},
    {"PUT", "/api/v1/calendars/{id}", calendars_put, 0},
    {"POST", "/api/v1/calendars/{id}/deactivate", calendars_deactivate, 0},
    {"POST", "/api/v1/calendars/{id}/activate", calendars_activate, 0},
    {"GET", "/api/v1/calendars/{id}/due", calendars_due, 0},
    {"GET", "/api/v1/calendars/{id}/elapsed", calendars_elapsed, 0},

    {"GET", "/api/v1/sla-agreements", sla_list, 0},
    {"POST", "/api/v1/sla-agreements", sla_create, 0},
    {"GET", "/api/v1/sla-agreements/{id}", sla_get, 0},
    {"PUT", "/api/v1/sla-agreements/{id}", sla_put, 0},
    {"GET", "/api/v1/sla-agreements/{id}/versions", sla_versions, 0},
    {"GET", "/api/v1/sla-agreements/{id}/versions/{no}", sla_version_get, 0},
    {"POST", "/api/v1/sla-agreements/{id}/deactivate", sla_deactivate, 0},
    {"POST", "/api/v1/sla-agreements/{id}/activate", sla_activate, 0},
    {"GET", "/api/v1/sla/resolve", sla_resolve_h, 0},

    {"GET", "/api/v1/work-orders", wo_list, 0},
    {"POST", "/api/v1/work-orders", wo_create, 0},
    {"GET", "/api/v1/work-orders/callback-sample", wo_callback_sample, 0},
    {"GET", "/api/v1/work-orders/{id}", wo_get, 0},
    {"POST", "/api/v1/work-orders/{id}/actions", wo_action_h, 0},
    {"POST", "/api/v1/work-orders/{id}/comments", wo_comment, 0},
    {"POST", "/api/v1/work-orders/{id}/worklogs", wo_worklog, 0},
    {"GET", "/api/v1/work-orders/{id}/events", wo_events, 0},
    {"POST", "/api/v1/work-orders/{id}/callbacks", wo_callback, 0},
    {"POST", "/api/v1/work-orders/{id}/attachments", wo_attach, 0},
    {"GET", "/api/v1/work-orders/{id}/attachments", wo_attachments_list, 0},
    {"GET", "/api/v1/attachments/{id}", attachment_get, 0},
    {"GET", "/api/v1/sla/achievement", sla_achievement_h, 0},
    {"GET", "/api/v1/sla/self-assessment", sla_self_assessment_h, 0},

    {"GET", "/api/v1/webhooks", webhooks_list, 0},
    {"POST", "/api/v1/webhooks", webhooks_create, 0},
    {"GET", "/api/v1/webhooks/{id}", webhooks_get, 0},
    {"PATCH", "/api/v1/webhooks/{id}", webhooks_patch, 0},
    {"POST", "/api/v1/webhooks/{id}/deactivate", webhooks_deactivate, 0},
    {"POST", "/api/v1/webhooks/{id}/activate", webhooks_activate, 0},
    {"GET", "/api/v1/outbox", outbox_list_h, 0},
    {"POST", "/api/v1/outbox/{id}/retry", outbox_retry_h, 0},

    {"GET", "/api/v1/audit", audit_list, 0},
    {"GET", "/api/v1/audit/verify", audit_verify_h, 0},
};

const int api_nroutes = (int)(sizeof api_routes / sizeof api_routes[0]);
