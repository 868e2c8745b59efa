/* audit_store: the audit schema's SQL (events, firm_heads). Statements are
 * prepared once per connection by at_db; list SQL is assembled only from
 * constant fragments and parameter numbers, never from values. */
#include "audit_store.h"
#include "at_log.h"
#include <jansson.h>
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

at_status_t audit_store_ingest(at_db_t *db, audit_chain_event_t *events, size_t n,
                               int *accepted)
{
    at_status_t st = AT_OK;
    PGresult *res = NULL;
    s_head_t *heads = NULL;
    size_t nheads = 0;
    int count = 0;
    *accepted = 0;
    if (n == 0)
        return AT_OK;
    heads = calloc(n, sizeof *heads);
    if (!heads)
        abort();
    if (at_db_begin(db) != 0) {
        st = AT_UNAVAILABLE;
        goto cleanup;
    }
    st = s_lock_heads(db, events, n, heads, &nheads);
    if (st != AT_OK)
        goto cleanup;

    for (size_t i = 0; i < n; i++) {
        audit_chain_event_t *e = &events[i];
        s_head_t *h = s_find_head(heads, nheads, e->firm_id);
        char hash[AUDIT_CHAIN_HEX_LEN + 1];
        e->seq = h->seq + 1;
        if (audit_chain_hash(h->hash, e, hash) != 0) {
            at_error("audit: chain head of firm %s is unusable", e->firm_id);
            st = AT_INTERNAL;
            goto cleanup;
        }
        char seq[24];
        snprintf(seq, sizeof seq, "%lld", (long long) e->seq);
        const char *p[] = {e->firm_id,   seq,           e->event_id,    e->at,
                           e->actor_id,  e->actor_name, e->actor_kind,  e->action,
                           e->resource_type, e->resource_id, e->client_id, e->ip,
                           e->user_agent, e->request_id, e->source,     e->details,
                           hash};
        res = at_db_query(db,
                          "INSERT INTO events (firm_id, seq, event_id, at, actor_id, actor_name,"
                          " actor_kind, action, resource_type, resource_id, client_id, ip,"
                          " user_agent, request_id, source, details, hash)"
                          " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,"
                          " $15, $16, $17)"
                          " ON CONFLICT (event_id) DO NOTHING",
                          17, p);
        st = at_db_status(db, res);
        if (st != AT_OK)
            goto cleanup;
        if (strcmp(PQcmdTuples(res), "1") == 0) {
            h->seq = e->seq;
            memcpy(h->hash, hash, sizeof hash);
            h->dirty = true;
            count++;
        } else {
            at_debug("audit: event %s already stored; redelivery ignored", e->event_id);
            e->seq = 0;
        }
        PQclear(res);
        res = NULL;
    }

    for (size_t i = 0; i < nheads; i++) {
        if (!heads[i].dirty)
            continue;
        char seq[24];
        snprintf(seq, sizeof seq, "%lld", heads[i].seq);
        const char *p[] = {heads[i].firm_id, seq, heads[i].hash};
        res = at_db_query(db,
                          "UPDATE firm_heads SET last_seq = $2, last_hash = $3 WHERE firm_id = $1",
                          3, p);
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
    if (st != AT_OK && at_db_in_transaction(db))
        at_db_rollback(db);
    if (st != AT_OK)
        for (size_t i = 0; i < n; i++)
            events[i].seq = 0;
    free(heads);
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
    params[np++] = f->firm_id;
    if (f->actor_id)
        s_where(sql, sizeof sql, params, &np, "actor_id = $%d", f->actor_id);
    if (f->client_id)
        s_where(sql, sizeof sql, params, &np, "client_id = $%d", f->client_id);
    if (f->resource_type)
        s_where(sql, sizeof sql, params, &np, "resource_type = $%d", f->resource_type);
    if (f->resource_id)
        s_where(sql, sizeof sql, params, &np, "resource_id = $%d", f->resource_id);
    if (f->action)
        s_where(sql, sizeof sql, params, &np, "action = $%d", f->action);
    if (f->since)
        s_where(sql, sizeof sql, params, &np, "at >= $%d::timestamptz", f->since);
    if (f->until)
        s_where(sql, sizeof sql, params, &np, "at < $%d::timestamptz", f->until);
    if (f->only_clients) {
        json_t *arr = json_array();
        for (size_t i = 0; i < f->n_only_clients; i++)
            json_array_append_new(arr, json_string(f->only_clients[i]));
        only = json_dumps(arr, JSON_COMPACT);
        json_decref(arr);
        s_where(sql, sizeof sql, params, &np,
                "client_id = ANY (ARRAY(SELECT json_array_elements_text($%d::json)::uuid))", only);
    }
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
