/* messaging_store: the messaging schema's SQL (see messaging_store.h).
 * Lists travel as one jansson-built JSON-array parameter (json_text_array);
 * no statement text is ever built from values. */
#include "messaging_store.h"
#include "at_cursor.h"
#include "at_search.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A message's search vector: its folded body, and its thread's subject
 * vector at weight B, so words of both find it. */
#define S_MSG_TSV(body, thread)                                                         \
    "(to_tsvector('simple', " body ") || coalesce((SELECT setweight(t.search_tsv, 'B')" \
    " FROM threads t WHERE t.id = " thread "), ''::tsvector))"

/* The folded form of s (at_search) in arena; "" for NULL. */
static char *s_fold(at_arena_t *arena, const char *s)
{
    char *f = at_search_fold_str(s);
    char *out = at_arena_strdup(arena, f);
    free(f);
    return out;
}

#define S_TS(c) "to_char(" c " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* Message columns in the order s_message reads them. */
#define S_MSG_COLS                                                          \
    "m.id, m.thread_id, m.author_id, m.author_name, m.author_kind, m.body," \
    " array_to_json(m.mention_ids)::text, " S_TS("m.created_at") ", " S_TS( \
        "m.edited_at") ", m.seq, m.firm_id, m.client_id"
enum {
    M_ID,
    M_THREAD,
    M_AUTHOR,
    M_NAME,
    M_KIND,
    M_BODY,
    M_MENTIONS,
    M_CREATED,
    M_EDITED,
    M_SEQ,
    M_FIRM,
    M_CLIENT
};

/* Thread columns in the order s_thread reads them; $2 is the reader. */
#define S_THREAD_COLS                                                              \
    "t.id, t.client_id, t.subject, t.about_type, t.about_id, t.created_by, " S_TS( \
        "t.created_at") ", " S_TS("s.last_at") ", s.total, s.unread, t.seq, t.firm_id"
/* The per-thread figures for reader $2, joined as s. */
#define S_THREAD_STATS                                                                         \
    " CROSS JOIN LATERAL (SELECT count(*) AS total, max(m.created_at) AS last_at,"             \
    " count(*) FILTER (WHERE m.author_id <> $2::uuid AND m.seq > coalesce("                    \
    "(SELECT r.last_read_seq FROM reads r WHERE r.thread_id = t.id AND r.user_id = $2::uuid)," \
    " 0)) AS unread FROM messages m WHERE m.thread_id = t.id) s"
enum {
    T_ID,
    T_CLIENT,
    T_SUBJECT,
    T_ABOUT_TYPE,
    T_ABOUT_ID,
    T_CREATED_BY,
    T_CREATED,
    T_LAST,
    T_TOTAL,
    T_UNREAD,
    T_SEQ,
    T_FIRM
};

static char *s_val(at_arena_t *arena, PGresult *res, int r, int c)
{
    return at_arena_strdup(arena, at_db_value(res, r, c));
}

static Atrium__Messaging__Message *s_message(at_arena_t *arena, PGresult *res, int r)
{
    Atrium__Messaging__Message *m = at_arena_alloc(arena, sizeof *m);
    atrium__messaging__message__init(m);
    Atrium__Messaging__Author *a = at_arena_alloc(arena, sizeof *a);
    atrium__messaging__author__init(a);
    a->id = s_val(arena, res, r, M_AUTHOR);
    a->name = s_val(arena, res, r, M_NAME);
    a->kind = s_val(arena, res, r, M_KIND);
    m->id = s_val(arena, res, r, M_ID);
    m->thread_id = s_val(arena, res, r, M_THREAD);
    m->author = a;
    m->body = s_val(arena, res, r, M_BODY);
    m->created_at = s_val(arena, res, r, M_CREATED);
    m->edited_at = s_val(arena, res, r, M_EDITED);
    json_t *arr = json_loads(PQgetvalue(res, r, M_MENTIONS), 0, NULL);
    if (json_is_array(arr) && json_array_size(arr) > 0) {
        m->mention_ids = at_arena_alloc(arena, sizeof(char *) * json_array_size(arr));
        size_t i;
        json_t *v;
        json_array_foreach(arr, i, v)
        {
            if (json_is_string(v))
                m->mention_ids[m->n_mention_ids++] = at_arena_strdup(arena, json_string_value(v));
        }
    }
    json_decref(arr);
    return m;
}

