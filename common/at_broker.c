/* at_broker: Majordomo broker. Routing and liveness only; it never unpacks a
 * request's payload, and builds only the 503 replies it answers itself. */
#include "at_broker.h"
#include "at_log.h"
#include "at_mdp.h"
#include "at_status.h"
#include "at_time.h"

typedef struct s_service_t s_service_t;

typedef struct {
    zframe_t *client; /* routing id of the caller */
    zframe_t *corr;
    int64_t deadline; /* epoch ms */
    uint8_t flags;
    zmsg_t *payload; /* remaining body frames */
    size_t bytes;
} s_request_t;

typedef struct {
    char *id; /* hex of identity, the hash key */
    zframe_t *identity;
    s_service_t *service;
    int64_t expiry; /* monotonic ms after which it is dead */
    s_request_t *current;
    void *waiting_handle; /* handle in service->waiting while idle */
} s_worker_t;

struct s_service_t {
    char *name;
    zlistx_t *requests; /* s_request_t*, oldest first */
    zlistx_t *waiting;  /* s_worker_t*, least recently used first */
    size_t nworkers;
    size_t bytes;
};

typedef struct {
    zsock_t *router;
    zhashx_t *services;
    zhashx_t *workers;
    size_t queue_max, queue_max_bytes;
    int64_t heartbeat_at;
    int64_t purge_at;
    uint64_t rejected, dispatched, retried, expired;
} s_broker_t;

static void s_request_destroy(s_request_t **self_p)
{
    if (!*self_p)
        return;
    s_request_t *r = *self_p;
    zframe_destroy(&r->client);
    zframe_destroy(&r->corr);
    zmsg_destroy(&r->payload);
    free(r);
    *self_p = NULL;
}

static void s_service_free(void **item)
{
    s_service_t *s = *item;
    if (!s)
        return;
    s_request_t *r;
    while ((r = zlistx_detach(s->requests, NULL)))
        s_request_destroy(&r);
    zlistx_destroy(&s->requests);
    zlistx_destroy(&s->waiting);
    free(s->name);
    free(s);
    *item = NULL;
}

static s_service_t *s_service_require(s_broker_t *b, const char *name)
{
    s_service_t *s = zhashx_lookup(b->services, name);
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s)
            abort();
        s->name = strdup(name);
        s->requests = zlistx_new();
        s->waiting = zlistx_new();
        zhashx_insert(b->services, name, s);
    }
    return s;
}

/* Sends an atrium.Reply the broker made itself to a waiting caller. */
static void s_reply_status(s_broker_t *b, zframe_t *client, zframe_t *corr, const char *service,
                           at_status_t status, const char *message)
{
    Atrium__Reply reply = ATRIUM__REPLY__INIT;
    reply.has_status = 1;
    reply.status = status;
    reply.message = (char *) message;
    reply.has_retry_after = 1;
    reply.retry_after = 1;
    size_t len = atrium__reply__get_packed_size(&reply);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        abort();
    atrium__reply__pack(&reply, buf);
    zmsg_t *msg = zmsg_new();
    zmsg_append(msg, &(zframe_t *){zframe_dup(client)});
    zmsg_addstr(msg, "");
    zmsg_addstr(msg, AT_MDPC);
    zmsg_addmem(msg, (uint8_t[]){AT_MDPC_FINAL}, 1);
    zmsg_addstr(msg, service);
    zmsg_append(msg, &(zframe_t *){zframe_dup(corr)});
    zmsg_addmem(msg, buf, len);
    free(buf);
    zmsg_send(&msg, b->router);
}

static void s_worker_send(s_broker_t *b, s_worker_t *w, uint8_t command, zmsg_t **body_p)
{
    zmsg_t *msg = body_p && *body_p ? *body_p : zmsg_new();
    if (body_p)
        *body_p = NULL;
    zmsg_pushmem(msg, &command, 1);
    zmsg_pushstr(msg, AT_MDPW);
    zmsg_pushstr(msg, "");
    zmsg_prepend(msg, &(zframe_t *){zframe_dup(w->identity)});
    zmsg_send(&msg, b->router);
}

/* Sends the request to the worker; the worker owns it until it answers. */
static void s_worker_assign(s_broker_t *b, s_worker_t *w, s_request_t *r)
{
    /* Only an idempotent request may be sent twice, so only it keeps a copy. */
    zmsg_t *body;
    if (r->flags & AT_BUS_IDEMPOTENT) {
        body = zmsg_dup(r->payload);
    } else {
        body = r->payload;
        r->payload = NULL;
    }
    zmsg_pushmem(body, &r->flags, 1);
    zmsg_prepend(body, &(zframe_t *){at_mdp_deadline_frame(r->deadline)});
    zmsg_prepend(body, &(zframe_t *){zframe_dup(r->corr)});
    zmsg_pushstr(body, "");
    zmsg_prepend(body, &(zframe_t *){zframe_dup(r->client)});
    w->current = r;
    b->dispatched++;
    s_worker_send(b, w, AT_MDPW_REQUEST, &body);
}

