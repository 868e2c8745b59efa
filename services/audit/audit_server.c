/* audit_server: the audit service's method table and thin handlers:
 * audit.ingest (from the outbox relays of every service), audit.list
 * (GET /api/v1/audit), audit.my_activity (GET /api/v1/me/activity),
 * audit.checkpoint and audit.checkpoints (POST/GET /api/v1/audit/checkpoints),
 * audit.verify (GET /api/v1/audit/verify) and audit.export_page (one page of
 * GET /api/v1/audit/export, which the gateway streams); plus the background
 * thread that signs a checkpoint of every firm whose head moved, every
 * ATRIUM_AUDIT_CHECKPOINT_S seconds, and moves events past the retention
 * period into the archive (at start, then every ATRIUM_AUDIT_RETENTION_EVERY_S).
 *
 * It holds no SQL (audit_store.c), no hashing or signing (audit_chain.c),
 * no verification logic (audit_verify.c) and no formatting (audit_export.c).
 */
#include "at_cursor.h"
#include "at_log.h"
#include "at_service.h"
#include "at_tenancy.h"
#include "at_time.h"
#include "audit.pb-c.h"
#include "audit_chain.h"
#include "audit_export.h"
#include "audit_key.h"
#include "audit_store.h"
#include "audit_verify.h"
#include <czmq.h>
#include <stdlib.h>
#include <string.h>

extern const at_embedded_t audit_migrations[];

/* A batch larger than this is refused whole (the relay sends 200). */
#define S_MAX_BATCH 5000
/* Rows per database round trip of verify, and per export page: a page of
 * 500 events is well under the bus's 8 MiB message cap. */
#define S_VERIFY_BATCH 1000
#define S_EXPORT_PAGE 500

static const at_config_key_t s_config[] = {
    {"ATRIUM_AUDIT_KEY_FILE", "${ATRIUM_DATA_DIR}/audit/checkpoint.key", AT_CFG_STRING, 0, 0, true,
     false, "the Ed25519 checkpoint-signing key (created on first start, mode 0600)"},
    {"ATRIUM_AUDIT_CHECKPOINT_S", "60", AT_CFG_INT, 1, 86400, true, false,
     "seconds between signed checkpoints of every firm whose trail grew"},
    {"ATRIUM_AUDIT_RETENTION_DAYS", "0", AT_CFG_INT, 0, 36500, true, false,
     "days after which events move to the archive (0: keep them live for ever)"},
    {"ATRIUM_AUDIT_RETENTION_S", "0", AT_CFG_INT, 0, 3153600000LL, true, false,
     "the retention period in seconds, when set (> 0) instead of days (for tests)"},
    {"ATRIUM_AUDIT_RETENTION_EVERY_S", "3600", AT_CFG_INT, 1, 86400, true, false,
     "seconds between retention rounds"},
    {NULL, NULL, 0, 0, 0, false, false, NULL},
};

/* Process state, read-only after init and shared by every thread. */
typedef struct {
    audit_key_t key;
    int64_t checkpoint_ms;
    int64_t retention_s; /* 0: retention off */
    int64_t retention_every_ms;
} s_state_t;

/* ------------------------------------------------------------------ ingest */

/* Normalised copies of one event's fields (audit_chain.h), in the arena. */
static int s_normalize(at_ctx_t *ctx, const Atrium__Audit__Event *in, audit_chain_event_t *out,
                       const char **why)
{
    char uuid[AUDIT_UUID_LEN + 1], at[AUDIT_TIME_LEN + 1];
    *out = (audit_chain_event_t){0};
    if (audit_chain_normalize_uuid(in->firm_id, uuid) != 0)
        return *why = "firm_id is not a uuid", -1;
    out->firm_id = at_str(ctx, uuid);
    if (audit_chain_normalize_uuid(in->event_id, uuid) != 0)
        return *why = "event_id is not a uuid", -1;
    out->event_id = at_str(ctx, uuid);
    if (in->actor_id && *in->actor_id) {
        if (audit_chain_normalize_uuid(in->actor_id, uuid) != 0)
            return *why = "actor_id is not a uuid", -1;
        out->actor_id = at_str(ctx, uuid);
    }
    if (in->client_id && *in->client_id) {
        if (audit_chain_normalize_uuid(in->client_id, uuid) != 0)
            return *why = "client_id is not a uuid", -1;
        out->client_id = at_str(ctx, uuid);
    }
    if (!in->action || !*in->action)
        return *why = "action is empty", -1;
    if (in->at && *in->at) {
        if (audit_chain_normalize_time(in->at, at) != 0)
            return *why = "at is not an RFC 3339 time", -1;
    } else {
        at_time_format_ms(at_time_now_ms(), at, sizeof at);
    }
    out->at = at_str(ctx, at);
    char *details = audit_chain_normalize_details(in->details);
    if (!details) {
        /* Keep the event (an audit trail drops nothing it can store) but
         * not text that is not an object. */
        at_warn("audit: event %s: details is not a JSON object; stored as {}", out->event_id);
        details = audit_chain_normalize_details(NULL);
    }
    out->details = at_str(ctx, details);
    free(details);
    out->action = in->action;
    out->actor_name = in->actor_name;
    out->actor_kind = in->actor_kind;
    out->resource_type = in->resource_type;
    out->resource_id = in->resource_id;
    out->ip = in->ip;
    out->user_agent = in->user_agent;
    out->request_id = in->request_id;
    out->source = in->source;
    return 0;
}

