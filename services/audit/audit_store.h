/* audit_store: every SQL statement of the audit service: appending batches
 * of events to the per-firm chains and reading the trail back in pages.
 *
 * It does not check permissions or validate input (audit_server.c does)
 * and never updates or deletes an event (the table refuses it anyway).
 */
#ifndef AUDIT_STORE_H
#define AUDIT_STORE_H

#include "at_arena.h"
#include "at_db.h"
#include "at_status.h"
#include "audit.pb-c.h"
#include "audit_chain.h"
#include <stdbool.h>
#include <stddef.h>

/* Appends events (n of them, already normalised: see audit_chain.h; every
 * one with a firm_id) in one transaction, in the order given. Each firm's
 * head row is locked (FOR UPDATE, firms in a fixed order so two batches
 * cannot deadlock) and each new event gets the firm's next seq and its chain
 * hash. An event whose event_id is already stored (a redelivery, or twice in
 * the batch) is skipped. On success sets events[i].seq to the assigned seq,
 * or 0 for a skipped duplicate, and *accepted to the number stored.
 * Returns AT_OK, or the database status (nothing is stored then). */
at_status_t audit_store_ingest(at_db_t *db, audit_chain_event_t *events, size_t n,
                               int *accepted);

/* What a page of the trail selects. Strings are borrowed and already
 * validated (uuids canonical, times as audit_chain_normalize_time);
 * NULL means "any". */
typedef struct {
    const char *firm_id;                /* required: never crosses firms */
    const char *actor_id;
    const char *client_id;
    const char *resource_type, *resource_id;
    const char *action;
    const char *since;                  /* at >= since */
    const char *until;                  /* at < until */
    const char *const *only_clients;    /* when not NULL: client_id must be one of these */
    size_t n_only_clients;
    long long before_seq;               /* > 0: only seq < before_seq (cursor) */
    int limit;                          /* 1..200 */
} audit_filter_t;

/* Reads up to f->limit events matching f, newest (highest seq) first, as
 * Items allocated in arena (*items, *n). *more is true when further events
 * match beyond the page (the caller makes the cursor from the last seq).
 * Returns AT_OK or the database status. */
at_status_t audit_store_list(at_db_t *db, at_arena_t *arena, const audit_filter_t *f,
                             Atrium__Audit__Item ***items, size_t *n, bool *more);

#endif
