/* auth_store: the auth schema's SQL, parameterised, one cleanup path per
 * function; no permission checks, no transactions, no Redis. */
#include "auth_store.h"
#include "at_cursor.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* RFC 3339 UTC with milliseconds for replies; microseconds for cursor keys
 * (they parse back as timestamptz exactly). */
#define S_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
#define S_KEY(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

#define S_USER_COLS "u.id, u.email, u.name, u.kind, u.role, u.firm_id, u.mfa_enabled, u.time_zone"
#define S_USER_NCOLS 8

#define S_CLIENT_COLS                                                         \
    "c.id, c.name, " S_TS("c.created_at") ", c.external_refs->>'quickbooks'," \
                                          " c.external_refs->>'hubspot'"
#define S_CLIENT_NCOLS 5

static void *s_new(at_arena_t *arena, const ProtobufCMessageDescriptor *desc)
{
    ProtobufCMessage *m = at_arena_alloc(arena, desc->sizeof_message);
    protobuf_c_message_init(desc, m);
    return m;
}

static char *s_val(at_arena_t *arena, PGresult *res, int r, int c)
{
    return at_arena_strdup(arena, at_db_value(res, r, c));
}

static Atrium__Auth__User *s_user(at_arena_t *arena, PGresult *res, int r, int c)
{
    Atrium__Auth__User *u = s_new(arena, &atrium__auth__user__descriptor);
    u->id = s_val(arena, res, r, c);
    u->email = s_val(arena, res, r, c + 1);
    u->name = s_val(arena, res, r, c + 2);
    u->kind = s_val(arena, res, r, c + 3);
    u->role = s_val(arena, res, r, c + 4);
    u->firm_id = s_val(arena, res, r, c + 5);
    u->has_mfa_enabled = 1;
    u->mfa_enabled = strcmp(PQgetvalue(res, r, c + 6), "t") == 0;
    u->time_zone = s_val(arena, res, r, c + 7);
    return u;
}

static Atrium__Auth__Client *s_client(at_arena_t *arena, PGresult *res, int r)
{
    Atrium__Auth__Client *c = s_new(arena, &atrium__auth__client__descriptor);
    c->id = s_val(arena, res, r, 0);
    c->name = s_val(arena, res, r, 1);
    c->created_at = s_val(arena, res, r, 2);
    /* always an object in JSON, {} when the client has no external ids */
    c->external_refs = s_new(arena, &atrium__auth__external_refs__descriptor);
    c->external_refs->quickbooks = s_val(arena, res, r, 3);
    c->external_refs->hubspot = s_val(arena, res, r, 4);
    return c;
}

/* The jsonb text to merge (present non-empty members) and the text[] of
 * keys to remove ("" members), from refs; both malloc'd. */
static void s_refs_params(const Atrium__Auth__ExternalRefs *refs, char **set, char **del)
{
    json_t *obj = json_object();
    json_t *rm = json_array();
    const char *names[] = {"quickbooks", "hubspot"};
    const char *vals[] = {refs ? refs->quickbooks : NULL, refs ? refs->hubspot : NULL};
    for (int i = 0; i < 2; i++) {
        if (!vals[i])
            continue;
        if (*vals[i])
            json_object_set_new(obj, names[i], json_string(vals[i]));
        else
            json_array_append_new(rm, json_string(names[i]));
    }
    *set = json_dumps(obj, JSON_COMPACT);
    *del = json_dumps(rm, JSON_COMPACT);
    json_decref(obj);
    json_decref(rm);
    if (!*set || !*del)
        abort();
}

at_status_t auth_store_signup(at_db_t *db, at_arena_t *arena, const char *firm_name,
                              const char *name, const char *email, const char *password_hash,
                              Atrium__Auth__Firm **firm, Atrium__Auth__User **user)
{
    *firm = NULL;
    *user = NULL;
    PGresult *res = NULL;
    const char *p[] = {firm_name, name, email, password_hash};
    res = at_db_query(db,
                      "WITH f AS (INSERT INTO firms (name) VALUES ($1) RETURNING id, name),"
                      " u AS (INSERT INTO users (firm_id, email, name, password_hash, kind, role)"
                      "  SELECT f.id, $3, $2, $4, 'staff', 'owner' FROM f RETURNING *)"
                      " SELECT " S_USER_COLS ", f.name FROM u, f",
                      4, p);
    at_status_t st = at_db_status(db, res);
    if (st != AT_OK)
        goto cleanup;
    if (PQntuples(res) != 1) {
        st = AT_INTERNAL;
        goto cleanup;
    }
    *user = s_user(arena, res, 0, 0);
    *firm = s_new(arena, &atrium__auth__firm__descriptor);
    (*firm)->id = (*user)->firm_id;
    (*firm)->name = s_val(arena, res, 0, S_USER_NCOLS);
cleanup:
    PQclear(res);
    return st;
}

at_status_t auth_store_login_row(at_db_t *db, at_arena_t *arena, const char *email,
                                 auth_login_row_t *out)
{
    out->user = NULL;
    out->password_hash = NULL;
    const char *p[] = {email};
    PGresult *res = NULL;
    at_status_t st = at_db_one(db,
                               "SELECT " S_USER_COLS ", u.password_hash FROM users u"
                               " WHERE lower(u.email) = lower($1)",
                               1, p, &res);
    if (st != AT_OK)
        goto cleanup;
    out->user = s_user(arena, res, 0, 0);
    out->password_hash = s_val(arena, res, 0, S_USER_NCOLS);
cleanup:
    PQclear(res);
    return st;
}

at_status_t auth_store_set_password_hash(at_db_t *db, const char *user_id, const char *hash)
{
    const char *p[] = {user_id, hash};
    PGresult *res = at_db_query(db, "UPDATE users SET password_hash = $2 WHERE id = $1", 2, p);
    at_status_t st = at_db_status(db, res);
    PQclear(res);
    return st;
}

at_status_t auth_store_user_get(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                const char *user_id, Atrium__Auth__User **user)
{
    *user = NULL;
    const char *p[] = {user_id, firm_id};
    PGresult *res = NULL;
    at_status_t st = at_db_one(db,
                               "SELECT " S_USER_COLS " FROM users u"
                               " WHERE u.id = $1 AND u.firm_id = $2",
                               2, p, &res);
    if (st != AT_OK)
        goto cleanup;
    *user = s_user(arena, res, 0, 0);
cleanup:
    PQclear(res);
    return st;
}