static at_status_t s_ingest(at_ctx_t *ctx, const ProtobufCMessage *request,
                            ProtobufCMessage **reply)
{
    const Atrium__Audit__IngestRequest *req = (const Atrium__Audit__IngestRequest *) request;
    if (!ctx->principal->kind || strcmp(ctx->principal->kind, "system") != 0)
        return at_fail(ctx, AT_FORBIDDEN, NULL, "only services may write the audit trail");
    if (req->n_events > S_MAX_BATCH)
        return at_fail(ctx, AT_PAYLOAD_TOO_LARGE, "events", "a batch holds at most %d events",
                       S_MAX_BATCH);
    audit_chain_event_t *events = at_arena_alloc(ctx->arena, sizeof *events * (req->n_events + 1));
    size_t n = 0;
    for (size_t i = 0; i < req->n_events; i++) {
        const Atrium__Audit__Event *e = req->events[i];
        const char *why = NULL;
        /* An event of no firm (a failed login for an unknown email) has no
         * chain to join: acknowledged and dropped, so the relay moves on. */
        if (!e->firm_id || !*e->firm_id) {
            at_info("audit: event %s (%s from %s) has no firm; skipped",
                    e->event_id ? e->event_id : "?", e->action ? e->action : "?",
                    e->source ? e->source : "?");
            continue;
        }
        if (s_normalize(ctx, e, &events[n], &why) != 0) {
            /* Retrying cannot fix it, and refusing would stall the sender's
             * outbox behind it for ever: acknowledge, drop and say so. */
            at_error("audit: event %s (%s from %s) dropped: %s", e->event_id ? e->event_id : "?",
                     e->action ? e->action : "?", e->source ? e->source : "?", why);
            continue;
        }
        n++;
    }
    int accepted = 0;
    at_status_t st = audit_store_ingest(ctx->db, events, n, &accepted);
    if (st != AT_OK)
        return at_fail(ctx, st, NULL, "the batch could not be stored");
    Atrium__Audit__IngestReply *rep = at_msg_new(ctx, &atrium__audit__ingest_reply__descriptor);
    rep->has_accepted = 1;
    rep->accepted = accepted;
    *reply = &rep->base;
    return AT_OK;
}

/* -------------------------------------------------------------------- read */

/* The filters every list takes, validated into f. Returns AT_OK or fails
 * with validation_failed naming the field. */
/* An empty query parameter (?action=) filters nothing, as if absent. */
static const char *s_opt(const char *s)
{
    return s && *s ? s : NULL;
}

static at_status_t s_filters(at_ctx_t *ctx, audit_filter_t *f, const char *client_id,
                             const char *resource_type, const char *resource_id, const char *action,
                             const char *since, const char *until, bool has_limit, int limit,
                             const char *cursor)
{
    char buf[AUDIT_TIME_LEN + 1];
    char uuid[AUDIT_UUID_LEN + 1];
    client_id = s_opt(client_id);
    since = s_opt(since);
    until = s_opt(until);
    cursor = s_opt(cursor);
    if (client_id) {
        if (audit_chain_normalize_uuid(client_id, uuid) != 0)
            return at_fail(ctx, AT_VALIDATION_FAILED, "client_id", "client_id is not an id");
        f->client_id = at_str(ctx, uuid);
    }
    f->resource_type = s_opt(resource_type);
    f->resource_id = s_opt(resource_id);
    f->action = s_opt(action);
    if (since) {
        if (audit_chain_normalize_time(since, buf) != 0)
            return at_fail(ctx, AT_VALIDATION_FAILED, "since", "since is not an RFC 3339 time");
        f->since = at_str(ctx, buf);
    }
    if (until) {
        if (audit_chain_normalize_time(until, buf) != 0)
            return at_fail(ctx, AT_VALIDATION_FAILED, "until", "until is not an RFC 3339 time");
        f->until = at_str(ctx, buf);
    }
    if (has_limit && limit < 0)
        return at_fail(ctx, AT_VALIDATION_FAILED, "limit", "limit must be positive");
    f->limit = at_page_limit(has_limit ? limit : 0);
    if (cursor) {
        char *key = NULL, *id = NULL, *end = NULL;
        if (at_cursor_decode(ctx->arena, cursor, &key, &id) != 0 || strcmp(id, "seq") != 0)
            return at_fail(ctx, AT_VALIDATION_FAILED, "cursor", "cursor is not one of ours");
        f->before_seq = strtoll(key, &end, 10);
        if (*end || f->before_seq < 1)
            return at_fail(ctx, AT_VALIDATION_FAILED, "cursor", "cursor is not one of ours");
    }
    return AT_OK;
}