static Atrium__Messaging__Thread *s_thread(at_arena_t *arena, PGresult *res, int r)
{
    Atrium__Messaging__Thread *t = at_arena_alloc(arena, sizeof *t);
    atrium__messaging__thread__init(t);
    t->id = s_val(arena, res, r, T_ID);
    t->client_id = s_val(arena, res, r, T_CLIENT);
    t->subject = s_val(arena, res, r, T_SUBJECT);
    if (at_db_value(res, r, T_ABOUT_TYPE)) {
        t->about = at_arena_alloc(arena, sizeof *t->about);
        atrium__messaging__about__init(t->about);
        t->about->type = s_val(arena, res, r, T_ABOUT_TYPE);
        t->about->id = s_val(arena, res, r, T_ABOUT_ID);
    }
    t->created_by = s_val(arena, res, r, T_CREATED_BY);
    t->created_at = s_val(arena, res, r, T_CREATED);
    t->last_message_at = s_val(arena, res, r, T_LAST);
    t->has_message_count = t->has_unread_count = 1;
    t->message_count = (int32_t) strtol(PQgetvalue(res, r, T_TOTAL), NULL, 10);
    t->unread_count = (int32_t) strtol(PQgetvalue(res, r, T_UNREAD), NULL, 10);
    return t;
}

at_status_t messaging_store_thread_insert(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                          const char *client_id, const char *subject,
                                          const char *about_type, const char *about_id,
                                          const char *created_by, char **id)
{
    const char *p[] = {
        firm_id, client_id, subject, about_type, about_id, created_by, s_fold(arena, subject)};
    PGresult *res = at_db_query(db,
                                "INSERT INTO threads (firm_id, client_id, subject, about_type,"
                                " about_id, created_by, search_tsv)"
                                " VALUES ($1, $2, $3, $4, $5, $6, to_tsvector('simple', $7))"
                                " RETURNING id",
                                7, p);
    at_status_t st = at_db_status(db, res);
    if (st == AT_OK)
        *id = s_val(arena, res, 0, 0);
    PQclear(res);
    return st;
}

at_status_t messaging_store_thread_get(at_db_t *db, at_arena_t *arena, const char *id,
                                       const char *user_id, char **firm_id,
                                       Atrium__Messaging__Thread **out)
{
    const char *p[] = {id, user_id};
    PGresult *res = NULL;
    at_status_t st =
        at_db_one(db, "SELECT " S_THREAD_COLS " FROM threads t" S_THREAD_STATS " WHERE t.id = $1",
                  2, p, &res);
    if (st != AT_OK)
        goto cleanup;
    *out = s_thread(arena, res, 0);
    *firm_id = s_val(arena, res, 0, T_FIRM);
cleanup:
    PQclear(res);
    return st;
}

at_status_t messaging_store_thread_list(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                        const char *client_id, const char *user_id,
                                        const char *after_seq, int limit,
                                        Atrium__Messaging__ThreadPage **page)
{
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit + 1);
    const char *p[] = {firm_id, user_id, client_id, after_seq, lim};
    PGresult *res = at_db_query(db,
                                "SELECT " S_THREAD_COLS " FROM threads t" S_THREAD_STATS
                                " WHERE t.firm_id = $1 AND t.client_id = $3"
                                " AND ($4::bigint IS NULL OR t.seq < $4::bigint)"
                                " ORDER BY t.seq DESC LIMIT $5::int",
                                5, p);
    at_status_t st = at_db_status(db, res);
    if (st != AT_OK)
        goto cleanup;
    int rows = PQntuples(res);
    int n = rows > limit ? limit : rows;
    Atrium__Messaging__ThreadPage *pg = at_arena_alloc(arena, sizeof *pg);
    atrium__messaging__thread_page__init(pg);
    pg->items = at_arena_alloc(arena, sizeof(void *) * (size_t) (n + 1));
    for (int r = 0; r < n; r++)
        pg->items[pg->n_items++] = s_thread(arena, res, r);
    if (rows > limit && n > 0)
        pg->next_cursor =
            at_cursor_encode(arena, PQgetvalue(res, n - 1, T_SEQ), PQgetvalue(res, n - 1, T_ID));
    *page = pg;