at_status_t auth_store_user_update(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                   const char *user_id, const char *name, const char *time_zone,
                                   Atrium__Auth__User **old, Atrium__Auth__User **user)
{
    *old = *user = NULL;
    const char *p[] = {user_id, firm_id, name, time_zone};
    PGresult *res = NULL;
    at_status_t st = at_db_one(
        db,
        "WITH o AS (SELECT " S_USER_COLS " FROM users u WHERE u.id = $1 AND u.firm_id = $2"
        "  FOR UPDATE),"
        " n AS (UPDATE users u SET name = coalesce($3, u.name),"
        "  time_zone = coalesce($4, u.time_zone), updated_at = clock_timestamp()"
        "  FROM o WHERE u.id = o.id RETURNING " S_USER_COLS ")"
        " SELECT o.*, n.* FROM o, n",
        4, p, &res);
    if (st != AT_OK)
        goto cleanup;
    *old = s_user(arena, res, 0, 0);
    *user = s_user(arena, res, 0, S_USER_NCOLS);
cleanup:
    PQclear(res);
    return st;
}

at_status_t auth_store_time_zone_valid(at_db_t *db, const char *name, bool *valid)
{
    *valid = false;
    const char *p[] = {name};
    PGresult *res = at_db_query(db, "SELECT 1 FROM pg_timezone_names WHERE name = $1", 1, p);
    at_status_t st = at_db_status(db, res);
    if (st == AT_OK)
        *valid = PQntuples(res) > 0;
    PQclear(res);
    return st;
}

at_status_t auth_store_principal(at_db_t *db, at_arena_t *arena, const char *user_id,
                                 Atrium__Principal **out)
{
    *out = NULL;
    PGresult *res = NULL;
    const char *p[] = {user_id};
    res = at_db_query(db,
                      "SELECT u.id, u.firm_id, u.kind, u.role, u.name,"
                      " u.kind = 'staff' AND u.role IN ('owner', 'admin'), u.session_generation"
                      " FROM users u WHERE u.id = $1",
                      1, p);
    at_status_t st = at_db_status(db, res);
    if (st != AT_OK)
        goto cleanup;
    if (PQntuples(res) != 1) {
        st = AT_NOT_FOUND;
        goto cleanup;
    }
    Atrium__Principal *pr = s_new(arena, &atrium__principal__descriptor);
    pr->user_id = s_val(arena, res, 0, 0);
    pr->firm_id = s_val(arena, res, 0, 1);
    pr->kind = s_val(arena, res, 0, 2);
    pr->role = s_val(arena, res, 0, 3);
    pr->name = s_val(arena, res, 0, 4);
    pr->has_all_clients = 1;
    pr->all_clients = strcmp(PQgetvalue(res, 0, 5), "t") == 0;
    pr->has_session_generation = 1;
    pr->session_generation = atoi(PQgetvalue(res, 0, 6));
    PQclear(res);
    const char *q[] = {pr->user_id, pr->firm_id};
    res = at_db_query(db,
                      "SELECT client_id, role FROM memberships"
                      " WHERE user_id = $1 AND firm_id = $2 ORDER BY client_id",
                      2, q);
    st = at_db_status(db, res);
    if (st != AT_OK)
        goto cleanup;
    int n = PQntuples(res);
    pr->n_clients = (size_t) n;
    pr->clients = at_arena_alloc(arena, sizeof *pr->clients * (size_t) (n ? n : 1));
    for (int i = 0; i < n; i++) {
        Atrium__ClientGrant *g = s_new(arena, &atrium__client_grant__descriptor);
        g->client_id = s_val(arena, res, i, 0);
        g->role = s_val(arena, res, i, 1);
        pr->clients[i] = g;
    }
    *out = pr;
cleanup:
    PQclear(res);
    return st;
}

at_status_t auth_store_me_clients(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                  const char *user_id, bool all, int max,
                                  Atrium__Auth__MeClient ***items, size_t *n)
{
    *items = NULL;
    *n = 0;
    char lim[16];
    snprintf(lim, sizeof lim, "%d", max);
    const char *p[] = {firm_id, user_id, all ? "t" : "f", lim};
    PGresult *res = at_db_query(db,
                                "SELECT c.id, c.name, coalesce(m.role, 'staff') FROM clients c"
                                " LEFT JOIN memberships m ON m.client_id = c.id AND m.user_id = $2"
                                " WHERE c.firm_id = $1 AND ($3::boolean OR m.user_id IS NOT NULL)"
                                " ORDER BY c.name, c.id LIMIT $4::int",
                                4, p);
    at_status_t st = at_db_status(db, res);
    if (st != AT_OK)
        goto cleanup;
    int rows = PQntuples(res);
    *items = at_arena_alloc(arena, sizeof **items * (size_t) (rows ? rows : 1));
    for (int i = 0; i < rows; i++) {
        Atrium__Auth__MeClient *c = s_new(arena, &atrium__auth__me_client__descriptor);
        c->id = s_val(arena, res, i, 0);
        c->name = s_val(arena, res, i, 1);
        c->role = s_val(arena, res, i, 2);
        (*items)[i] = c;
    }
    *n = (size_t) rows;
cleanup:
    PQclear(res);
    return st;
}

at_status_t auth_store_clients_list(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                    const char *user_id, bool all, int limit, const char *key,
                                    const char *id, Atrium__Auth__Client ***items, size_t *n,
                                    char **next_cursor)
{
    *items = NULL;
    *n = 0;
    *next_cursor = NULL;
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit + 1);
    const char *p[] = {firm_id, user_id, all ? "t" : "f", key, id, lim};
    PGresult *res = at_db_query(
        db,
        "SELECT " S_CLIENT_COLS
        ", " S_KEY("c.created_at") " FROM clients c"
                                   " WHERE c.firm_id = $1"
                                   " AND ($3::boolean OR EXISTS (SELECT 1 FROM memberships m"
                                   "      WHERE m.client_id = c.id AND m.user_id = $2))"
                                   " AND ($4::timestamptz IS NULL OR (c.created_at, c.id) < "
                                   "($4::timestamptz, $5::uuid))"
                                   " ORDER BY c.created_at DESC, c.id DESC LIMIT $6::int",
        6, p);
    at_status_t st = at_db_status(db, res);
    if (st != AT_OK)
        goto cleanup;
    int rows = PQntuples(res);
    int take = rows > limit ? limit : rows;
    *items = at_arena_alloc(arena, sizeof **items * (size_t) (take ? take : 1));
    for (int i = 0; i < take; i++)
        (*items)[i] = s_client(arena, res, i);
    *n = (size_t) take;
    if (rows > limit && take > 0)
        *next_cursor = at_cursor_encode(arena, at_db_value(res, take - 1, S_CLIENT_NCOLS),
                                        at_db_value(res, take - 1, 0));
