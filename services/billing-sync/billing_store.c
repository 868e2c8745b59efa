/* billing_store: the billing schema's statements. Bulk writes take one JSON
 * array per page and go through jsonb_to_recordset, so a page of 1,000
 * invoices is one statement and an unchanged record is never rewritten. */
#include "billing_store.h"
#include "at_cursor.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

static char *s_val(at_ctx_t *ctx, PGresult *res, int r, int c)
{
    return PQgetisnull(res, r, c) ? NULL : at_arena_strdup(ctx->arena, PQgetvalue(res, r, c));
}

/* Invoice columns, in the order s_invoice reads them. The status is derived
 * when read, so an invoice turns overdue without a sync. */
#define S_INVOICE_COLS                                                                     \
    "i.id, i.number, to_char(i.issued_on, 'YYYY-MM-DD'), to_char(i.due_on, 'YYYY-MM-DD')," \
    " i.total, i.balance, i.currency,"                                                     \
    " CASE WHEN i.voided THEN 'void'"                                                      \
    "      WHEN i.balance::numeric = 0 AND i.total::numeric > 0 THEN 'paid'"               \
    "      WHEN i.balance::numeric > 0 AND i.due_on < current_date THEN 'overdue'"         \
    "      ELSE 'open' END AS status,"                                                     \
    " i.pay_url, c.client_id, " S_TS("i.synced_at") ", coalesce(i.issued_on, '0001-01-01')::text"

static Atrium__Billing__Invoice *s_invoice(at_ctx_t *ctx, PGresult *res, int r)
{
    Atrium__Billing__Invoice *inv = at_msg_new(ctx, &atrium__billing__invoice__descriptor);
    inv->id = s_val(ctx, res, r, 0);
    inv->number = s_val(ctx, res, r, 1);
    inv->issued_on = s_val(ctx, res, r, 2);
    inv->due_on = s_val(ctx, res, r, 3);
    inv->total = s_val(ctx, res, r, 4);
    inv->balance = s_val(ctx, res, r, 5);
    inv->currency = s_val(ctx, res, r, 6);
    inv->status = s_val(ctx, res, r, 7);
    inv->pay_url = s_val(ctx, res, r, 8);
    inv->client_id = s_val(ctx, res, r, 9);
    inv->updated_at = s_val(ctx, res, r, 10);
    inv->source = "quickbooks";
    return inv;
}

at_status_t billing_store_invoices(at_ctx_t *ctx, const char *firm_id, const char *client_id,
                                   const char *status, const char *after_key, const char *after_id,
                                   int limit, Atrium__Billing__InvoicePage **page)
{
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit + 1);
    const char *p[] = {firm_id, client_id, after_key, after_id, lim, status};
    PGresult *res = at_db_query(
        ctx->db,
        "SELECT * FROM (SELECT " S_INVOICE_COLS
        " FROM invoices i JOIN customers c ON c.firm_id = i.firm_id AND c.realm_id = i.realm_id"
        "  AND c.qbo_id = i.customer_id"
        " WHERE i.firm_id = $1 AND c.client_id = $2"
        "  AND ($3::text IS NULL OR (coalesce(i.issued_on, '0001-01-01'), i.id)"
        "       < ($3::date, $4::uuid))"
        " ORDER BY coalesce(i.issued_on, '0001-01-01') DESC, i.id DESC) x"
        " WHERE $6::text IS NULL OR x.status = $6"
        " LIMIT $5",
        6, p);
    at_status_t st = at_db_status(ctx->db, res);
    if (st != AT_OK)
        goto cleanup;
    int n = PQntuples(res), shown = n > limit ? limit : n;
    Atrium__Billing__InvoicePage *pg = at_msg_new(ctx, &atrium__billing__invoice_page__descriptor);
    pg->n_items = (size_t) shown;
    pg->items = at_arena_alloc(ctx->arena, sizeof(void *) * (size_t) (shown ? shown : 1));
    for (int i = 0; i < shown; i++)
        pg->items[i] = s_invoice(ctx, res, i);
    if (n > limit)
        pg->next_cursor = at_cursor_encode(ctx->arena, PQgetvalue(res, shown - 1, 11),
                                           PQgetvalue(res, shown - 1, 0));
    *page = pg;
cleanup:
    PQclear(res);
    return st;
}

