/* at_service: the service process (Malamute-style): config, migrations,
 * worker threads, the outbox relay and an optional background thread. */
#include "at_service.h"
#include "at_log.h"
#include "at_mdp.h"
#include "at_time.h"
#include "at_worker.h"
#include "audit.pb-c.h"
#include <czmq.h>
#include <pthread.h>
#include <stdarg.h>

/* Every service schema has the outbox; it is applied before the service's
 * own migrations. A statement trigger wakes the relay at commit. */
static const char s_outbox_sql[] =
    "CREATE TABLE audit_outbox ("
    " seq bigserial PRIMARY KEY,"
    " event_id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),"
    " firm_id uuid, client_id uuid, actor_id uuid, actor_name text, actor_kind text,"
    " action text NOT NULL, resource_type text, resource_id text,"
    " at timestamptz NOT NULL DEFAULT clock_timestamp(),"
    " ip text, user_agent text, request_id text,"
    " details jsonb NOT NULL DEFAULT '{}');"
    "CREATE FUNCTION audit_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN PERFORM pg_notify(TG_TABLE_SCHEMA || '_outbox', ''); RETURN NULL; END $$;"
    "CREATE TRIGGER audit_outbox_notify AFTER INSERT ON audit_outbox"
    " FOR EACH STATEMENT EXECUTE FUNCTION audit_outbox_notify();";

static const at_embedded_t s_common_migrations[] = {
    {"000_audit_outbox.sql", (const unsigned char *) s_outbox_sql, sizeof s_outbox_sql - 1},
    {NULL, NULL, 0},
};

static const at_config_key_t s_keys[] = {
    {"ATRIUM_DB_TIMEOUT_MS", "5000", AT_CFG_INT, 100, 600000, true, false,
     "PostgreSQL statement_timeout of every service statement"},
    {NULL, NULL, 0, 0, 0, false, false, NULL},
};

typedef struct {
    const at_service_def_t *def;
    const at_config_t *config;
    void *state;
    pthread_t thread;
    volatile int stop;
    int index;
} s_thread_t;

at_status_t at_fail(at_ctx_t *ctx, at_status_t status, const char *field, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    ctx->err_message = at_arena_strdup(ctx->arena, buf);
    ctx->err_field = field ? at_arena_strdup(ctx->arena, field) : NULL;
    return status;
}

void *at_msg_new(at_ctx_t *ctx, const ProtobufCMessageDescriptor *desc)
{
    ProtobufCMessage *m = at_arena_alloc(ctx->arena, desc->sizeof_message);
    protobuf_c_message_init(desc, m);
    return m;
}

char *at_str(at_ctx_t *ctx, const char *s)
{
    return at_arena_strdup(ctx->arena, s);
}

bool at_is_staff(const at_ctx_t *ctx)
{
    return ctx->principal && ctx->principal->kind && strcmp(ctx->principal->kind, "staff") == 0;
}

const char *at_can_see_client(const at_ctx_t *ctx, const char *firm_id, const char *client_id)
{
    const Atrium__Principal *p = ctx->principal;
    if (!p || !p->firm_id || !firm_id || !client_id || strcmp(p->firm_id, firm_id) != 0)
        return NULL;
    for (size_t i = 0; i < p->n_clients; i++)
        if (p->clients[i]->client_id && strcmp(p->clients[i]->client_id, client_id) == 0)
            return p->clients[i]->role ? p->clients[i]->role : "member";
    if (p->has_all_clients && p->all_clients && at_is_staff(ctx))
        return "staff";
    return NULL;
}

at_status_t at_audit(at_ctx_t *ctx, const at_audit_event_t *ev)
{
    const Atrium__Principal *p = ctx->principal;
    const Atrium__Request *r = ctx->request;
    char *details = ev->details ? json_dumps(ev->details, JSON_COMPACT) : NULL;
    const char *params[] = {
        ev->firm_id ? ev->firm_id : (p ? p->firm_id : NULL),
        ev->client_id,
        ev->actor_id ? ev->actor_id : (p ? p->user_id : NULL),
        ev->actor_name ? ev->actor_name : (p ? p->name : NULL),
        ev->actor_kind ? ev->actor_kind : (p ? p->kind : NULL),
        ev->action,
        ev->resource_type,
        ev->resource_id,
        r ? r->ip : NULL,
        r ? r->user_agent : NULL,
        r ? r->request_id : NULL,
        details ? details : "{}",
        ev->event_id,
    };
    PGresult *res =
        at_db_query(ctx->db,
                    "INSERT INTO audit_outbox (firm_id, client_id, actor_id, actor_name,"
                    " actor_kind, action, resource_type, resource_id, ip, user_agent,"
                    " request_id, details, event_id)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,"
                    " coalesce($13::uuid, gen_random_uuid()))",
                    13, params);
    at_status_t st = at_db_status(ctx->db, res);
    PQclear(res);
    free(details);
    return st;
}