cleanup:
    PQclear(res);
    return st;
}

at_status_t auth_store_client_create(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                     const char *name, const Atrium__Auth__ExternalRefs *refs,
                                     Atrium__Auth__Client **client)
{
    *client = NULL;
    char *set = NULL, *del = NULL;
    s_refs_params(refs, &set, &del);
    const char *p[] = {firm_id, name, set};
    PGresult *res = at_db_query(db,
                                "INSERT INTO clients AS c (firm_id, name, external_refs)"
                                " VALUES ($1, $2, $3::jsonb) RETURNING " S_CLIENT_COLS,
                                3, p);
    at_status_t st = at_db_status(db, res);
    if (st != AT_OK)
        goto cleanup;
    if (PQntuples(res) != 1) {
        st = AT_INTERNAL;
        goto cleanup;
    }
    *client = s_client(arena, res, 0);
cleanup:
    PQclear(res);
    free(set);
    free(del);
    return st;
}

at_status_t auth_store_client_get(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                  const char *client_id, Atrium__Auth__Client **client)
{
    *client = NULL;
    const char *p[] = {client_id, firm_id};
    PGresult *res = NULL;
    at_status_t st = at_db_one(db,
                               "SELECT " S_CLIENT_COLS " FROM clients c"
                               " WHERE c.id = $1 AND c.firm_id = $2",
                               2, p, &res);
    if (st != AT_OK)
        goto cleanup;
    *client = s_client(arena, res, 0);
cleanup:
    PQclear(res);
    return st;
}

at_status_t auth_store_client_update(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                     const char *client_id, const char *name,
                                     const Atrium__Auth__ExternalRefs *refs,
                                     Atrium__Auth__Client **client, char **old_name)
{
    *client = NULL;
    *old_name = NULL;
    char *set = NULL, *del = NULL;
    s_refs_params(refs, &set, &del);
    const char *p[] = {client_id, firm_id, name, set, del};
    PGresult *res = NULL;
    at_status_t st = at_db_one(
        db,
        "WITH o AS (SELECT id, name FROM clients WHERE id = $1 AND firm_id = $2 FOR UPDATE)"
        " UPDATE clients c SET name = coalesce($3, c.name),"
        "  external_refs = (c.external_refs || $4::jsonb)"
        "   - ARRAY(SELECT jsonb_array_elements_text($5::jsonb))"
        " FROM o WHERE c.id = o.id RETURNING " S_CLIENT_COLS ", o.name",
        5, p, &res);
    if (st != AT_OK)
        goto cleanup;
    *client = s_client(arena, res, 0);
    *old_name = s_val(arena, res, 0, S_CLIENT_NCOLS);
cleanup:
    PQclear(res);
    free(set);
    free(del);
    return st;
}

at_status_t auth_store_members_list(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                    const char *client_id, int limit, const char *key,
                                    const char *id, Atrium__Auth__Member ***items, size_t *n,
                                    char **next_cursor)
{
    *items = NULL;
    *n = 0;
    *next_cursor = NULL;
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit + 1);
    const char *p[] = {firm_id, client_id, key, id, lim};
    PGresult *res =
        at_db_query(db,
                    "SELECT u.id, u.name, u.email, u.kind, m.role, " S_KEY(
                        "m.created_at") " FROM memberships m JOIN users u ON u.id = m.user_id AND "
                                        "u.firm_id = m.firm_id"
                                        " WHERE m.firm_id = $1 AND m.client_id = $2"
                                        " AND ($3::timestamptz IS NULL OR (m.created_at, "
                                        "m.user_id) < ($3::timestamptz, $4::uuid))"
                                        " ORDER BY m.created_at DESC, m.user_id DESC LIMIT $5::int",
                    5, p);
    at_status_t st = at_db_status(db, res);
    if (st != AT_OK)
        goto cleanup;
    int rows = PQntuples(res);
    int take = rows > limit ? limit : rows;
    *items = at_arena_alloc(arena, sizeof **items * (size_t) (take ? take : 1));
    for (int i = 0; i < take; i++) {
        Atrium__Auth__Member *m = s_new(arena, &atrium__auth__member__descriptor);
        m->user_id = s_val(arena, res, i, 0);
        m->name = s_val(arena, res, i, 1);
        m->email = s_val(arena, res, i, 2);
        m->kind = s_val(arena, res, i, 3);
        m->role = s_val(arena, res, i, 4);
        (*items)[i] = m;
    }
    *n = (size_t) take;
    if (rows > limit && take > 0)
        *next_cursor =
            at_cursor_encode(arena, at_db_value(res, take - 1, 5), at_db_value(res, take - 1, 0));
cleanup:
    PQclear(res);
    return st;
}

/* -- members ------------------------------------------------------------- */

#define S_MEMBER_NCOLS 5

static Atrium__Auth__Member *s_member(at_arena_t *arena, PGresult *res, int r)
{
    Atrium__Auth__Member *m = s_new(arena, &atrium__auth__member__descriptor);
    m->user_id = s_val(arena, res, r, 0);
    m->name = s_val(arena, res, r, 1);
    m->email = s_val(arena, res, r, 2);
    m->kind = s_val(arena, res, r, 3);
    m->role = s_val(arena, res, r, 4);
    return m;
}

