/* at_db: libpq with prepared-statement caching, timeouts and migrations. */
#include "at_db.h"
#include "at_log.h"
#include <ctype.h>
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct at_db_t {
    PGconn *conn;
    char *conninfo;
    char *schema;
    int timeout_ms;
    zhashx_t *prepared; /* sql text -> statement name */
    unsigned next_stmt;
    unsigned session; /* bumped by every reconnect: session state (locks, LISTEN) is gone */
    char tenant[48];  /* atrium.firm_id of this session ("" until set) */
    unsigned long long statements; /* sent through at_db_query / at_db_exec */
};

static int s_setup(at_db_t *self)
{
    char sql[256];
    const char *quoted = NULL;
    char *ident = PQescapeIdentifier(self->conn, self->schema, strlen(self->schema));
    if (!ident)
        return -1;
    quoted = ident;
    /* jit off: every statement here is short, and under row-level security
     * a generic plan's cost estimate can pass jit_above_cost anyway; the
     * dashboard's audit statement spent 78 ms compiling to run 0.5 ms */
    snprintf(sql, sizeof sql,
             "SET search_path = %s; SET statement_timeout = %d; SET TIME ZONE 'UTC';"
             " SET jit = off",
             quoted, self->timeout_ms);
    PQfreemem(ident);
    PGresult *res = PQexec(self->conn, sql);
    int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;
    if (rc)
        at_error("db: session setup failed: %s", PQerrorMessage(self->conn));
    PQclear(res);
    zhashx_purge(self->prepared);
    if (rc == 0 && self->tenant[0]) {
        /* a new session: the row-level security tenant must be set again */
        const char *p[] = {self->tenant};
        res = PQexecParams(self->conn, "SELECT set_config('atrium.firm_id', $1, false)", 1, NULL, p,
                           NULL, NULL, 0);
        rc = PQresultStatus(res) == PGRES_TUPLES_OK ? 0 : -1;
        PQclear(res);
    }
    return rc;
}

/* True when s is a uuid in the 8-4-4-4-12 hex form. */
static bool s_uuid(const char *s)
{
    static const int dash[] = {8, 13, 18, 23};
    if (strlen(s) != 36)
        return false;
    for (int i = 0, d = 0; i < 36; i++) {
        if (d < 4 && i == dash[d]) {
            if (s[i] != '-')
                return false;
            d++;
        } else if (!isxdigit((unsigned char) s[i])) {
            return false;
        }
    }
    return true;
}

int at_db_set_tenant(at_db_t *self, const char *tenant)
{
    if (!tenant || strlen(tenant) >= sizeof self->tenant ||
        strspn(tenant, "0123456789abcdefABCDEF-*") != strlen(tenant))
        return -1;
    /* the policy casts the setting to uuid: "no rows" is the nil uuid */
    if (strcmp(tenant, "*") != 0 && !s_uuid(tenant))
        tenant = "00000000-0000-0000-0000-000000000000";
    if (strcmp(self->tenant, tenant) == 0 && PQstatus(self->conn) == CONNECTION_OK)
        return 0;
    const char *p[] = {tenant};
    PGresult *res = at_db_query(self, "SELECT set_config('atrium.firm_id', $1, false)", 1, p);
    int rc = at_db_status(self, res) == AT_OK ? 0 : -1;
    PQclear(res);
    if (rc == 0)
        snprintf(self->tenant, sizeof self->tenant, "%s", tenant);
    return rc;
}

