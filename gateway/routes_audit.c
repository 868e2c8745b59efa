/* routes_audit: the audit trail's JSON endpoints (api.md "Audit").
 * GET /api/v1/audit/export is streamed by hand (gw_export.c).
 *
 * Item.details is a string holding a JSON object's text: the gateway must
 * write it into the response as raw JSON (the object), not as a string.
 */
#include "audit.pb-c.h"
#include "gw_route.h"

/* Every member of an item is present, null when it has no value, so the
 * shape does not change from one event to the next. ("id", "name", "kind"
 * and "type" only occur inside actor and resource in these replies.) */
static const char *const s_null_fields[] = {
    "next_cursor", "client_id", "ip",   "user_agent", "request_id", "source",
    "id",          "name",      "kind", "type",       NULL,
};

/* verify: what is not known is null rather than missing. */
static const char *const s_verify_nulls[] = {"first_bad_seq", "problem", "last_checkpoint_seq",
                                             "archived_up_to", NULL};

const gw_route_t gw_routes_audit[] = {
    {"GET", "/api/v1/audit", GW_AUTH_REQUIRED, "audit.list",
     &atrium__audit__list_request__descriptor, &atrium__audit__list_reply__descriptor, 200,
     GW_IDEMPOTENT | GW_NO_BODY, s_null_fields},
    {"GET", "/api/v1/me/activity", GW_AUTH_REQUIRED, "audit.my_activity",
     &atrium__audit__activity_request__descriptor, &atrium__audit__list_reply__descriptor, 200,
     GW_IDEMPOTENT | GW_NO_BODY, s_null_fields},
    {"GET", "/api/v1/audit/verify", GW_AUTH_REQUIRED, "audit.verify",
     &atrium__audit__verify_request__descriptor, &atrium__audit__verify_reply__descriptor, 200,
     GW_IDEMPOTENT | GW_NO_BODY | GW_LONG, s_verify_nulls},
    {"GET", "/api/v1/audit/checkpoints", GW_AUTH_REQUIRED, "audit.checkpoints",
     &atrium__audit__checkpoints_request__descriptor, &atrium__audit__checkpoints_reply__descriptor,
     200, GW_IDEMPOTENT | GW_NO_BODY, NULL},
    {"POST", "/api/v1/audit/checkpoints", GW_AUTH_REQUIRED, "audit.checkpoint",
     &atrium__audit__checkpoint_request__descriptor, &atrium__audit__checkpoint__descriptor, 201,
     GW_NO_BODY, NULL},
    {0},
};
