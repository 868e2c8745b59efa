/* audit_store: the audit schema's SQL (events, firm_heads). Statements are
 * prepared once per connection by at_db; list SQL is assembled only from
 * constant fragments and parameter numbers, never from values. */
#include "audit_store.h"
#include "at_log.h"
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One firm's chain head while a batch is appended. */
typedef struct {
    const char *firm_id; /* borrowed from the events */
    long long seq;
    char hash[AUDIT_CHAIN_HEX_LEN + 1];
    bool dirty;
} s_head_t;

static int s_cmp_head(const void *a, const void *b)
{
    return strcmp(((const s_head_t *) a)->firm_id, ((const s_head_t *) b)->firm_id);
}

static s_head_t *s_find_head(s_head_t *heads, size_t n, const char *firm_id)
{
    s_head_t key = {.firm_id = firm_id};
    return bsearch(&key, heads, n, sizeof *heads, s_cmp_head);
}

/* Locks the head rows of the batch's firms in firm_id order and loads
 * them. Fills heads (sorted, distinct), *nheads. */
static at_status_t s_lock_heads(at_db_t *db, const audit_chain_event_t *ev, size_t n,
                                s_head_t *heads, size_t *nheads)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        heads[k++] = (s_head_t){.firm_id = ev[i].firm_id};
    qsort(heads, k, sizeof *heads, s_cmp_head);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (u == 0 || strcmp(heads[u - 1].firm_id, heads[i].firm_id) != 0)
            heads[u++] = heads[i];
    *nheads = u;

    at_status_t st = AT_OK;
    PGresult *res = NULL;
    for (size_t i = 0; i < u && st == AT_OK; i++) {
        const char *p[] = {heads[i].firm_id};
        res = at_db_query(db, "INSERT INTO firm_heads (firm_id) VALUES ($1) ON CONFLICT DO NOTHING",
                          1, p);
        st = at_db_status(db, res);
        PQclear(res);
        res = NULL;
        if (st != AT_OK)
            break;
        res = at_db_query(db,
                          "SELECT last_seq, last_hash FROM firm_heads WHERE firm_id = $1"
                          " FOR UPDATE",
                          1, p);
        st = at_db_status(db, res);
        if (st == AT_OK && PQntuples(res) != 1)
            st = AT_INTERNAL;
        if (st == AT_OK) {
            heads[i].seq = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
            snprintf(heads[i].hash, sizeof heads[i].hash, "%s", PQgetvalue(res, 0, 1));
        }
        PQclear(res);
        res = NULL;
    }
    return st;
}

/* The columns of an inserted event, in audit_chain_event_t order. */
#define S_EVENT_COLS                                                                       \
    "firm_id, seq, event_id, at, actor_id, actor_name, actor_kind, action, resource_type," \
    " resource_id, client_id, ip, user_agent, request_id, source, details, hash"

/* Marks the events already stored, and the repeats of an earlier event of
 * the batch, as skipped (seq -1). Runs under the heads' locks. */
static at_status_t s_mark_stored(at_db_t *db, audit_chain_event_t *events, size_t n)
{
    /* uuids are canonical (36 chars of [0-9a-f-]): safe in an array literal */
    size_t cap = n * (AUDIT_UUID_LEN + 1) + 3, len = 0;
    char *arr = malloc(cap);
    if (!arr)
        abort();
    arr[len++] = '{';
    for (size_t i = 0; i < n; i++) {
        events[i].seq = 0;
        len += (size_t) snprintf(arr + len, cap - len, "%s%s", i ? "," : "", events[i].event_id);
        for (size_t j = 0; j < i; j++)
            if (strcmp(events[j].event_id, events[i].event_id) == 0) {
                events[i].seq = -1;
                break;
            }
    }
    snprintf(arr + len, cap - len, "}");
    const char *p[] = {arr};
    PGresult *res =
        at_db_query(db, "SELECT event_id FROM events WHERE event_id = ANY ($1::uuid[])", 1, p);
    at_status_t st = at_db_status(db, res);
    for (int r = 0; st == AT_OK && r < PQntuples(res); r++)
        for (size_t i = 0; i < n; i++)
            if (strcmp(events[i].event_id, PQgetvalue(res, r, 0)) == 0)
                events[i].seq = -1;
    PQclear(res);
    free(arr);
    return st;
}

/* A JSON string or null for v; NULL when v is not valid UTF-8. */
static json_t *s_jstr(const char *v)
{
    return v ? json_string(v) : json_null();
}

