/* tasks_store: the tasks schema's SQL (see tasks_store.h). Lists travel as
 * one JSON-array text parameter made by jansson and unpacked by the SQL
 * function json_text_array; no statement text is ever built from values. */
#include "tasks_store.h"
#include "at_cursor.h"
#include "at_search.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The search vector of a title and description, from their folded text
 * (two parameters). */
#define S_TSV(a, b) \
    "setweight(to_tsvector('simple', " a "), 'A') || setweight(to_tsvector('simple', " b "), 'B')"

/* The folded form of s (at_search) in arena; "" for NULL. */
static char *s_fold(at_arena_t *arena, const char *s)
{
    char *f = at_search_fold_str(s);
    char *out = at_arena_strdup(arena, f);
    free(f);
    return out;
}

#define S_TS(c) "to_char(" c " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* The columns every task query returns, in the order s_row reads them;
 * the last is the keyset cursor key (created_at with microseconds). */
#define S_COLS                                                                                          \
    "id, title, description, status, array_to_json(assignee_ids)::text, " S_TS(                         \
        "start_at") ", " S_TS("due_at") ", " S_TS("completed_at") ", priority, "                        \
                                                                  "array_to_json(labels)::text, "       \
                                                                  "project_id, client_id, "             \
                                                                  "created_by, " S_TS(                  \
                                                                      "created_at") ", " S_TS("up"      \
                                                                                              "da"      \
                                                                                              "te"      \
                                                                                              "d_"      \
                                                                                              "a"       \
                                                                                              "t") ", " \
                                                                                                   "firm_id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"

enum {
    C_ID,
    C_TITLE,
    C_DESC,
    C_STATUS,
    C_ASSIGNEES,
    C_START,
    C_DUE,
    C_COMPLETED,
    C_PRIORITY,
    C_LABELS,
    C_PROJECT,
    C_CLIENT,
    C_CREATED_BY,
    C_CREATED,
    C_UPDATED,
    C_FIRM,
    C_KEY
};

static char *s_val(at_arena_t *arena, PGresult *res, int r, int c)
{
    return at_arena_strdup(arena, at_db_value(res, r, c));
}

/* A JSON array of strings (array_to_json output) into an arena array. */
static void s_strings(at_arena_t *arena, const char *text, char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    json_t *arr = text ? json_loads(text, 0, NULL) : NULL;
    if (json_is_array(arr) && json_array_size(arr) > 0) {
        *out = at_arena_alloc(arena, sizeof(char *) * json_array_size(arr));
        size_t i;
        json_t *v;
        json_array_foreach(arr, i, v)
        {
            if (json_is_string(v))
                (*out)[(*n)++] = at_arena_strdup(arena, json_string_value(v));
        }
    }
    json_decref(arr);
}

/* strs as JSON array text, in arena. */
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

static Atrium__Tasks__Task *s_row(at_arena_t *arena, PGresult *res, int r)
{
    Atrium__Tasks__Task *t = at_arena_alloc(arena, sizeof *t);
    atrium__tasks__task__init(t);
    t->id = s_val(arena, res, r, C_ID);
    t->title = s_val(arena, res, r, C_TITLE);
    t->description = s_val(arena, res, r, C_DESC);
    t->status = s_val(arena, res, r, C_STATUS);
    s_strings(arena, at_db_value(res, r, C_ASSIGNEES), &t->assignee_ids, &t->n_assignee_ids);
    t->start_at = s_val(arena, res, r, C_START);
    t->due_at = s_val(arena, res, r, C_DUE);
    t->completed_at = s_val(arena, res, r, C_COMPLETED);
    t->priority = s_val(arena, res, r, C_PRIORITY);
    s_strings(arena, at_db_value(res, r, C_LABELS), &t->labels, &t->n_labels);
    t->project_id = s_val(arena, res, r, C_PROJECT);
    t->client_id = s_val(arena, res, r, C_CLIENT);
    t->created_by = s_val(arena, res, r, C_CREATED_BY);
    t->created_at = s_val(arena, res, r, C_CREATED);
    t->updated_at = s_val(arena, res, r, C_UPDATED);
    return t;
}

