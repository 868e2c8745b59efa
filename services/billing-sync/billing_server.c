/* billing_server: billing-sync's method table and handlers, and the
 * background thread that runs queued syncs. A firm connects QuickBooks
 * Online with the OAuth 2.0 authorization-code grant (RFC 6749 §4.1), then
 * a sync pulls customers and invoices through the query endpoint and links
 * customers to the firm's clients (by the client's stored QuickBooks id,
 * else by name).
 *
 * It does not do change data capture, webhooks, payments or HubSpot yet:
 * those are the integrations issue's.
 */
#include "at_cursor.h"
#include "at_digest.h"
#include "at_log.h"
#include "at_tenancy.h"
#include "at_time.h"
#include "auth.pb-c.h"
#include "billing_qbo.h"
#include "billing_qbo_client.h"
#include "billing_store.h"
#include <curl/curl.h>
#include <sodium.h>
#include <string.h>

extern const at_embedded_t billing_migrations[];

static const at_config_key_t s_keys[] = {
    {"ATRIUM_QBO_API_BASE", "https://quickbooks.api.intuit.com", AT_CFG_STRING, 0, 0, true, false,
     "QuickBooks Online API base URL (tests: the local fake)"},
    {"ATRIUM_QBO_TOKEN_URL", "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
     AT_CFG_STRING, 0, 0, true, false, "QuickBooks OAuth 2.0 token endpoint"},
    {"ATRIUM_QBO_AUTHORIZE_URL", "https://appcenter.intuit.com/connect/oauth2", AT_CFG_STRING, 0, 0,
     true, false, "QuickBooks OAuth 2.0 authorization endpoint"},
    {"ATRIUM_QBO_CLIENT_ID", "", AT_CFG_STRING, 0, 0, false, false,
     "the app's QuickBooks client id"},
    {"ATRIUM_QBO_CLIENT_SECRET", "", AT_CFG_STRING, 0, 0, false, true,
     "the app's QuickBooks client secret"},
    {"ATRIUM_PUBLIC_URL", "http://localhost:8080", AT_CFG_STRING, 0, 0, true, false,
     "the URL users reach the portal at (OAuth redirect URI)"},
    {NULL, NULL, 0, 0, 0, false, false, NULL},
};

#define S_PROVIDER "quickbooks"

static bool s_firm_admin(const at_ctx_t *ctx)
{
    const Atrium__Principal *p = ctx->principal;
    return at_is_staff(ctx) && p->role &&
           (strcmp(p->role, "owner") == 0 || strcmp(p->role, "admin") == 0);
}

/* Integrations are the firm's owners' and admins' business: other staff
 * see they exist but may not act (403), clients do not see them (404). */
static at_status_t s_admin_only(at_ctx_t *ctx)
{
    if (!at_is_staff(ctx))
        return at_fail(ctx, AT_NOT_FOUND, NULL, "no such resource");
    if (!s_firm_admin(ctx))
        return at_fail(ctx, AT_FORBIDDEN, NULL, "only owners and admins manage integrations");
    return AT_OK;
}

static at_status_t s_provider(at_ctx_t *ctx, const char *provider)
{
    if (!provider || strcmp(provider, S_PROVIDER) != 0)
        return at_fail(ctx, AT_NOT_FOUND, "provider", "integration \"%s\" does not exist",
                       provider ? provider : "");
    return AT_OK;
}

static const char *s_redirect_uri(at_ctx_t *ctx)
{
    const char *base = at_config_get(ctx->config, "ATRIUM_PUBLIC_URL");
    size_t n = strlen(base);
    return at_arena_printf(ctx->arena, "%.*s/api/v1/integrations/" S_PROVIDER "/callback",
                           (int) (n && base[n - 1] == '/' ? n - 1 : n), base);
}

/* -- invoices --------------------------------------------------------------- */

