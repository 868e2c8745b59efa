/* at_worker: one Majordomo worker for one handler thread. An actor thread
 * owns the DEALER socket to the broker and keeps heartbeating while the
 * handler runs, so a long request is not mistaken for a dead worker; a
 * stopped process stops both and is detected.
 *
 * It does not decode payloads: the handler gets the packed atrium.Request
 * bytes and answers packed atrium.Reply bytes.
 */
#ifndef AT_WORKER_H
#define AT_WORKER_H

#include <czmq.h>
#include <stdint.h>

typedef struct at_worker_t at_worker_t;

/* One request handed to the handler. Frames are owned by the job until
 * at_worker_reply or at_worker_job_clear. */
typedef struct {
    zframe_t *client;
    zframe_t *corr;
    zframe_t *payload;   /* packed atrium.Request */
    int64_t deadline_ms; /* epoch ms */
    uint8_t flags;
} at_worker_job_t;

/* Connects a worker for service to the broker at endpoint and announces
 * READY. Returns NULL if the actor cannot start. */
at_worker_t *at_worker_new(const char *endpoint, const char *service);

/* Stops the actor (DISCONNECT to the broker); accepts NULL; nulls *self_p. */
void at_worker_destroy(at_worker_t **self_p);

/* Waits up to timeout_ms for the next request. Returns 0 and fills job,
 * 1 on timeout, -1 when interrupted or the actor is gone. */
int at_worker_recv(at_worker_t *self, int timeout_ms, at_worker_job_t *job);

/* Sends the reply bytes for job and releases the job's frames. Returns 0, or
 * -1 if the actor is gone. */
int at_worker_reply(at_worker_t *self, at_worker_job_t *job, const void *data, size_t len);

/* Releases the job's frames without answering. */
void at_worker_job_clear(at_worker_job_t *job);

#endif