at_status_t tasks_store_statuses(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                 const tasks_status_t **set, size_t *n)
{
    const char *p[] = {firm_id};
    PGresult *res = at_db_query(db,
                                "SELECT key, done FROM task_statuses WHERE firm_id = $1"
                                " ORDER BY position, key",
                                1, p);
    at_status_t st = at_db_status(db, res);
    if (st != AT_OK)
        goto cleanup;
    int rows = PQntuples(res);
    if (rows == 0) {
        *set = tasks_default_statuses;
        *n = TASKS_DEFAULT_STATUSES;
        goto cleanup;
    }
    tasks_status_t *s = at_arena_alloc(arena, sizeof *s * (size_t) rows);
    for (int r = 0; r < rows; r++) {
        s[r].key = s_val(arena, res, r, 0);
        s[r].done = strcmp(PQgetvalue(res, r, 1), "t") == 0;
    }
    *set = s;
    *n = (size_t) rows;
cleanup:
    PQclear(res);
    return st;
}

/* Runs a statement returning S_COLS rows and takes the first into *out;
 * AT_NOT_FOUND when there is no row. */
static at_status_t s_one(at_db_t *db, at_arena_t *arena, const char *sql, int n,
                         const char *const *params, char **firm_id, Atrium__Tasks__Task **out)
{
    PGresult *res = NULL;
    at_status_t st = at_db_one(db, sql, n, params, &res);
    if (st != AT_OK)
        goto cleanup;
    *out = s_row(arena, res, 0);
    if (firm_id)
        *firm_id = s_val(arena, res, 0, C_FIRM);
cleanup:
    PQclear(res);
    return st;
}

at_status_t tasks_store_insert(at_db_t *db, at_arena_t *arena, const char *firm_id,
                               const Atrium__Tasks__Task *t, bool done, const char *created_by,
                               Atrium__Tasks__Task **out)
{
    const char *p[] = {
        firm_id,
        t->client_id,
        t->project_id,
        t->title,
        t->description,
        t->status,
        t->priority,
        s_json_list(arena, t->assignee_ids, t->n_assignee_ids),
        s_json_list(arena, t->labels, t->n_labels),
        t->start_at,
        t->due_at,
        done ? "t" : "f",
        created_by,
        s_fold(arena, t->title),
        s_fold(arena, t->description),
    };
    return s_one(db, arena,
                 "INSERT INTO tasks (firm_id, client_id, project_id, title, description, status,"
                 " priority, assignee_ids, labels, start_at, due_at, completed_at, created_by,"
                 " search_tsv)"
                 " VALUES ($1, $2, $3, $4, $5, $6, $7, json_text_array($8)::uuid[],"
                 " json_text_array($9), $10::timestamptz, $11::timestamptz,"
                 " CASE WHEN $12::boolean THEN clock_timestamp() END, $13, " S_TSV(
                     "$14", "$15") ")"
                                   " RETURNING " S_COLS,
                 15, p, NULL, out);
}

at_status_t tasks_store_get(at_db_t *db, at_arena_t *arena, const char *id, bool lock,
                            char **firm_id, Atrium__Tasks__Task **out)
{
    const char *p[] = {id};
    return s_one(db, arena,
                 lock ? "SELECT " S_COLS " FROM tasks WHERE id = $1 FOR UPDATE"
                      : "SELECT " S_COLS " FROM tasks WHERE id = $1",
                 1, p, firm_id, out);
}

