/* audit_verify: streaming re-verification of one firm's chain and its
 * checkpoints (see the header). */
#include "audit_verify.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void s_problem(audit_verify_t *v, int64_t seq, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records the first problem only: the earliest seq is what an auditor
 * needs, and everything after a break is suspect anyway. */
static void s_problem(audit_verify_t *v, int64_t seq, const char *fmt, ...)
{
    if (v->first_bad_seq)
        return;
    v->first_bad_seq = seq > 0 ? seq : 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->problem, sizeof v->problem, fmt, ap);
    va_end(ap);
}

void audit_verify_init(audit_verify_t *v, const char *firm_id)
{
    memset(v, 0, sizeof *v);
    memcpy(v->head, audit_chain_genesis, sizeof v->head);
    v->chain_ok = v->checkpoints_ok = true;
    if (firm_id)
        snprintf(v->firm_id, sizeof v->firm_id, "%s", firm_id);
}

void audit_verify_start(audit_verify_t *v, int64_t seq, const audit_checkpoint_t *cp,
                        const unsigned char *pk)
{
    v->start_seq = seq;
    v->last_seq = seq;
    if (!cp || cp->seq != seq) {
        v->checkpoints_ok = false;
        s_problem(v, seq,
                  "the trail starts after seq %lld but no signed checkpoint at that seq vouches "
                  "for it",
                  (long long) seq);
        return;
    }
    if (cp->head_hash && strlen(cp->head_hash) == AUDIT_CHAIN_HEX_LEN)
        memcpy(v->head, cp->head_hash, AUDIT_CHAIN_HEX_LEN + 1);
    audit_verify_checkpoint(v, cp, pk);
}

void audit_verify_event(audit_verify_t *v, const audit_chain_event_t *ev, const char *hash)
{
    int64_t expected = v->last_seq + 1;
    v->events++;
    if (!v->firm_id[0] && ev->firm_id)
        snprintf(v->firm_id, sizeof v->firm_id, "%s", ev->firm_id);
    if (!ev->firm_id || strcmp(ev->firm_id, v->firm_id) != 0) {
        v->chain_ok = false;
        s_problem(v, ev->seq, "the event at seq %lld belongs to another firm", (long long) ev->seq);
    } else if (ev->seq > expected) {
        v->chain_ok = false;
        s_problem(v, expected, "events %lld to %lld are missing", (long long) expected,
                  (long long) ev->seq - 1);
    } else if (ev->seq < expected) {
        v->chain_ok = false;
        s_problem(v, ev->seq, "seq %lld appears again or out of order", (long long) ev->seq);
    }
    char h[AUDIT_CHAIN_HEX_LEN + 1];
    if (audit_chain_hash(v->head, ev, h) != 0) {
        v->chain_ok = false;
        s_problem(v, ev->seq, "the event at seq %lld lacks a required field", (long long) ev->seq);
    } else if (!hash || strcmp(h, hash) != 0) {
        v->chain_ok = false;
        s_problem(v, ev->seq,
                  "the event at seq %lld does not match its hash: it was changed, or one "
                  "before it was",
                  (long long) ev->seq);
    }
    /* Go on with the recomputed hash: the head is then the chain of the
     * rows as they are now, which is what a checkpoint must match. */
    if (h[0])
        memcpy(v->head, h, sizeof h);
    if (ev->seq > v->last_seq)
        v->last_seq = ev->seq;
}

void audit_verify_checkpoint(audit_verify_t *v, const audit_checkpoint_t *cp,
                             const unsigned char *pk)
{
    v->checkpoints++;
    if (cp->seq > v->last_checkpoint_seq)
        v->last_checkpoint_seq = cp->seq;
    bool ok = true;
    if (!cp->firm_id || (v->firm_id[0] && strcmp(cp->firm_id, v->firm_id) != 0)) {
        ok = false;
        s_problem(v, cp->seq, "the checkpoint at seq %lld is of another firm", (long long) cp->seq);
    } else if (!pk) {
        ok = false;
        s_problem(v, cp->seq, "the checkpoint at seq %lld is signed by an unknown key %s",
                  (long long) cp->seq, cp->key_id ? cp->key_id : "(none)");
    } else if (audit_chain_checkpoint_verify(pk, cp->firm_id, cp->seq, cp->head_hash, cp->at,
                                             cp->signature) != 0) {
        ok = false;
        s_problem(v, cp->seq, "the signature of the checkpoint at seq %lld is not valid",
                  (long long) cp->seq);
    } else if (cp->seq > v->last_seq) {
        ok = false;
        s_problem(v, v->last_seq + 1,
                  "the trail ends at seq %lld but the checkpoint signed at %s covers seq %lld: "
                  "events %lld to %lld were removed",
                  (long long) v->last_seq, cp->at, (long long) cp->seq, (long long) v->last_seq + 1,
                  (long long) cp->seq);
    } else if (cp->seq < v->last_seq) {
        ok = false;
        s_problem(v, cp->seq, "the event at seq %lld of a checkpoint is missing",
                  (long long) cp->seq);
    } else if (!cp->head_hash || strcmp(cp->head_hash, v->head) != 0) {
        ok = false;
        s_problem(v, cp->seq, "the trail up to seq %lld does not match the checkpoint signed at %s",
                  (long long) cp->seq, cp->at);
    }
    if (!ok)
        v->checkpoints_ok = false;
}

void audit_verify_expect_seq(audit_verify_t *v, int64_t head_seq)
{
    if (head_seq > v->last_seq) {
        v->chain_ok = false;
        s_problem(v, v->last_seq + 1,
                  "the chain head is at seq %lld but the trail ends at seq %lld: events were "
                  "removed",
                  (long long) head_seq, (long long) v->last_seq);
    }
}

bool audit_verify_ok(const audit_verify_t *v)
{
    return v->first_bad_seq == 0 && v->chain_ok && v->checkpoints_ok;
}
