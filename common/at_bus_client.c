/* at_bus_client: synchronous MDP client with deadlines and stale-reply
 * discarding. */
#include "at_bus_client.h"
#include "at_mdp.h"
#include "at_time.h"

struct at_bus_client_t {
    zsock_t *dealer;
    uint64_t next_corr;
};

at_bus_client_t *at_bus_client_new(const char *endpoint)
{
    at_bus_client_t *self = calloc(1, sizeof *self);
    if (!self)
        abort();
    self->dealer = zsock_new(ZMQ_DEALER);
    if (!self->dealer) {
        free(self);
        return NULL;
    }
    at_mdp_socket_options(self->dealer);
    /* Refuse to queue for a broker that is not there: fail fast with 503. */
    zsock_set_immediate(self->dealer, 1);
    zsock_set_sndtimeo(self->dealer, 0);
    if (zsock_connect(self->dealer, "%s", endpoint) < 0) {
        zsock_destroy(&self->dealer);
        free(self);
        return NULL;
    }
    self->next_corr = ((uint64_t) randof(1 << 30) << 32) | (uint64_t) getpid();
    return self;
}

void at_bus_client_destroy(at_bus_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zsock_destroy(&(*self_p)->dealer);
    free(*self_p);
    *self_p = NULL;
}

at_bus_rc_t at_bus_client_call(at_bus_client_t *self, const char *service, uint8_t flags,
                               int64_t deadline_ms, const void *payload, size_t len,
                               zframe_t **reply)
{
    *reply = NULL;
    uint64_t corr = ++self->next_corr;
    zmsg_t *msg = zmsg_new();
    zmsg_addstr(msg, "");
    zmsg_addstr(msg, AT_MDPC);
    zmsg_addmem(msg, (uint8_t[]){AT_MDPC_REQUEST}, 1);
    zmsg_addstr(msg, service);
    zmsg_addmem(msg, &corr, sizeof corr);
    zmsg_append(msg, &(zframe_t *){at_mdp_deadline_frame(deadline_ms)});
    zmsg_addmem(msg, &flags, 1);
    zmsg_addmem(msg, payload, len);
    /* A just-started client may need a moment for the connection. */
    int64_t connect_until = at_time_mono_ms() + 200;
    while (zmsg_send(&msg, self->dealer) != 0) {
        if (zmq_errno() != EAGAIN || at_time_mono_ms() > connect_until ||
            at_time_now_ms() >= deadline_ms) {
            zmsg_destroy(&msg);
            return AT_BUS_UNREACHABLE;
        }
        zclock_sleep(5);
    }
    zpoller_t *poller = zpoller_new(self->dealer, NULL);
    at_bus_rc_t rc = AT_BUS_TIMEOUT;
    while (true) {
        int64_t left = deadline_ms - at_time_now_ms();
        if (left <= 0)
            break;
        if (!zpoller_wait(poller, (int) left)) {
            if (zpoller_terminated(poller))
                break;
            continue;
        }
        zmsg_t *in = zmsg_recv(self->dealer);
        if (!in)
            break;
        /* "" MDPC02 FINAL service corr payload */
        if (zmsg_size(in) >= 6) {
            zframe_t *f = zmsg_first(in); /* "" */
            f = zmsg_next(in);            /* header */
            f = zmsg_next(in);            /* command */
            f = zmsg_next(in);            /* service */
            zframe_t *c = zmsg_next(in);  /* corr */
            if (zframe_size(c) == sizeof corr && memcmp(zframe_data(c), &corr, sizeof corr) == 0) {
                zframe_t *last = zmsg_last(in);
                zmsg_remove(in, last);
                *reply = last;
                rc = AT_BUS_OK;
            }
            (void) f;
        }
        zmsg_destroy(&in);
        if (rc == AT_BUS_OK)
            break;
    }
    zpoller_destroy(&poller);
    return rc;
}