at_status_t at_call(at_ctx_t *ctx, const char *method, const ProtobufCMessage *req,
                    const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **reply)
{
    *reply = NULL;
    char service[64];
    const char *dot = strchr(method, '.');
    size_t sl = dot ? (size_t) (dot - method) : strlen(method);
    if (sl >= sizeof service)
        return AT_INTERNAL;
    memcpy(service, method, sl);
    service[sl] = 0;

    Atrium__Request env = ATRIUM__REQUEST__INIT;
    env.request_id = ctx->request ? ctx->request->request_id : NULL;
    env.principal = (Atrium__Principal *) ctx->principal;
    env.has_deadline_ms = 1;
    env.deadline_ms = ctx->request && ctx->request->has_deadline_ms ? ctx->request->deadline_ms
                                                                    : at_time_now_ms() + 5000;
    env.method = (char *) method;
    size_t blen = protobuf_c_message_get_packed_size(req);
    uint8_t *body = at_arena_alloc(ctx->arena, blen + 1);
    protobuf_c_message_pack(req, body);
    env.has_body = 1;
    env.body.data = body;
    env.body.len = blen;
    size_t elen = atrium__request__get_packed_size(&env);
    uint8_t *buf = at_arena_alloc(ctx->arena, elen + 1);
    atrium__request__pack(&env, buf);
    zframe_t *frame = NULL;
    at_bus_rc_t rc = at_bus_client_call(ctx->bus, service, 0, env.deadline_ms, buf, elen, &frame);
    if (rc != AT_BUS_OK)
        return rc == AT_BUS_TIMEOUT ? AT_TIMEOUT : AT_UNAVAILABLE;
    ProtobufCAllocator *alloc = at_arena_allocator(ctx->arena);
    Atrium__Reply *rep = atrium__reply__unpack(alloc, zframe_size(frame), zframe_data(frame));
    zframe_destroy(&frame);
    if (!rep)
        return AT_INTERNAL;
    at_status_t st = rep->has_status ? rep->status : AT_INTERNAL;
    if (!at_status_is_success(st)) {
        ctx->err_message = rep->message;
        ctx->err_field = rep->field;
        return st;
    }
    if (reply_desc && rep->has_body) {
        *reply = protobuf_c_message_unpack(reply_desc, alloc, rep->body.len, rep->body.data);
        if (!*reply)
            return AT_INTERNAL;
    }
    return st;
}

/* The built-in "<service>.ping": the instance and its database answer. */
static at_status_t s_ping(at_ctx_t *ctx)
{
    PGresult *res = at_db_exec(ctx->db, "SELECT 1");
    at_status_t st = at_db_status(ctx->db, res);
    PQclear(res);
    if (st != AT_OK)
        return at_fail(ctx, AT_UNAVAILABLE, NULL, "postgresql does not answer");
    return AT_OK;
}

static const at_method_t *s_find_method(const at_service_def_t *def, const char *name)
{
    for (const at_method_t *m = def->methods; m && m->method; m++)
        if (strcmp(m->method, name) == 0)
            return m;
    return NULL;
}

/* Unpacks, dispatches and packs one request. Returns the packed reply in
 * the arena (*out, *out_len). */