static at_status_t s_page(at_ctx_t *ctx, const audit_filter_t *f, ProtobufCMessage **reply)
{
    Atrium__Audit__ListReply *rep = at_msg_new(ctx, &atrium__audit__list_reply__descriptor);
    bool more = false;
    at_status_t st = audit_store_list(ctx->db, ctx->arena, f, &rep->items, &rep->n_items, &more);
    if (st != AT_OK)
        return at_fail(ctx, st, NULL, "the audit trail cannot be read");
    if (more && rep->n_items > 0) {
        char *key =
            at_arena_printf(ctx->arena, "%lld", (long long) rep->items[rep->n_items - 1]->seq);
        rep->next_cursor = at_cursor_encode(ctx->arena, key, "seq");
    }
    *reply = &rep->base;
    return AT_OK;
}

static bool s_is(const char *a, const char *b)
{
    return a && strcmp(a, b) == 0;
}

/* Narrows f to what the caller may see (api.md "Audit"): owners and admins
 * the firm's whole trail; a client admin the events of the clients it
 * administers; anyone else nothing, as if the trail did not exist. */
static at_status_t s_scope(at_ctx_t *ctx, audit_filter_t *f)
{
    const Atrium__Principal *p = ctx->principal;
    char uuid[AUDIT_UUID_LEN + 1];
    if (at_is_staff(ctx) && (s_is(p->role, "owner") || s_is(p->role, "admin")))
        return AT_OK;
    const char **mine = at_arena_alloc(ctx->arena, sizeof *mine * (p->n_clients + 1));
    size_t nmine = 0;
    for (size_t i = 0; i < p->n_clients; i++)
        if (s_is(p->clients[i]->role, "admin") &&
            audit_chain_normalize_uuid(p->clients[i]->client_id, uuid) == 0)
            mine[nmine++] = at_str(ctx, uuid);
    if (nmine == 0)
        return at_fail(ctx, AT_NOT_FOUND, NULL, "no audit trail here");
    f->client_view = true;
    if (f->client_id) {
        bool ok = false;
        for (size_t i = 0; i < nmine && !ok; i++)
            ok = strcmp(mine[i], f->client_id) == 0;
        if (!ok)
            return at_fail(ctx, AT_NOT_FOUND, "client_id", "client does not exist");
    } else if (nmine == 1) {
        f->client_id = mine[0]; /* the common case, as an index range */
    } else {
        f->only_clients = mine;
        f->n_only_clients = nmine;
    }
    return AT_OK;
}

/* The caller's firm id, canonical, or NULL. */
static const char *s_firm(at_ctx_t *ctx)
{
    char uuid[AUDIT_UUID_LEN + 1];
    if (audit_chain_normalize_uuid(ctx->principal->firm_id, uuid) != 0)
        return NULL;
    return at_str(ctx, uuid);
}

static at_status_t s_actor_filter(at_ctx_t *ctx, audit_filter_t *f, const char *actor_id)
{
    char uuid[AUDIT_UUID_LEN + 1];
    if (s_opt(actor_id)) {
        if (audit_chain_normalize_uuid(actor_id, uuid) != 0)
            return at_fail(ctx, AT_VALIDATION_FAILED, "actor_id", "actor_id is not an id");
        f->actor_id = at_str(ctx, uuid);
    }
    return AT_OK;
}

static at_status_t s_list(at_ctx_t *ctx, const ProtobufCMessage *request, ProtobufCMessage **reply)
{
    const Atrium__Audit__ListRequest *req = (const Atrium__Audit__ListRequest *) request;
    const char *firm = s_firm(ctx);
    if (!firm)
        return at_fail(ctx, AT_NOT_FOUND, NULL, "no audit trail here");
    audit_filter_t f = {.firm_id = firm};
    at_status_t st =
        s_filters(ctx, &f, req->client_id, req->resource_type, req->resource_id, req->action,
                  req->since, req->until, req->has_limit, req->limit, req->cursor);
    if (st == AT_OK)
        st = s_actor_filter(ctx, &f, req->actor_id);
    if (st == AT_OK)
        st = s_scope(ctx, &f);
    if (st != AT_OK)
        return st;
    return s_page(ctx, &f, reply);
}

static at_status_t s_my_activity(at_ctx_t *ctx, const ProtobufCMessage *request,
                                 ProtobufCMessage **reply)
{
    const Atrium__Audit__ActivityRequest *req = (const Atrium__Audit__ActivityRequest *) request;
    char firm[AUDIT_UUID_LEN + 1], user[AUDIT_UUID_LEN + 1];
    if (audit_chain_normalize_uuid(ctx->principal->firm_id, firm) != 0 ||
        audit_chain_normalize_uuid(ctx->principal->user_id, user) != 0)
        return at_fail(ctx, AT_NOT_FOUND, NULL, "no activity here");
    audit_filter_t f = {.firm_id = at_str(ctx, firm), .actor_id = at_str(ctx, user)};
    at_status_t st =
        s_filters(ctx, &f, req->client_id, req->resource_type, req->resource_id, req->action,
                  req->since, req->until, req->has_limit, req->limit, req->cursor);
    if (st != AT_OK)
        return st;
    return s_page(ctx, &f, reply);
}

/* ------------------------------------------------------------- checkpoints */

