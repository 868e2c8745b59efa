/* audit_verify: re-verifies one firm's trail as it streams past, in seq
 * order, in constant memory: the chain recomputed event by event
 * (audit_chain.h), and each signed checkpoint checked for its signature and
 * against the recomputed chain at its seq. The audit service (GET
 * /api/v1/audit/verify, rows from PostgreSQL) and `atriumctl audit verify`
 * (rows from a JSON Lines export) drive the same code.
 *
 * Pure: no I/O. It does not read rows or keys; its callers do.
 */
#ifndef AUDIT_VERIFY_H
#define AUDIT_VERIFY_H

#include "audit_chain.h"
#include <stdbool.h>
#include <stdint.h>

typedef struct {
    char firm_id[AUDIT_UUID_LEN + 1];   /* the first event's, or set by the caller */
    int64_t events;                     /* events fed */
    int64_t last_seq;                   /* seq of the last event fed (0: none) */
    char head[AUDIT_CHAIN_HEX_LEN + 1]; /* recomputed hash after the last event */
    int64_t first_bad_seq;              /* 0 while nothing is wrong */
    bool chain_ok;
    bool checkpoints_ok;
    int checkpoints; /* checkpoints checked */
    int64_t last_checkpoint_seq;
    int64_t start_seq; /* the trail starts after it (0: at seq 1) */
    char problem[256]; /* the first problem, "" while none */
} audit_verify_t;

/* One checkpoint as stored and served; strings borrowed. */
typedef struct {
    const char *firm_id;
    int64_t seq;
    const char *head_hash;
    const char *at;
    const char *key_id;
    const char *signature;
} audit_checkpoint_t;

/* Starts a verification. firm_id (may be NULL: taken from the first event)
 * is the firm whose trail is expected. */
void audit_verify_init(audit_verify_t *v, const char *firm_id);

/* For a trail whose events up to seq were archived (or an export that
 * starts after seq): the chain continues from the signed checkpoint cp at
 * that seq, checked as audit_verify_checkpoint does, with public key pk.
 * cp NULL (no checkpoint at seq is known) is a problem: nothing vouches for
 * where the trail starts. Call it once, before the first event. */
void audit_verify_start(audit_verify_t *v, int64_t seq, const audit_checkpoint_t *cp,
                        const unsigned char *pk);

/* Feeds the next event (the stored fields, normalised as audit_chain.h) and
 * its stored hash. Events must come in seq order starting at 1 (or after the start); a gap, a
 * repeat, another firm or a hash that does not follow is recorded as a
 * problem (the first one wins) and the walk goes on. */
void audit_verify_event(audit_verify_t *v, const audit_chain_event_t *ev, const char *hash);

/* Checks checkpoint cp: its signature with the 32-byte public key pk (NULL:
 * the key is unknown, which fails it), and the chain at cp->seq. Call it
 * right after feeding the event whose seq is cp->seq, and for checkpoints
 * beyond the last event after the last event: such a checkpoint proves that
 * events were removed from the end of the trail. */
void audit_verify_checkpoint(audit_verify_t *v, const audit_checkpoint_t *cp,
                             const unsigned char *pk);

/* At the end: the stored head says the trail had head_seq events; fewer
 * means the newest were removed. */
void audit_verify_expect_seq(audit_verify_t *v, int64_t head_seq);

/* True when no problem was found. */
bool audit_verify_ok(const audit_verify_t *v);

#endif