static void s_dispatch(at_ctx_t *ctx, const s_thread_t *t, at_worker_job_t *job, uint8_t **out,
                       size_t *out_len)
{
    ProtobufCAllocator *alloc = at_arena_allocator(ctx->arena);
    Atrium__Reply reply = ATRIUM__REPLY__INIT;
    at_status_t st = AT_INTERNAL;
    int64_t started = at_time_mono_us();
    unsigned long long sql_before = at_db_statements(ctx->db);
    Atrium__Request *req = NULL;
    const char *method_name = "?";
    if (job->payload)
        req = atrium__request__unpack(alloc, zframe_size(job->payload), zframe_data(job->payload));
    if (!req || !req->method) {
        st = at_fail(ctx, AT_BAD_REQUEST, NULL, "malformed bus request");
        goto done;
    }
    method_name = req->method;
    ctx->request = req;
    ctx->principal = req->principal;
    at_log_set_request_id(req->request_id);
    if (req->has_deadline_ms && req->deadline_ms <= at_time_now_ms()) {
        st = at_fail(ctx, AT_TIMEOUT, NULL, "the request's deadline passed before it started");
        goto done;
    }
    char ping[80];
    snprintf(ping, sizeof ping, "%s.ping", t->def->name);
    if (strcmp(req->method, ping) == 0) {
        st = s_ping(ctx);
        goto done;
    }
    const at_method_t *m = s_find_method(t->def, req->method);
    if (!m) {
        st = at_fail(ctx, AT_NOT_FOUND, NULL, "method %s does not exist", req->method);
        goto done;
    }
    if (!(m->flags & AT_METHOD_PUBLIC) &&
        (!req->principal || !req->principal->user_id || !req->principal->firm_id)) {
        st = at_fail(ctx, AT_UNAUTHENTICATED, NULL, "authentication required");
        goto done;
    }
    /* PostgreSQL row-level security backs the handler's own checks: a
     * forgotten WHERE firm_id cannot reach another firm's rows */
    const char *tenant =
        (m->flags & AT_METHOD_PUBLIC) || !req->principal ||
                (req->principal->kind && strcmp(req->principal->kind, "system") == 0)
            ? "*"
            : req->principal->firm_id;
    if (at_db_set_tenant(ctx->db, tenant) != 0) {
        st = at_fail(ctx, AT_UNAVAILABLE, NULL, "the database cannot be reached");
        goto done;
    }
    ProtobufCMessage *body = NULL;
    if (m->request) {
        body = protobuf_c_message_unpack(m->request, alloc, req->has_body ? req->body.len : 0,
                                         req->has_body ? req->body.data : (const uint8_t *) "");
        if (!body) {
            st = at_fail(ctx, AT_BAD_REQUEST, NULL, "malformed %s request", req->method);
            goto done;
        }
    }
    ProtobufCMessage *result = NULL;
    st = m->handler(ctx, body, &result);
    if (at_db_in_transaction(ctx->db))
        at_db_rollback(ctx->db); /* a handler that failed mid-way loses nothing half-done */
    if (at_status_is_success(st) && result) {
        size_t len = protobuf_c_message_get_packed_size(result);
        uint8_t *buf = at_arena_alloc(ctx->arena, len + 1);
        protobuf_c_message_pack(result, buf);
        reply.has_body = 1;
        reply.body.data = buf;
        reply.body.len = len;
    }
done:
    reply.has_status = 1;
    reply.status = st;
    if (!at_status_is_success(st)) {
        reply.message = (char *) (ctx->err_message ? ctx->err_message : at_status_code(st));
        reply.field = (char *) ctx->err_field;
        if (ctx->retry_after || st == AT_UNAVAILABLE || st == AT_RATE_LIMITED) {
            reply.has_retry_after = 1;
            reply.retry_after = ctx->retry_after ? ctx->retry_after : 1;
        }
    }
    *out_len = atrium__reply__get_packed_size(&reply);
    *out = at_arena_alloc(ctx->arena, *out_len + 1);
    atrium__reply__pack(&reply, *out);
    /* the gateway's access line records every request; a service adds a
     * line at info only when something went wrong */
    int lvl = at_status_is_success(st) ? AT_LOG_DEBUG : at_log_level_parse(at_status_log_level(st));
    at_log((at_log_level_t) lvl, "%s -> %s in %lld us, %llu sql%s%s", method_name,
           at_status_code(st), (long long) (at_time_mono_us() - started),
           at_db_statements(ctx->db) - sql_before, ctx->err_message ? ": " : "",
           ctx->err_message ? ctx->err_message : "");
    at_log_set_request_id(NULL);
}

/* The thread's connections. tenant is the row-level-security tenant its
 * database session starts with: "" (no row) for request workers, which set
 * the caller's firm per request, "*" for the relay and background work that
 * spans firms. */