int at_db_enforce_tenancy(at_db_t *self, const char *schema)
{
    /* Every table of the schema with a firm_id column gets row-level
     * security, forced on its owner too, with one policy: rows of the
     * session's firm (atrium.firm_id), or every row for "*". Run at every
     * start, so a table a later migration adds is covered as well.
     *
     * The policy compares firm_id with the setting cast to uuid, never
     * firm_id::text with the setting: the planner then estimates it from
     * firm_id's statistics. The text form made it guess 0.5% of the rows
     * for every table of a join; listing 50 of 100,000 documents took 740 ms
     * through a sequential scan of the versions, 1.6 ms with the cast. The
     * setting is always "*" or a uuid (at_db_set_tenant writes the nil uuid
     * for "no rows"), so the cast cannot fail, and no per-row pattern test
     * is needed (an earlier form checked the setting with a regular
     * expression on every row: 13% of PostgreSQL's time in a list). A
     * policy of an older form is replaced (ALTER POLICY, once). */
#define TENANT_POLICY                                                 \
    "(current_setting(''atrium.firm_id'', true) = ''*'' OR firm_id =" \
    " nullif(current_setting(''atrium.firm_id'', true), ''*'')::uuid)"
    static const char sql[] =
        "DO $do$ DECLARE t record; BEGIN"
        " FOR t IN SELECT c.relname, p.polqual IS NOT NULL AS has_policy FROM pg_class c"
        "  JOIN pg_namespace n ON n.oid = c.relnamespace"
        "  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'firm_id'"
        "   AND NOT a.attisdropped"
        "  LEFT JOIN pg_policy p ON p.polrelid = c.oid AND p.polname = 'atrium_tenant'"
        "  WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')"
        "   AND (p.polqual IS NULL OR pg_get_expr(p.polqual, p.polrelid) NOT ILIKE '%nullif%')"
        " LOOP"
        "  IF t.has_policy THEN"
        "   EXECUTE format('ALTER POLICY atrium_tenant ON %I USING " TENANT_POLICY "', t.relname);"
        "  ELSE"
        "   EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t.relname);"
        "   EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t.relname);"
        "   EXECUTE format('CREATE POLICY atrium_tenant ON %I USING " TENANT_POLICY "', t.relname);"
        "  END IF;"
        " END LOOP; END $do$";
#undef TENANT_POLICY
    const char *lock[] = {schema};
    PGresult *res =
        at_db_query(self, "SELECT pg_advisory_lock(hashtext('atrium.migrate.' || $1))", 1, lock);
    int rc = at_db_status(self, res) == AT_OK ? 0 : -1;
    PQclear(res);
    if (rc != 0)
        return -1;
    res = at_db_exec(self, sql);
    rc = at_db_status(self, res) == AT_OK ? 0 : -1;
    PQclear(res);
    res =
        at_db_query(self, "SELECT pg_advisory_unlock(hashtext('atrium.migrate.' || $1))", 1, lock);
    PQclear(res);
    return rc;
}

at_db_t *at_db_connect(const char *conninfo, const char *schema, int timeout_ms, char **error)
{
    at_db_t *self = calloc(1, sizeof *self);
    if (!self)
        abort();
    self->conninfo = strdup(conninfo);
    self->schema = strdup(schema);
    self->timeout_ms = timeout_ms;
    self->prepared = zhashx_new();
    zhashx_set_destructor(self->prepared, (zhashx_destructor_fn *) zstr_free);
    self->conn = PQconnectdb(conninfo);
    if (PQstatus(self->conn) != CONNECTION_OK || s_setup(self) != 0) {
        if (error)
            *error = strdup(PQerrorMessage(self->conn));
        at_db_destroy(&self);
        return NULL;
    }
    return self;
}

void at_db_destroy(at_db_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    at_db_t *self = *self_p;
    PQfinish(self->conn);
    zhashx_destroy(&self->prepared);
    free(self->conninfo);
    free(self->schema);
    free(self);
    *self_p = NULL;
}

PGconn *at_db_conn(at_db_t *self)
{
    return self->conn;
}

unsigned at_db_session(const at_db_t *self)
{
    return self->session;
}