/* Appends the batch (the events not marked skipped, chain hashes computed
 * from heads) in one INSERT of a JSON array of rows: one round trip instead
 * of one per event. *fallback is set when the batch cannot go this way
 * (text that is not UTF-8, or a row the INSERT skipped after all); the
 * caller then rolls back and appends row by row. */
static at_status_t s_insert_bulk(at_db_t *db, audit_chain_event_t *events, size_t n,
                                 s_head_t *heads, size_t nheads, int *count, bool *fallback)
{
    json_t *rows = json_array();
    at_status_t st = AT_OK;
    char *text = NULL;
    int want = 0;
    *fallback = false;
    for (size_t i = 0; i < n && !*fallback; i++) {
        audit_chain_event_t *e = &events[i];
        if (e->seq < 0)
            continue;
        s_head_t *h = s_find_head(heads, nheads, e->firm_id);
        char hash[AUDIT_CHAIN_HEX_LEN + 1];
        e->seq = h->seq + 1;
        if (audit_chain_hash(h->hash, e, hash) != 0) {
            at_error("audit: chain head of firm %s is unusable", e->firm_id);
            st = AT_INTERNAL;
            goto cleanup;
        }
        h->seq = e->seq;
        memcpy(h->hash, hash, sizeof hash);
        h->dirty = true;
        const char *v[] = {e->firm_id,     NULL,          e->event_id,
                           e->at,          e->actor_id,   e->actor_name,
                           e->actor_kind,  e->action,     e->resource_type,
                           e->resource_id, e->client_id,  e->ip,
                           e->user_agent,  e->request_id, e->source,
                           e->details,     hash};
        json_t *row = json_array();
        for (size_t c = 0; c < sizeof v / sizeof v[0]; c++) {
            json_t *x = c == 1 ? json_integer((json_int_t) e->seq) : s_jstr(v[c]);
            if (!x) {
                *fallback = true;
                break;
            }
            json_array_append_new(row, x);
        }
        json_array_append_new(rows, row);
        want++;
    }
    if (*fallback || want == 0)
        goto cleanup;
    text = json_dumps(rows, JSON_COMPACT);
    if (!text)
        abort();
    const char *p[] = {text};
    PGresult *res = at_db_query(
        db,
        "INSERT INTO events (" S_EVENT_COLS ")"
        " SELECT (r->>0)::uuid, (r->>1)::bigint, (r->>2)::uuid, (r->>3)::timestamptz,"
        " (r->>4)::uuid, r->>5, r->>6, r->>7, r->>8, r->>9, (r->>10)::uuid, r->>11, r->>12,"
        " r->>13, r->>14, (r->>15)::json, r->>16"
        " FROM json_array_elements($1::json) AS r"
        " ON CONFLICT (event_id) DO NOTHING",
        1, p);
    st = at_db_status(db, res);
    if (st == AT_OK && strtol(PQcmdTuples(res), NULL, 10) != want)
        *fallback = true;
    PQclear(res);
    *count = want;
cleanup:
    free(text);
    json_decref(rows);
    return st;
}

/* Appends row by row: each INSERT's outcome decides whether the event takes
 * the next seq. The fallback of s_insert_bulk. */
static at_status_t s_insert_rows(at_db_t *db, audit_chain_event_t *events, size_t n,
                                 s_head_t *heads, size_t nheads, int *count)
{
    PGresult *res = NULL;
    at_status_t st = AT_OK;
    for (size_t i = 0; i < n; i++) {
        audit_chain_event_t *e = &events[i];
        s_head_t *h = s_find_head(heads, nheads, e->firm_id);
        char hash[AUDIT_CHAIN_HEX_LEN + 1];
        e->seq = h->seq + 1;
        if (audit_chain_hash(h->hash, e, hash) != 0) {
            at_error("audit: chain head of firm %s is unusable", e->firm_id);
            return AT_INTERNAL;
        }
        char seq[24];
        snprintf(seq, sizeof seq, "%lld", (long long) e->seq);
        const char *p[] = {e->firm_id,     seq,           e->event_id,
                           e->at,          e->actor_id,   e->actor_name,
                           e->actor_kind,  e->action,     e->resource_type,
                           e->resource_id, e->client_id,  e->ip,
                           e->user_agent,  e->request_id, e->source,
                           e->details,     hash};
        res = at_db_query(db,
                          "INSERT INTO events (" S_EVENT_COLS ")"
                          " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,"
                          " $15, $16, $17)"
                          " ON CONFLICT (event_id) DO NOTHING",
                          17, p);
        st = at_db_status(db, res);
        if (st != AT_OK)
            break;
        if (strcmp(PQcmdTuples(res), "1") == 0) {
            h->seq = e->seq;
            memcpy(h->hash, hash, sizeof hash);
            h->dirty = true;
            (*count)++;
        } else {
            at_debug("audit: event %s already stored; redelivery ignored", e->event_id);
            e->seq = 0;
        }
        PQclear(res);
        res = NULL;
    }
    PQclear(res);
    return st;
}