static int s_thread_conns(const s_thread_t *t, at_ctx_t *ctx, const char *tenant)
{
    char *err = NULL;
    ctx->db = at_db_connect(at_config_get(t->config, "ATRIUM_PG_DSN"), t->def->schema,
                            (int) at_config_int(t->config, "ATRIUM_DB_TIMEOUT_MS"), &err);
    if (!ctx->db) {
        at_error("cannot connect to postgresql: %s", err ? err : "?");
        free(err);
        return -1;
    }
    if (at_db_set_tenant(ctx->db, tenant) != 0) {
        at_error("cannot set the database tenant");
        return -1;
    }
    ctx->cache = at_cache_new(at_config_get(t->config, "ATRIUM_REDIS_URL"), 1000);
    ctx->bus = at_bus_client_new(at_config_get(t->config, "ATRIUM_BUS_ENDPOINT"));
    ctx->arena = at_arena_new();
    ctx->config = t->config;
    ctx->state = t->state;
    return ctx->bus ? 0 : -1;
}

static void s_thread_conns_close(at_ctx_t *ctx)
{
    at_db_destroy(&ctx->db);
    at_cache_destroy(&ctx->cache);
    at_bus_client_destroy(&ctx->bus);
    at_arena_destroy(&ctx->arena);
}

static void *s_worker_thread(void *arg)
{
    s_thread_t *t = arg;
    at_ctx_t base = {0};
    if (s_thread_conns(t, &base, "") != 0) {
        s_thread_conns_close(&base);
        zsys_interrupted = 1; /* the process cannot serve: stop and be restarted */
        return NULL;
    }
    at_worker_t *worker =
        at_worker_new(at_config_get(t->config, "ATRIUM_BUS_ENDPOINT"), t->def->name);
    while (worker && !t->stop && !zsys_interrupted) {
        at_worker_job_t job;
        int rc = at_worker_recv(worker, 500, &job);
        if (rc < 0)
            break;
        if (rc > 0)
            continue;
        at_arena_reset(base.arena);
        at_ctx_t ctx = base;
        uint8_t *out = NULL;
        size_t out_len = 0;
        s_dispatch(&ctx, t, &job, &out, &out_len);
        at_worker_reply(worker, &job, out, out_len);
    }
    at_worker_destroy(&worker);
    s_thread_conns_close(&base);
    return NULL;
}

/* Delivers outbox rows to the audit service in order, until acknowledged.
 * One relay per schema at a time (session advisory lock); others wait. */