/* Owners and admins only; anyone else sees no trail (404, api.md). */
static at_status_t s_owner_admin(at_ctx_t *ctx, const char **firm)
{
    const Atrium__Principal *p = ctx->principal;
    *firm = s_firm(ctx);
    if (!*firm || !at_is_staff(ctx) || !(s_is(p->role, "owner") || s_is(p->role, "admin")))
        return at_fail(ctx, AT_NOT_FOUND, NULL, "no audit trail here");
    return AT_OK;
}

/* Signs (firm, seq, hash) now with the process key into cp (strings in
 * arena) and stores it. *inserted false: one existed at that seq. */
static at_status_t s_sign(at_db_t *db, at_arena_t *arena, const s_state_t *state, const char *firm,
                          int64_t seq, const char *hash, audit_checkpoint_t *cp, bool *inserted)
{
    char at[AUDIT_TIME_LEN + 1], sig[AUDIT_SIG_HEX_LEN + 1];
    at_time_format_ms(at_time_now_ms(), at, sizeof at);
    if (audit_chain_checkpoint_sign(state->key.sk, firm, seq, hash, at, sig) != 0)
        return AT_INTERNAL;
    *cp = (audit_checkpoint_t){
        .firm_id = at_arena_strdup(arena, firm),
        .seq = seq,
        .head_hash = at_arena_strdup(arena, hash),
        .at = at_arena_strdup(arena, at),
        .key_id = state->key.key_id,
        .signature = at_arena_strdup(arena, sig),
    };
    return audit_store_add_checkpoint(db, cp, inserted);
}

static Atrium__Audit__Checkpoint *s_cp_msg(at_ctx_t *ctx, const audit_checkpoint_t *cp)
{
    Atrium__Audit__Checkpoint *m = at_msg_new(ctx, &atrium__audit__checkpoint__descriptor);
    m->firm_id = (char *) cp->firm_id;
    m->has_seq = 1;
    m->seq = cp->seq;
    m->head_hash = (char *) cp->head_hash;
    m->at = (char *) cp->at;
    m->key_id = at_str(ctx, cp->key_id);
    m->signature = (char *) cp->signature;
    return m;
}

static at_status_t s_checkpoint(at_ctx_t *ctx, const ProtobufCMessage *request,
                                ProtobufCMessage **reply)
{
    (void) request;
    const char *firm = NULL;
    at_status_t st = s_owner_admin(ctx, &firm);
    if (st != AT_OK)
        return st;
    int64_t seq = 0;
    char hash[AUDIT_CHAIN_HEX_LEN + 1];
    st = audit_store_head(ctx->db, firm, &seq, hash);
    if (st != AT_OK)
        return at_fail(ctx, st, NULL, "the chain head cannot be read");
    if (seq == 0)
        return at_fail(ctx, AT_CONFLICT, NULL, "the trail has no events to sign yet");
    audit_checkpoint_t cp;
    bool inserted = false;
    st = s_sign(ctx->db, ctx->arena, ctx->state, firm, seq, hash, &cp, &inserted);
    if (st != AT_OK)
        return at_fail(ctx, st, NULL, "the checkpoint could not be stored");
    if (inserted) {
        *reply = &s_cp_msg(ctx, &cp)->base;
        return AT_CREATED;
    }
    /* The head was signed already (by the background thread or a second
     * request): answer that checkpoint. */
    Atrium__Audit__Checkpoint **items = NULL;
    size_t n = 0;
    bool more = false;
    st = audit_store_checkpoints(ctx->db, ctx->arena, firm, false, seq + 1, 1, &items, &n, &more);
    if (st != AT_OK || n != 1)
        return at_fail(ctx, st != AT_OK ? st : AT_INTERNAL, NULL, "the checkpoint cannot be read");
    *reply = &items[0]->base;
    return AT_OK;
}

static at_status_t s_checkpoints(at_ctx_t *ctx, const ProtobufCMessage *request,
                                 ProtobufCMessage **reply)
{
    const Atrium__Audit__CheckpointsRequest *req =
        (const Atrium__Audit__CheckpointsRequest *) request;
    const s_state_t *state = ctx->state;
    const char *firm = NULL;
    at_status_t st = s_owner_admin(ctx, &firm);
    if (st != AT_OK)
        return st;
    if (req->has_limit && req->limit < 0)
        return at_fail(ctx, AT_VALIDATION_FAILED, "limit", "limit must be positive");
    int limit = at_page_limit(req->has_limit ? req->limit : 0);
    long long before = 0;
    if (s_opt(req->cursor)) {
        char *key = NULL, *id = NULL, *end = NULL;
        if (at_cursor_decode(ctx->arena, req->cursor, &key, &id) != 0 || strcmp(id, "cp") != 0 ||
            (before = strtoll(key, &end, 10)) < 1 || *end)
            return at_fail(ctx, AT_VALIDATION_FAILED, "cursor", "cursor is not one of ours");
    }
    Atrium__Audit__CheckpointsReply *rep =
        at_msg_new(ctx, &atrium__audit__checkpoints_reply__descriptor);
    bool more = false;
    st = audit_store_checkpoints(ctx->db, ctx->arena, firm, false, before, limit, &rep->items,
                                 &rep->n_items, &more);
    if (st == AT_OK)
        st = audit_store_keys(ctx->db, ctx->arena, &rep->keys, &rep->n_keys);
    if (st != AT_OK)
        return at_fail(ctx, st, NULL, "the checkpoints cannot be read");
    if (more && rep->n_items > 0)
        rep->next_cursor = at_cursor_encode(
            ctx->arena,
            at_arena_printf(ctx->arena, "%lld", (long long) rep->items[rep->n_items - 1]->seq),
            "cp");
    rep->public_key = at_str(ctx, state->key.pk_hex);
    rep->key_id = at_str(ctx, state->key.key_id);
    *reply = &rep->base;
    return AT_OK;
}