/* One attempt at the whole batch in one transaction: bulk, or row by row. */
static at_status_t s_append(at_db_t *db, audit_chain_event_t *events, size_t n, bool bulk,
                            int *accepted, bool *fallback)
{
    at_status_t st = AT_OK;
    PGresult *res = NULL;
    size_t nheads = 0;
    int count = 0;
    s_head_t *heads = calloc(n, sizeof *heads);
    if (!heads)
        abort();
    *fallback = false;
    if (at_db_begin(db) != 0) {
        st = AT_UNAVAILABLE;
        goto cleanup;
    }
    st = s_lock_heads(db, events, n, heads, &nheads);
    if (st == AT_OK && bulk)
        st = s_mark_stored(db, events, n);
    if (st == AT_OK)
        st = bulk ? s_insert_bulk(db, events, n, heads, nheads, &count, fallback)
                  : s_insert_rows(db, events, n, heads, nheads, &count);
    if (st != AT_OK || *fallback)
        goto cleanup;

    for (size_t i = 0; i < nheads; i++) {
        if (!heads[i].dirty)
            continue;
        char seq[24];
        snprintf(seq, sizeof seq, "%lld", heads[i].seq);
        const char *p[] = {heads[i].firm_id, seq, heads[i].hash};
        res = at_db_query(
            db, "UPDATE firm_heads SET last_seq = $2, last_hash = $3 WHERE firm_id = $1", 3, p);
        st = at_db_status(db, res);
        PQclear(res);
        res = NULL;
        if (st != AT_OK)
            goto cleanup;
    }
    if (at_db_commit(db) != 0) {
        st = AT_UNAVAILABLE;
        goto cleanup;
    }
    *accepted = count;

cleanup:
    PQclear(res);
    if ((st != AT_OK || *fallback) && at_db_in_transaction(db))
        at_db_rollback(db);
    free(heads);
    return st;
}

at_status_t audit_store_ingest(at_db_t *db, audit_chain_event_t *events, size_t n, int *accepted)
{
    *accepted = 0;
    if (n == 0)
        return AT_OK;
    bool fallback = false;
    at_status_t st = s_append(db, events, n, true, accepted, &fallback);
    if (st == AT_OK && fallback) {
        at_debug("audit: batch of %zu appended row by row", n);
        st = s_append(db, events, n, false, accepted, &fallback);
    }
    for (size_t i = 0; i < n; i++)
        if (st != AT_OK || events[i].seq < 0)
            events[i].seq = 0;
    return st;
}

/* Appends " AND <frag>" with the next parameter number to sql and the value
 * to params. frag holds one "%d" for the parameter number. */
static void s_where(char *sql, size_t cap, const char *params[], int *np, const char *frag,
                    const char *value)
{
    size_t len = strlen(sql);
    char piece[160];
    snprintf(piece, sizeof piece, frag, *np + 1);
    snprintf(sql + len, cap - len, " AND %s", piece);
    params[(*np)++] = value;
}

static char *s_dup(at_arena_t *arena, PGresult *res, int r, int c)
{
    return at_arena_strdup(arena, at_db_value(res, r, c));
}

/* Appends the WHERE conditions of f (after "firm_id = $1") to sql and
 * their values to params. *only receives the JSON text of f->only_clients
 * (malloc'd; the caller frees). */