static at_status_t s_invoices(at_ctx_t *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Atrium__Billing__InvoiceListRequest *rq = (const void *) in;
    const char *role = NULL;
    at_status_t st = at_client_visible(ctx, rq->client_id, &role);
    if (st != AT_OK)
        return st;
    static const char *const statuses[] = {"open", "paid", "overdue", "void", NULL};
    if (rq->status) {
        bool ok = false;
        for (size_t i = 0; statuses[i]; i++)
            ok |= strcmp(rq->status, statuses[i]) == 0;
        if (!ok)
            return at_fail(ctx, AT_VALIDATION_FAILED, "status",
                           "status must be open, paid, overdue or void");
    }
    char *key = NULL, *id = NULL;
    if (rq->cursor && at_cursor_decode(ctx->arena, rq->cursor, &key, &id) != 0)
        return at_fail(ctx, AT_VALIDATION_FAILED, "cursor", "the cursor is not valid");
    Atrium__Billing__InvoicePage *page = NULL;
    st = billing_store_invoices(ctx, ctx->principal->firm_id, rq->client_id, rq->status, key, id,
                                at_page_limit(rq->has_limit ? rq->limit : 0), &page);
    if (st == AT_NOT_FOUND) /* a malformed cursor id */
        return at_fail(ctx, AT_VALIDATION_FAILED, "cursor", "the cursor is not valid");
    *out = &page->base;
    return st;
}

static at_status_t s_invoice_get(at_ctx_t *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Atrium__Billing__InvoiceGetRequest *rq = (const void *) in;
    Atrium__Billing__Invoice *inv = NULL;
    at_status_t st = billing_store_invoice(ctx, ctx->principal->firm_id, rq->id, &inv);
    if (st != AT_OK)
        return st == AT_NOT_FOUND ? at_fail(ctx, st, NULL, "invoice not found") : st;
    /* an invoice of no client is the firm's staff's; else the client's */
    bool visible = inv->client_id
                       ? at_can_see_client(ctx, ctx->principal->firm_id, inv->client_id) != NULL
                       : s_firm_admin(ctx);
    if (!visible)
        return at_fail(ctx, AT_NOT_FOUND, NULL, "invoice not found");
    if (at_db_begin(ctx->db) != 0)
        return AT_UNAVAILABLE;
    json_t *d = json_pack("{s:s?, s:s?, s:s?}", "number", inv->number, "total", inv->total,
                          "currency", inv->currency);
    st = at_audit(ctx, &(at_audit_event_t){.action = "invoice.viewed",
                                           .resource_type = "invoice",
                                           .resource_id = inv->id,
                                           .client_id = inv->client_id,
                                           .details = d});
    json_decref(d);
    if (st != AT_OK || at_db_commit(ctx->db) != 0)
        return st != AT_OK ? st : AT_UNAVAILABLE;
    *out = &inv->base;
    return AT_OK;
}

/* -- integrations and OAuth ------------------------------------------------- */

static at_status_t s_integrations(at_ctx_t *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void) in;
    at_status_t st = s_admin_only(ctx);
    if (st != AT_OK)
        return st;
    Atrium__Billing__Integration *qbo = NULL;
    if ((st = billing_store_integration(ctx, ctx->principal->firm_id, S_PROVIDER, &qbo)) != AT_OK)
        return st;
    Atrium__Billing__IntegrationList *list =
        at_msg_new(ctx, &atrium__billing__integration_list__descriptor);
    list->n_items = 1;
    list->items = at_arena_alloc(ctx->arena, sizeof(void *));
    list->items[0] = qbo;
    *out = &list->base;
    return AT_OK;
}

/* Appends "&name=value" with value percent-encoded (libcurl). */
static char *s_param(at_ctx_t *ctx, const char *url, const char *name, const char *value)
{
    char *enc = curl_easy_escape(NULL, value, 0);
    char *out = at_arena_printf(ctx->arena, "%s%s%s=%s", url, strchr(url, '?') ? "&" : "?", name,
                                enc ? enc : "");
    curl_free(enc);
    return out;
}