/* Signs every firm whose head moved past its newest checkpoint. Several
 * instances may do it at once: a (firm, seq) is stored once. */
static void s_checkpoint_all(at_ctx_t *ctx)
{
    enum { BATCH = 200 };
    audit_head_t heads[BATCH];
    int signed_n = 0;
    for (int round = 0; round < 1000; round++) {
        at_arena_reset(ctx->arena);
        int n = 0;
        if (audit_store_unsigned_heads(ctx->db, heads, BATCH, &n) != AT_OK)
            return;
        for (int i = 0; i < n; i++) {
            audit_checkpoint_t cp;
            bool inserted = false;
            if (s_sign(ctx->db, ctx->arena, ctx->state, heads[i].firm_id, heads[i].seq,
                       heads[i].hash, &cp, &inserted) != AT_OK)
                return;
            signed_n += inserted;
        }
        if (n < BATCH)
            break;
    }
    if (signed_n)
        at_debug("audit: signed %d checkpoints", signed_n);
}

/* Retention: archives every firm's events up to its newest checkpoint
 * older than the period (sql/003_retention.sql). Several instances may run
 * it at once: each firm's move locks its head row and happens once. */
static void s_retain(at_ctx_t *ctx)
{
    const s_state_t *state = ctx->state;
    int firms = 0;
    int64_t moved = 0;
    if (audit_store_retain(ctx->db, state->retention_s, &firms, &moved) != AT_OK)
        at_warn("audit: retention round failed; retrying next round");
    else if (moved)
        at_info("audit: retention moved %lld events of %d firms to the archive", (long long) moved,
                firms);
}

static void s_background(at_ctx_t *ctx, volatile int *stop)
{
    const s_state_t *state = ctx->state;
    /* first rounds soon after start: a restart signs what came meanwhile */
    int64_t next = at_time_now_ms() + 1000, next_retain = next;
    while (!*stop) {
        if (at_time_now_ms() >= next) {
            if (at_db_ensure(ctx->db) == 0)
                s_checkpoint_all(ctx);
            next = at_time_now_ms() + state->checkpoint_ms;
        }
        if (state->retention_s > 0 && at_time_now_ms() >= next_retain) {
            if (at_db_ensure(ctx->db) == 0)
                s_retain(ctx);
            next_retain = at_time_now_ms() + state->retention_every_ms;
        }
        zclock_sleep(200);
    }
}

/* ------------------------------------------------------------------ verify */

/* The public key of key_id among keys, into pk. false when unknown. */
static bool s_key(Atrium__Audit__SigningKey **keys, size_t n, const char *key_id,
                  unsigned char pk[32])
{
    for (size_t i = 0; i < n; i++)
        if (key_id && s_is(keys[i]->key_id, key_id))
            return audit_chain_parse_public_key(keys[i]->public_key, pk) == 0;
    return false;
}

static void s_check_cp(audit_verify_t *v, const Atrium__Audit__Checkpoint *c,
                       Atrium__Audit__SigningKey **keys, size_t nkeys)
{
    unsigned char pk[32];
    bool known = s_key(keys, nkeys, c->key_id, pk);
    audit_checkpoint_t cp = {c->firm_id, c->seq, c->head_hash, c->at, c->key_id, c->signature};
    audit_verify_checkpoint(v, &cp, known ? pk : NULL);
}