at_status_t auth_store_member_get(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                  const char *client_id, const char *user_id,
                                  Atrium__Auth__Member **member)
{
    *member = NULL;
    const char *p[] = {firm_id, client_id, user_id};
    PGresult *res = NULL;
    at_status_t st = at_db_one(db,
                               "SELECT u.id, u.name, u.email, u.kind, m.role FROM memberships m"
                               " JOIN users u ON u.id = m.user_id AND u.firm_id = m.firm_id"
                               " WHERE m.firm_id = $1 AND m.client_id = $2 AND m.user_id = $3",
                               3, p, &res);
    if (st != AT_OK)
        goto cleanup;
    *member = s_member(arena, res, 0);
cleanup:
    PQclear(res);
    return st;
}

at_status_t auth_store_member_set(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                  const char *client_id, const char *user_id, const char *role,
                                  Atrium__Auth__Member **member, char **old_role)
{
    *member = NULL;
    *old_role = NULL;
    const char *p[] = {firm_id, client_id, user_id, role};
    PGresult *res =
        at_db_query(db,
                    /* o reads the snapshot (no FOR UPDATE: o runs when the SELECT asks,
         * after n, and a row this command changed is not lockable by it);
         * ON CONFLICT DO UPDATE locks the row */
                    "WITH o AS (SELECT role FROM memberships"
                    "  WHERE firm_id = $1 AND client_id = $2 AND user_id = $3),"
                    " n AS (INSERT INTO memberships (client_id, user_id, firm_id, role)"
                    "  VALUES ($2, $3, $1, $4) ON CONFLICT (client_id, user_id)"
                    "  DO UPDATE SET role = EXCLUDED.role RETURNING user_id, role)"
                    " SELECT u.id, u.name, u.email, u.kind, n.role, (SELECT role FROM o)"
                    " FROM n JOIN users u ON u.id = n.user_id",
                    4, p);
    at_status_t st = at_db_status(db, res);
    if (st != AT_OK)
        goto cleanup;
    if (PQntuples(res) != 1) {
        st = AT_INTERNAL;
        goto cleanup;
    }
    *member = s_member(arena, res, 0);
    *old_role = s_val(arena, res, 0, S_MEMBER_NCOLS);
cleanup:
    PQclear(res);
    return st;
}

at_status_t auth_store_member_delete(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                     const char *client_id, const char *user_id,
                                     Atrium__Auth__Member **removed)
{
    *removed = NULL;
    const char *p[] = {firm_id, client_id, user_id};
    PGresult *res = NULL;
    at_status_t st = at_db_one(
        db,
        "WITH d AS (DELETE FROM memberships"
        "  WHERE firm_id = $1 AND client_id = $2 AND user_id = $3 RETURNING user_id, role)"
        " SELECT u.id, u.name, u.email, u.kind, d.role FROM d JOIN users u ON u.id = d.user_id",
        3, p, &res);
    if (st != AT_OK)
        goto cleanup;
    *removed = s_member(arena, res, 0);
cleanup:
    PQclear(res);
    return st;
}

at_status_t auth_store_staff_list(at_db_t *db, at_arena_t *arena, const char *firm_id, int limit,
                                  const char *key, const char *id, Atrium__Auth__User ***items,
                                  size_t *n, char **next_cursor)
{
    *items = NULL;
    *n = 0;
    *next_cursor = NULL;
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit + 1);
    const char *p[] = {firm_id, key, id, lim};
    PGresult *res = at_db_query(
        db,
        "SELECT " S_USER_COLS
        ", " S_KEY("u.created_at") " FROM users u"
                                   " WHERE u.firm_id = $1 AND u.kind = 'staff'"
                                   " AND ($2::timestamptz IS NULL OR (u.created_at, u.id) < "
                                   "($2::timestamptz, $3::uuid))"
                                   " ORDER BY u.created_at DESC, u.id DESC LIMIT $4::int",
        4, p);
    at_status_t st = at_db_status(db, res);
    if (st != AT_OK)
        goto cleanup;
    int rows = PQntuples(res);
    int take = rows > limit ? limit : rows;
    *items = at_arena_alloc(arena, sizeof **items * (size_t) (take ? take : 1));
    for (int i = 0; i < take; i++)
        (*items)[i] = s_user(arena, res, i, 0);
    *n = (size_t) take;
    if (rows > limit && take > 0)
        *next_cursor = at_cursor_encode(arena, at_db_value(res, take - 1, S_USER_NCOLS),
                                        at_db_value(res, take - 1, 0));
cleanup:
    PQclear(res);
    return st;
}

/* -- invitations ----------------------------------------------------------- */

at_status_t auth_store_email_taken(at_db_t *db, const char *email, bool *taken)
{
    *taken = false;
    const char *p[] = {email};
    PGresult *res = at_db_query(db, "SELECT 1 FROM users WHERE lower(email) = lower($1)", 1, p);
    at_status_t st = at_db_status(db, res);
    if (st == AT_OK)
        *taken = PQntuples(res) > 0;
    PQclear(res);
    return st;
}

at_status_t auth_store_invitation_create(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                         const char *invited_by, const char *token_hash,
                                         const char *email, const char *kind, const char *role,
                                         const char *client_id, int ttl_s,
                                         Atrium__Auth__Invitation **out)
{
    *out = NULL;
    char ttl[16];
    snprintf(ttl, sizeof ttl, "%d", ttl_s);
    const char *p[] = {firm_id, invited_by, token_hash, email, kind, role, client_id, ttl};
    PGresult *res = at_db_query(
        db,
        "INSERT INTO invitations (firm_id, invited_by, token_hash, email, kind, role, client_id,"
        "  expires_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7,"
        "  clock_timestamp() + make_interval(secs => $8::int))"
        " RETURNING id, email, kind, role, client_id, " S_TS("expires_at"),
        8, p);
    at_status_t st = at_db_status(db, res);
    if (st != AT_OK)
        goto cleanup;
    if (PQntuples(res) != 1) {
        st = AT_INTERNAL;
        goto cleanup;
    }
    Atrium__Auth__Invitation *inv = s_new(arena, &atrium__auth__invitation__descriptor);
    inv->id = s_val(arena, res, 0, 0);
    inv->email = s_val(arena, res, 0, 1);
    inv->kind = s_val(arena, res, 0, 2);
    inv->role = s_val(arena, res, 0, 3);
    inv->client_id = s_val(arena, res, 0, 4);
    inv->expires_at = s_val(arena, res, 0, 5);
    *out = inv;
cleanup:
    PQclear(res);
    return st;
}