static at_status_t s_connect(at_ctx_t *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Atrium__Billing__ConnectRequest *rq = (const void *) in;
    at_status_t st = s_admin_only(ctx);
    if (st != AT_OK || (st = s_provider(ctx, rq->provider)) != AT_OK)
        return st;
    const char *client_id = at_config_get(ctx->config, "ATRIUM_QBO_CLIENT_ID");
    if (!*client_id)
        return at_fail(ctx, AT_UNAVAILABLE, NULL,
                       "QuickBooks is not configured on this server (ATRIUM_QBO_CLIENT_ID)");
    unsigned char raw[32];
    char state[64], hash[65];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(state, sizeof state, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    at_sha256_hex(state, strlen(state), hash);
    if ((st = billing_store_state_put(ctx, hash, ctx->principal->firm_id, ctx->principal->user_id,
                                      S_PROVIDER)) != AT_OK)
        return st;
    char *url = at_arena_strdup(ctx->arena, at_config_get(ctx->config, "ATRIUM_QBO_AUTHORIZE_URL"));
    url = s_param(ctx, url, "client_id", client_id);
    url = s_param(ctx, url, "response_type", "code");
    url = s_param(ctx, url, "scope", "com.intuit.quickbooks.accounting");
    url = s_param(ctx, url, "redirect_uri", s_redirect_uri(ctx));
    url = s_param(ctx, url, "state", state);
    Atrium__Billing__ConnectReply *rep =
        at_msg_new(ctx, &atrium__billing__connect_reply__descriptor);
    rep->location = url;
    rep->authorize_url = url;
    *out = &rep->base;
    return AT_OK;
}

typedef struct {
    at_ctx_t *ctx;
    const char *firm_id;
    bool failed;
} s_tokens_arg_t;

/* Persists a new refresh token before the client uses it (the provider may
 * void the old one when it issues a new one). */
static int s_on_tokens(const billing_qbo_tokens_t *tokens, void *arg)
{
    s_tokens_arg_t *t = arg;
    if (!t->firm_id || !tokens->refresh_token)
        return 0; /* during the code exchange the caller stores it */
    if (billing_store_save_refresh(t->ctx, t->firm_id, S_PROVIDER, tokens->refresh_token) !=
        AT_OK) {
        t->failed = true;
        return -1;
    }
    return 0;
}

static billing_qbo_client_t *s_client(at_ctx_t *ctx, const char *realm_id, const char *refresh,
                                      s_tokens_arg_t *targ)
{
    billing_qbo_config_t cfg = {
        .token_url = at_config_get(ctx->config, "ATRIUM_QBO_TOKEN_URL"),
        .api_base = at_config_get(ctx->config, "ATRIUM_QBO_API_BASE"),
        .realm_id = realm_id,
        .client_id = at_config_get(ctx->config, "ATRIUM_QBO_CLIENT_ID"),
        .client_secret = at_config_get(ctx->config, "ATRIUM_QBO_CLIENT_SECRET"),
        .refresh_token = refresh,
        .on_tokens = s_on_tokens,
        .on_tokens_arg = targ,
        .request_timeout_ms = 30000,
        .retry_budget_ms = 60000,
    };
    return billing_qbo_client_new(&cfg);
}

static at_status_t s_callback(at_ctx_t *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Atrium__Billing__CallbackRequest *rq = (const void *) in;
    at_status_t st = s_admin_only(ctx);
    if (st != AT_OK || (st = s_provider(ctx, rq->provider)) != AT_OK)
        return st;
    if (!rq->state || !*rq->state)
        return at_fail(ctx, AT_VALIDATION_FAILED, "state", "the state parameter is missing");
    char hash[65];
    at_sha256_hex(rq->state, strlen(rq->state), hash);
    /* the state is single use, and only for the user who started the flow */
    st = billing_store_state_take(ctx, hash, ctx->principal->firm_id, ctx->principal->user_id,
                                  S_PROVIDER);
    if (st == AT_NOT_FOUND)
        return at_fail(ctx, AT_VALIDATION_FAILED, "state",
                       "the connection attempt is unknown or expired: start it again");
    if (st != AT_OK)
        return st;
    Atrium__Billing__CallbackReply *rep =
        at_msg_new(ctx, &atrium__billing__callback_reply__descriptor);
    *out = &rep->base;
    if (rq->error) {
        rep->status = "denied";
        rep->location = "/?integration=quickbooks&status=denied";
        return AT_OK;
    }
    if (!rq->code || !*rq->code || !rq->realmid || !*rq->realmid)
        return at_fail(ctx, AT_VALIDATION_FAILED, !rq->code ? "code" : "realmId",
                       "the provider's answer lacks the code or the company id");
    s_tokens_arg_t targ = {.ctx = ctx};
    billing_qbo_client_t *client = s_client(ctx, rq->realmid, NULL, &targ);
    if (!client)
        return at_fail(ctx, AT_UNAVAILABLE, NULL, "QuickBooks is not configured on this server");
    billing_qbo_error_t err = {0};
    int rc = billing_qbo_client_exchange_code(client, rq->code, s_redirect_uri(ctx), &err);
    const char *refresh = rc == 0 ? billing_qbo_client_refresh_token(client) : NULL;
    char *refresh_copy = refresh ? at_str(ctx, refresh) : NULL;
    billing_qbo_client_destroy(&client);
    if (rc != 0 || !refresh_copy) {
        at_warn("quickbooks code exchange failed: %s", err.message);
        return at_fail(ctx,
                       err.code == BILLING_QBO_E_TRANSPORT || err.code == BILLING_QBO_E_UNAVAILABLE
                           ? AT_UNAVAILABLE
                           : AT_VALIDATION_FAILED,
                       "code", "QuickBooks refused the authorization: %s", err.message);
    }
    if (at_db_begin(ctx->db) != 0)
        return AT_UNAVAILABLE;
    st = billing_store_connect(ctx, ctx->principal->firm_id, S_PROVIDER, rq->realmid, refresh_copy,
                               ctx->principal->user_id);
    json_t *d = json_pack("{s:s, s:s}", "provider", S_PROVIDER, "realm_id", rq->realmid);
    if (st == AT_OK)
        st = at_audit(ctx, &(at_audit_event_t){.action = "integration.connected",
                                               .resource_type = "integration",
                                               .resource_id = S_PROVIDER,
                                               .details = d});
    json_decref(d);
    if (st != AT_OK || at_db_commit(ctx->db) != 0)
        return st != AT_OK ? st : AT_UNAVAILABLE;
    rep->status = "connected";
    rep->location = "/?integration=quickbooks&status=connected";
    return AT_OK;
}

/* Asks auth for every client of the firm (the caller is an owner or admin,
 * so it sees them all) and stores the links a background sync needs. */
static at_status_t s_refresh_links(at_ctx_t *ctx)
{
    json_t *links = json_array();
    Atrium__Auth__ClientsListRequest rq = ATRIUM__AUTH__CLIENTS_LIST_REQUEST__INIT;
    rq.has_limit = 1;
    rq.limit = 200;
    at_status_t st = AT_OK;
    for (int pages = 0; pages < 1000; pages++) {
        ProtobufCMessage *m = NULL;
        st = at_call(ctx, "auth.clients_list", &rq.base,
                     &atrium__auth__clients_list_reply__descriptor, &m);
        if (st != AT_OK)
            break;
        Atrium__Auth__ClientsListReply *page = (void *) m;
        for (size_t i = 0; i < page->n_items; i++) {
            Atrium__Auth__Client *c = page->items[i];
            json_t *row = json_pack("{s:s, s:s, s:s?}", "client_id", c->id, "name_key", c->name,
                                    "qbo_customer_id",
                                    c->external_refs ? c->external_refs->quickbooks : NULL);
            if (row)
                json_array_append_new(links, row);
        }
        if (!page->next_cursor)
            break;
        rq.cursor = page->next_cursor;
    }
    if (st == AT_OK)
        st = billing_store_links_replace(ctx, ctx->principal->firm_id, links);
    json_decref(links);
    return st;
}

/* -- syncs ------------------------------------------------------------------- */

static at_status_t s_sync(at_ctx_t *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Atrium__Billing__SyncRequest *rq = (const void *) in;
    at_status_t st = s_admin_only(ctx);
    if (st != AT_OK || (st = s_provider(ctx, rq->provider)) != AT_OK)
        return st;
    char *realm = NULL, *refresh = NULL;
    st = billing_store_connection(ctx, ctx->principal->firm_id, S_PROVIDER, &realm, &refresh);
    if (st == AT_NOT_FOUND)
        return at_fail(ctx, AT_CONFLICT, "provider",
                       "QuickBooks is not connected: connect it first (GET "
                       "/api/v1/integrations/quickbooks/connect)");
    if (st != AT_OK)
        return st;
    /* the client list comes from auth before the transaction: no lock is
     * held across a bus call */
    if (at_db_begin(ctx->db) != 0)
        return AT_UNAVAILABLE;
    char *sync_id = NULL;
    st = s_refresh_links(ctx);
    if (st == AT_OK)
        st = billing_store_sync_queue(ctx, ctx->principal->firm_id, S_PROVIDER,
                                      ctx->principal->user_id, &sync_id);
    json_t *d = json_pack("{s:s}", "provider", S_PROVIDER);
    if (st == AT_OK)
        st = at_audit(ctx, &(at_audit_event_t){.action = "integration.sync_requested",
                                               .resource_type = "integration",
                                               .resource_id = S_PROVIDER,
                                               .details = d});
    json_decref(d);
    if (st != AT_OK || at_db_commit(ctx->db) != 0)
        return st != AT_OK ? st : AT_UNAVAILABLE;
    Atrium__Billing__SyncReply *rep = at_msg_new(ctx, &atrium__billing__sync_reply__descriptor);
    rep->sync_id = sync_id;
    *out = &rep->base;
    return AT_ACCEPTED;
}

static at_status_t s_sync_get(at_ctx_t *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Atrium__Billing__SyncGetRequest *rq = (const void *) in;
    at_status_t st = s_admin_only(ctx);
    if (st != AT_OK || (st = s_provider(ctx, rq->provider)) != AT_OK)
        return st;
    Atrium__Billing__Sync *s = NULL;
    st = billing_store_sync_get(ctx, ctx->principal->firm_id, S_PROVIDER, rq->sync_id, &s);
    if (st == AT_NOT_FOUND)
        return at_fail(ctx, st, NULL, "sync not found");
    *out = s ? &s->base : NULL;
    return st;
}

/* One page of the pull: its records as a JSON array for one upsert. */
typedef struct {
    at_ctx_t *ctx;
    const char *sync_id, *firm_id, *realm_id;
    long seen, written;
    at_status_t st;
} s_pull_t;

static int s_on_page(const billing_qbo_page_t *page, void *arg)
{
    s_pull_t *p = arg;
    json_t *rows = json_array();
    for (size_t i = 0; i < page->count; i++) {
        json_t *row = NULL;
        if (page->entity == BILLING_QBO_CUSTOMER) {
            const billing_qbo_customer_t *c = &page->customers[i];
            row =
                json_pack("{s:s, s:s?, s:s, s:b, s:s?}", "qbo_id", c->id, "sync_token",
                          c->sync_token, "display_name", c->display_name ? c->display_name : c->id,
                          "active", c->active, "updated", c->updated_at);
        } else if (page->entity == BILLING_QBO_INVOICE) {
            const billing_qbo_invoice_t *v = &page->invoices[i];
            row = json_pack("{s:s, s:s?, s:s?, s:s?, s:s?, s:s, s:s, s:s, s:b, s:s?, s:s?, s:s?}",
                            "qbo_id", v->id, "sync_token", v->sync_token, "number", v->number,
                            "issued_on", v->issued_on[0] ? v->issued_on : NULL, "due_on",
                            v->due_on[0] ? v->due_on : NULL, "total", v->total, "balance",
                            v->balance, "currency", v->currency, "voided", v->voided, "pay_url",
                            v->pay_url, "customer_id", v->customer_id, "updated", v->updated_at);
        }
        if (row)
            json_array_append_new(rows, row);
    }
    long written = 0;
    at_status_t st = AT_OK;
    if (json_array_size(rows)) {
        st = page->entity == BILLING_QBO_CUSTOMER
                 ? billing_store_upsert_customers(p->ctx, p->firm_id, p->realm_id, rows, &written)
                 : billing_store_upsert_invoices(p->ctx, p->firm_id, p->realm_id, rows, &written);
    }
    json_decref(rows);
    if (st == AT_OK)
        st = page->entity == BILLING_QBO_CUSTOMER
                 ? billing_store_sync_progress(p->ctx, p->sync_id, 0, 0, (long) page->count)
                 : billing_store_sync_progress(p->ctx, p->sync_id, (long) page->count, written, 0);
    p->seen += (long) page->count;
    p->written += written;
    p->st = st;
    return st == AT_OK ? 0 : -1;
}

/* Runs one claimed sync to its end: customers, then invoices, then links.
 * Each page commits on its own, so a failure keeps what arrived. */
static void s_run_sync(at_ctx_t *ctx, const char *sync_id, const char *firm_id)
{
    char *realm = NULL, *refresh = NULL;
    const char *error = NULL;
    at_status_t st = billing_store_connection(ctx, firm_id, S_PROVIDER, &realm, &refresh);
    s_pull_t pull = {
        .ctx = ctx, .sync_id = sync_id, .firm_id = firm_id, .realm_id = realm, .st = AT_OK};
    long invoices_written = 0, invoices_seen = 0;
    int64_t started = at_time_mono_ms();
    if (st != AT_OK) {
        error = "the connection to QuickBooks is gone";
    } else {
        s_tokens_arg_t targ = {.ctx = ctx, .firm_id = firm_id};
        billing_qbo_client_t *client = s_client(ctx, realm, refresh, &targ);
        billing_qbo_error_t err = {0};
        if (!client) {
            error = "QuickBooks is not configured on this server";
        } else if (billing_qbo_client_pull(client, BILLING_QBO_CUSTOMER, NULL, s_on_page, &pull,
                                           &err) != 0) {
            error = at_arena_printf(ctx->arena, "QuickBooks customers could not be pulled: %s",
                                    pull.st != AT_OK ? "the database refused a page" : err.message);
        } else {
            pull.seen = pull.written = 0; /* from here on the counters are invoices' */
            if (billing_qbo_client_pull(client, BILLING_QBO_INVOICE, NULL, s_on_page, &pull,
                                        &err) != 0)
                error =
                    at_arena_printf(ctx->arena, "QuickBooks invoices could not be pulled: %s",
                                    pull.st != AT_OK ? "the database refused a page" : err.message);
            else if (billing_store_link_customers(ctx, firm_id, realm) != AT_OK)
                error = "customers could not be linked to clients";
            invoices_written = pull.written;
            invoices_seen = pull.seen;
        }
        billing_qbo_client_destroy(&client);
    }
    if (at_db_begin(ctx->db) == 0) {
        st = billing_store_sync_finish(ctx, sync_id, firm_id, S_PROVIDER, error);
        json_t *d = json_pack("{s:s, s:s, s:I, s:I, s:s?}", "provider", S_PROVIDER, "sync_id",
                              sync_id, "invoices_seen", (json_int_t) invoices_seen,
                              "invoices_written", (json_int_t) invoices_written, "error", error);
        if (st == AT_OK)
            st = at_audit(ctx, &(at_audit_event_t){.action = error ? "integration.sync_failed"
                                                                   : "integration.synced",
                                                   .resource_type = "integration",
                                                   .resource_id = S_PROVIDER,
                                                   .firm_id = firm_id,
                                                   .actor_kind = "system",
                                                   .actor_name = "billing-sync",
                                                   .details = d});
        json_decref(d);
        if (st != AT_OK || at_db_commit(ctx->db) != 0)
            at_db_rollback(ctx->db);
    }
    at_info("sync %s of firm %s: %s; %ld invoices seen, %ld written in %lld ms", sync_id, firm_id,
            error ? error : "done", invoices_seen, invoices_written,
            (long long) (at_time_mono_ms() - started));
}

static void s_background(at_ctx_t *ctx, volatile int *stop)
{
    while (!*stop) {
        at_arena_reset(ctx->arena);
        char *sync_id = NULL, *firm_id = NULL, *provider = NULL;
        at_status_t st = billing_store_sync_claim(ctx, &sync_id, &firm_id, &provider);
        if (st == AT_OK) {
            s_run_sync(ctx, sync_id, firm_id);
            continue;
        }
        /* nothing queued (or the database is away): look again shortly */
        for (int i = 0; i < 5 && !*stop; i++)
            zclock_sleep(100);
    }
}

/* billing-sync.dashboard: GET /dashboard's open_invoices, over the
 * invoices the caller could list (an invoice of no client: owners and
 * admins only, as billing-sync.invoice decides). */
static at_status_t s_dashboard(at_ctx_t *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void) in;
    bool all = false;
    const char *clients = at_client_scope(ctx, &all);
    Atrium__Billing__DashboardReply *rep =
        at_msg_new(ctx, &atrium__billing__dashboard_reply__descriptor);
    at_status_t st = billing_store_dashboard(ctx, ctx->principal->firm_id, all, clients, rep);
    if (st != AT_OK)
        return at_fail(ctx, st, NULL, "the invoices cannot be counted");
    *out = &rep->base;
    return AT_OK;
}