static void s_filter_where(const audit_filter_t *f, char *sql, size_t cap, const char *params[],
                           int *np, char **only)
{
    params[(*np)++] = f->firm_id;
    if (f->actor_id)
        s_where(sql, cap, params, np, "actor_id = $%d", f->actor_id);
    if (f->client_id)
        s_where(sql, cap, params, np, "client_id = $%d", f->client_id);
    if (f->resource_type)
        s_where(sql, cap, params, np, "resource_type = $%d", f->resource_type);
    if (f->resource_id)
        s_where(sql, cap, params, np, "resource_id = $%d", f->resource_id);
    if (f->action)
        s_where(sql, cap, params, np, "action = $%d", f->action);
    if (f->since)
        s_where(sql, cap, params, np, "at >= $%d::timestamptz", f->since);
    if (f->until)
        s_where(sql, cap, params, np, "at < $%d::timestamptz", f->until);
    if (f->only_clients) {
        json_t *arr = json_array();
        for (size_t i = 0; i < f->n_only_clients; i++)
            json_array_append_new(arr, json_string(f->only_clients[i]));
        *only = json_dumps(arr, JSON_COMPACT);
        json_decref(arr);
        s_where(sql, cap, params, np,
                "client_id = ANY (ARRAY(SELECT json_array_elements_text($%d::json)::uuid))", *only);
    }
    if (f->client_view) {
        /* a client's users do not see events about staff-only things (a
         * document in an internal folder), as they do not see the things */
        size_t len = strlen(sql);
        snprintf(sql + len, cap - len, " AND (details->>'staff_only') IS DISTINCT FROM 'true'");
    }
}

at_status_t audit_store_list(at_db_t *db, at_arena_t *arena, const audit_filter_t *f,
                             Atrium__Audit__Item ***items, size_t *n, bool *more)
{
    at_status_t st = AT_OK;
    PGresult *res = NULL;
    char *only = NULL;
    *items = NULL;
    *n = 0;
    *more = false;

    char sql[2048];
    const char *params[16];
    int np = 0;
    snprintf(sql, sizeof sql,
             "SELECT seq, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
             " actor_id, actor_name, actor_kind, action, resource_type, resource_id, client_id,"
             " ip, user_agent, details::text, hash, event_id, request_id, source"
             " FROM events WHERE firm_id = $1");
    s_filter_where(f, sql, sizeof sql, params, &np, &only);
    char before[24];
    if (f->before_seq > 0) {
        snprintf(before, sizeof before, "%lld", f->before_seq);
        s_where(sql, sizeof sql, params, &np, "seq < $%d::bigint", before);
    }
    char limit[16];
    snprintf(limit, sizeof limit, "%d", f->limit + 1);
    size_t len = strlen(sql);
    snprintf(sql + len, sizeof sql - len, " ORDER BY seq DESC LIMIT $%d::int", np + 1);
    params[np++] = limit;

    res = at_db_query(db, sql, np, params);
    st = at_db_status(db, res);
    if (st != AT_OK)
        goto cleanup;
    int rows = PQntuples(res);
    if (rows > f->limit) {
        *more = true;
        rows = f->limit;
    }
    Atrium__Audit__Item **out = at_arena_alloc(arena, sizeof *out * (size_t) (rows ? rows : 1));
    for (int r = 0; r < rows; r++) {
        Atrium__Audit__Item *it = at_arena_alloc(arena, sizeof *it);
        atrium__audit__item__init(it);
        it->has_seq = 1;
        it->seq = strtoll(PQgetvalue(res, r, 0), NULL, 10);
        it->at = s_dup(arena, res, r, 1);
        it->actor = at_arena_alloc(arena, sizeof *it->actor);
        atrium__audit__actor__init(it->actor);
        it->actor->id = s_dup(arena, res, r, 2);
        it->actor->name = s_dup(arena, res, r, 3);
        it->actor->kind = s_dup(arena, res, r, 4);
        it->action = s_dup(arena, res, r, 5);
        it->resource = at_arena_alloc(arena, sizeof *it->resource);
        atrium__audit__resource__init(it->resource);
        it->resource->type = s_dup(arena, res, r, 6);
        it->resource->id = s_dup(arena, res, r, 7);
        it->client_id = s_dup(arena, res, r, 8);
        it->ip = s_dup(arena, res, r, 9);
        it->user_agent = s_dup(arena, res, r, 10);
        it->details = s_dup(arena, res, r, 11);
        it->hash = s_dup(arena, res, r, 12);
        it->event_id = s_dup(arena, res, r, 13);
        it->request_id = s_dup(arena, res, r, 14);
        it->source = s_dup(arena, res, r, 15);
        out[r] = it;
    }
    *items = out;
    *n = (size_t) rows;

cleanup:
    PQclear(res);
    free(only);
    return st;
}

