/* gw: the gateway's shared types. The gateway turns HTTP into bus calls:
 * it authenticates, maps JSON to protobuf through descriptors, calls the
 * services with a deadline and maps their status back to api.md.
 *
 * It holds no business logic and no data: services decide, the gateway
 * translates. Process state (gw_t) is read-only after start except the
 * atomic metrics; each civetweb thread owns its bus client, Redis context
 * and arena (gw_thread_t).
 */
#ifndef GW_H
#define GW_H

#include "at_arena.h"
#include "at_bus_client.h"
#include "at_cache.h"
#include "at_config.h"
#include "at_status.h"
#include "bus.pb-c.h"
#include "gw_route.h"
#include <civetweb.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define GW_MAX_PARAMS 8
#define GW_NSTATUS 22
#define GW_NBUCKETS 12

/* One compiled route: the table row plus its split path. */
typedef struct {
    const gw_route_t *row;
    char label[160]; /* "GET /api/v1/tasks/{id}" for metrics */
    int nseg;
    char *seg[16];   /* literal segment, or NULL for a {param} */
    char *param[16]; /* param name where seg is NULL */
    /* metrics, lock-free */
    atomic_uint_fast64_t count[GW_NSTATUS];
    atomic_uint_fast64_t bucket[GW_NBUCKETS];
    atomic_uint_fast64_t sum_us;
    atomic_uint_fast64_t total;
} gw_compiled_route_t;

typedef struct {
    const at_config_t *config;
    const char *bus_endpoint;
    const char *redis_url;
    const char *public_url;
    int64_t timeout_ms; /* per-request deadline */
    int64_t max_body;   /* JSON body cap, bytes */
    int64_t max_upload; /* upload cap, bytes */
    bool behind_tls;
    const char *trusted_proxies; /* "ip,ip": peers whose X-Forwarded-For is believed */
    gw_compiled_route_t *routes;
    size_t nroutes;
    gw_compiled_route_t *special; /* metrics slots for hand-written endpoints */
    size_t nspecial;
} gw_t;

typedef struct {
    at_bus_client_t *bus;
    at_cache_t *cache;
    at_arena_t *arena;
} gw_thread_t;

/* The caller as authenticated for one request. */
typedef struct {
    Atrium__Principal *principal; /* in the request arena; NULL when anonymous */
    bool by_cookie;               /* authenticated by the session cookie (CSRF applies) */
    const char *csrf_token;       /* the session's token */
    const char *denied;           /* why a 403 (NULL: the CSRF rule) */
} gw_identity_t;

/* One HTTP request being served. */
typedef struct {
    gw_t *gw;
    gw_thread_t *thread;
    struct mg_connection *conn;
    const struct mg_request_info *info;
    at_arena_t *arena;
    char request_id[64];
    int64_t started_us;
    int64_t deadline_ms; /* epoch ms */
    gw_identity_t id;
    gw_compiled_route_t *route; /* for metrics */
    int status;                 /* HTTP status sent */
    const char *param_name[GW_MAX_PARAMS];
    const char *param_value[GW_MAX_PARAMS];
    int nparams;
} gw_req_t;

/* gw_reply.c -------------------------------------------------------------- */

/* Sends status with a JSON body (borrowed; NULL: no body) and the standard
 * headers (X-Request-Id, security headers, no-store). extra_headers is NULL
 * or CRLF-terminated header lines. Records the status. */
void gw_send_json(gw_req_t *r, int status, json_t *body, const char *extra_headers);

/* Sends the api.md error envelope for an HTTP status and code. field may be
 * NULL; retry_after > 0 adds Retry-After. */
void gw_send_error(gw_req_t *r, int status, const char *code, const char *message,
                   const char *field, int retry_after);

/* Like gw_send_error with extra CRLF-terminated header lines (Allow, ...). */
void gw_send_error_headers(gw_req_t *r, int status, const char *code, const char *message,
                           const char *field, const char *extra_headers);

/* Sends the envelope for a bus status. */
void gw_send_status(gw_req_t *r, at_status_t st, const char *message, const char *field,
                    int retry_after);

/* The security headers every response carries (CRLF-terminated lines). */
const char *gw_security_headers(const gw_t *gw);

/* gw_auth.c --------------------------------------------------------------- */

/* Authenticates the request from the session cookie (or a bearer token).
 * Returns AT_OK with r->id filled (anonymous when there are no credentials
 * and required is false), AT_UNAUTHENTICATED, or AT_UNAVAILABLE when Redis
 * or auth cannot be reached. Checks the CSRF header on state-changing
 * cookie requests unless csrf_exempt (AT_FORBIDDEN). */
at_status_t gw_authenticate(gw_req_t *r, bool required, bool csrf_exempt);

/* The Set-Cookie header line (CRLF-terminated, in the arena) for token; a
 * NULL token makes the clearing cookie. */
const char *gw_session_cookie(gw_req_t *r, const char *token);

/* gw_call.c --------------------------------------------------------------- */

/* Calls rpc with the packed body (len bytes) on behalf of r, with r's
 * deadline. On AT_OK-family statuses sets *reply (arena). For failures
 * returns the status and sets *reply to the service's Reply when there was
 * one (NULL for bus faults). */
at_status_t gw_call(gw_req_t *r, const char *rpc, bool idempotent, const ProtobufCMessage *body,
                    Atrium__Reply **reply);

/* The bus part of gw_call: on AT_OK *frame is the packed atrium.Reply,
 * which the caller destroys (for large replies that must not go into the
 * arena); otherwise AT_UNAVAILABLE or AT_TIMEOUT. */
at_status_t gw_call_frame(gw_req_t *r, const char *rpc, bool idempotent,
                          const ProtobufCMessage *body, zframe_t **frame);