static void *s_relay_thread(void *arg)
{
    s_thread_t *t = arg;
    at_ctx_t ctx = {0};
    while (!t->stop && !zsys_interrupted && s_thread_conns(t, &ctx, "*") != 0) {
        s_thread_conns_close(&ctx);
        zclock_sleep(1000);
    }
    bool locked = false, listening = false;
    unsigned session = 0; /* the db session the lock and LISTEN were taken on */
    int64_t backoff = 0;
    char listen_sql[128];
    snprintf(listen_sql, sizeof listen_sql, "LISTEN \"%s_outbox\"", t->def->schema);
    while (!t->stop && !zsys_interrupted) {
        if (at_db_ensure(ctx.db) != 0) {
            locked = listening = false;
            zclock_sleep(1000);
            continue;
        }
        at_arena_reset(ctx.arena);
        /* Any statement may have reset a broken connection: the new session
         * holds neither the lock nor the LISTEN, and another instance may
         * have taken the lock meanwhile. */
        if (at_db_session(ctx.db) != session)
            locked = listening = false;
        if (!locked) {
            session = at_db_session(ctx.db);
            const char *p[] = {t->def->schema};
            PGresult *res = at_db_query(
                ctx.db, "SELECT pg_try_advisory_lock(hashtext('atrium.outbox.' || $1))", 1, p);
            locked = at_db_status(ctx.db, res) == AT_OK && PQntuples(res) == 1 &&
                     strcmp(PQgetvalue(res, 0, 0), "t") == 0;
            PQclear(res);
            if (!locked) {
                zclock_sleep(1000);
                continue;
            }
        }
        if (!listening) {
            PGresult *res = at_db_exec(ctx.db, listen_sql);
            listening = at_db_status(ctx.db, res) == AT_OK;
            PQclear(res);
        }
        PGresult *res = at_db_query(
            ctx.db,
            "SELECT seq, event_id, firm_id, client_id, actor_id, actor_name, actor_kind, action,"
            " resource_type, resource_id,"
            " to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
            " ip, user_agent, request_id, details::text"
            " FROM audit_outbox ORDER BY seq LIMIT 200",
            0, NULL);
        if (at_db_session(ctx.db) != session) {
            PQclear(res); /* read on a new session, without the lock: start over */
            continue;
        }
        if (at_db_status(ctx.db, res) != AT_OK) {
            PQclear(res);
            zclock_sleep(1000);
            continue;
        }
        int n = PQntuples(res);
        if (n == 0) {
            PQclear(res);
            /* wait for a NOTIFY (or 1 s) */
            PGconn *c = at_db_conn(ctx.db);
            zmq_pollitem_t item = {NULL, PQsocket(c), ZMQ_POLLIN, 0};
            zmq_poll(&item, 1, 1000);
            PQconsumeInput(c);
            PGnotify *note;
            while ((note = PQnotifies(c)))
                PQfreemem(note);
            continue;
        }
        Atrium__Audit__IngestRequest ing = ATRIUM__AUDIT__INGEST_REQUEST__INIT;
        ing.n_events = (size_t) n;
        ing.events = at_arena_alloc(ctx.arena, sizeof(void *) * (size_t) n);
        for (int i = 0; i < n; i++) {
            Atrium__Audit__Event *e = at_arena_alloc(ctx.arena, sizeof *e);
            atrium__audit__event__init(e);
            char **f[] = {&e->event_id,    &e->firm_id,    &e->client_id, &e->actor_id,
                          &e->actor_name,  &e->actor_kind, &e->action,    &e->resource_type,
                          &e->resource_id, &e->at,         &e->ip,        &e->user_agent,
                          &e->request_id,  &e->details};
            for (int c = 0; c < 14; c++)
                *f[c] = at_arena_strdup(ctx.arena, at_db_value(res, i, c + 1));
            e->source = (char *) t->def->name;
            ing.events[i] = e;
        }
        char *last_seq = at_arena_strdup(ctx.arena, PQgetvalue(res, n - 1, 0));
        PQclear(res);
        Atrium__Request env = ATRIUM__REQUEST__INIT;
        ctx.request = &env;
        env.has_deadline_ms = 1;
        env.deadline_ms = at_time_now_ms() + 5000;
        ProtobufCMessage *ack = NULL;
        /* The relay is a system caller: a principal naming the service. */
        Atrium__Principal sys = ATRIUM__PRINCIPAL__INIT;
        sys.user_id = "00000000-0000-0000-0000-000000000000";
        sys.firm_id = "00000000-0000-0000-0000-000000000000";
        sys.kind = "system";
        sys.name = (char *) t->def->name;
        ctx.principal = &sys;
        at_status_t st = at_call(&ctx, "audit.ingest", &ing.base,
                                 &atrium__audit__ingest_reply__descriptor, &ack);
        ctx.request = NULL;
        ctx.principal = NULL;
        if (st != AT_OK) {
            backoff = backoff ? (backoff * 2 > 10000 ? 10000 : backoff * 2) : 250;
            at_warn("audit relay: %d events not delivered (%s); retrying in %lld ms", n,
                    at_status_code(st), (long long) backoff);
            zclock_sleep((int) backoff);
            continue;
        }
        backoff = 0;
        const char *p[] = {last_seq};
        res = at_db_query(ctx.db, "DELETE FROM audit_outbox WHERE seq <= $1", 1, p);
        at_db_status(ctx.db, res);
        PQclear(res);
    }
    s_thread_conns_close(&ctx);
    return NULL;
}

static void *s_background_thread(void *arg)
{
    s_thread_t *t = arg;
    at_ctx_t ctx = {0};
    while (!t->stop && !zsys_interrupted && s_thread_conns(t, &ctx, "*") != 0) {
        s_thread_conns_close(&ctx);
        zclock_sleep(1000);
    }
    if (!t->stop && !zsys_interrupted)
        t->def->background(&ctx, &t->stop);
    s_thread_conns_close(&ctx);
    return NULL;
}

