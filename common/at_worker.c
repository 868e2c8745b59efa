/* at_worker: MDP worker actor (heartbeats, reconnects) + handler-side API. */
#include "at_worker.h"
#include "at_log.h"
#include "at_mdp.h"
#include "at_time.h"

typedef struct {
    char *endpoint;
    char *service;
} s_args_t;

struct at_worker_t {
    zactor_t *actor;
    s_args_t *args;
};

typedef struct {
    zsock_t *pipe;
    zsock_t *dealer;
    s_args_t *args;
    int64_t broker_expiry;
    int64_t heartbeat_at;
    bool busy;  /* the handler holds a request */
    bool stale; /* we reconnected while busy: its reply is void */
} s_state_t;

static void s_send(s_state_t *st, uint8_t command, zmsg_t **body_p)
{
    zmsg_t *msg = body_p && *body_p ? *body_p : zmsg_new();
    if (body_p)
        *body_p = NULL;
    zmsg_pushmem(msg, &command, 1);
    zmsg_pushstr(msg, AT_MDPW);
    zmsg_pushstr(msg, "");
    zmsg_send(&msg, st->dealer);
}

static void s_ready(s_state_t *st)
{
    zmsg_t *m = zmsg_new();
    zmsg_addstr(m, st->args->service);
    s_send(st, AT_MDPW_READY, &m);
}

static void s_connect(s_state_t *st)
{
    zsock_destroy(&st->dealer);
    st->dealer = zsock_new(ZMQ_DEALER);
    at_mdp_socket_options(st->dealer);
    zsock_connect(st->dealer, "%s", st->args->endpoint);
    st->broker_expiry = at_time_mono_ms() + AT_BUS_HEARTBEAT_MS * AT_BUS_LIVENESS;
    st->heartbeat_at = at_time_mono_ms() + AT_BUS_HEARTBEAT_MS;
    if (st->busy)
        st->stale = true; /* READY once the handler is free */
    else
        s_ready(st);
}

static void s_actor(zsock_t *pipe, void *args_v)
{
    s_state_t st = {.pipe = pipe, .args = args_v};
    s_connect(&st);
    zsock_signal(pipe, 0);
    zpoller_t *poller = zpoller_new(pipe, NULL);
    /* An actor ends only on $TERM from its owner, never on SIGINT/SIGTERM:
     * otherwise the owner's zactor_destroy waits for a signal that already
     * went. */
    zpoller_set_nonstop(poller, true);
    zpoller_add(poller, st.dealer);
    while (true) {
        int64_t wait = st.heartbeat_at - at_time_mono_ms();
        void *which = zpoller_wait(poller, (int) (wait < 0 ? 0 : wait));
        if (which == pipe) {
            zmsg_t *msg = zmsg_recv(pipe);
            if (!msg)
                break;
            char *cmd = zmsg_popstr(msg);
            if (!cmd || streq(cmd, "$TERM")) {
                free(cmd);
                zmsg_destroy(&msg);
                break;
            }
            if (streq(cmd, "REPLY")) {
                /* msg: [client][corr][payload] */
                bool stale = st.stale;
                st.busy = false;
                st.stale = false;
                if (stale) {
                    zmsg_destroy(&msg);
                    s_ready(&st);
                } else {
                    zframe_t *client = zmsg_pop(msg);
                    zmsg_pushstr(msg, "");
                    zmsg_prepend(msg, &client);
                    s_send(&st, AT_MDPW_FINAL, &msg);
                }
            }
            free(cmd);
            zmsg_destroy(&msg);
        } else if (which == st.dealer) {
            zmsg_t *msg = zmsg_recv(st.dealer);
            if (!msg)
                break;
            st.broker_expiry = at_time_mono_ms() + AT_BUS_HEARTBEAT_MS * AT_BUS_LIVENESS;
            zframe_t *empty = zmsg_pop(msg);
            char *header = zmsg_popstr(msg);
            zframe_t *cmd = zmsg_pop(msg);
            uint8_t command = cmd && zframe_size(cmd) == 1 ? zframe_data(cmd)[0] : 0;
            if (header && streq(header, AT_MDPW)) {
                if (command == AT_MDPW_REQUEST && !st.busy) {
                    /* [client][""][corr][deadline][flags][payload] -> handler */
                    st.busy = true;
                    zmsg_pushstr(msg, "JOB");
                    zmsg_send(&msg, pipe);
                } else if (command == AT_MDPW_DISCONNECT) {
                    zpoller_remove(poller, st.dealer);
                    s_connect(&st);
                    zpoller_add(poller, st.dealer);
                }
            }
            zframe_destroy(&empty);
            zframe_destroy(&cmd);
            free(header);
            zmsg_destroy(&msg);
        } else if (zpoller_terminated(poller)) {
            break;
        }
        int64_t now = at_time_mono_ms();
        if (now > st.broker_expiry) {
            at_warn("bus: broker silent; reconnecting %s", st.args->endpoint);
            zpoller_remove(poller, st.dealer);
            s_connect(&st);
            zpoller_add(poller, st.dealer);
        }
        if (now >= st.heartbeat_at) {
            s_send(&st, AT_MDPW_HEARTBEAT, NULL);
            st.heartbeat_at = now + AT_BUS_HEARTBEAT_MS;
        }
    }
    if (st.dealer)
        s_send(&st, AT_MDPW_DISCONNECT, NULL);
    zpoller_destroy(&poller);
    zsock_destroy(&st.dealer);
}