at_status_t audit_store_scan(at_db_t *db, at_arena_t *arena, const audit_filter_t *f,
                             int64_t after_seq, int64_t max_seq, int limit, audit_row_t **rows,
                             size_t *n)
{
    at_status_t st = AT_OK;
    PGresult *res = NULL;
    char *only = NULL;
    *rows = NULL;
    *n = 0;
    char sql[2048];
    const char *params[16];
    int np = 0;
    /* the columns in audit_chain_event_t order, then the hash */
    snprintf(sql, sizeof sql,
             "SELECT firm_id, seq, event_id,"
             " to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
             " actor_id, actor_name, actor_kind, action, resource_type, resource_id, client_id,"
             " ip, user_agent, request_id, source, details::text, hash"
             " FROM events WHERE firm_id = $1");
    s_filter_where(f, sql, sizeof sql, params, &np, &only);
    char after[24], upto[24], lim[16];
    snprintf(after, sizeof after, "%lld", (long long) after_seq);
    s_where(sql, sizeof sql, params, &np, "seq > $%d::bigint", after);
    if (max_seq > 0) {
        snprintf(upto, sizeof upto, "%lld", (long long) max_seq);
        s_where(sql, sizeof sql, params, &np, "seq <= $%d::bigint", upto);
    }
    snprintf(lim, sizeof lim, "%d", limit);
    size_t len = strlen(sql);
    snprintf(sql + len, sizeof sql - len, " ORDER BY seq LIMIT $%d::int", np + 1);
    params[np++] = lim;

    res = at_db_query(db, sql, np, params);
    st = at_db_status(db, res);
    if (st != AT_OK)
        goto cleanup;
    int count = PQntuples(res);
    audit_row_t *out = at_arena_alloc(arena, sizeof *out * (size_t) (count ? count : 1));
    for (int r = 0; r < count; r++) {
        audit_chain_event_t *e = &out[r].ev;
        *e = (audit_chain_event_t){0};
        e->firm_id = s_dup(arena, res, r, 0);
        e->seq = strtoll(PQgetvalue(res, r, 1), NULL, 10);
        const char **f2[] = {&e->event_id,   &e->at,      &e->actor_id,      &e->actor_name,
                             &e->actor_kind, &e->action,  &e->resource_type, &e->resource_id,
                             &e->client_id,  &e->ip,      &e->user_agent,    &e->request_id,
                             &e->source,     &e->details, &out[r].hash};
        for (int c = 0; c < (int) (sizeof f2 / sizeof f2[0]); c++)
            *f2[c] = s_dup(arena, res, r, c + 2);
    }
    *rows = out;
    *n = (size_t) count;

cleanup:
    PQclear(res);
    free(only);
    return st;
}

at_status_t audit_store_head(at_db_t *db, const char *firm_id, int64_t *seq,
                             char hash[AUDIT_CHAIN_HEX_LEN + 1])
{
    const char *p[] = {firm_id};
    *seq = 0;
    memcpy(hash, audit_chain_genesis, AUDIT_CHAIN_HEX_LEN + 1);
    PGresult *res =
        at_db_query(db, "SELECT last_seq, last_hash FROM firm_heads WHERE firm_id = $1", 1, p);
    at_status_t st = at_db_status(db, res);
    if (st == AT_OK && PQntuples(res) == 1) {
        *seq = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        snprintf(hash, AUDIT_CHAIN_HEX_LEN + 1, "%s", PQgetvalue(res, 0, 1));
    }
    PQclear(res);
    return st;
}

at_status_t audit_store_event_hashes(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                     const char *ids_array, Atrium__Audit__EventHash ***items,
                                     size_t *n)
{
    const char *p[] = {firm_id, ids_array};
    *items = NULL;
    *n = 0;
    PGresult *res = at_db_query(db,
                                "SELECT event_id::text, seq, hash FROM events"
                                " WHERE firm_id = $1 AND event_id = ANY($2::uuid[])"
                                " UNION ALL SELECT event_id::text, seq, hash FROM events_archive"
                                " WHERE firm_id = $1 AND event_id = ANY($2::uuid[])",
                                2, p);
    at_status_t st = at_db_status(db, res);
    if (st != AT_OK)
        goto cleanup;
    int rows = PQntuples(res);
    *items = at_arena_alloc(arena, sizeof **items * (size_t) (rows ? rows : 1));
    for (int i = 0; i < rows; i++) {
        Atrium__Audit__EventHash *h = at_arena_alloc(arena, sizeof *h);
        atrium__audit__event_hash__init(h);
        h->event_id = at_arena_strdup(arena, PQgetvalue(res, i, 0));
        h->has_seq = 1;
        h->seq = strtoll(PQgetvalue(res, i, 1), NULL, 10);
        h->hash = at_arena_strdup(arena, PQgetvalue(res, i, 2));
        (*items)[i] = h;
    }
    *n = (size_t) rows;
cleanup:
    PQclear(res);
    return st;
}