at_status_t tasks_store_update(at_db_t *db, at_arena_t *arena, const Atrium__Tasks__Task *t,
                               bool done, Atrium__Tasks__Task **out)
{
    const char *p[] = {
        t->id,
        t->project_id,
        t->title,
        t->description,
        t->status,
        t->priority,
        s_json_list(arena, t->assignee_ids, t->n_assignee_ids),
        s_json_list(arena, t->labels, t->n_labels),
        t->start_at,
        t->due_at,
        done ? "t" : "f",
        s_fold(arena, t->title),
        s_fold(arena, t->description),
    };
    return s_one(db, arena,
                 "UPDATE tasks SET project_id = $2, title = $3, description = $4, status = $5,"
                 " search_tsv = " S_TSV(
                     "$12", "$13") ","
                                   " priority = $6, assignee_ids = json_text_array($7)::uuid[],"
                                   " labels = json_text_array($8), start_at = $9::timestamptz,"
                                   " due_at = $10::timestamptz,"
                                   " completed_at = CASE WHEN $11::boolean"
                                   " THEN coalesce(completed_at, clock_timestamp()) END,"
                                   " updated_at = clock_timestamp()"
                                   " WHERE id = $1 RETURNING " S_COLS,
                 13, p, NULL, out);
}

at_status_t tasks_store_delete(at_db_t *db, const char *id)
{
    const char *p[] = {id};
    PGresult *res = at_db_query(db, "DELETE FROM tasks WHERE id = $1", 1, p);
    at_status_t st = at_db_status(db, res);
    if (st == AT_OK && strcmp(PQcmdTuples(res), "1") != 0)
        st = AT_NOT_FOUND;
    PQclear(res);
    return st;
}

at_status_t tasks_store_list(at_db_t *db, at_arena_t *arena, const char *firm_id,
                             const char *client_id, const char *status, const char *assignee,
                             const char *project_id, const char *after_key, const char *after_id,
                             int limit, Atrium__Tasks__TaskPage **page)
{
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit + 1);
    const char *p[] = {firm_id, client_id, status, assignee, project_id, after_key, after_id, lim};
    PGresult *res = at_db_query(
        db,
        "SELECT " S_COLS " FROM tasks"
        " WHERE firm_id = $1 AND client_id = $2"
        " AND ($3::text IS NULL OR status = $3)"
        " AND ($4::uuid IS NULL OR assignee_ids @> ARRAY[$4::uuid])"
        " AND ($5::uuid IS NULL OR project_id = $5)"
        " AND ($6::timestamptz IS NULL OR (created_at, id) < ($6::timestamptz, $7::uuid))"
        " ORDER BY created_at DESC, id DESC LIMIT $8::int",
        8, p);
    at_status_t st = at_db_status(db, res);
    if (st != AT_OK)
        goto cleanup;
    int rows = PQntuples(res);
    int n = rows > limit ? limit : rows;
    Atrium__Tasks__TaskPage *pg = at_arena_alloc(arena, sizeof *pg);
    atrium__tasks__task_page__init(pg);
    pg->items = at_arena_alloc(arena, sizeof(void *) * (size_t) (n + 1));
    for (int r = 0; r < n; r++)
        pg->items[pg->n_items++] = s_row(arena, res, r);
    if (rows > limit && n > 0)
        pg->next_cursor =
            at_cursor_encode(arena, at_db_value(res, n - 1, C_KEY), at_db_value(res, n - 1, C_ID));
    *page = pg;
cleanup:
    PQclear(res);
    return st;
}

