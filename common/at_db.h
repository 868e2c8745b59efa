/* at_db: a service's PostgreSQL connection (libpq). Statements are prepared
 * on first use per connection and cached by their text, so store code just
 * calls at_db_query with parameters; SQL is never built from values.
 * Every statement runs under statement_timeout; a lost connection is reset
 * on the next call and reported as unavailable meanwhile.
 *
 * It does not hide PGresult: store functions own the results they get and
 * clear them on one cleanup path. Only <svc>_store.c files include this.
 */
#ifndef AT_DB_H
#define AT_DB_H

#include "at_embed.h"
#include "at_status.h"
#include <libpq-fe.h>
#include <stdbool.h>

typedef struct at_db_t at_db_t;

/* Connects with conninfo, sets search_path to schema and statement_timeout
 * to timeout_ms. Returns NULL with *error (malloc'd, caller frees) when the
 * server cannot be reached. */
at_db_t *at_db_connect(const char *conninfo, const char *schema, int timeout_ms, char **error);

/* Closes; accepts NULL; nulls *self_p. */
void at_db_destroy(at_db_t **self_p);

/* Checks the connection and resets it if broken. 0 when usable, -1 not. */
int at_db_ensure(at_db_t *self);

/* Which server session the connection is on: it changes whenever a broken
 * connection was reset (by at_db_ensure or any query), so a caller holding
 * session state (an advisory lock, LISTEN) knows it was lost. */
unsigned at_db_session(const at_db_t *self);

/* Runs sql (prepared once per connection, named by a hash of the text) with
 * n text parameters (NULL entries are SQL NULL). Returns a result the caller
 * must PQclear, whose status may be an error (see at_db_status), or NULL when
 * the server cannot be reached. A statement outside a transaction that finds
 * the connection lost (the server restarted) is sent once more on a new
 * connection; inside a transaction the loss is reported (NULL). */
PGresult *at_db_query(at_db_t *self, const char *sql, int n, const char *const *params);

/* at_db_query for a statement that must find exactly one row: AT_OK with
 * *res set (the caller PQclears it), AT_NOT_FOUND when it found none (or
 * several), else the at_db_status of the failure; *res is NULL then. */
at_status_t at_db_one(at_db_t *self, const char *sql, int n, const char *const *params,
                      PGresult **res);

/* How many statements this connection has been asked to run through
 * at_db_query and at_db_exec (a retry on a new connection counts once):
 * the service dispatcher logs the difference per request, which is how the
 * dashboard bench counts SQL statements without pg_stat_statements. */
unsigned long long at_db_statements(const at_db_t *self);

/* Like at_db_query without preparing (DDL, one-off statements). */
PGresult *at_db_exec(at_db_t *self, const char *sql);

/* Maps a result to a status: tuples or command OK -> AT_OK; unique
 * violation -> AT_CONFLICT; foreign key -> AT_NOT_FOUND; bad input syntax
 * (e.g. a malformed uuid) -> AT_NOT_FOUND; query_canceled (timeout) ->
 * AT_TIMEOUT; NULL or connection loss -> AT_UNAVAILABLE; else AT_INTERNAL.
 * Logs SQLSTATE and message for the error cases (never the parameters). */
at_status_t at_db_status(at_db_t *self, PGresult *res);

/* Transactions. Each returns 0 or -1 (connection lost / error, logged). */
int at_db_begin(at_db_t *self);
int at_db_commit(at_db_t *self);
int at_db_rollback(at_db_t *self);

/* True while a transaction is open (or failed and awaiting rollback). */
bool at_db_in_transaction(at_db_t *self);

/* Applies migrations (a NULL-named-terminated table, applied in name order)
 * that the schema has not seen, each in its own transaction, under a
 * session advisory lock keyed by the schema so that several instances may
 * start at once. Records applied names in <schema>.schema_migrations.
 * Returns 0, or -1 with *error (malloc'd). */
int at_db_migrate(at_db_t *self, const char *schema, const at_embedded_t *migrations, char **error);

/* Sets the session's row-level-security tenant, atrium.firm_id: a firm id
 * (rows of that firm only), "*" (every row: system work, public methods) or
 * "" (no row; stored as the nil uuid, as is any other value that is not a
 * uuid). Kept across reconnects. Only hex digits, '-' and '*' are accepted.
 * Returns 0, or -1 (bad value or database unreachable). */
int at_db_set_tenant(at_db_t *self, const char *tenant);

/* Enables forced row-level security with the tenant policy on every table
 * of schema that has a firm_id column and lacks it (idempotent; under the
 * schema's migration lock). 0 or -1. */
int at_db_enforce_tenancy(at_db_t *self, const char *schema);

/* The underlying connection, borrowed (for LISTEN/NOTIFY and sockets). */
PGconn *at_db_conn(at_db_t *self);

/* Value of row r column c or NULL if SQL NULL; borrowed from res. */
const char *at_db_value(PGresult *res, int r, int c);

#endif