int at_db_ensure(at_db_t *self)
{
    if (PQstatus(self->conn) == CONNECTION_OK)
        return 0;
    PQreset(self->conn);
    if (PQstatus(self->conn) != CONNECTION_OK) {
        at_warn("db: reconnect failed: %s", PQerrorMessage(self->conn));
        return -1;
    }
    at_info("db: reconnected");
    self->session++;
    return s_setup(self);
}

/* True when a statement that failed on a lost connection may be sent again
 * on a new one: it was not inside a transaction, so nothing was half done. */
static bool s_retry_after_reset(at_db_t *self, bool was_idle)
{
    if (!was_idle || PQstatus(self->conn) == CONNECTION_OK)
        return false;
    at_warn("db: connection lost; reconnecting once for a statement outside a transaction");
    return at_db_ensure(self) == 0;
}

static PGresult *s_query_once(at_db_t *self, const char *sql, int n, const char *const *params);

unsigned long long at_db_statements(const at_db_t *self)
{
    return self ? self->statements : 0;
}

PGresult *at_db_query(at_db_t *self, const char *sql, int n, const char *const *params)
{
    self->statements++;
    if (at_db_ensure(self) != 0)
        return NULL;
    bool idle = PQtransactionStatus(self->conn) == PQTRANS_IDLE;
    PGresult *res = s_query_once(self, sql, n, params);
    if (!res && s_retry_after_reset(self, idle))
        res = s_query_once(self, sql, n, params);
    return res;
}

static PGresult *s_query_once(at_db_t *self, const char *sql, int n, const char *const *params)
{
    const char *name = zhashx_lookup(self->prepared, sql);
    if (!name) {
        char buf[32];
        snprintf(buf, sizeof buf, "at_s%u", ++self->next_stmt);
        PGresult *prep = PQprepare(self->conn, buf, sql, n, NULL);
        if (PQresultStatus(prep) != PGRES_COMMAND_OK) {
            /* let the caller see the error, with its SQLSTATE */
            if (PQstatus(self->conn) != CONNECTION_OK) {
                PQclear(prep);
                return NULL;
            }
            return prep;
        }
        PQclear(prep);
        zhashx_insert(self->prepared, sql, strdup(buf));
        name = zhashx_lookup(self->prepared, sql);
    }
    PGresult *res = PQexecPrepared(self->conn, name, n, params, NULL, NULL, 0);
    if (!res || (PQstatus(self->conn) != CONNECTION_OK)) {
        PQclear(res);
        return NULL;
    }
    return res;
}

static PGresult *s_exec_once(at_db_t *self, const char *sql)
{
    PGresult *res = PQexec(self->conn, sql);
    if (!res || PQstatus(self->conn) != CONNECTION_OK) {
        PQclear(res);
        return NULL;
    }
    return res;
}

PGresult *at_db_exec(at_db_t *self, const char *sql)
{
    self->statements++;
    if (at_db_ensure(self) != 0)
        return NULL;
    bool idle = PQtransactionStatus(self->conn) == PQTRANS_IDLE;
    PGresult *res = s_exec_once(self, sql);
    if (!res && s_retry_after_reset(self, idle))
        res = s_exec_once(self, sql);
    return res;
}

at_status_t at_db_one(at_db_t *self, const char *sql, int n, const char *const *params,
                      PGresult **res)
{
    *res = at_db_query(self, sql, n, params);
    at_status_t st = at_db_status(self, *res);
    if (st == AT_OK && PQntuples(*res) != 1)
        st = AT_NOT_FOUND;
    if (st != AT_OK) {
        PQclear(*res);
        *res = NULL;
    }
    return st;
}

