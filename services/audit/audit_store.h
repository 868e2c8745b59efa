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
#include "audit_verify.h"
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
at_status_t audit_store_ingest(at_db_t *db, audit_chain_event_t *events, size_t n, int *accepted);

/* What a page of the trail selects. Strings are borrowed and already
 * validated (uuids canonical, times as audit_chain_normalize_time);
 * NULL means "any". */
typedef struct {
    const char *firm_id; /* required: never crosses firms */
    const char *actor_id;
    const char *client_id;
    const char *resource_type, *resource_id;
    const char *action;
    const char *since;               /* at >= since */
    const char *until;               /* at < until */
    const char *const *only_clients; /* when not NULL: client_id must be one of these */
    bool client_view;                /* a client user's view: staff-only events left out */
    size_t n_only_clients;
    long long before_seq; /* > 0: only seq < before_seq (cursor) */
    int limit;            /* 1..200 */
} audit_filter_t;

/* Reads up to f->limit events matching f, newest (highest seq) first, as
 * Items allocated in arena (*items, *n). *more is true when further events
 * match beyond the page (the caller makes the cursor from the last seq).
 * Returns AT_OK or the database status. */
at_status_t audit_store_list(at_db_t *db, at_arena_t *arena, const audit_filter_t *f,
                             Atrium__Audit__Item ***items, size_t *n, bool *more);

/* One stored event in seq order with its stored hash (strings in the
 * arena, normalised as audit_chain.h). */
typedef struct {
    audit_chain_event_t ev;
    const char *hash;
} audit_row_t;

/* Reads up to limit events matching f (before_seq and limit of f are
 * ignored) with after_seq < seq <= max_seq (max_seq 0: no upper bound),
 * oldest first, into *rows (arena), *n. Returns AT_OK or the db status. */
at_status_t audit_store_scan(at_db_t *db, at_arena_t *arena, const audit_filter_t *f,
                             int64_t after_seq, int64_t max_seq, int limit, audit_row_t **rows,
                             size_t *n);

/* The firm's chain head: *seq (0 when the firm has no event) and its hash
 * (64 hex and a NUL). Returns AT_OK or the db status. */
at_status_t audit_store_head(at_db_t *db, const char *firm_id, int64_t *seq,
                             char hash[AUDIT_CHAIN_HEX_LEN + 1]);

/* Where events stand in the firm's chain: for each id of ids_array (a
 * PostgreSQL array literal of canonical uuids, '{a,b}') that firm_id has
 * stored, live or archived, an EventHash (arena) in *items, *n. An id not
 * stored (not relayed yet, or another firm's) is left out. Returns AT_OK or
 * the db status. */
at_status_t audit_store_event_hashes(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                     const char *ids_array, Atrium__Audit__EventHash ***items,
                                     size_t *n);

/* Registers a signing key's public half (idempotent). AT_OK or db status. */
at_status_t audit_store_add_key(at_db_t *db, const char *key_id, const char *public_key_hex);

/* Every signing key, oldest first, into *keys (arena), *n. */
at_status_t audit_store_keys(at_db_t *db, at_arena_t *arena, Atrium__Audit__SigningKey ***keys,
                             size_t *n);

/* A firm's head that no checkpoint covers yet. */
typedef struct {
    char firm_id[AUDIT_UUID_LEN + 1];
    int64_t seq;
    char hash[AUDIT_CHAIN_HEX_LEN + 1];
} audit_head_t;

/* Up to limit firms whose head moved past their newest checkpoint, into
 * heads (caller's array of limit), *n. Returns AT_OK or the db status. */
at_status_t audit_store_unsigned_heads(at_db_t *db, audit_head_t *heads, int limit, int *n);

/* Stores a signed checkpoint (strings canonical). *inserted is false when
 * the firm already had one at that seq (then nothing changes). Returns
 * AT_OK or the db status. */
at_status_t audit_store_add_checkpoint(at_db_t *db, const audit_checkpoint_t *cp, bool *inserted);

/* A page of the firm's checkpoints into *items (arena), *n: ascending
 * with seq > from when ascending (verify), else descending with seq < from
 * (from 0: from the newest; listing). *more is true when more follow.
 * Returns AT_OK or the db status. */
at_status_t audit_store_checkpoints(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                    bool ascending, int64_t from, int limit,
                                    Atrium__Audit__Checkpoint ***items, size_t *n, bool *more);

/* Where the firm's live trail starts: *archived_seq is the last seq moved
 * to events_archive by retention (0: none), whose signed checkpoint verify
 * starts from. Returns AT_OK or the db status. */
at_status_t audit_store_archived(at_db_t *db, const char *firm_id, int64_t *archived_seq);

/* Retention: for every firm, moves the events at or below its newest
 * checkpoint signed more than older_than_s seconds ago into events_archive
 * (archive_events, sql/003_retention.sql), in steps of about 20,000 events
 * from checkpoint to checkpoint, one short transaction per step. *firms
 * (firms moved in the first pass) and *moved (events) count what moved.
 * Returns AT_OK or the first db status (steps done before it stay done). */
at_status_t audit_store_retain(at_db_t *db, int64_t older_than_s, int *firms, int64_t *moved);

/* How many events GET /dashboard's recent_activity shows (SQL text). */
#define AUDIT_DASHBOARD_EVENTS "10"

/* The newest AUDIT_DASHBOARD_EVENTS events of firm_id for GET /dashboard: the whole trail
 * when all; otherwise the events of the clients in the JSON array text
 * clients and those user_id did, without staff-only ones when client_view.
 * Items (no ip, agent or details) into *items / *n in arena. One statement
 * of index-ordered branches, so it stays a few index reads on a trail of
 * millions. */
at_status_t audit_store_dashboard(at_db_t *db, at_arena_t *arena, const char *firm_id, bool all,
                                  const char *clients, const char *user_id, bool client_view,
                                  Atrium__Audit__DashboardEvent ***items, size_t *n);

#endif
