/* routes_messaging: the messaging service's JSON endpoints (api.md
 * "Messages and notifications"). Notifications and the WebSocket are not
 * served here (the events this service publishes feed the WebSocket). */
#include "gw_route.h"
#include "messaging.pb-c.h"
#include <stddef.h>

/* edited_at is null until a message is edited; last_message_at never is
 * absent (a thread has its first message) but is listed for safety. */
static const char *const s_nulls[] = {"edited_at", "last_message_at", "next_cursor", NULL};

const gw_route_t gw_routes_messaging[] = {
    {"POST", "/api/v1/clients/{client_id}/threads", GW_AUTH_REQUIRED, "messaging.create_thread",
     &atrium__messaging__create_thread_request__descriptor, &atrium__messaging__thread__descriptor,
     201, 0, s_nulls},
    {"GET", "/api/v1/clients/{client_id}/threads", GW_AUTH_REQUIRED, "messaging.list_threads",
     &atrium__messaging__list_threads_request__descriptor,
     &atrium__messaging__thread_page__descriptor, 200, GW_NO_BODY, s_nulls},
    {"GET", "/api/v1/threads/{id}", GW_AUTH_REQUIRED, "messaging.get_thread",
     &atrium__messaging__thread_id_request__descriptor, &atrium__messaging__thread__descriptor, 200,
     GW_NO_BODY, s_nulls},
    {"GET", "/api/v1/threads/{id}/messages", GW_AUTH_REQUIRED, "messaging.list_messages",
     &atrium__messaging__list_messages_request__descriptor,
     &atrium__messaging__message_page__descriptor, 200, GW_NO_BODY, s_nulls},
    {"POST", "/api/v1/threads/{id}/messages", GW_AUTH_REQUIRED, "messaging.post_message",
     &atrium__messaging__post_message_request__descriptor, &atrium__messaging__message__descriptor,
     201, 0, s_nulls},
    {"PATCH", "/api/v1/messages/{id}", GW_AUTH_REQUIRED, "messaging.edit_message",
     &atrium__messaging__edit_message_request__descriptor, &atrium__messaging__message__descriptor,
     200, 0, s_nulls},
    {"DELETE", "/api/v1/messages/{id}", GW_AUTH_REQUIRED, "messaging.delete_message",
     &atrium__messaging__message_id_request__descriptor, NULL, 204, GW_NO_BODY, NULL},
    /* the read position only moves forward: repeating it changes nothing */
    {"POST", "/api/v1/threads/{id}/read", GW_AUTH_REQUIRED, "messaging.mark_read",
     &atrium__messaging__mark_read_request__descriptor, NULL, 204, GW_IDEMPOTENT, NULL},
    {NULL, NULL, 0, NULL, NULL, NULL, 0, 0, NULL},
};