static at_status_t s_verify(at_ctx_t *ctx, const ProtobufCMessage *request,
                            ProtobufCMessage **reply)
{
    (void) request;
    const char *firm = NULL;
    at_status_t st = s_owner_admin(ctx, &firm);
    if (st != AT_OK)
        return st;
    int64_t head_seq = 0;
    char head_hash[AUDIT_CHAIN_HEX_LEN + 1];
    Atrium__Audit__SigningKey **keys = NULL;
    size_t nkeys = 0;
    int64_t archived = 0;
    st = audit_store_head(ctx->db, firm, &head_seq, head_hash);
    if (st == AT_OK)
        st = audit_store_archived(ctx->db, firm, &archived);
    if (st == AT_OK)
        st = audit_store_keys(ctx->db, ctx->arena, &keys, &nkeys);
    if (st != AT_OK)
        return at_fail(ctx, st, NULL, "the trail cannot be read");

    /* Rows and checkpoints stream through a scratch arena reset per batch:
     * memory stays at one batch whatever the trail's length. */
    audit_verify_t v;
    audit_verify_init(&v, firm);
    audit_filter_t f = {.firm_id = firm};
    at_arena_t *rows_arena = at_arena_new(), *cps_arena = at_arena_new();
    Atrium__Audit__Checkpoint **cps = NULL;
    size_t ncps = 0, icp = 0;
    bool cps_more = true;
    int64_t cp_from = 0, after = 0;
    if (archived > 0) {
        /* Retention moved seq 1..archived out: the live chain continues
         * from the signed checkpoint at archived. */
        st = audit_store_checkpoints(ctx->db, cps_arena, firm, true, archived - 1, 1, &cps, &ncps,
                                     &cps_more);
        const Atrium__Audit__Checkpoint *c = st == AT_OK && ncps == 1 ? cps[0] : NULL;
        unsigned char pk[32];
        bool known = c && s_key(keys, nkeys, c->key_id, pk);
        audit_checkpoint_t cp = {0};
        if (c)
            cp = (audit_checkpoint_t){c->firm_id, c->seq,    c->head_hash,
                                      c->at,      c->key_id, c->signature};
        audit_verify_start(&v, archived, c ? &cp : NULL, known ? pk : NULL);
        cp_from = after = archived;
        ncps = icp = 0;
        cps_more = true;
    }
    const Atrium__Request *env = ctx->request;
    while (st == AT_OK) {
        if (env && env->has_deadline_ms && at_time_now_ms() > env->deadline_ms - 250) {
            st = at_fail(ctx, AT_TIMEOUT, NULL,
                         "the trail is too long to verify within the request's deadline; "
                         "export it as jsonl and run atriumctl audit verify");
            break;
        }
        at_arena_reset(rows_arena);
        audit_row_t *rows = NULL;
        size_t n = 0;
        st = audit_store_scan(ctx->db, rows_arena, &f, after, 0, S_VERIFY_BATCH, &rows, &n);
        for (size_t i = 0; st == AT_OK && i < n; i++) {
            audit_verify_event(&v, &rows[i].ev, rows[i].hash);
            after = rows[i].ev.seq;
            /* the checkpoints up to this event, fetched a batch at a time */
            while (st == AT_OK) {
                if (icp == ncps && cps_more) {
                    at_arena_reset(cps_arena);
                    st = audit_store_checkpoints(ctx->db, cps_arena, firm, true, cp_from,
                                                 S_VERIFY_BATCH, &cps, &ncps, &cps_more);
                    icp = 0;
                    if (st != AT_OK || ncps == 0)
                        break;
                }
                if (icp == ncps || cps[icp]->seq > after)
                    break;
                s_check_cp(&v, cps[icp], keys, nkeys);
                cp_from = cps[icp]->seq;
                icp++;
            }
        }
        if (st != AT_OK || n < S_VERIFY_BATCH)
            break;
    }
    /* Checkpoints past the last event: the newest events are gone. */
    while (st == AT_OK) {
        if (icp == ncps) {
            if (!cps_more)
                break;
            at_arena_reset(cps_arena);
            st = audit_store_checkpoints(ctx->db, cps_arena, firm, true, cp_from, S_VERIFY_BATCH,
                                         &cps, &ncps, &cps_more);
            icp = 0;
            if (ncps == 0)
                break;
            continue;
        }
        s_check_cp(&v, cps[icp], keys, nkeys);
        cp_from = cps[icp]->seq;
        icp++;
    }
    at_arena_destroy(&rows_arena);
    at_arena_destroy(&cps_arena);
    if (st != AT_OK)
        return ctx->err_message ? st : at_fail(ctx, st, NULL, "the trail cannot be read");
    audit_verify_expect_seq(&v, head_seq);

    Atrium__Audit__VerifyReply *rep = at_msg_new(ctx, &atrium__audit__verify_reply__descriptor);
    rep->has_ok = 1;
    rep->ok = audit_verify_ok(&v);
    rep->has_events = 1;
    rep->events = v.events;
    rep->head_hash = at_str(ctx, v.head);
    if (v.first_bad_seq) {
        rep->has_first_bad_seq = 1;
        rep->first_bad_seq = v.first_bad_seq;
        rep->problem = at_str(ctx, v.problem);
    }
    rep->has_checkpoints_ok = 1;
    rep->checkpoints_ok = v.checkpoints_ok;
    rep->has_checkpoints = 1;
    rep->checkpoints = v.checkpoints;
    if (archived > 0) {
        rep->has_archived_up_to = 1;
        rep->archived_up_to = archived;
    }
    if (v.last_checkpoint_seq) {
        rep->has_last_checkpoint_seq = 1;
        rep->last_checkpoint_seq = v.last_checkpoint_seq;
    }
    if (!rep->ok)
        at_warn("audit: verification of firm %s failed: %s", firm, v.problem);
    *reply = &rep->base;
    return AT_OK;
}

/* ------------------------------------------------------------------ export */