at_status_t auth_store_invitation_info(at_db_t *db, at_arena_t *arena, const char *token_hash,
                                       Atrium__Auth__InvitationInfo **info, bool *usable)
{
    *info = NULL;
    *usable = false;
    const char *p[] = {token_hash};
    PGresult *res = NULL;
    at_status_t st = at_db_one(
        db,
        "SELECT i.email, f.name, c.name, i.kind, " S_TS(
            "i.expires_at") ","
                            " i.accepted_at IS NULL AND i.expires_at > clock_timestamp()"
                            " FROM invitations i JOIN firms f ON f.id = i.firm_id"
                            " LEFT JOIN clients c ON c.id = i.client_id AND c.firm_id = i.firm_id"
                            " WHERE i.token_hash = $1",
        1, p, &res);
    if (st != AT_OK)
        goto cleanup;
    Atrium__Auth__InvitationInfo *in = s_new(arena, &atrium__auth__invitation_info__descriptor);
    in->email = s_val(arena, res, 0, 0);
    in->firm_name = s_val(arena, res, 0, 1);
    in->client_name = s_val(arena, res, 0, 2);
    in->kind = s_val(arena, res, 0, 3);
    in->expires_at = s_val(arena, res, 0, 4);
    *usable = strcmp(PQgetvalue(res, 0, 5), "t") == 0;
    *info = in;
cleanup:
    PQclear(res);
    return st;
}

at_status_t auth_store_invitation_accept(at_db_t *db, at_arena_t *arena, const char *token_hash,
                                         const char *name, const char *password_hash,
                                         Atrium__Auth__User **user, auth_accepted_t *accepted)
{
    *user = NULL;
    memset(accepted, 0, sizeof *accepted);
    const char *p[] = {token_hash, name, password_hash};
    PGresult *res = at_db_query(
        db,
        "WITH i AS (UPDATE invitations SET accepted_at = clock_timestamp()"
        "  WHERE token_hash = $1 AND accepted_at IS NULL AND expires_at > clock_timestamp()"
        "  RETURNING id, firm_id, email, kind, role, client_id),"
        " u AS (INSERT INTO users (firm_id, email, name, password_hash, kind, role)"
        "  SELECT i.firm_id, i.email, $2, $3, i.kind,"
        "   CASE WHEN i.kind = 'staff' THEN i.role END FROM i RETURNING *),"
        " m AS (INSERT INTO memberships (client_id, user_id, firm_id, role)"
        "  SELECT i.client_id, u.id, u.firm_id,"
        "   CASE WHEN i.kind = 'staff' THEN 'staff' ELSE i.role END"
        "  FROM i, u WHERE i.client_id IS NOT NULL RETURNING role)"
        " SELECT " S_USER_COLS ", i.id, i.client_id, (SELECT role FROM m), c.name"
        " FROM u, i LEFT JOIN clients c ON c.id = i.client_id",
        3, p);
    at_status_t st = at_db_status(db, res);
    if (st != AT_OK)
        goto cleanup;
    if (PQntuples(res) != 1) {
        st = AT_GONE;
        goto cleanup;
    }
    *user = s_user(arena, res, 0, 0);
    accepted->invitation_id = s_val(arena, res, 0, S_USER_NCOLS);
    accepted->client_id = s_val(arena, res, 0, S_USER_NCOLS + 1);
    accepted->client_role = s_val(arena, res, 0, S_USER_NCOLS + 2);
    accepted->client_name = s_val(arena, res, 0, S_USER_NCOLS + 3);
    PQclear(res);
    const char *q[] = {accepted->invitation_id, (*user)->id};
    res = at_db_query(db, "UPDATE invitations SET accepted_by = $2 WHERE id = $1", 2, q);
    st = at_db_status(db, res);
cleanup:
    PQclear(res);
    return st;
}

/* -- passwords and session generations -------------------------------------- */

at_status_t auth_store_password_hash_get(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                         const char *user_id, char **hash)
{
    *hash = NULL;
    const char *p[] = {user_id, firm_id};
    PGresult *res =
        at_db_query(db, "SELECT password_hash FROM users WHERE id = $1 AND firm_id = $2", 2, p);
    at_status_t st = at_db_status(db, res);
    if (st != AT_OK)
        goto cleanup;
    if (PQntuples(res) != 1) {
        st = AT_NOT_FOUND;
        goto cleanup;
    }
    *hash = s_val(arena, res, 0, 0);
cleanup:
    PQclear(res);
    return st;
}

at_status_t auth_store_password_change(at_db_t *db, const char *firm_id, const char *user_id,
                                       const char *hash, int *generation)
{
    *generation = 0;
    const char *p[] = {user_id, firm_id, hash};
    PGresult *res = NULL;
    at_status_t st = at_db_one(db,
                               "UPDATE users SET password_hash = $3,"
                               " session_generation = session_generation + 1,"
                               " updated_at = clock_timestamp()"
                               " WHERE id = $1 AND firm_id = $2 RETURNING session_generation",
                               3, p, &res);
    if (st != AT_OK)
        goto cleanup;
    *generation = atoi(PQgetvalue(res, 0, 0));
cleanup:
    PQclear(res);
    return st;
}

/* -- TOTP MFA --------------------------------------------------------------- */

at_status_t auth_store_mfa_get(at_db_t *db, at_arena_t *arena, const char *firm_id,
                               const char *user_id, Atrium__Auth__User **user, char **sealed)
{
    *user = NULL;
    *sealed = NULL;
    const char *p[] = {user_id, firm_id};
    PGresult *res = NULL;
    at_status_t st = at_db_one(db,
                               "SELECT " S_USER_COLS ", u.totp_secret FROM users u"
                               " WHERE u.id = $1 AND u.firm_id = $2",
                               2, p, &res);
    if (st != AT_OK)
        goto cleanup;
    *user = s_user(arena, res, 0, 0);
    *sealed = s_val(arena, res, 0, S_USER_NCOLS);
cleanup:
    PQclear(res);
    return st;
}

/* Runs an UPDATE ... RETURNING of one row: AT_OK when it touched one,
 * otherwise none_st. */