at_worker_t *at_worker_new(const char *endpoint, const char *service)
{
    at_worker_t *self = calloc(1, sizeof *self);
    s_args_t *args = calloc(1, sizeof *args);
    if (!self || !args)
        abort();
    args->endpoint = strdup(endpoint);
    args->service = strdup(service);
    /* args live as long as the worker; freed in destroy via the actor's end */
    self->actor = zactor_new(s_actor, args);
    if (!self->actor) {
        free(args->endpoint);
        free(args->service);
        free(args);
        free(self);
        return NULL;
    }
    self->args = args;
    return self;
}

void at_worker_destroy(at_worker_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    at_worker_t *self = *self_p;
    zactor_destroy(&self->actor);
    free(self->args->endpoint);
    free(self->args->service);
    free(self->args);
    free(self);
    *self_p = NULL;
}

void at_worker_job_clear(at_worker_job_t *job)
{
    zframe_destroy(&job->client);
    zframe_destroy(&job->corr);
    zframe_destroy(&job->payload);
}

int at_worker_recv(at_worker_t *self, int timeout_ms, at_worker_job_t *job)
{
    memset(job, 0, sizeof *job);
    zsock_t *sock = zactor_sock(self->actor);
    zpoller_t *poller = zpoller_new(sock, NULL);
    void *which = zpoller_wait(poller, timeout_ms);
    bool interrupted = zpoller_terminated(poller);
    zpoller_destroy(&poller);
    if (!which)
        return interrupted ? -1 : 1;
    zmsg_t *msg = zmsg_recv(sock);
    if (!msg)
        return -1;
    char *kind = zmsg_popstr(msg);
    int rc = 1;
    if (kind && streq(kind, "JOB") && zmsg_size(msg) >= 6) {
        job->client = zmsg_pop(msg);
        zframe_t *empty = zmsg_pop(msg);
        zframe_destroy(&empty);
        job->corr = zmsg_pop(msg);
        zframe_t *deadline = zmsg_pop(msg);
        job->deadline_ms = at_mdp_deadline_of(deadline);
        zframe_destroy(&deadline);
        zframe_t *flags = zmsg_pop(msg);
        job->flags = zframe_size(flags) == 1 ? zframe_data(flags)[0] : 0;
        zframe_destroy(&flags);
        job->payload = zmsg_pop(msg);
        rc = 0;
    } else if (kind && streq(kind, "JOB")) {
        /* malformed: answer nothing, but free the actor for the next one */
        zstr_sendm(sock, "REPLY");
        zstr_sendm(sock, "");
        zstr_sendm(sock, "");
        zstr_send(sock, "");
    }
    free(kind);
    zmsg_destroy(&msg);
    return rc;
}

int at_worker_reply(at_worker_t *self, at_worker_job_t *job, const void *data, size_t len)
{
    zmsg_t *msg = zmsg_new();
    zmsg_addstr(msg, "REPLY");
    zmsg_append(msg, &job->client);
    zmsg_append(msg, &job->corr);
    zmsg_addmem(msg, data, len);
    at_worker_job_clear(job);
    return zmsg_send(&msg, zactor_sock(self->actor));
}