/* Hands queued requests to idle workers, oldest request to LRU worker. */
static void s_dispatch(s_broker_t *b, s_service_t *s)
{
    int64_t now = at_time_now_ms();
    while (zlistx_size(s->requests) && zlistx_size(s->waiting)) {
        s_request_t *r = zlistx_detach(s->requests, NULL);
        s->bytes -= r->bytes;
        if (r->deadline && r->deadline <= now) {
            b->expired++; /* the caller has given up already */
            s_request_destroy(&r);
            continue;
        }
        s_worker_t *w = zlistx_detach(s->waiting, NULL);
        w->waiting_handle = NULL;
        s_worker_assign(b, w, r);
    }
}

/* Drops a worker. Its request is retried if idempotent and still in time. */
static void s_worker_delete(s_broker_t *b, s_worker_t *w, bool disconnect)
{
    if (disconnect)
        s_worker_send(b, w, AT_MDPW_DISCONNECT, NULL);
    s_service_t *s = w->service;
    if (s) {
        if (w->waiting_handle)
            zlistx_delete(s->waiting, w->waiting_handle);
        s->nworkers--;
        s_request_t *r = w->current;
        w->current = NULL;
        if (r) {
            if ((r->flags & AT_BUS_IDEMPOTENT) && r->deadline > at_time_now_ms() && s->nworkers) {
                b->retried++;
                s->bytes += r->bytes;
                zlistx_add_start(s->requests, r);
                at_warn("bus: worker %s of %s lost mid-request; retrying it", w->id, s->name);
            } else {
                at_warn("bus: worker %s of %s lost mid-request; answering 503", w->id, s->name);
                s_reply_status(b, r->client, r->corr, s->name, AT_UNAVAILABLE,
                               "the service instance handling the request stopped");
                s_request_destroy(&r);
            }
        }
    }
    char *id = w->id;
    zhashx_delete(b->workers, id); /* frees w */
    if (s)
        s_dispatch(b, s);
}

static void s_worker_free(void **item)
{
    s_worker_t *w = *item;
    if (!w)
        return;
    s_request_destroy(&w->current); /* only at shutdown is one still held */
    zframe_destroy(&w->identity);
    free(w->id);
    free(w);
    *item = NULL;
}

static void s_worker_idle(s_broker_t *b, s_worker_t *w)
{
    w->waiting_handle = zlistx_add_end(w->service->waiting, w);
    s_dispatch(b, w->service);
}

static void s_on_worker(s_broker_t *b, zframe_t *sender, zmsg_t **msg_p)
{
    zmsg_t *msg = *msg_p;
    zframe_t *cmd = zmsg_pop(msg);
    if (!cmd || zframe_size(cmd) != 1) {
        zframe_destroy(&cmd);
        return;
    }
    uint8_t command = zframe_data(cmd)[0];
    zframe_destroy(&cmd);
    char *id = zframe_strhex(sender);
    s_worker_t *w = zhashx_lookup(b->workers, id);
    int64_t now = at_time_mono_ms();

    if (command == AT_MDPW_READY) {
        if (w) /* READY twice is a protocol error: start it afresh */
            s_worker_delete(b, w, true);
        char *service = zmsg_popstr(msg);
        if (!service || !*service || strncmp(service, "mmi.", 4) == 0) {
            free(service);
            free(id);
            return;
        }
        w = calloc(1, sizeof *w);
        if (!w)
            abort();
        w->id = id;
        id = NULL;
        w->identity = zframe_dup(sender);
        w->service = s_service_require(b, service);
        w->service->nworkers++;
        w->expiry = now + AT_BUS_HEARTBEAT_MS * AT_BUS_LIVENESS;
        zhashx_insert(b->workers, w->id, w);
        at_info("bus: worker %s ready for %s (%zu now)", w->id, service, w->service->nworkers);
        free(service);
        s_worker_idle(b, w);
    } else if (!w) {
        /* A worker we dropped (missed heartbeats, or wedged): tell it to
         * start again with READY. */
        zmsg_t *out = zmsg_new();
        zmsg_addstr(out, "");
        zmsg_addstr(out, AT_MDPW);
        zmsg_addmem(out, (uint8_t[]){AT_MDPW_DISCONNECT}, 1);
        zmsg_prepend(out, &(zframe_t *){zframe_dup(sender)});
        zmsg_send(&out, b->router);
    } else if (command == AT_MDPW_FINAL) {
        w->expiry = now + AT_BUS_HEARTBEAT_MS * AT_BUS_LIVENESS;
        zframe_t *client = zmsg_pop(msg);
        zframe_t *empty = zmsg_pop(msg);
        zframe_destroy(&empty);
        s_request_t *r = w->current;
        w->current = NULL;
        if (client && r) {
            /* msg now holds [corr][payload] */
            zmsg_pushstr(msg, w->service->name);
            zmsg_pushmem(msg, (uint8_t[]){AT_MDPC_FINAL}, 1);
            zmsg_pushstr(msg, AT_MDPC);
            zmsg_pushstr(msg, "");
            zmsg_prepend(msg, &client);
            zmsg_send(msg_p, b->router);
        }
        zframe_destroy(&client);
        s_request_destroy(&r);
        s_worker_idle(b, w);
    } else if (command == AT_MDPW_HEARTBEAT) {
        w->expiry = now + AT_BUS_HEARTBEAT_MS * AT_BUS_LIVENESS;
    } else if (command == AT_MDPW_DISCONNECT) {
        s_worker_delete(b, w, false);
    }
    free(id);
}