cleanup:
    PQclear(res);
    return st;
}

/* mention_ids as JSON array text, in arena. */
static char *s_json_list(at_arena_t *arena, char **strs, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_string(strs[i]));
    char *text = json_dumps(arr, JSON_COMPACT);
    char *out = at_arena_strdup(arena, text);
    free(text);
    json_decref(arr);
    return out;
}

at_status_t messaging_store_message_insert(at_db_t *db, at_arena_t *arena, const char *thread_id,
                                           const char *firm_id, const char *client_id,
                                           const messaging_author_t *author, const char *body,
                                           char **mention_ids, size_t n,
                                           Atrium__Messaging__Message **out)
{
    const char *p[] = {
        thread_id,          firm_id,      client_id, author->id,
        author->name,       author->kind, body,      s_json_list(arena, mention_ids, n),
        s_fold(arena, body)};
    PGresult *res = at_db_query(
        db,
        "WITH m AS (INSERT INTO messages (thread_id, firm_id, client_id, author_id, author_name,"
        " author_kind, body, mention_ids, search_tsv) VALUES ($1, $2, $3, $4, $5, $6, $7,"
        " json_text_array($8)::uuid[], " S_MSG_TSV(
            "$9",
            "$1") ") RETURNING *),"
                  " r AS (INSERT INTO reads (thread_id, user_id, last_read_seq)"
                  " SELECT thread_id, author_id, seq FROM m"
                  " ON CONFLICT (thread_id, user_id) DO UPDATE"
                  " SET last_read_seq = greatest(reads.last_read_seq, EXCLUDED.last_read_seq),"
                  " last_read_at = clock_timestamp())"
                  " SELECT " S_MSG_COLS " FROM m",
        9, p);
    at_status_t st = at_db_status(db, res);
    if (st == AT_OK && PQntuples(res) == 1)
        *out = s_message(arena, res, 0);
    else if (st == AT_OK)
        st = AT_INTERNAL;
    PQclear(res);
    return st;
}

at_status_t messaging_store_message_get(at_db_t *db, at_arena_t *arena, const char *id, bool lock,
                                        char **firm_id, char **client_id, char **subject,
                                        Atrium__Messaging__Message **out)
{
    const char *p[] = {id};
    PGresult *res = NULL;
    at_status_t st =
        at_db_one(db,
                  lock ? "SELECT " S_MSG_COLS ", t.subject FROM messages m JOIN threads t"
                         " ON t.id = m.thread_id WHERE m.id = $1 FOR UPDATE OF m"
                       : "SELECT " S_MSG_COLS ", t.subject FROM messages m JOIN threads t"
                         " ON t.id = m.thread_id WHERE m.id = $1",
                  1, p, &res);
    if (st != AT_OK)
        goto cleanup;
    *out = s_message(arena, res, 0);
    *firm_id = s_val(arena, res, 0, M_FIRM);
    *client_id = s_val(arena, res, 0, M_CLIENT);
    *subject = s_val(arena, res, 0, M_CLIENT + 1);
cleanup:
    PQclear(res);
    return st;
}

at_status_t messaging_store_message_edit(at_db_t *db, at_arena_t *arena, const char *id,
                                         const char *body, Atrium__Messaging__Message **out)
{
    const char *p[] = {id, body, s_fold(arena, body)};
    PGresult *res = at_db_query(
        db,
        "UPDATE messages m SET body = $2, edited_at = clock_timestamp(),"
        " search_tsv = " S_MSG_TSV("$3", "m.thread_id") " WHERE m.id = $1 RETURNING " S_MSG_COLS,
        3, p);
    at_status_t st = at_db_status(db, res);
    if (st == AT_OK && PQntuples(res) == 1)
        *out = s_message(arena, res, 0);
    else if (st == AT_OK)
        st = AT_NOT_FOUND;
    PQclear(res);
    return st;
}

at_status_t messaging_store_message_delete(at_db_t *db, const char *id)
{
    const char *p[] = {id};
    PGresult *res = at_db_query(db, "DELETE FROM messages WHERE id = $1", 1, p);
    at_status_t st = at_db_status(db, res);
    if (st == AT_OK && strcmp(PQcmdTuples(res), "1") != 0)
        st = AT_NOT_FOUND;
    PQclear(res);
    return st;
}