static at_status_t s_update_one(at_db_t *db, const char *sql, int n, const char *const *p,
                                at_status_t none_st)
{
    PGresult *res = at_db_query(db, sql, n, p);
    at_status_t st = at_db_status(db, res);
    if (st == AT_OK && PQntuples(res) != 1)
        st = none_st;
    PQclear(res);
    return st;
}

at_status_t auth_store_totp_set_pending(at_db_t *db, const char *firm_id, const char *user_id,
                                        const char *sealed)
{
    const char *p[] = {user_id, firm_id, sealed};
    return s_update_one(db,
                        "UPDATE users SET totp_secret = $3, updated_at = clock_timestamp()"
                        " WHERE id = $1 AND firm_id = $2 AND NOT mfa_enabled RETURNING id",
                        3, p, AT_CONFLICT);
}

at_status_t auth_store_totp_use_step(at_db_t *db, const char *firm_id, const char *user_id,
                                     int64_t step, bool enable)
{
    char step_text[24];
    snprintf(step_text, sizeof step_text, "%lld", (long long) step);
    const char *p[] = {user_id, firm_id, step_text, enable ? "t" : "f"};
    return s_update_one(db,
                        "UPDATE users SET totp_last_step = $3::bigint,"
                        " mfa_enabled = mfa_enabled OR $4::boolean, updated_at = clock_timestamp()"
                        " WHERE id = $1 AND firm_id = $2 AND totp_secret IS NOT NULL"
                        " AND totp_last_step < $3::bigint RETURNING id",
                        4, p, AT_CONFLICT);
}

at_status_t auth_store_recovery_replace(at_db_t *db, const char *firm_id, const char *user_id,
                                        char hashes[][65], size_t n)
{
    /* a text[] literal: the hashes are hex, nothing to quote */
    char *arr = malloc(n * 65 + 3);
    if (!arr)
        abort();
    size_t len = 0;
    arr[len++] = '{';
    for (size_t i = 0; i < n; i++) {
        if (i)
            arr[len++] = ',';
        memcpy(arr + len, hashes[i], 64);
        len += 64;
    }
    arr[len++] = '}';
    arr[len] = 0;
    const char *p[] = {user_id, firm_id, arr};
    /* two statements: a data-modifying CTE would not see its own delete */
    PGresult *res =
        at_db_query(db, "DELETE FROM recovery_codes WHERE user_id = $1 AND firm_id = $2", 2, p);
    at_status_t st = at_db_status(db, res);
    PQclear(res);
    res = NULL;
    if (st != AT_OK)
        goto cleanup;
    res = at_db_query(db,
                      "INSERT INTO recovery_codes (user_id, firm_id, code_hash)"
                      " SELECT $1, $2, unnest($3::text[])",
                      3, p);
    st = at_db_status(db, res);
cleanup:
    PQclear(res);
    free(arr);
    return st;
}

at_status_t auth_store_recovery_use(at_db_t *db, const char *firm_id, const char *user_id,
                                    const char *hash, int *left)
{
    *left = 0;
    const char *p[] = {user_id, firm_id, hash};
    PGresult *res =
        at_db_query(db,
                    "WITH u AS (UPDATE recovery_codes SET used_at = clock_timestamp()"
                    "  WHERE user_id = $1 AND firm_id = $2 AND code_hash = $3"
                    "  AND used_at IS NULL RETURNING code_hash)"
                    " SELECT (SELECT count(*) FROM recovery_codes r WHERE r.user_id = $1"
                    "  AND r.used_at IS NULL AND r.code_hash NOT IN (SELECT * FROM u))"
                    " FROM u",
                    3, p);
    at_status_t st = at_db_status(db, res);
    if (st != AT_OK)
        goto cleanup;
    if (PQntuples(res) != 1) {
        st = AT_NOT_FOUND;
        goto cleanup;
    }
    *left = atoi(PQgetvalue(res, 0, 0));
cleanup:
    PQclear(res);
    return st;
}

at_status_t auth_store_mfa_disable(at_db_t *db, const char *firm_id, const char *user_id,
                                   bool *was_on)
{
    *was_on = false;
    const char *p[] = {user_id, firm_id};
    PGresult *res = NULL;
    at_status_t st = at_db_one(db,
                               "WITH d AS (DELETE FROM recovery_codes WHERE user_id = $1"
                               "  AND firm_id = $2),"
                               " old AS (SELECT mfa_enabled FROM users WHERE id = $1"
                               "  AND firm_id = $2 FOR UPDATE)"
                               " UPDATE users u SET mfa_enabled = false, totp_secret = NULL,"
                               "  updated_at = clock_timestamp() FROM old"
                               " WHERE u.id = $1 AND u.firm_id = $2 RETURNING old.mfa_enabled",
                               2, p, &res);
    if (st != AT_OK)
        goto cleanup;
    *was_on = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
cleanup:
    PQclear(res);
    return st;
}

/* -- personal API tokens ------------------------------------------------------ */

#define S_TOKEN_COLS "t.id, t.name, " S_TS("t.created_at") ", " S_TS("t.last_used_at")

static Atrium__Auth__ApiToken *s_token(at_arena_t *arena, PGresult *res, int r)
{
    Atrium__Auth__ApiToken *t = s_new(arena, &atrium__auth__api_token__descriptor);
    t->id = s_val(arena, res, r, 0);
    t->name = s_val(arena, res, r, 1);
    t->created_at = s_val(arena, res, r, 2);
    t->last_used_at = s_val(arena, res, r, 3);
    return t;
}

at_status_t auth_store_token_create(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                    const char *user_id, const char *name, const char *token_hash,
                                    Atrium__Auth__ApiToken **out)
{
    *out = NULL;
    char max[16];
    snprintf(max, sizeof max, "%d", AUTH_TOKENS_MAX);
    const char *p[] = {user_id, firm_id, name, token_hash, max};
    /* the user's row is locked so two creates cannot both pass the cap */
    PGresult *res = at_db_query(db,
                                "WITH u AS (SELECT id FROM users WHERE id = $1 AND firm_id = $2"
                                "  FOR UPDATE)"
                                " INSERT INTO api_tokens AS t (firm_id, user_id, name, token_hash)"
                                " SELECT $2, u.id, $3, $4 FROM u"
                                " WHERE (SELECT count(*) FROM api_tokens x WHERE x.user_id = $1)"
                                "  < $5::int"
                                " RETURNING " S_TOKEN_COLS,
                                5, p);
    at_status_t st = at_db_status(db, res);
    if (st != AT_OK)
        goto cleanup;
    if (PQntuples(res) != 1) {
        st = AT_CONFLICT;
        goto cleanup;
    }
    *out = s_token(arena, res, 0);
cleanup:
    PQclear(res);
    return st;
}