at_status_t at_db_status(at_db_t *self, PGresult *res)
{
    (void) self;
    if (!res)
        return AT_UNAVAILABLE;
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
        return AT_OK;
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    at_status_t out = AT_INTERNAL;
    if (state) {
        if (strcmp(state, "23505") == 0)
            out = AT_CONFLICT;
        else if (strcmp(state, "23503") == 0 || strcmp(state, "22P02") == 0)
            out = AT_NOT_FOUND;
        else if (strcmp(state, "57014") == 0)
            out = AT_TIMEOUT;
        else if (strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0)
            out = AT_UNAVAILABLE;
    }
    if (out == AT_INTERNAL || out == AT_TIMEOUT || out == AT_UNAVAILABLE)
        at_error("db: %s %s", state ? state : "-", msg ? msg : "(no message)");
    else
        at_debug("db: %s %s", state ? state : "-", msg ? msg : "(no message)");
    return out;
}

static int s_simple(at_db_t *self, const char *sql)
{
    PGresult *res = at_db_exec(self, sql);
    int rc = res && PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;
    if (rc)
        at_error("db: %s failed: %s", sql, PQerrorMessage(self->conn));
    PQclear(res);
    return rc;
}

int at_db_begin(at_db_t *self)
{
    return s_simple(self, "BEGIN");
}

int at_db_commit(at_db_t *self)
{
    return s_simple(self, "COMMIT");
}

int at_db_rollback(at_db_t *self)
{
    if (!at_db_in_transaction(self))
        return 0;
    return s_simple(self, "ROLLBACK");
}

bool at_db_in_transaction(at_db_t *self)
{
    PGTransactionStatusType t = PQtransactionStatus(self->conn);
    return t == PQTRANS_INTRANS || t == PQTRANS_INERROR;
}

const char *at_db_value(PGresult *res, int r, int c)
{
    return PQgetisnull(res, r, c) ? NULL : PQgetvalue(res, r, c);
}

int at_db_migrate(at_db_t *self, const char *schema, const at_embedded_t *migrations, char **error)
{
    const char *lock_params[] = {schema};
    int rc = -1;
    PGresult *res = at_db_query(self, "SELECT pg_advisory_lock(hashtext('atrium.migrate.' || $1))",
                                1, lock_params);
    if (at_db_status(self, res) != AT_OK) {
        *error = strdup("cannot take the migration lock");
        PQclear(res);
        return -1;
    }
    PQclear(res);
    res = at_db_exec(self, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                           "name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
    if (at_db_status(self, res) != AT_OK) {
        *error = strdup("cannot create schema_migrations");
        goto cleanup;
    }
    PQclear(res);
    res = NULL;
    for (const at_embedded_t *m = migrations; m && m->name; m++) {
        const char *p[] = {m->name};
        res = at_db_query(self, "SELECT 1 FROM schema_migrations WHERE name = $1", 1, p);
        if (at_db_status(self, res) != AT_OK) {
            *error = strdup("cannot read schema_migrations");
            goto cleanup;
        }
        bool applied = PQntuples(res) > 0;
        PQclear(res);
        res = NULL;
        if (applied)
            continue;
        if (at_db_begin(self) != 0) {
            *error = strdup("cannot begin a migration");
            goto cleanup;
        }
        res = at_db_exec(self, (const char *) m->data);
        if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
            char buf[512];
            snprintf(buf, sizeof buf, "migration %s failed: %s", m->name,
                     res ? PQresultErrorMessage(res) : "connection lost");
            *error = strdup(buf);
            at_db_rollback(self);
            goto cleanup;
        }
        PQclear(res);
        res = at_db_query(self, "INSERT INTO schema_migrations(name) VALUES ($1)", 1, p);
        if (at_db_status(self, res) != AT_OK || at_db_commit(self) != 0) {
            *error = strdup("cannot record a migration");
            at_db_rollback(self);
            goto cleanup;
        }
        PQclear(res);
        res = NULL;
        at_info("db: applied migration %s.%s", schema, m->name);
    }
    rc = 0;
cleanup:
    PQclear(res);
    res = at_db_query(self, "SELECT pg_advisory_unlock(hashtext('atrium.migrate.' || $1))", 1,
                      lock_params);
    PQclear(res);
    return rc;
}