static const at_method_t s_methods[] = {
    {"billing-sync.dashboard", s_dashboard, &atrium__billing__dashboard_request__descriptor,
     &atrium__billing__dashboard_reply__descriptor, 0},
    {"billing-sync.invoices", s_invoices, &atrium__billing__invoice_list_request__descriptor,
     &atrium__billing__invoice_page__descriptor, 0},
    {"billing-sync.invoice", s_invoice_get, &atrium__billing__invoice_get_request__descriptor,
     &atrium__billing__invoice__descriptor, 0},
    {"billing-sync.integrations", s_integrations,
     &atrium__billing__integration_list_request__descriptor,
     &atrium__billing__integration_list__descriptor, 0},
    {"billing-sync.connect", s_connect, &atrium__billing__connect_request__descriptor,
     &atrium__billing__connect_reply__descriptor, 0},
    {"billing-sync.callback", s_callback, &atrium__billing__callback_request__descriptor,
     &atrium__billing__callback_reply__descriptor, 0},
    {"billing-sync.sync", s_sync, &atrium__billing__sync_request__descriptor,
     &atrium__billing__sync_reply__descriptor, 0},
    {"billing-sync.sync_get", s_sync_get, &atrium__billing__sync_get_request__descriptor,
     &atrium__billing__sync__descriptor, 0},
    {NULL, NULL, NULL, NULL, 0},
};

const at_service_def_t billing_service = {
    .name = "billing-sync",
    .schema = "billing",
    .methods = s_methods,
    .migrations = billing_migrations,
    .config = s_keys,
    .background = s_background,
};