at_status_t tasks_store_search(at_db_t *db, at_arena_t *arena, const char *firm_id,
                               const char *clients_json, const char *tsquery,
                               const at_search_query_t *q, int limit,
                               Atrium__Search__SearchResult *out)
{
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit);
    const char *p[] = {firm_id, clients_json, tsquery, lim};
    PGresult *res = at_db_query(db,
                                "SELECT t.id, t.client_id, t.title, t.description,"
                                " ts_rank(t.search_tsv, q.q)::float8"
                                " FROM tasks t, to_tsquery('simple', $3) AS q(q)"
                                " WHERE t.firm_id = $1 AND t.search_tsv @@ q.q"
                                " AND ($2::text IS NULL OR t.client_id IN"
                                "   (SELECT jsonb_array_elements_text($2::jsonb)::uuid))"
                                " ORDER BY 5 DESC, t.id LIMIT $4::int",
                                4, p);
    at_status_t st = at_db_status(db, res);
    if (st != AT_OK)
        goto cleanup;
    int n = PQntuples(res);
    out->n_items = 0;
    out->items = at_arena_alloc(arena, sizeof *out->items * (size_t) (n ? n : 1));
    at_search_hits_add(arena, res, "task", q, TASKS_SNIPPET_CHARS, out);
cleanup:
    PQclear(res);
    return st;
}

int tasks_store_search_backfill(at_db_t *db, at_arena_t *arena)
{
    int total = 0;
    for (;;) {
        PGresult *res = at_db_query(db,
                                    "SELECT id, title, description FROM tasks"
                                    " WHERE search_tsv IS NULL LIMIT 500",
                                    0, NULL);
        if (at_db_status(db, res) != AT_OK) {
            PQclear(res);
            return -1;
        }
        int n = PQntuples(res);
        for (int i = 0; i < n; i++) {
            const char *p[] = {PQgetvalue(res, i, 0), s_fold(arena, at_db_value(res, i, 1)),
                               s_fold(arena, at_db_value(res, i, 2))};
            PGresult *u = at_db_query(
                db, "UPDATE tasks SET search_tsv = " S_TSV("$2", "$3") " WHERE id = $1", 3, p);
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

at_status_t tasks_store_dashboard(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                  const char *user_id, bool assigned_only, bool all,
                                  const char *clients, Atrium__Tasks__DashboardReply *out)
{
    const char *p[] = {firm_id, user_id, assigned_only ? "true" : "false", all ? "true" : "false",
                       clients};
    /* the counts are window aggregates, taken before LIMIT */
    PGresult *res = at_db_query(
        db,
        "SELECT id, title, " S_TS(
            "due_at") ", client_id, status, priority,"
                      " count(*) FILTER (WHERE due_at < now()) OVER (),"
                      " count(*) FILTER (WHERE due_at >= now()) OVER ()"
                      " FROM tasks"
                      " WHERE firm_id = $1 AND completed_at IS NULL AND due_at IS NOT NULL"
                      " AND due_at <= now() + interval '7 days'"
                      " AND (NOT $3::bool OR assignee_ids @> ARRAY[$2::uuid])"
                      " AND ($4::bool OR client_id = ANY (ARRAY(SELECT "
                      "json_array_elements_text($5::json)::uuid)))"
                      " ORDER BY due_at, id LIMIT 5",
        5, p);
    at_status_t st = at_db_status(db, res);
    if (st != AT_OK)
        goto cleanup;
    int n = PQntuples(res);
    out->has_overdue = out->has_due_soon = 1;
    out->overdue = n ? (int32_t) strtol(PQgetvalue(res, 0, 6), NULL, 10) : 0;
    out->due_soon = n ? (int32_t) strtol(PQgetvalue(res, 0, 7), NULL, 10) : 0;
    out->items = at_arena_alloc(arena, sizeof(void *) * (size_t) (n + 1));
    for (int r = 0; r < n; r++) {
        Atrium__Tasks__DashboardTask *t = at_arena_alloc(arena, sizeof *t);
        atrium__tasks__dashboard_task__init(t);
        t->id = s_val(arena, res, r, 0);
        t->title = s_val(arena, res, r, 1);
        t->due_at = s_val(arena, res, r, 2);
        t->client_id = s_val(arena, res, r, 3);
        t->status = s_val(arena, res, r, 4);
        t->priority = s_val(arena, res, r, 5);
        out->items[out->n_items++] = t;
    }
cleanup:
    PQclear(res);
    return st;
}