static at_status_t s_export_page(at_ctx_t *ctx, const ProtobufCMessage *request,
                                 ProtobufCMessage **reply)
{
    const Atrium__Audit__ExportRequest *req = (const Atrium__Audit__ExportRequest *) request;
    const char *firm = s_firm(ctx);
    if (!firm)
        return at_fail(ctx, AT_NOT_FOUND, NULL, "no audit trail here");
    bool csv = s_is(req->format, "csv");
    if (!csv && !s_is(req->format, "jsonl"))
        return at_fail(ctx, AT_VALIDATION_FAILED, "format", "format must be csv or jsonl");
    audit_filter_t f = {.firm_id = firm};
    at_status_t st = s_filters(ctx, &f, req->client_id, req->resource_type, req->resource_id,
                               req->action, req->since, req->until, false, 0, NULL);
    if (st == AT_OK)
        st = s_actor_filter(ctx, &f, req->actor_id);
    if (st == AT_OK)
        st = s_scope(ctx, &f);
    if (st != AT_OK)
        return st;
    if ((req->has_after_seq && req->after_seq < 0) || (req->has_max_seq && req->max_seq < 0))
        return at_fail(ctx, AT_VALIDATION_FAILED, "after_seq", "after_seq must not be negative");

    bool first = !req->has_after_seq;
    int64_t max_seq = req->has_max_seq ? req->max_seq : 0;
    if (first) {
        /* The export ends at the head it began with, so events arriving
         * while it streams cannot keep it going. */
        char hash[AUDIT_CHAIN_HEX_LEN + 1];
        st = audit_store_head(ctx->db, firm, &max_seq, hash);
        if (st != AT_OK)
            return at_fail(ctx, st, NULL, "the trail cannot be read");
        json_t *d = json_pack("{s:s, s:I}", "format", csv ? "csv" : "jsonl", "up_to_seq",
                              (json_int_t) max_seq);
        const char *names[] = {"actor_id", "client_id", "resource_type", "resource_id",
                               "action",   "since",     "until"};
        const char *vals[] = {f.actor_id,      req->client_id ? f.client_id : NULL,
                              f.resource_type, f.resource_id,
                              f.action,        f.since,
                              f.until};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (vals[i])
                json_object_set_new(d, names[i], json_string(vals[i]));
        st = at_audit(ctx, &(at_audit_event_t){.action = "audit.exported",
                                               .resource_type = "audit_trail",
                                               .client_id = req->client_id ? f.client_id : NULL,
                                               .details = d});
        json_decref(d);
        if (st != AT_OK)
            return at_fail(ctx, st, NULL, "the export could not be recorded");
    }
    audit_row_t *rows = NULL;
    size_t n = 0;
    if (max_seq > 0) {
        st = audit_store_scan(ctx->db, ctx->arena, &f, req->has_after_seq ? req->after_seq : 0,
                              max_seq, S_EXPORT_PAGE, &rows, &n);
        if (st != AT_OK)
            return at_fail(ctx, st, NULL, "the trail cannot be read");
    }
    audit_buf_t b = {0};
    if (first && csv)
        audit_export_csv_header(&b);
    for (size_t i = 0; i < n; i++) {
        if (csv)
            audit_export_csv_row(&b, &rows[i].ev, rows[i].hash);
        else
            audit_export_jsonl_row(&b, &rows[i].ev, rows[i].hash);
    }
    Atrium__Audit__ExportPage *rep = at_msg_new(ctx, &atrium__audit__export_page__descriptor);
    rep->has_data = 1;
    rep->data.len = b.len;
    rep->data.data = at_arena_alloc(ctx->arena, b.len + 1);
    if (b.len)
        memcpy(rep->data.data, b.data, b.len);
    audit_buf_free(&b);
    rep->has_rows = 1;
    rep->rows = (int32_t) n;
    rep->has_max_seq = 1;
    rep->max_seq = max_seq;
    rep->has_more = 1;
    rep->more = n == S_EXPORT_PAGE;
    rep->has_last_seq = 1;
    rep->last_seq = n ? rows[n - 1].ev.seq : (req->has_after_seq ? req->after_seq : 0);
    *reply = &rep->base;
    return AT_OK;
}

/* ------------------------------------------------------------ process set-up */

static int s_init(const at_config_t *config, at_db_t *db, void **state)
{
    s_state_t *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    char *err = NULL;
    if (audit_key_load(at_config_get(config, "ATRIUM_AUDIT_KEY_FILE"), &s->key, &err) != 0) {
        at_error("audit: checkpoint key: %s", err ? err : "?");
        free(err);
        free(s);
        return -1;
    }
    if (audit_store_add_key(db, s->key.key_id, s->key.pk_hex) != AT_OK) {
        at_error("audit: the checkpoint key cannot be registered");
        audit_key_wipe(&s->key);
        free(s);
        return -1;
    }
    s->checkpoint_ms = at_config_int(config, "ATRIUM_AUDIT_CHECKPOINT_S") * 1000;
    s->retention_s = at_config_int(config, "ATRIUM_AUDIT_RETENTION_S");
    if (s->retention_s == 0)
        s->retention_s = at_config_int(config, "ATRIUM_AUDIT_RETENTION_DAYS") * 86400;
    s->retention_every_ms = at_config_int(config, "ATRIUM_AUDIT_RETENTION_EVERY_S") * 1000;
    if (s->retention_s > 0)
        at_info("audit: events move to the archive after %lld s", (long long) s->retention_s);
    at_info("audit: signing checkpoints with key %s every %lld s", s->key.key_id,
            (long long) (s->checkpoint_ms / 1000));
    *state = s;
    return 0;
}

static void s_fini(void *state)
{
    s_state_t *s = state;
    if (!s)
        return;
    audit_key_wipe(&s->key);
    free(s);
}

