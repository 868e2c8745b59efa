/* at_service: everything a service process shares: configuration, logging,
 * the database and its migrations, Redis, N worker threads each with its own
 * connections answering bus requests through a method table, the audit
 * outbox relay, the `healthcheck` subcommand, and a clean stop on SIGTERM.
 * A service's main.c is one call to at_service_main.
 *
 * It does not know any method: handlers validate, check permission, call
 * their store and return a status.
 */
#ifndef AT_SERVICE_H
#define AT_SERVICE_H

#include "at_arena.h"
#include "at_bus_client.h"
#include "at_cache.h"
#include "at_config.h"
#include "at_db.h"
#include "at_embed.h"
#include "at_status.h"
#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

/* Per-request context; every pointer is borrowed and valid for the request. */
typedef struct {
    at_db_t *db;          /* this thread's connection */
    at_cache_t *cache;    /* this thread's Redis */
    at_bus_client_t *bus; /* for calls to other services */
    at_arena_t *arena;    /* replies are built here */
    const at_config_t *config;
    void *state;                        /* the service's process state (init) */
    const Atrium__Request *request;     /* the envelope */
    const Atrium__Principal *principal; /* NULL for public methods */
    /* set by at_fail */
    const char *err_message;
    const char *err_field;
    int retry_after;
} at_ctx_t;

/* A handler: validates request, checks the principal, does the work and
 * sets *reply to a message built in ctx->arena (or leaves it NULL).
 * Returns the status of the outcome. */
typedef at_status_t (*at_handler_fn)(at_ctx_t *ctx, const ProtobufCMessage *request,
                                     ProtobufCMessage **reply);

enum {
    AT_METHOD_PUBLIC = 1, /* callable without a principal (signup, login) */
};

typedef struct {
    const char *method; /* "tasks.create"; NULL ends */
    at_handler_fn handler;
    const ProtobufCMessageDescriptor *request; /* body type */
    const ProtobufCMessageDescriptor *reply;   /* reply body type or NULL */
    unsigned flags;
} at_method_t;

typedef struct {
    const char *name;   /* "tasks": bus service name, log name */
    const char *schema; /* PostgreSQL schema it owns */
    const at_method_t *methods;
    const at_embedded_t *migrations; /* sql/NNN_*.sql, embedded */
    const at_config_key_t *config;   /* extra ATRIUM_* keys, or NULL */
    /* Process-wide set-up after migrations; may set *state. 0 or -1. */
    int (*init)(const at_config_t *config, at_db_t *db, void **state);
    void (*fini)(void *state);
    /* Optional background thread body (reminders, sync). Runs with its own
     * connections until *stop becomes true; ctx has no request. */
    void (*background)(at_ctx_t *ctx, volatile int *stop);
} at_service_def_t;

/* Runs the service: `prog` serves; `prog healthcheck` exits 0 when an
 * instance of the service answers on the bus. Returns the exit code. */
int at_service_main(int argc, char **argv, const at_service_def_t *def);

/* Records an error's message (printf) and field (may be NULL) for the reply,
 * and returns status, so handlers can `return at_fail(...)`. */
at_status_t at_fail(at_ctx_t *ctx, at_status_t status, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Allocates a message of type desc in the request's arena, initialised. */
void *at_msg_new(at_ctx_t *ctx, const ProtobufCMessageDescriptor *desc);

/* Copies s into the arena (NULL stays NULL). */
char *at_str(at_ctx_t *ctx, const char *s);

/* Calls method ("auth.get_client") of another service on behalf of the same
 * principal, request id and deadline. req is packed; on success *reply is
 * unpacked into the arena as reply_desc. Returns the callee's status, or
 * AT_UNAVAILABLE / AT_TIMEOUT for bus faults. */
at_status_t at_call(at_ctx_t *ctx, const char *method, const ProtobufCMessage *req,
                    const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **reply);

/* Access checks on the principal (api.md "Firm, staff, clients, members").
 * at_can_see_client: the caller's role in client_id of firm_id: the grant's
 * role, "staff" for owners/admins, or NULL when the client is not theirs
 * (answer 404). */
const char *at_can_see_client(const at_ctx_t *ctx, const char *firm_id, const char *client_id);

/* True when the caller is staff (any staff role). */
bool at_is_staff(const at_ctx_t *ctx);

/* One audit event, written to this service's outbox in the current
 * transaction (so it exists exactly when the change commits). Fields left
 * NULL are taken from the principal and envelope. details is borrowed. */
typedef struct {
    const char *action;        /* "document.uploaded" */
    const char *resource_type; /* "document" */
    const char *resource_id;
    const char *client_id;
    const char *firm_id; /* default: principal's firm */
    const char *actor_id, *actor_name, *actor_kind;
    json_t *details; /* names at the time, what changed */
    /* The event's id (a uuid the caller made, to find the event in the
     * trail later: a signature's evidence); NULL: a new random one. */
    const char *event_id;
} at_audit_event_t;

/* Inserts ev into <schema>.audit_outbox. Returns AT_OK or the db status. */
at_status_t at_audit(at_ctx_t *ctx, const at_audit_event_t *ev);

#endif
