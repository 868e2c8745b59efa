/* at_bus_client: a caller's end of the bus (MDP client over a DEALER). One
 * per thread: the gateway keeps one per civetweb thread, a service worker one
 * per handler thread. Every call has a deadline and never waits past it.
 *
 * It does not retry: the broker retries idempotent calls on another worker;
 * a caller that wants more must call again.
 */
#ifndef AT_BUS_CLIENT_H
#define AT_BUS_CLIENT_H

#include <czmq.h>
#include <stdint.h>

typedef struct at_bus_client_t at_bus_client_t;

typedef enum {
    AT_BUS_OK = 0,
    AT_BUS_TIMEOUT = -1,     /* no reply before the deadline */
    AT_BUS_UNREACHABLE = -2, /* the broker is not connected */
} at_bus_rc_t;

/* Connects to the broker at endpoint. Returns NULL if the socket fails. */
at_bus_client_t *at_bus_client_new(const char *endpoint);

/* Closes (linger 0); accepts NULL; nulls *self_p. */
void at_bus_client_destroy(at_bus_client_t **self_p);

/* Sends payload (len bytes, copied) to service with flags (AT_BUS_IDEMPOTENT)
 * and waits until deadline_ms (epoch ms) for its reply. On AT_BUS_OK sets
 * *reply to a new frame the caller destroys. Replies to earlier, timed-out
 * calls are discarded. */
at_bus_rc_t at_bus_client_call(at_bus_client_t *self, const char *service, uint8_t flags,
                               int64_t deadline_ms, const void *payload, size_t len,
                               zframe_t **reply);

#endif
