/* at_broker: the bus broker, an actor implementing the Majordomo pattern
 * (MDP/0.2 with Atrium's deadline extension, see at_mdp.h).
 *
 * Workers announce READY per service; each request goes to the service's
 * least-recently-used idle worker, one request per worker at a time, so a
 * slow or stopped worker never gets an equal share. Queues are bounded; an
 * overloaded or workerless service is answered 503 at once. A worker that
 * misses heartbeats, or stays busy past its request's deadline, is dropped;
 * its request is retried on another worker if the caller flagged it
 * idempotent and its deadline allows, else answered 503.
 *
 * It does not persist anything: a request lost with the broker itself is
 * answered by the caller's deadline.
 */
#ifndef AT_BROKER_H
#define AT_BROKER_H

#include <czmq.h>

typedef struct {
    const char *endpoint;   /* where to bind, e.g. "ipc:///x/run/bus.sock" */
    size_t queue_max;       /* queued requests per service before 503 (0: 1000) */
    size_t queue_max_bytes; /* queued payload bytes per service (0: 256 MiB) */
    int bound;              /* out: 1 once bound, 0 if the bind failed */
} at_broker_args_t;

/* zactor body: zactor_new(at_broker_actor, &args). Binds args->endpoint
 * then signals; args->bound tells whether the bind worked (0: the actor has
 * ended already). Serves until it receives "$TERM". args must live until
 * zactor_new returns. */
void at_broker_actor(zsock_t *pipe, void *args);

#endif
