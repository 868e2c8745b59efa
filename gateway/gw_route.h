/* gw_route: the gateway's route table row. Every JSON endpoint is one row;
 * the one generic handler (gw_routes.c) authenticates, reads a capped body,
 * maps JSON, path and query parameters onto the request message through its
 * descriptor (at_pbjson), calls the bus with a deadline, maps the status and
 * encodes the reply. Each service contributes one table in
 * gateway/routes_<service>.c.
 *
 * Only streaming upload/download and the WebSocket are hand-written.
 */
#ifndef GW_ROUTE_H
#define GW_ROUTE_H

#include <protobuf-c/protobuf-c.h>

typedef enum {
    GW_AUTH_NONE = 0, /* public: no principal is sent */
    GW_AUTH_REQUIRED, /* a session cookie (with CSRF on writes) or bearer token */
    GW_AUTH_OPTIONAL, /* a principal is sent when there is one */
} gw_auth_t;

enum {
    GW_SETS_SESSION = 1u << 0,   /* reply field session_token becomes the cookie, never JSON */
    GW_CLEARS_SESSION = 1u << 1, /* on success the cookie is cleared */
    GW_IDEMPOTENT = 1u << 2,     /* the bus may retry it on another instance (GETs always are) */
    GW_NO_CSRF = 1u << 3,  /* state-changing but exempt from the CSRF header (login, signup) */
    GW_NO_BODY = 1u << 4,  /* ignore any request body */
    GW_REDIRECT = 1u << 5, /* reply field location becomes a 302 Location header */
    GW_LONG =
        1u << 6, /* deadline GW_LONG_FACTOR x ATRIUM_REQUEST_TIMEOUT_MS (whole-trail verify) */
};

/* A GW_LONG route's deadline, as a multiple of the ordinary one (60 s with
 * the default 5 s): verifying a million-event trail takes seconds, not ms. */
#define GW_LONG_FACTOR 12

typedef struct {
    const char *method; /* "GET", "POST", ...; NULL ends a table */
    const char *path;   /* "/api/v1/clients/{client_id}/tasks"; {x} fills field x */
    gw_auth_t auth;
    const char *rpc; /* bus method "tasks.create"; the service is before the dot */
    const ProtobufCMessageDescriptor *request;
    const ProtobufCMessageDescriptor *reply; /* NULL: no body (204) */
    int status;                              /* HTTP status on success: 200, 201, 202, 204 */
    unsigned flags;
    const char *const *null_fields; /* fields written as null when absent; NULL: {"next_cursor"} */
} gw_route_t;

#endif