at_status_t messaging_store_message_list(at_db_t *db, at_arena_t *arena, const char *thread_id,
                                         const char *after_seq, int limit,
                                         Atrium__Messaging__MessagePage **page)
{
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit + 1);
    const char *p[] = {thread_id, after_seq, lim};
    PGresult *res = at_db_query(db,
                                "SELECT " S_MSG_COLS " FROM messages m WHERE m.thread_id = $1"
                                " AND ($2::bigint IS NULL OR m.seq > $2::bigint)"
                                " ORDER BY m.seq LIMIT $3::int",
                                3, p);
    at_status_t st = at_db_status(db, res);
    if (st != AT_OK)
        goto cleanup;
    int rows = PQntuples(res);
    int n = rows > limit ? limit : rows;
    Atrium__Messaging__MessagePage *pg = at_arena_alloc(arena, sizeof *pg);
    atrium__messaging__message_page__init(pg);
    pg->items = at_arena_alloc(arena, sizeof(void *) * (size_t) (n + 1));
    for (int r = 0; r < n; r++)
        pg->items[pg->n_items++] = s_message(arena, res, r);
    if (rows > limit && n > 0)
        pg->next_cursor =
            at_cursor_encode(arena, PQgetvalue(res, n - 1, M_SEQ), PQgetvalue(res, n - 1, M_ID));
    *page = pg;
cleanup:
    PQclear(res);
    return st;
}

at_status_t messaging_store_mark_read(at_db_t *db, const char *thread_id, const char *user_id,
                                      const char *up_to)
{
    const char *p[] = {thread_id, user_id, up_to};
    PGresult *res =
        at_db_query(db,
                    "INSERT INTO reads (thread_id, user_id, last_read_seq)"
                    " SELECT $1::uuid, $2::uuid, coalesce(max(seq), 0) FROM messages"
                    " WHERE thread_id = $1::uuid AND ($3::uuid IS NULL OR id = $3::uuid)"
                    " HAVING $3::uuid IS NULL OR count(*) = 1"
                    " ON CONFLICT (thread_id, user_id) DO UPDATE"
                    " SET last_read_seq = greatest(reads.last_read_seq, EXCLUDED.last_read_seq),"
                    " last_read_at = clock_timestamp()",
                    3, p);
    at_status_t st = at_db_status(db, res);
    if (st == AT_OK && strcmp(PQcmdTuples(res), "1") != 0)
        st = AT_NOT_FOUND;
    PQclear(res);
    return st;
}

at_status_t messaging_store_search(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                   const char *clients_json, const char *tsquery,
                                   const at_search_query_t *q, int limit,
                                   Atrium__Search__SearchResult *out)
{
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit);
    const char *p[] = {firm_id, clients_json, tsquery, lim};
    /* one hit per thread: its best-matching message (the earliest of
     * equals), so a word of the subject does not list every message */
    PGresult *res =
        at_db_query(db,
                    "SELECT id, client_id, subject, body, rank FROM ("
                    " SELECT DISTINCT ON (m.thread_id) m.id, m.client_id, t.subject, m.body,"
                    "  ts_rank(m.search_tsv, q.q)::float8 AS rank"
                    " FROM messages m JOIN threads t ON t.id = m.thread_id,"
                    "  to_tsquery('simple', $3) AS q(q)"
                    " WHERE m.firm_id = $1 AND m.search_tsv @@ q.q"
                    " AND ($2::text IS NULL OR m.client_id IN"
                    "   (SELECT jsonb_array_elements_text($2::jsonb)::uuid))"
                    " ORDER BY m.thread_id, 5 DESC, m.seq) best"
                    " ORDER BY rank DESC, id LIMIT $4::int",
                    4, p);
    at_status_t st = at_db_status(db, res);
    if (st != AT_OK)
        goto cleanup;
    int n = PQntuples(res);
    out->n_items = 0;
    out->items = at_arena_alloc(arena, sizeof *out->items * (size_t) (n ? n : 1));
    at_search_hits_add(arena, res, "message", q, MESSAGING_SNIPPET_CHARS, out);