at_status_t auth_store_tokens_list(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                   const char *user_id, Atrium__Auth__ApiToken ***items, size_t *n)
{
    *items = NULL;
    *n = 0;
    const char *p[] = {user_id, firm_id};
    PGresult *res = at_db_query(db,
                                "SELECT " S_TOKEN_COLS " FROM api_tokens t"
                                " WHERE t.user_id = $1 AND t.firm_id = $2"
                                " ORDER BY t.created_at DESC, t.id DESC",
                                2, p);
    at_status_t st = at_db_status(db, res);
    if (st != AT_OK)
        goto cleanup;
    int rows = PQntuples(res);
    *items = at_arena_alloc(arena, (size_t) (rows ? rows : 1) * sizeof **items);
    for (int r = 0; r < rows; r++)
        (*items)[r] = s_token(arena, res, r);
    *n = (size_t) rows;
cleanup:
    PQclear(res);
    return st;
}

at_status_t auth_store_token_delete(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                    const char *user_id, const char *id, char **token_hash)
{
    *token_hash = NULL;
    const char *p[] = {user_id, firm_id, id};
    PGresult *res = NULL;
    at_status_t st = at_db_one(db,
                               "DELETE FROM api_tokens WHERE user_id = $1 AND firm_id = $2"
                               " AND id = $3::uuid RETURNING token_hash",
                               3, p, &res);
    if (st != AT_OK)
        goto cleanup;
    *token_hash = s_val(arena, res, 0, 0);
cleanup:
    PQclear(res);
    return st;
}

at_status_t auth_store_token_auth(at_db_t *db, at_arena_t *arena, const char *token_hash,
                                  Atrium__Auth__TokenAuthReply **out)
{
    *out = NULL;
    const char *p[] = {token_hash};
    PGresult *res = NULL;
    at_status_t st = at_db_one(db,
                               "UPDATE api_tokens SET last_used_at = clock_timestamp()"
                               " WHERE token_hash = $1 RETURNING user_id, firm_id, id",
                               1, p, &res);
    if (st != AT_OK)
        goto cleanup;
    *out = s_new(arena, &atrium__auth__token_auth_reply__descriptor);
    (*out)->user_id = s_val(arena, res, 0, 0);
    (*out)->firm_id = s_val(arena, res, 0, 1);
    (*out)->token_id = s_val(arena, res, 0, 2);
cleanup:
    PQclear(res);
    return st;
}

/* -- mail outbox and password reset ------------------------------------------- */

at_status_t auth_store_mail_queue(at_db_t *db, const char *to_addr, const char *to_name,
                                  const char *subject, const char *body)
{
    const char *p[] = {to_addr, to_name, subject, body};
    PGresult *res = at_db_query(db,
                                "INSERT INTO mail_outbox (to_addr, to_name, subject, body)"
                                " VALUES ($1, $2, $3, $4)",
                                4, p);
    at_status_t st = at_db_status(db, res);
    PQclear(res);
    return st;
}

at_status_t auth_store_mail_claim(at_db_t *db, at_arena_t *arena, int max_attempts,
                                  auth_mail_row_t *out)
{
    memset(out, 0, sizeof *out);
    char max[16];
    snprintf(max, sizeof max, "%d", max_attempts);
    const char *p[] = {max};
    PGresult *res = NULL;
    at_status_t st = at_db_one(db,
                               "UPDATE mail_outbox SET attempts = attempts + 1,"
                               " next_attempt_at = clock_timestamp()"
                               "   + interval '30 seconds' * power(2, least(attempts, 10))"
                               " WHERE id = (SELECT id FROM mail_outbox WHERE sent_at IS NULL"
                               "   AND attempts < $1::int AND next_attempt_at <= clock_timestamp()"
                               "   ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)"
                               " RETURNING id, to_addr, to_name, subject, body,"
                               "   extract(epoch FROM created_at)::bigint, attempts",
                               1, p, &res);
    if (st != AT_OK)
        return st;
    out->id = s_val(arena, res, 0, 0);
    out->to_addr = s_val(arena, res, 0, 1);
    out->to_name = s_val(arena, res, 0, 2);
    out->subject = s_val(arena, res, 0, 3);
    out->body = s_val(arena, res, 0, 4);
    out->created_at = atoll(PQgetvalue(res, 0, 5));
    out->attempts = atoi(PQgetvalue(res, 0, 6));
    PQclear(res);
    return AT_OK;
}

at_status_t auth_store_mail_done(at_db_t *db, const char *id, const char *error)
{
    const char *p[] = {id, error};
    PGresult *res = at_db_query(db,
                                error ? "UPDATE mail_outbox SET last_error = left($2, 1000)"
                                        " WHERE id = $1"
                                      : "UPDATE mail_outbox SET sent_at = clock_timestamp(),"
                                        " last_error = NULL, body = '' WHERE id = $1",
                                error ? 2 : 1, p);
    at_status_t st = at_db_status(db, res);
    PQclear(res);
    return st;
}

at_status_t auth_store_reset_create(at_db_t *db, at_arena_t *arena, const char *email,
                                    const char *token_hash, int ttl_s, Atrium__Auth__User **user)
{
    *user = NULL;
    char ttl[16];
    snprintf(ttl, sizeof ttl, "%d", ttl_s);
    const char *p[] = {email, token_hash, ttl};
    PGresult *res = NULL;
    at_status_t st = at_db_one(db,
                               "WITH u AS (SELECT * FROM users WHERE lower(email) = lower($1)),"
                               " r AS (INSERT INTO password_resets (firm_id, user_id, token_hash,"
                               "   expires_at) SELECT firm_id, id, $2,"
                               "   clock_timestamp() + make_interval(secs => $3::int) FROM u)"
                               " SELECT " S_USER_COLS " FROM u",
                               3, p, &res);
    if (st != AT_OK)
        goto cleanup;
    *user = s_user(arena, res, 0, 0);
cleanup:
    PQclear(res);
    return st;
}