at_status_t audit_store_add_key(at_db_t *db, const char *key_id, const char *public_key_hex)
{
    const char *p[] = {key_id, public_key_hex};
    PGresult *res = at_db_query(db,
                                "INSERT INTO signing_keys (key_id, public_key) VALUES ($1, $2)"
                                " ON CONFLICT DO NOTHING",
                                2, p);
    at_status_t st = at_db_status(db, res);
    PQclear(res);
    return st;
}

at_status_t audit_store_keys(at_db_t *db, at_arena_t *arena, Atrium__Audit__SigningKey ***keys,
                             size_t *n)
{
    *keys = NULL;
    *n = 0;
    PGresult *res =
        at_db_query(db,
                    "SELECT key_id, public_key, algorithm,"
                    " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
                    " FROM signing_keys ORDER BY created_at, key_id",
                    0, NULL);
    at_status_t st = at_db_status(db, res);
    if (st != AT_OK)
        goto cleanup;
    int count = PQntuples(res);
    Atrium__Audit__SigningKey **out = at_arena_alloc(arena, sizeof *out * (size_t) (count + 1));
    for (int r = 0; r < count; r++) {
        Atrium__Audit__SigningKey *k = at_arena_alloc(arena, sizeof *k);
        atrium__audit__signing_key__init(k);
        k->key_id = s_dup(arena, res, r, 0);
        k->public_key = s_dup(arena, res, r, 1);
        k->algorithm = s_dup(arena, res, r, 2);
        k->created_at = s_dup(arena, res, r, 3);
        out[r] = k;
    }
    *keys = out;
    *n = (size_t) count;
cleanup:
    PQclear(res);
    return st;
}

at_status_t audit_store_unsigned_heads(at_db_t *db, audit_head_t *heads, int limit, int *n)
{
    *n = 0;
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit);
    const char *p[] = {lim};
    PGresult *res = at_db_query(db,
                                "SELECT h.firm_id, h.last_seq, h.last_hash FROM firm_heads h"
                                " WHERE h.last_seq > COALESCE((SELECT max(c.seq) FROM checkpoints c"
                                "                              WHERE c.firm_id = h.firm_id), 0)"
                                " ORDER BY h.firm_id LIMIT $1::int",
                                1, p);
    at_status_t st = at_db_status(db, res);
    if (st == AT_OK) {
        int count = PQntuples(res);
        for (int r = 0; r < count && r < limit; r++) {
            snprintf(heads[r].firm_id, sizeof heads[r].firm_id, "%s", PQgetvalue(res, r, 0));
            heads[r].seq = strtoll(PQgetvalue(res, r, 1), NULL, 10);
            snprintf(heads[r].hash, sizeof heads[r].hash, "%s", PQgetvalue(res, r, 2));
            (*n)++;
        }
    }
    PQclear(res);
    return st;
}

at_status_t audit_store_add_checkpoint(at_db_t *db, const audit_checkpoint_t *cp, bool *inserted)
{
    char seq[24];
    snprintf(seq, sizeof seq, "%lld", (long long) cp->seq);
    const char *p[] = {cp->firm_id, seq, cp->head_hash, cp->at, cp->key_id, cp->signature};
    *inserted = false;
    PGresult *res = at_db_query(db,
                                "INSERT INTO checkpoints (firm_id, seq, head_hash, at, key_id,"
                                " signature) VALUES ($1, $2, $3, $4, $5, $6)"
                                " ON CONFLICT (firm_id, seq) DO NOTHING",
                                6, p);
    at_status_t st = at_db_status(db, res);
    if (st == AT_OK)
        *inserted = strcmp(PQcmdTuples(res), "1") == 0;
    PQclear(res);
    return st;
}