/* `healthcheck`: does an instance of this service answer its ping? */
static int s_healthcheck(const at_service_def_t *def, const at_config_t *config)
{
    at_bus_client_t *bus = at_bus_client_new(at_config_get(config, "ATRIUM_BUS_ENDPOINT"));
    if (!bus)
        return 1;
    char method[80];
    snprintf(method, sizeof method, "%s.ping", def->name);
    Atrium__Request env = ATRIUM__REQUEST__INIT;
    env.method = method;
    env.request_id = "healthcheck";
    env.has_deadline_ms = 1;
    env.deadline_ms = at_time_now_ms() + 3000;
    uint8_t buf[256];
    size_t len = atrium__request__pack(&env, buf);
    zframe_t *frame = NULL;
    int rc = 1;
    if (at_bus_client_call(bus, def->name, AT_BUS_IDEMPOTENT, env.deadline_ms, buf, len, &frame) ==
        AT_BUS_OK) {
        Atrium__Reply *rep = atrium__reply__unpack(NULL, zframe_size(frame), zframe_data(frame));
        rc = rep && rep->status == AT_OK ? 0 : 1;
        atrium__reply__free_unpacked(rep, NULL);
    }
    zframe_destroy(&frame);
    at_bus_client_destroy(&bus);
    return rc;
}

int at_service_main(int argc, char **argv, const at_service_def_t *def)
{
    const at_config_key_t *tables[] = {at_config_common, at_config_service, s_keys, def->config,
                                       NULL};
    char *err = NULL;
    at_config_t *config = at_config_load(tables, &err);
    if (!config) {
        fprintf(stderr, "atrium-%s: %s\n", def->name, err);
        free(err);
        return 2;
    }
    at_log_init(def->name, at_config_get(config, "ATRIUM_LOG_LEVEL"));
    zsys_init();
    zsys_set_logstream(NULL);
    if (argc > 1 && strcmp(argv[1], "healthcheck") == 0) {
        int rc = s_healthcheck(def, config);
        at_config_destroy(&config);
        return rc;
    }
    /* PostgreSQL may still be starting: wait up to 30 s, then let the
     * supervisor restart us. */
    at_db_t *db = NULL;
    for (int tries = 0; !db && tries < 60 && !zsys_interrupted; tries++) {
        free(err);
        err = NULL;
        db = at_db_connect(at_config_get(config, "ATRIUM_PG_DSN"), def->schema,
                           (int) at_config_int(config, "ATRIUM_DB_TIMEOUT_MS"), &err);
        if (!db)
            zclock_sleep(500);
    }
    if (!db) {
        at_error("cannot connect to postgresql: %s", err ? err : "interrupted");
        free(err);
        at_config_destroy(&config);
        return 1;
    }
    if (at_db_migrate(db, def->schema, s_common_migrations, &err) != 0 ||
        at_db_migrate(db, def->schema, def->migrations, &err) != 0 ||
        (at_db_enforce_tenancy(db, def->schema) != 0 && (err = strdup("row-level security")))) {
        at_error("migrations failed: %s", err);
        free(err);
        at_db_destroy(&db);
        at_config_destroy(&config);
        return 1;
    }
    void *state = NULL;
    at_db_set_tenant(db, "*"); /* process set-up may span firms */
    if (def->init && def->init(config, db, &state) != 0) {
        at_error("initialisation failed");
        at_db_destroy(&db);
        at_config_destroy(&config);
        return 1;
    }
    at_db_destroy(&db);

    int nworkers = (int) at_config_int(config, "ATRIUM_WORKERS");
    int nthreads = nworkers + 1 + (def->background ? 1 : 0);
    s_thread_t *threads = calloc((size_t) nthreads, sizeof *threads);
    if (!threads)
        abort();
    for (int i = 0; i < nthreads; i++) {
        threads[i] = (s_thread_t){.def = def, .config = config, .state = state, .index = i};
        void *(*body)(void *) = i < nworkers    ? s_worker_thread
                                : i == nworkers ? s_relay_thread
                                                : s_background_thread;
        pthread_create(&threads[i].thread, NULL, body, &threads[i]);
    }
    at_info("serving %s with %d workers on %s", def->name, nworkers,
            at_config_get(config, "ATRIUM_BUS_ENDPOINT"));
    while (!zsys_interrupted)
        zclock_sleep(200);
    at_info("stopping");
    for (int i = 0; i < nthreads; i++)
        threads[i].stop = 1;
    for (int i = 0; i < nthreads; i++)
        pthread_join(threads[i].thread, NULL);
    free(threads);
    if (def->fini)
        def->fini(state);
    at_config_destroy(&config);
    return 0;
}