at_status_t auth_store_reset_consume(at_db_t *db, at_arena_t *arena, const char *token_hash,
                                     char **user_id, char **firm_id)
{
    *user_id = *firm_id = NULL;
    const char *p[] = {token_hash};
    PGresult *res = at_db_query(db,
                                "WITH r AS (UPDATE password_resets SET used_at = clock_timestamp()"
                                "   WHERE token_hash = $1 AND used_at IS NULL"
                                "   AND expires_at > clock_timestamp()"
                                "   RETURNING firm_id, user_id),"
                                " o AS (UPDATE password_resets x SET used_at = clock_timestamp()"
                                "   FROM r WHERE x.user_id = r.user_id AND x.used_at IS NULL"
                                "   AND x.token_hash <> $1)"
                                " SELECT user_id, firm_id FROM r",
                                1, p);
    at_status_t st = at_db_status(db, res);
    if (st != AT_OK)
        goto cleanup;
    if (PQntuples(res) != 1) {
        st = AT_GONE;
        goto cleanup;
    }
    *user_id = s_val(arena, res, 0, 0);
    *firm_id = s_val(arena, res, 0, 1);
cleanup:
    PQclear(res);
    return st;
}

/* -- firm security settings ----------------------------------------------------- */

at_status_t auth_store_security_get(at_db_t *db, const char *firm_id, bool *require_mfa,
                                    int *idle_minutes, int *max_hours)
{
    *require_mfa = false;
    *idle_minutes = *max_hours = 0;
    const char *p[] = {firm_id};
    PGresult *res = NULL;
    at_status_t st = at_db_one(db,
                               "SELECT require_mfa_for_staff, coalesce(session_idle_minutes, 0),"
                               " coalesce(session_max_hours, 0) FROM firms WHERE id = $1",
                               1, p, &res);
    if (st != AT_OK)
        return st;
    *require_mfa = PQgetvalue(res, 0, 0)[0] == 't';
    *idle_minutes = atoi(PQgetvalue(res, 0, 1));
    *max_hours = atoi(PQgetvalue(res, 0, 2));
    PQclear(res);
    return AT_OK;
}

at_status_t auth_store_security_set(at_db_t *db, const char *firm_id, bool require_mfa,
                                    int idle_minutes, int max_hours)
{
    char idle[16], max[16];
    snprintf(idle, sizeof idle, "%d", idle_minutes);
    snprintf(max, sizeof max, "%d", max_hours);
    const char *p[] = {firm_id, require_mfa ? "true" : "false", idle, max};
    PGresult *res = NULL;
    at_status_t st = at_db_one(db,
                               "UPDATE firms SET require_mfa_for_staff = $2::boolean,"
                               " session_idle_minutes = $3::int, session_max_hours = $4::int"
                               " WHERE id = $1 RETURNING id",
                               4, p, &res);
    PQclear(res);
    return st;
}

at_status_t auth_store_note_login(at_db_t *db, const char *user_id, int64_t *prev_ms)
{
    *prev_ms = 0;
    const char *p[] = {user_id};
    PGresult *res = NULL;
    /* o is read under the row lock before the update: the login before */
    at_status_t st = at_db_one(db,
                               "UPDATE users u SET last_login_at = clock_timestamp()"
                               " FROM (SELECT id, last_login_at FROM users WHERE id = $1"
                               "  FOR UPDATE) o WHERE u.id = o.id"
                               " RETURNING (extract(epoch FROM o.last_login_at) * 1000)::bigint",
                               1, p, &res);
    if (st == AT_OK && !PQgetisnull(res, 0, 0))
        *prev_ms = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return st;
}

at_status_t auth_store_last_login(at_db_t *db, const char *user_id, int64_t *ms)
{
    *ms = 0;
    const char *p[] = {user_id};
    PGresult *res = NULL;
    at_status_t st = at_db_one(
        db, "SELECT (extract(epoch FROM last_login_at) * 1000)::bigint FROM users WHERE id = $1", 1,
        p, &res);
    if (st == AT_OK && !PQgetisnull(res, 0, 0))
        *ms = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return st;
}

at_status_t auth_store_branding_get(at_db_t *db, at_arena_t *arena, const char *firm_id,
                                    auth_branding_row_t *out)
{
    memset(out, 0, sizeof *out);
    const char *p[] = {firm_id};
    PGresult *res = NULL;
    /* without a firm id: the only firm, so a single-firm installation shows
     * its branding before login and a multi-firm one names none */
    at_status_t st = at_db_one(db,
                               "SELECT portal_name, primary_color, logo_url, labels::text,"
                               " array_to_json(dashboard_sections)::text FROM firms"
                               " WHERE CASE WHEN $1::uuid IS NOT NULL THEN id = $1::uuid"
                               "  ELSE (SELECT count(*) FROM firms) = 1 END",
                               1, p, &res);
    if (st != AT_OK)
        return st;
    out->portal_name = at_arena_strdup(arena, at_db_value(res, 0, 0));
    out->primary_color = at_arena_strdup(arena, at_db_value(res, 0, 1));
    out->logo_url = at_arena_strdup(arena, at_db_value(res, 0, 2));
    out->labels = at_arena_strdup(arena, at_db_value(res, 0, 3));
    out->sections = at_arena_strdup(arena, at_db_value(res, 0, 4));
    PQclear(res);
    return AT_OK;
}

at_status_t auth_store_branding_set(at_db_t *db, const char *firm_id, const auth_branding_row_t *b)
{
    const char *p[] = {firm_id,     b->portal_name, b->primary_color,
                       b->logo_url, b->labels,      b->sections};
    PGresult *res = NULL;
    at_status_t st =
        at_db_one(db,
                  "UPDATE firms SET portal_name = $2, primary_color = $3, logo_url = $4,"
                  " labels = coalesce($5::jsonb, '{}'),"
                  " dashboard_sections = (SELECT array_agg(e ORDER BY i)"
                  "  FROM json_array_elements_text($6::json) WITH ORDINALITY AS t(e, i))"
                  " WHERE id = $1 RETURNING id",
                  6, p, &res);
    PQclear(res);
    return st;
}
