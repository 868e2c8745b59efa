/* tasks_store: every SQL statement of the tasks service (schema tasks).
 * Rows come back as atrium.tasks.Task messages built in the caller's arena,
 * times as RFC 3339 UTC with milliseconds.
 *
 * It does not check permissions or validate input (the server does both
 * before calling) and never opens transactions: the server brackets the
 * calls that must commit together with at_db_begin / at_db_commit.
 */
#ifndef TASKS_STORE_H
#define TASKS_STORE_H

#include "at_arena.h"
#include "at_db.h"
#include "at_search.h"
#include "search.pb-c.h"
#include "tasks.pb-c.h"
#include "tasks_logic.h"

/* The statuses of firm_id in order (*set in arena, *n entries); the
 * defaults (tasks_default_statuses) when the firm defined none. */
at_status_t tasks_store_statuses(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                 const tasks_status_t **set, size_t *n);

/* Inserts t (title, description, status, priority, project_id, assignee_ids,
 * labels, start_at, due_at; client_id) for firm_id, created by created_by;
 * completed_at is set now when done. *out: the stored task, in arena. */
at_status_t tasks_store_insert(at_db_t *db, at_arena_t *arena, const char *firm_id,
                               const Atrium__Tasks__Task *t, bool done, const char *created_by,
                               Atrium__Tasks__Task **out);

/* Reads task id (FOR UPDATE when lock, inside a transaction). *firm_id is
 * its firm (arena). AT_NOT_FOUND when there is none or id is not a UUID. */
at_status_t tasks_store_get(at_db_t *db, at_arena_t *arena, const char *id, bool lock,
                            char **firm_id, Atrium__Tasks__Task **out);

/* Writes t's changeable fields onto task t->id and bumps updated_at;
 * completed_at becomes now when done and it was not set, NULL when not done.
 * *out: the stored task. */
at_status_t tasks_store_update(at_db_t *db, at_arena_t *arena, const Atrium__Tasks__Task *t,
                               bool done, Atrium__Tasks__Task **out);

/* Deletes task id. AT_NOT_FOUND when it was not there. */
at_status_t tasks_store_delete(at_db_t *db, const char *id);

/* One page of a client's tasks, newest first. Filters may be NULL: status
 * key, assignee (a user id), project_id. after_key / after_id: the cursor's
 * (both or neither; a validated key). limit: page size. Sets *page (arena)
 * with next_cursor when more rows follow. */
at_status_t tasks_store_list(at_db_t *db, at_arena_t *arena, const char *firm_id,
                             const char *client_id, const char *status, const char *assignee,
                             const char *project_id, const char *after_key, const char *after_id,
                             int limit, Atrium__Tasks__TaskPage **page);

/* Excerpt length of a task's description in search hits, in code points. */
#define TASKS_SNIPPET_CHARS 160

/* Up to limit tasks of firm_id whose title or description matches tsquery
 * (at_search_tsquery text of q), best first, as search hits in out (arena):
 * title the task's, snippet an excerpt of the description around q's first
 * match. clients_json: JSON array of the visible client ids, or NULL for
 * every client of the firm. */
at_status_t tasks_store_search(at_db_t *db, at_arena_t *arena, const char *firm_id,
                               const char *clients_json, const char *tsquery,
                               const at_search_query_t *q, int limit,
                               Atrium__Search__SearchResult *out);

/* Gives every task stored before search existed its search vector, in
 * batches (the arena is reset after each). Returns the number done, or -1
 * on a database error. Run at start-up under tenant "*". */
int tasks_store_search_backfill(at_db_t *db, at_arena_t *arena);

/* The open tasks of firm_id due within 7 days or overdue that the dashboard
 * shows: those assigned to user_id when assigned_only (staff), else all of
 * the clients in scope; clients are every client of the firm when all, else
 * the JSON array text clients. Counts and the 5 due first into *out
 * (arena). One statement. */
at_status_t tasks_store_dashboard(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                  const char *user_id, bool assigned_only, bool all,
                                  const char *clients, Atrium__Tasks__DashboardReply *out);

#endif