at_status_t audit_store_checkpoints(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                    bool ascending, int64_t from, int limit,
                                    Atrium__Audit__Checkpoint ***items, size_t *n, bool *more)
{
    *items = NULL;
    *n = 0;
    *more = false;
    char froms[24], lim[16];
    snprintf(froms, sizeof froms, "%lld",
             (long long) (ascending ? from : (from > 0 ? from : INT64_MAX)));
    snprintf(lim, sizeof lim, "%d", limit + 1);
    const char *p[] = {firm_id, froms, lim};
#define S_CP_COLS                                                                             \
    "SELECT firm_id, seq, head_hash,"                                                         \
    " to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), key_id, signature" \
    " FROM checkpoints WHERE firm_id = $1"
    PGresult *res =
        at_db_query(db,
                    ascending ? S_CP_COLS " AND seq > $2::bigint ORDER BY seq LIMIT $3::int"
                              : S_CP_COLS " AND seq < $2::bigint ORDER BY seq DESC LIMIT $3::int",
                    3, p);
#undef S_CP_COLS
    at_status_t st = at_db_status(db, res);
    if (st != AT_OK)
        goto cleanup;
    int count = PQntuples(res);
    if (count > limit) {
        *more = true;
        count = limit;
    }
    Atrium__Audit__Checkpoint **out = at_arena_alloc(arena, sizeof *out * (size_t) (count + 1));
    for (int r = 0; r < count; r++) {
        Atrium__Audit__Checkpoint *c = at_arena_alloc(arena, sizeof *c);
        atrium__audit__checkpoint__init(c);
        c->firm_id = s_dup(arena, res, r, 0);
        c->has_seq = 1;
        c->seq = strtoll(PQgetvalue(res, r, 1), NULL, 10);
        c->head_hash = s_dup(arena, res, r, 2);
        c->at = s_dup(arena, res, r, 3);
        c->key_id = s_dup(arena, res, r, 4);
        c->signature = s_dup(arena, res, r, 5);
        out[r] = c;
    }
    *items = out;
    *n = (size_t) count;
cleanup:
    PQclear(res);
    return st;
}

at_status_t audit_store_archived(at_db_t *db, const char *firm_id, int64_t *archived_seq)
{
    const char *p[] = {firm_id};
    *archived_seq = 0;
    PGresult *res = at_db_query(db, "SELECT archived_seq FROM firm_heads WHERE firm_id = $1", 1, p);
    at_status_t st = at_db_status(db, res);
    if (st == AT_OK && PQntuples(res) == 1)
        *archived_seq = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return st;
}

/* Events moved per archive_events call: the move holds the firm's head row
 * (its ingestion waits), so it stays short; a long backlog goes in steps. */
#define S_RETAIN_STEP "20000"

/* One pass: for each firm, moves up to its newest old-enough checkpoint
 * within S_RETAIN_STEP events of what is archived (or, when checkpoints are
 * sparser than that, its next old-enough one). */
static at_status_t s_retain_pass(at_db_t *db, const char *secs, int *firms, int64_t *moved)
{
    const char *p[] = {secs, S_RETAIN_STEP};
    PGresult *res = at_db_query(
        db,
        "SELECT firm_id, upto FROM (SELECT h.firm_id, COALESCE("
        "  (SELECT max(c.seq) FROM checkpoints c WHERE c.firm_id = h.firm_id"
        "    AND c.at < now() - make_interval(secs => $1::bigint) AND c.seq > h.archived_seq"
        "    AND c.seq <= h.archived_seq + $2::bigint),"
        "  (SELECT min(c.seq) FROM checkpoints c WHERE c.firm_id = h.firm_id"
        "    AND c.at < now() - make_interval(secs => $1::bigint) AND c.seq > h.archived_seq))"
        "  AS upto FROM firm_heads h) t WHERE upto IS NOT NULL ORDER BY firm_id",
        2, p);
    at_status_t st = at_db_status(db, res);
    for (int r = 0; st == AT_OK && r < PQntuples(res); r++) {
        const char *q[] = {PQgetvalue(res, r, 0), PQgetvalue(res, r, 1)};
        if (at_db_begin(db) != 0) {
            st = AT_UNAVAILABLE;
            break;
        }
        /* a sparse-checkpoint step can be large: more time than a request */
        PGresult *one = at_db_exec(db, "SET LOCAL statement_timeout = '300s'");
        st = at_db_status(db, one);
        PQclear(one);
        if (st == AT_OK) {
            one = at_db_query(db, "SELECT archive_events($1::uuid, $2::bigint)", 2, q);
            st = at_db_status(db, one);
            if (st == AT_OK && PQntuples(one) == 1) {
                int64_t n = strtoll(PQgetvalue(one, 0, 0), NULL, 10);
                *moved += n;
                *firms += n > 0;
            }
            PQclear(one);
        }
        if (st == AT_OK && at_db_commit(db) != 0)
            st = AT_UNAVAILABLE;
        if (st != AT_OK && at_db_in_transaction(db))
            at_db_rollback(db);
    }
    PQclear(res);
    return st;
}