/* Like gw_call, and unpacks the reply body as desc into *out (arena). */
at_status_t gw_call_msg(gw_req_t *r, const char *rpc, bool idempotent, const ProtobufCMessage *body,
                        const ProtobufCMessageDescriptor *desc, ProtobufCMessage **out,
                        Atrium__Reply **reply);

/* gw_routes.c ------------------------------------------------------------- */

/* Compiles every service's route table into gw. 0 or -1 (bad table). */
int gw_routes_init(gw_t *gw);

/* The civetweb handler for /api/: matches, then runs the generic handler
 * or a streaming one. */
int gw_api_handler(struct mg_connection *conn, void *cbdata);

/* Prepares r for conn (request id, arena, deadline). */
void gw_req_begin(gw_req_t *r, gw_t *gw, struct mg_connection *conn);

/* Writes the access log line and metrics for r. */
void gw_req_end(gw_req_t *r);

/* Value of path parameter name, or NULL. */
const char *gw_param(const gw_req_t *r, const char *name);

/* Query parameter name (URL-decoded, in the arena), or NULL. */
const char *gw_query(gw_req_t *r, const char *name);

/* gw_stream.c ------------------------------------------------------------- */

/* Streaming endpoints: upload (raw or multipart), new version, download. */
void gw_upload(gw_req_t *r, const char *client_id, const char *document_id);
void gw_download(gw_req_t *r, const char *document_id);

/* GET /api/v1/documents/{id}/preview[?version=N]: the document's PNG
 * thumbnail (document.preview) with its ETag (304 on If-None-Match),
 * Cache-Control: private, inline, nosniff and a sandboxing CSP; a 404 with
 * Retry-After while it is being made, a plain 404 when there is none. */
void gw_preview(gw_req_t *r, const char *document_id);

/* tus 1.0.0 (core, creation, termination, expiration) at /api/v1/uploads:
 * OPTIONS advertises; POST creates from Upload-Length and Upload-Metadata
 * (filename, client_id, folder_id, document_id, request_id, filetype; values
 * base64); HEAD reports Upload-Offset; PATCH appends at Upload-Offset and,
 * once the declared length is reached, makes the document (its id in
 * Atrium-Document-Id); DELETE terminates. */
void gw_tus_options(gw_req_t *r);
void gw_tus_create(gw_req_t *r);
void gw_tus_head(gw_req_t *r, const char *upload_id);
void gw_tus_patch(gw_req_t *r, const char *upload_id);
void gw_tus_delete(gw_req_t *r, const char *upload_id);

/* gw_export.c ------------------------------------------------------------- */

/* GET /api/v1/audit/export?format=csv|jsonl&<filters>: pages through
 * audit.export_page and writes each page as one HTTP chunk (RFC 9112
 * chunked transfer coding), so memory stays at one page whatever the
 * trail's length. Errors before the first byte are the api.md envelope;
 * a failure mid-stream ends the connection without the last chunk, so the
 * client sees an incomplete body, never a short file taken for whole. */
void gw_audit_export(gw_req_t *r);

/* gw_certificate.c -------------------------------------------------------- */

/* GET /api/v1/signature-requests/{id}/certificate[?format=json|pdf]: the
 * evidence of a signature request from document.signature_certificate, as
 * JSON (audit fields null while an event is not in the trail yet), or as
 * the PDF the document service rendered (application/pdf, attachment,
 * nosniff; at most 1 MiB, so it travels in one bus reply). */
void gw_signature_certificate(gw_req_t *r, const char *id);

/* gw_search.c ------------------------------------------------------------- */

/* GET /api/v1/search?q=&limit=: asks document.search, tasks.search and
 * messaging.search (each with a share of the deadline), merges their hits
 * by rank and answers the best limit (default 20, at most 50) as
 * {items:[{type,id,title,snippet,client_id}], partial}. A service that does
 * not answer makes the result partial (partial: true), not an error; only
 * when none answers is the failure sent (503 when unreachable). A blank q,
 * or one over 1000 characters, is 400 validation_failed. */
void gw_search(gw_req_t *r);

/* gw_dashboard.c ---------------------------------------------------------- */

/* GET /api/v1/dashboard: asks auth.dashboard for the caller's previous
 * login, then document, tasks, messaging, billing-sync and audit for their
 * `<svc>.dashboard` section (one aggregate statement each), and writes the
 * merged object; a service that does not answer gives its sections null
 * and "partial": true, never an error status. */
void gw_dashboard(gw_req_t *r);

/* gw_ws.c ----------------------------------------------------------------- */

/* Registers the WebSocket at /api/v1/events (RFC 6455; cookie-authenticated,
 * foreign Origin refused) and starts the thread that relays the services'
 * Redis events (channels atrium:events:<firm_id>) to the sockets whose user
 * may see them. Returns 0, or -1 if the thread cannot start. */
int gw_ws_start(struct mg_context *ctx, gw_t *gw);

/* Stops the relay thread; call after mg_stop. */
void gw_ws_stop(void);

/* gw_ops.c ---------------------------------------------------------------- */

/* civetweb handlers (cbdata is the gw_t) for /livez and /healthz (200 while
 * the process runs), /readyz (200 only when the bus, every service with its
 * database, and Redis answer; else 503 naming what does not) and /metrics
 * (Prometheus text exposition format 0.0.4). GET and HEAD only (else 405).
 * Each returns the HTTP status it sent. */
int gw_livez_handler(struct mg_connection *conn, void *cbdata);
int gw_readyz_handler(struct mg_connection *conn, void *cbdata);
int gw_metrics_handler(struct mg_connection *conn, void *cbdata);

/* Records a finished request in the route's metrics. */
void gw_metrics_record(gw_compiled_route_t *route, int status, int64_t micros);

#endif