at_status_t billing_store_invoice(at_ctx_t *ctx, const char *firm_id, const char *id,
                                  Atrium__Billing__Invoice **invoice)
{
    const char *p[] = {firm_id, id};
    PGresult *res = NULL;
    at_status_t st = at_db_one(ctx->db,
                               "SELECT " S_INVOICE_COLS
                               " FROM invoices i LEFT JOIN customers c ON c.firm_id = i.firm_id"
                               "  AND c.realm_id = i.realm_id AND c.qbo_id = i.customer_id"
                               " WHERE i.firm_id = $1 AND i.id = $2",
                               2, p, &res);
    if (st == AT_OK)
        *invoice = s_invoice(ctx, res, 0);
    PQclear(res);
    return st;
}

at_status_t billing_store_integration(at_ctx_t *ctx, const char *firm_id, const char *provider,
                                      Atrium__Billing__Integration **out)
{
    const char *p[] = {firm_id, provider};
    PGresult *res = at_db_query(
        ctx->db,
        "SELECT c.status, " S_TS(
            "c.last_sync_at") ", c.last_error, c.realm_id,"
                              " (SELECT count(*) FROM invoices i WHERE i.firm_id = $1 AND "
                              "i.realm_id = c.realm_id),"
                              " (SELECT count(*) FROM customers u WHERE u.firm_id = $1 AND "
                              "u.realm_id = c.realm_id),"
                              " (SELECT count(DISTINCT u.client_id) FROM customers u"
                              "   WHERE u.firm_id = $1 AND u.realm_id = c.realm_id AND u.client_id "
                              "IS NOT NULL)"
                              " FROM connections c WHERE c.firm_id = $1 AND c.provider = $2",
        2, p);
    at_status_t st = at_db_status(ctx->db, res);
    if (st != AT_OK)
        goto cleanup;
    Atrium__Billing__Integration *it = at_msg_new(ctx, &atrium__billing__integration__descriptor);
    it->provider = at_str(ctx, provider);
    if (PQntuples(res) == 0) {
        it->status = "not_connected";
    } else {
        it->status = s_val(ctx, res, 0, 0);
        it->last_sync_at = s_val(ctx, res, 0, 1);
        it->last_error = s_val(ctx, res, 0, 2);
        it->realm_id = s_val(ctx, res, 0, 3);
        Atrium__Billing__Counts *c = at_msg_new(ctx, &atrium__billing__counts__descriptor);
        c->has_invoices = c->has_customers = c->has_linked_clients = 1;
        c->invoices = strtoll(PQgetvalue(res, 0, 4), NULL, 10);
        c->customers = strtoll(PQgetvalue(res, 0, 5), NULL, 10);
        c->linked_clients = strtoll(PQgetvalue(res, 0, 6), NULL, 10);
        it->counts = c;
    }
    *out = it;
cleanup:
    PQclear(res);
    return st;
}