static void s_mmi(s_broker_t *b, zframe_t *sender, const char *service, zframe_t *corr,
                  zmsg_t *payload)
{
    char *name = zmsg_popstr(payload);
    const char *answer = "501";
    char count[32];
    s_service_t *s = name ? zhashx_lookup(b->services, name) : NULL;
    if (strcmp(service, "mmi.service") == 0) {
        answer = s && s->nworkers ? "200" : "404";
    } else if (strcmp(service, "mmi.queue") == 0) {
        /* requests waiting for an idle worker (not RFC 8; Atrium's) */
        snprintf(count, sizeof count, "%zu", s ? zlistx_size(s->requests) : 0);
        answer = count;
    }
    zmsg_t *out = zmsg_new();
    zmsg_append(out, &(zframe_t *){zframe_dup(sender)});
    zmsg_addstr(out, "");
    zmsg_addstr(out, AT_MDPC);
    zmsg_addmem(out, (uint8_t[]){AT_MDPC_FINAL}, 1);
    zmsg_addstr(out, service);
    zmsg_append(out, &(zframe_t *){zframe_dup(corr)});
    zmsg_addstr(out, answer);
    zmsg_send(&out, b->router);
    free(name);
}

static void s_on_client(s_broker_t *b, zframe_t *sender, zmsg_t **msg_p)
{
    zmsg_t *msg = *msg_p;
    zframe_t *cmd = zmsg_pop(msg);
    char *service = zmsg_popstr(msg);
    zframe_t *corr = zmsg_pop(msg);
    zframe_t *deadline = zmsg_pop(msg);
    zframe_t *flags = zmsg_pop(msg);
    if (!cmd || zframe_size(cmd) != 1 || zframe_data(cmd)[0] != AT_MDPC_REQUEST || !service ||
        !corr || !deadline || !flags || zframe_size(flags) != 1) {
        at_warn("bus: malformed client request dropped");
        goto cleanup;
    }
    if (strncmp(service, "mmi.", 4) == 0) {
        s_mmi(b, sender, service, corr, msg);
        goto cleanup;
    }
    s_service_t *s = s_service_require(b, service);
    size_t bytes = zmsg_content_size(msg);
    if (s->nworkers == 0) {
        b->rejected++;
        s_reply_status(b, sender, corr, service, AT_UNAVAILABLE,
                       "no instance of the service is running");
        goto cleanup;
    }
    if (zlistx_size(s->requests) >= b->queue_max || s->bytes + bytes > b->queue_max_bytes) {
        b->rejected++;
        s_reply_status(b, sender, corr, service, AT_UNAVAILABLE, "the service is overloaded");
        goto cleanup;
    }
    s_request_t *r = calloc(1, sizeof *r);
    if (!r)
        abort();
    r->client = zframe_dup(sender);
    r->corr = corr;
    corr = NULL;
    r->deadline = at_mdp_deadline_of(deadline);
    r->flags = zframe_data(flags)[0];
    r->payload = msg;
    *msg_p = NULL;
    r->bytes = bytes;
    s->bytes += bytes;
    zlistx_add_end(s->requests, r);
    s_dispatch(b, s);
cleanup:
    zframe_destroy(&cmd);
    zframe_destroy(&corr);
    zframe_destroy(&deadline);
    zframe_destroy(&flags);
    free(service);
}