/* audit.event_hashes (internal: no HTTP route): the seq and chain hash of
 * given events of the caller's own firm, for evidence that names its audit
 * events (a signature certificate). Another firm's event, or one not
 * relayed yet, is simply absent. */
static at_status_t s_event_hashes(at_ctx_t *ctx, const ProtobufCMessage *request,
                                  ProtobufCMessage **reply)
{
    const Atrium__Audit__EventHashesRequest *req = (const void *) request;
    if (req->n_event_ids > 200)
        return at_fail(ctx, AT_VALIDATION_FAILED, "event_ids", "at most 200 event ids");
    char firm[AUDIT_UUID_LEN + 1];
    if (audit_chain_normalize_uuid(ctx->principal->firm_id, firm) != 0)
        return at_fail(ctx, AT_NOT_FOUND, NULL, "firm not found");
    /* a PostgreSQL array literal of canonical uuids: nothing else gets in */
    size_t cap = 3 + req->n_event_ids * (AUDIT_UUID_LEN + 1);
    char *ids = at_arena_alloc(ctx->arena, cap), *w = ids;
    *w++ = '{';
    for (size_t i = 0; i < req->n_event_ids; i++) {
        char uuid[AUDIT_UUID_LEN + 1];
        if (audit_chain_normalize_uuid(req->event_ids[i], uuid) != 0)
            return at_fail(ctx, AT_VALIDATION_FAILED, "event_ids", "event_ids must be uuids");
        if (i)
            *w++ = ',';
        memcpy(w, uuid, AUDIT_UUID_LEN);
        w += AUDIT_UUID_LEN;
    }
    *w++ = '}';
    *w = 0;
    Atrium__Audit__EventHashesReply *rep =
        at_msg_new(ctx, &atrium__audit__event_hashes_reply__descriptor);
    at_status_t st =
        audit_store_event_hashes(ctx->db, ctx->arena, firm, ids, &rep->items, &rep->n_items);
    if (st != AT_OK)
        return at_fail(ctx, st, NULL, "the trail could not be read");
    *reply = &rep->base;
    return AT_OK;
}

/* audit.dashboard: GET /dashboard's recent_activity, the newest 10 events
 * the caller may see. Owners and admins: the firm's trail. Other staff:
 * the events of their clients and their own. Client users: the events of
 * their clients (any membership role, unlike audit.list, which only a
 * client admin reaches) and their own, never staff-only ones; the items
 * carry no IP, agent or details. */
static at_status_t s_dashboard(at_ctx_t *ctx, const ProtobufCMessage *request,
                               ProtobufCMessage **reply)
{
    (void) request;
    const char *firm = s_firm(ctx);
    if (!firm)
        return at_fail(ctx, AT_NOT_FOUND, NULL, "no audit trail here");
    bool all = false;
    const char *clients = at_client_scope(ctx, &all);
    Atrium__Audit__DashboardReply *rep =
        at_msg_new(ctx, &atrium__audit__dashboard_reply__descriptor);
    at_status_t st =
        audit_store_dashboard(ctx->db, ctx->arena, firm, all, clients, ctx->principal->user_id,
                              !at_is_staff(ctx), &rep->items, &rep->n_items);
    if (st != AT_OK)
        return at_fail(ctx, st, NULL, "the audit trail cannot be read");
    *reply = &rep->base;
    return AT_OK;
}

static const at_method_t s_methods[] = {
    {"audit.dashboard", s_dashboard, &atrium__audit__dashboard_request__descriptor,
     &atrium__audit__dashboard_reply__descriptor, 0},
    {"audit.ingest", s_ingest, &atrium__audit__ingest_request__descriptor,
     &atrium__audit__ingest_reply__descriptor, 0},
    {"audit.list", s_list, &atrium__audit__list_request__descriptor,
     &atrium__audit__list_reply__descriptor, 0},
    {"audit.my_activity", s_my_activity, &atrium__audit__activity_request__descriptor,
     &atrium__audit__list_reply__descriptor, 0},
    {"audit.checkpoint", s_checkpoint, &atrium__audit__checkpoint_request__descriptor,
     &atrium__audit__checkpoint__descriptor, 0},
    {"audit.checkpoints", s_checkpoints, &atrium__audit__checkpoints_request__descriptor,
     &atrium__audit__checkpoints_reply__descriptor, 0},
    {"audit.verify", s_verify, &atrium__audit__verify_request__descriptor,
     &atrium__audit__verify_reply__descriptor, 0},
    {"audit.export_page", s_export_page, &atrium__audit__export_request__descriptor,
     &atrium__audit__export_page__descriptor, 0},
    /* internal: evidence of given events (signature certificates) */
    {"audit.event_hashes", s_event_hashes, &atrium__audit__event_hashes_request__descriptor,
     &atrium__audit__event_hashes_reply__descriptor, 0},
    {NULL, NULL, NULL, NULL, 0},
};

const at_service_def_t audit_service = {
    .name = "audit",
    .schema = "audit",
    .methods = s_methods,
    .migrations = audit_migrations,
    .config = s_config,
    .init = s_init,
    .fini = s_fini,
    .background = s_background,
};