static at_status_t s_command(at_ctx_t *ctx, const char *sql, int n, const char *const *p,
                             long *affected)
{
    PGresult *res = at_db_query(ctx->db, sql, n, p);
    at_status_t st = at_db_status(ctx->db, res);
    if (st == AT_OK && affected)
        *affected = strtol(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return st;
}

at_status_t billing_store_state_put(at_ctx_t *ctx, const char *state_hash, const char *firm_id,
                                    const char *user_id, const char *provider)
{
    const char *p[] = {state_hash, firm_id, user_id, provider};
    /* expired states of every firm go as new ones come */
    at_status_t st =
        s_command(ctx, "DELETE FROM oauth_states WHERE expires_at < now()", 0, NULL, NULL);
    if (st != AT_OK)
        return st;
    return s_command(ctx,
                     "INSERT INTO oauth_states (state_hash, firm_id, user_id, provider, expires_at)"
                     " VALUES ($1, $2, $3, $4, now() + interval '10 minutes')",
                     4, p, NULL);
}

at_status_t billing_store_state_take(at_ctx_t *ctx, const char *state_hash, const char *firm_id,
                                     const char *user_id, const char *provider)
{
    const char *p[] = {state_hash, firm_id, user_id, provider};
    long n = 0;
    at_status_t st = s_command(ctx,
                               "DELETE FROM oauth_states WHERE state_hash = $1 AND firm_id = $2"
                               " AND user_id = $3 AND provider = $4 AND expires_at >= now()",
                               4, p, &n);
    return st == AT_OK && n != 1 ? AT_NOT_FOUND : st;
}

at_status_t billing_store_connect(at_ctx_t *ctx, const char *firm_id, const char *provider,
                                  const char *realm_id, const char *refresh_token,
                                  const char *user_id)
{
    const char *p[] = {firm_id, provider, realm_id, refresh_token, user_id};
    return s_command(
        ctx,
        "INSERT INTO connections (firm_id, provider, realm_id, refresh_token,"
        " connected_by) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (firm_id, provider) DO UPDATE SET realm_id = excluded.realm_id,"
        " refresh_token = excluded.refresh_token, connected_by = excluded.connected_by,"
        " connected_at = now(), status = 'connected', last_error = NULL",
        5, p, NULL);
}

at_status_t billing_store_connection(at_ctx_t *ctx, const char *firm_id, const char *provider,
                                     char **realm_id, char **refresh_token)
{
    const char *p[] = {firm_id, provider};
    PGresult *res = NULL;
    at_status_t st = at_db_one(ctx->db,
                               "SELECT realm_id, refresh_token FROM connections"
                               " WHERE firm_id = $1 AND provider = $2 AND status <> 'disconnected'",
                               2, p, &res);
    if (st == AT_OK) {
        *realm_id = s_val(ctx, res, 0, 0);
        *refresh_token = s_val(ctx, res, 0, 1);
    }
    PQclear(res);
    return st;
}

at_status_t billing_store_save_refresh(at_ctx_t *ctx, const char *firm_id, const char *provider,
                                       const char *refresh_token)
{
    const char *p[] = {firm_id, provider, refresh_token};
    return s_command(
        ctx, "UPDATE connections SET refresh_token = $3 WHERE firm_id = $1 AND provider = $2", 3, p,
        NULL);
}

at_status_t billing_store_links_replace(at_ctx_t *ctx, const char *firm_id, json_t *links)
{
    char *text = json_dumps(links, JSON_COMPACT);
    const char *p[] = {firm_id, text};
    at_status_t st = s_command(ctx, "DELETE FROM client_links WHERE firm_id = $1", 1, p, NULL);
    if (st == AT_OK)
        st = s_command(ctx,
                       "INSERT INTO client_links (firm_id, client_id, name_key, qbo_customer_id)"
                       " SELECT $1, r.client_id, lower(r.name_key), nullif(r.qbo_customer_id, '')"
                       " FROM jsonb_to_recordset($2::jsonb)"
                       "  AS r(client_id uuid, name_key text, qbo_customer_id text)",
                       2, p, NULL);
    free(text);
    return st;
}

at_status_t billing_store_sync_queue(at_ctx_t *ctx, const char *firm_id, const char *provider,
                                     const char *user_id, char **sync_id)
{
    const char *p[] = {firm_id, provider, user_id};
    /* one queued-or-running sync per firm and provider: a second request
     * joins the first */
    PGresult *res = at_db_query(ctx->db,
                                "SELECT id FROM syncs WHERE firm_id = $1 AND provider = $2"
                                " AND status IN ('queued', 'running') ORDER BY created_at LIMIT 1",
                                2, p);
    at_status_t st = at_db_status(ctx->db, res);
    if (st != AT_OK)
        goto cleanup;
    if (PQntuples(res) == 1) {
        *sync_id = s_val(ctx, res, 0, 0);
        goto cleanup;
    }
    PQclear(res);
    res = at_db_query(ctx->db,
                      "INSERT INTO syncs (firm_id, provider, requested_by) VALUES ($1, $2, $3)"
                      " RETURNING id",
                      3, p);
    st = at_db_status(ctx->db, res);
    if (st == AT_OK)
        *sync_id = s_val(ctx, res, 0, 0);
cleanup:
    PQclear(res);
    return st;
}

at_status_t billing_store_sync_get(at_ctx_t *ctx, const char *firm_id, const char *provider,
                                   const char *sync_id, Atrium__Billing__Sync **out)
{
    const char *p[] = {firm_id, provider, sync_id};
    PGresult *res = NULL;
    at_status_t st =
        at_db_one(ctx->db,
                  "SELECT id, provider, status, " S_TS("started_at") ", " S_TS(
                      "finished_at") ", invoices_seen, invoices_written,"
                                     " customers_seen, error, " S_TS(
                                         "created_at") " FROM syncs WHERE firm_id = $1 AND "
                                                       "provider = $2 AND id = $3",
                  3, p, &res);
    if (st == AT_OK) {
        Atrium__Billing__Sync *s = at_msg_new(ctx, &atrium__billing__sync__descriptor);
        s->sync_id = s_val(ctx, res, 0, 0);
        s->provider = s_val(ctx, res, 0, 1);
        s->status = s_val(ctx, res, 0, 2);
        s->started_at = s_val(ctx, res, 0, 3);
        s->finished_at = s_val(ctx, res, 0, 4);
        s->has_invoices_seen = s->has_invoices_written = s->has_customers_seen = 1;
        s->invoices_seen = strtoll(PQgetvalue(res, 0, 5), NULL, 10);
        s->invoices_written = strtoll(PQgetvalue(res, 0, 6), NULL, 10);
        s->customers_seen = strtoll(PQgetvalue(res, 0, 7), NULL, 10);
        s->error = s_val(ctx, res, 0, 8);
        s->created_at = s_val(ctx, res, 0, 9);
        *out = s;
    }
    PQclear(res);
    return st;
}

at_status_t billing_store_sync_claim(at_ctx_t *ctx, char **sync_id, char **firm_id, char **provider)
{
    PGresult *res = NULL;
    at_status_t st = at_db_one(ctx->db,
                               "UPDATE syncs SET status = 'running', started_at = now()"
                               " WHERE id = (SELECT id FROM syncs WHERE status = 'queued'"
                               "  ORDER BY created_at FOR UPDATE SKIP LOCKED LIMIT 1)"
                               " RETURNING id, firm_id, provider",
                               0, NULL, &res);
    if (st == AT_OK) {
        *sync_id = s_val(ctx, res, 0, 0);
        *firm_id = s_val(ctx, res, 0, 1);
        *provider = s_val(ctx, res, 0, 2);
    }
    PQclear(res);
    return st;
}

at_status_t billing_store_upsert_customers(at_ctx_t *ctx, const char *firm_id, const char *realm_id,
                                           json_t *rows, long *written)
{
    char *text = json_dumps(rows, JSON_COMPACT);
    const char *p[] = {firm_id, realm_id, text};
    at_status_t st = s_command(
        ctx,
        "INSERT INTO customers AS c (firm_id, realm_id, qbo_id, sync_token, display_name, active,"
        " qbo_updated)"
        " SELECT $1, $2, r.qbo_id, r.sync_token, r.display_name, r.active, r.updated"
        " FROM jsonb_to_recordset($3::jsonb)"
        "  AS r(qbo_id text, sync_token text, display_name text, active boolean, updated text)"
        " ON CONFLICT (firm_id, realm_id, qbo_id) DO UPDATE SET sync_token = excluded.sync_token,"
        "  display_name = excluded.display_name, active = excluded.active,"
        "  qbo_updated = excluded.qbo_updated"
        " WHERE c.sync_token IS DISTINCT FROM excluded.sync_token",
        3, p, written);
    free(text);
    return st;
}

at_status_t billing_store_upsert_invoices(at_ctx_t *ctx, const char *firm_id, const char *realm_id,
                                          json_t *rows, long *written)
{
    char *text = json_dumps(rows, JSON_COMPACT);
    const char *p[] = {firm_id, realm_id, text};
    at_status_t st = s_command(
        ctx,
        "INSERT INTO invoices AS i (firm_id, realm_id, qbo_id, sync_token, number, issued_on,"
        " due_on, total, balance, currency, voided, pay_url, customer_id, qbo_updated)"
        " SELECT $1, $2, r.qbo_id, r.sync_token, r.number, r.issued_on, r.due_on, r.total,"
        "  r.balance, r.currency, r.voided, r.pay_url, r.customer_id, r.updated"
        " FROM jsonb_to_recordset($3::jsonb) AS r(qbo_id text, sync_token text, number text,"
        "  issued_on date, due_on date, total text, balance text, currency text, voided boolean,"
        "  pay_url text, customer_id text, updated text)"
        " ON CONFLICT (firm_id, realm_id, qbo_id) DO UPDATE SET sync_token = excluded.sync_token,"
        "  number = excluded.number, issued_on = excluded.issued_on, due_on = excluded.due_on,"
        "  total = excluded.total, balance = excluded.balance, currency = excluded.currency,"
        "  voided = excluded.voided, pay_url = excluded.pay_url,"
        "  customer_id = excluded.customer_id, qbo_updated = excluded.qbo_updated,"
        "  synced_at = now()"
        " WHERE i.sync_token IS DISTINCT FROM excluded.sync_token",
        3, p, written);
    free(text);
    return st;
}

at_status_t billing_store_link_customers(at_ctx_t *ctx, const char *firm_id, const char *realm_id)
{
    const char *p[] = {firm_id, realm_id};
    return s_command(ctx,
                     "UPDATE customers c SET client_id = m.client_id FROM ("
                     "  SELECT u.qbo_id, coalesce("
                     "   (SELECT l.client_id FROM client_links l WHERE l.firm_id = $1"
                     "     AND l.qbo_customer_id = u.qbo_id LIMIT 1),"
                     "   (SELECT l.client_id FROM client_links l WHERE l.firm_id = $1"
                     "     AND l.qbo_customer_id IS NULL AND l.name_key = lower(u.display_name) "
                     "LIMIT 1)) AS client_id"
                     "  FROM customers u WHERE u.firm_id = $1 AND u.realm_id = $2) m"
                     " WHERE c.firm_id = $1 AND c.realm_id = $2 AND c.qbo_id = m.qbo_id"
                     "  AND c.client_id IS DISTINCT FROM m.client_id",
                     2, p, NULL);
}

at_status_t billing_store_sync_progress(at_ctx_t *ctx, const char *sync_id, long invoices_seen,
                                        long invoices_written, long customers_seen)
{
    char a[24], b[24], c[24];
    snprintf(a, sizeof a, "%ld", invoices_seen);
    snprintf(b, sizeof b, "%ld", invoices_written);
    snprintf(c, sizeof c, "%ld", customers_seen);
    const char *p[] = {sync_id, a, b, c};
    return s_command(ctx,
                     "UPDATE syncs SET invoices_seen = invoices_seen + $2,"
                     " invoices_written = invoices_written + $3,"
                     " customers_seen = customers_seen + $4 WHERE id = $1",
                     4, p, NULL);
}

at_status_t billing_store_sync_finish(at_ctx_t *ctx, const char *sync_id, const char *firm_id,
                                      const char *provider, const char *error)
{
    const char *p[] = {sync_id, error};
    at_status_t st = s_command(ctx,
                               "UPDATE syncs SET status = CASE WHEN $2::text IS NULL THEN 'done'"
                               " ELSE 'failed' END, error = $2, finished_at = now() WHERE id = $1",
                               2, p, NULL);
    if (st != AT_OK)
        return st;
    const char *q[] = {firm_id, provider, error};
    return s_command(ctx,
                     "UPDATE connections SET last_sync_at = now(), last_error = $3,"
                     " status = CASE WHEN $3::text IS NULL THEN 'connected' ELSE 'error' END"
                     " WHERE firm_id = $1 AND provider = $2",
                     3, q, NULL);
}

at_status_t billing_store_dashboard(at_ctx_t *ctx, const char *firm_id, bool all,
                                    const char *clients, Atrium__Billing__DashboardReply *out)
{
    const char *p[] = {firm_id, all ? "true" : "false", clients};
    PGresult *res = at_db_query(
        ctx->db,
        "SELECT i.currency, count(*), sum(i.balance::numeric)::text,"
        " count(*) FILTER (WHERE i.due_on < current_date),"
        " coalesce(sum(i.balance::numeric) FILTER (WHERE i.due_on < current_date), 0)::text"
        " FROM invoices i LEFT JOIN customers c ON c.firm_id = i.firm_id"
        "  AND c.realm_id = i.realm_id AND c.qbo_id = i.customer_id"
        " WHERE i.firm_id = $1 AND NOT i.voided AND i.balance::numeric > 0"
        " AND ($2::bool OR c.client_id = ANY (ARRAY("
        "  SELECT json_array_elements_text($3::json)::uuid)))"
        " GROUP BY i.currency ORDER BY i.currency",
        3, p);
    at_status_t st = at_db_status(ctx->db, res);
    if (st != AT_OK)
        goto cleanup;
    int n = PQntuples(res);
    out->has_count = out->has_overdue = 1;
    out->totals = at_arena_alloc(ctx->arena, sizeof(void *) * (size_t) (n + 1));
    for (int r = 0; r < n; r++) {
        Atrium__Billing__CurrencyTotal *t =
            at_msg_new(ctx, &atrium__billing__currency_total__descriptor);
        t->currency = s_val(ctx, res, r, 0);
        t->has_count = t->has_overdue_count = 1;
        t->count = (int32_t) strtol(PQgetvalue(res, r, 1), NULL, 10);
        t->balance = s_val(ctx, res, r, 2);
        t->overdue_count = (int32_t) strtol(PQgetvalue(res, r, 3), NULL, 10);
        t->overdue_balance = s_val(ctx, res, r, 4);
        out->count += t->count;
        out->overdue += t->overdue_count;
        out->totals[out->n_totals++] = t;
    }
cleanup:
    PQclear(res);
    return st;
}