cleanup:
    PQclear(res);
    return st;
}

/* Gives the rows select finds (id, text) the vector of their folded text
 * through update ($1 id, $2 folded); the count, or -1. */
static int s_backfill(at_db_t *db, at_arena_t *arena, const char *select, const char *update)
{
    int total = 0;
    for (;;) {
        PGresult *res = at_db_query(db, select, 0, NULL);
        if (at_db_status(db, res) != AT_OK) {
            PQclear(res);
            return -1;
        }
        int n = PQntuples(res);
        for (int i = 0; i < n; i++) {
            const char *p[] = {PQgetvalue(res, i, 0), s_fold(arena, at_db_value(res, i, 1))};
            PGresult *u = at_db_query(db, update, 2, p);
            at_status_t st = at_db_status(db, u);
            PQclear(u);
            if (st != AT_OK) {
                PQclear(res);
                return -1;
            }
        }
        PQclear(res);
        at_arena_reset(arena);
        total += n;
        if (n < 500)
            return total;
    }
}

int messaging_store_search_backfill(at_db_t *db, at_arena_t *arena)
{
    /* threads first: a message's vector takes its thread's */
    int a =
        s_backfill(db, arena, "SELECT id, subject FROM threads WHERE search_tsv IS NULL LIMIT 500",
                   "UPDATE threads SET search_tsv = to_tsvector('simple', $2) WHERE id = $1");
    if (a < 0)
        return -1;
    int b = s_backfill(
        db, arena, "SELECT id, body FROM messages WHERE search_tsv IS NULL LIMIT 500",
        "UPDATE messages m SET search_tsv = " S_MSG_TSV("$2", "m.thread_id") " WHERE m.id = $1");
    return b < 0 ? -1 : a + b;
}

at_status_t messaging_store_dashboard(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                      const char *user_id, bool all, const char *clients,
                                      Atrium__Messaging__DashboardReply *out)
{
    const char *p[] = {firm_id, user_id, all ? "true" : "false", clients};
    /* the totals are window aggregates, taken before LIMIT */
    PGresult *res = at_db_query(
        db,
        "SELECT t.id, t.subject, t.client_id, u.unread, " S_TS(
            "u.last_at") ", count(*) OVER (), sum(u.unread) OVER ()"
                         " FROM threads t"
                         " LEFT JOIN reads r ON r.thread_id = t.id AND r.user_id = $2::uuid"
                         " CROSS JOIN LATERAL (SELECT count(*) AS unread,"
                         "  max(m.created_at) AS last_at FROM messages m"
                         "  WHERE m.thread_id = t.id AND m.seq > coalesce(r.last_read_seq, 0)"
                         "  AND m.author_id <> $2::uuid) u"
                         " WHERE t.firm_id = $1 AND u.unread > 0"
                         " AND ($3::bool OR t.client_id = ANY (ARRAY("
                         "  SELECT json_array_elements_text($4::json)::uuid)))"
                         " ORDER BY u.last_at DESC, t.id LIMIT 5",
        4, p);
    at_status_t st = at_db_status(db, res);
    if (st != AT_OK)
        goto cleanup;
    int n = PQntuples(res);
    out->has_count = out->has_messages = 1;
    out->count = n ? (int32_t) strtol(PQgetvalue(res, 0, 5), NULL, 10) : 0;
    out->messages = n ? (int32_t) strtol(PQgetvalue(res, 0, 6), NULL, 10) : 0;
    out->items = at_arena_alloc(arena, sizeof(void *) * (size_t) (n + 1));
    for (int r = 0; r < n; r++) {
        Atrium__Messaging__DashboardThread *t = at_arena_alloc(arena, sizeof *t);
        atrium__messaging__dashboard_thread__init(t);
        t->id = s_val(arena, res, r, 0);
        t->subject = s_val(arena, res, r, 1);
        t->client_id = s_val(arena, res, r, 2);
        t->has_unread_count = 1;
        t->unread_count = (int32_t) strtol(PQgetvalue(res, r, 3), NULL, 10);
        t->last_message_at = s_val(arena, res, r, 4);
        out->items[out->n_items++] = t;
    }
cleanup:
    PQclear(res);
    return st;
}