/* Heartbeats idle and busy workers, drops the silent and the wedged, and
 * drops queued requests whose callers have given up. */
static void s_tick(s_broker_t *b)
{
    int64_t mono = at_time_mono_ms(), now = at_time_now_ms();
    if (mono < b->purge_at)
        return;
    b->purge_at = mono + 100;
    zlistx_t *dead = zlistx_new();
    for (s_worker_t *w = zhashx_first(b->workers); w; w = zhashx_next(b->workers)) {
        bool wedged = w->current && w->current->deadline &&
                      now > w->current->deadline + AT_BUS_HEARTBEAT_MS * AT_BUS_LIVENESS;
        if (mono > w->expiry || wedged)
            zlistx_add_end(dead, w);
    }
    for (s_worker_t *w = zlistx_first(dead); w; w = zlistx_next(dead)) {
        at_warn("bus: dropping worker %s of %s (%s)", w->id, w->service->name,
                mono > w->expiry ? "missed heartbeats" : "busy past its deadline");
        s_worker_delete(b, w, true);
    }
    zlistx_destroy(&dead);
    for (s_service_t *s = zhashx_first(b->services); s; s = zhashx_next(b->services)) {
        size_t n = zlistx_size(s->requests);
        for (size_t i = 0; i < n; i++) {
            s_request_t *r = zlistx_detach(s->requests, NULL);
            if (r->deadline && r->deadline <= now) {
                s->bytes -= r->bytes;
                b->expired++;
                s_request_destroy(&r);
            } else {
                zlistx_add_end(s->requests, r);
            }
        }
    }
    if (mono >= b->heartbeat_at) {
        for (s_worker_t *w = zhashx_first(b->workers); w; w = zhashx_next(b->workers))
            s_worker_send(b, w, AT_MDPW_HEARTBEAT, NULL);
        b->heartbeat_at = mono + AT_BUS_HEARTBEAT_MS;
    }
}

void at_broker_actor(zsock_t *pipe, void *args_v)
{
    at_broker_args_t *args = args_v;
    s_broker_t b = {0};
    b.queue_max = args->queue_max ? args->queue_max : 1000;
    b.queue_max_bytes = args->queue_max_bytes ? args->queue_max_bytes : 256u * 1024 * 1024;
    b.router = zsock_new(ZMQ_ROUTER);
    at_mdp_socket_options(b.router);
    zsock_set_router_mandatory(b.router, 0);
    if (zsock_bind(b.router, "%s", args->endpoint) < 0) {
        at_error("bus: cannot bind %s: %s", args->endpoint, zmq_strerror(zmq_errno()));
        zsock_destroy(&b.router);
        args->bound = 0;
        zsock_signal(pipe, 0);
        return;
    }
    b.services = zhashx_new();
    zhashx_set_destructor(b.services, s_service_free);
    b.workers = zhashx_new();
    zhashx_set_destructor(b.workers, s_worker_free);
    b.heartbeat_at = at_time_mono_ms() + AT_BUS_HEARTBEAT_MS;
    args->bound = 1;
    zsock_signal(pipe, 0);

    zpoller_t *poller = zpoller_new(pipe, b.router, NULL);
    zpoller_set_nonstop(poller, true); /* end only on $TERM (see at_worker.c) */
    while (true) {
        int64_t wait = b.heartbeat_at - at_time_mono_ms();
        zsock_t *which = zpoller_wait(poller, (int) (wait < 0 ? 0 : wait));
        if (which == pipe) {
            char *cmd = zstr_recv(pipe);
            bool term = !cmd || streq(cmd, "$TERM");
            free(cmd);
            if (term)
                break;
        } else if (which == b.router) {
            zmsg_t *msg = zmsg_recv(b.router);
            if (!msg)
                break;
            zframe_t *sender = zmsg_pop(msg);
            zframe_t *empty = zmsg_pop(msg);
            char *header = zmsg_popstr(msg);
            if (sender && header && streq(header, AT_MDPC))
                s_on_client(&b, sender, &msg);
            else if (sender && header && streq(header, AT_MDPW))
                s_on_worker(&b, sender, &msg);
            zframe_destroy(&sender);
            zframe_destroy(&empty);
            free(header);
            zmsg_destroy(&msg);
        } else if (zpoller_terminated(poller)) {
            break;
        }
        s_tick(&b);
    }
    zpoller_destroy(&poller);
    for (s_worker_t *w = zhashx_first(b.workers); w; w = zhashx_next(b.workers))
        s_worker_send(&b, w, AT_MDPW_DISCONNECT, NULL);
    zhashx_destroy(&b.workers);
    zhashx_destroy(&b.services);
    zsock_destroy(&b.router);
}