at_status_t audit_store_retain(at_db_t *db, int64_t older_than_s, int *firms, int64_t *moved)
{
    *firms = 0;
    *moved = 0;
    char secs[24];
    snprintf(secs, sizeof secs, "%lld", (long long) older_than_s);
    at_status_t st = AT_OK;
    /* passes until nothing more moves (bounded: 1000 steps a round) */
    for (int pass = 0; pass < 1000 && st == AT_OK; pass++) {
        int64_t before = *moved;
        int f = 0;
        st = s_retain_pass(db, secs, &f, moved);
        if (pass == 0)
            *firms = f;
        if (*moved == before)
            break;
    }
    return st;
}

at_status_t audit_store_dashboard(at_db_t *db, at_arena_t *arena, const char *firm_id, bool all,
                                  const char *clients, const char *user_id, bool client_view,
                                  Atrium__Audit__DashboardEvent ***items, size_t *n)
{
    *items = NULL;
    *n = 0;
    const char *p[] = {firm_id, all ? "true" : "false", clients, client_view ? "true" : "false",
                       user_id};
#define S_DASH_COLS                                                                        \
    "seq, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS at_text," \
    " actor_id, actor_name, actor_kind, action, resource_type, resource_id, client_id"
#define S_DASH_VIEW " AND (NOT $4::bool OR (details->>'staff_only') IS DISTINCT FROM 'true')"
    /* each branch is one index walked backwards (the primary key, the
     * client index once per client, the actor index); only the branches
     * that apply run. Ordering by (client_id, seq) and (actor_id, seq)
     * rather than seq alone keeps a generic plan off the primary key: with
     * seq alone it walked the whole trail backwards, filtering, for a client
     * with few events (190 ms at 300k events; 2 ms this way). The limit
     * is a literal: as a parameter, the generic plan's cost estimate over
     * a million rows passed jit_above_cost and JIT compiling took 40 ms of
     * a 0.4 ms query. */
    PGresult *res = at_db_query(
        db,
        "SELECT * FROM ("
        " (SELECT " S_DASH_COLS " FROM events WHERE firm_id = $1 AND $2::bool"
        "  ORDER BY seq DESC LIMIT " AUDIT_DASHBOARD_EVENTS ")"
        " UNION"
        " (SELECT e.* FROM json_array_elements_text($3::json) AS g(id) CROSS JOIN LATERAL"
        "  (SELECT " S_DASH_COLS " FROM events WHERE firm_id = $1 AND NOT $2::bool"
        "   AND client_id = g.id::uuid" S_DASH_VIEW
        "   ORDER BY client_id DESC, seq DESC LIMIT " AUDIT_DASHBOARD_EVENTS ") e)"
        " UNION"
        " (SELECT " S_DASH_COLS " FROM events WHERE firm_id = $1 AND NOT $2::bool"
        "  AND actor_id = $5::uuid" S_DASH_VIEW
        " ORDER BY actor_id DESC, seq DESC LIMIT " AUDIT_DASHBOARD_EVENTS ")"
        ") x ORDER BY seq DESC LIMIT " AUDIT_DASHBOARD_EVENTS "",
        5, p);
#undef S_DASH_COLS
#undef S_DASH_VIEW
    at_status_t st = at_db_status(db, res);
    if (st != AT_OK)
        goto cleanup;
    int rows = PQntuples(res);
    Atrium__Audit__DashboardEvent **out =
        at_arena_alloc(arena, sizeof *out * (size_t) (rows ? rows : 1));
    for (int r = 0; r < rows; r++) {
        Atrium__Audit__DashboardEvent *it = at_arena_alloc(arena, sizeof *it);
        atrium__audit__dashboard_event__init(it);
        it->has_seq = 1;
        it->seq = strtoll(PQgetvalue(res, r, 0), NULL, 10);
        it->at = s_dup(arena, res, r, 1);
        it->actor = at_arena_alloc(arena, sizeof *it->actor);
        atrium__audit__actor__init(it->actor);
        it->actor->id = s_dup(arena, res, r, 2);
        it->actor->name = s_dup(arena, res, r, 3);
        it->actor->kind = s_dup(arena, res, r, 4);
        it->action = s_dup(arena, res, r, 5);
        it->resource = at_arena_alloc(arena, sizeof *it->resource);
        atrium__audit__resource__init(it->resource);
        it->resource->type = s_dup(arena, res, r, 6);
        it->resource->id = s_dup(arena, res, r, 7);
        it->client_id = s_dup(arena, res, r, 8);
        out[r] = it;
    }
    *items = out;
    *n = (size_t) rows;
cleanup:
    PQclear(res);
    return st;
}
