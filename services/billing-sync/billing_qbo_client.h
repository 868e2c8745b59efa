/* billing_qbo_client: the QuickBooks Online HTTP client of billing-sync (libcurl).
 *
 * Gets and refreshes OAuth 2.0 tokens (RFC 6749 §4.1.3, §6; integrations.md A1)
 * and pulls Invoice/Customer/Payment through the paged query endpoint (A3),
 * handing each parsed page to a callback. Retries 429/5xx/transport failures
 * within a budget, refreshes once on 401 (A6, A7).
 *
 * It deliberately does not store tokens or records (the caller's callbacks
 * do), keep a checkpoint, run CDC or webhooks, rate-limit across workers
 * (P2/P4: one client per realm, used by one thread at a time), or log.
 * The program calls curl_global_init() once in main before any client exists.
 */
#ifndef BILLING_QBO_CLIENT_H
#define BILLING_QBO_CLIENT_H

#include "billing_qbo.h"

typedef struct billing_qbo_client_t billing_qbo_client_t;

/* A successful token response (A1). Strings are borrowed for the call. */
typedef struct {
    const char *access_token;
    long expires_in_s;         /* access token life, usually 3600 */
    const char *refresh_token; /* may differ from the one used: persist it (P1) */
    long refresh_expires_in_s; /* x_refresh_token_expires_in, 0 if absent */
} billing_qbo_tokens_t;

/* Called with every new token pair before the client uses it. Return 0 once
 * the refresh token is durably stored; non-zero makes the refresh fail with
 * BILLING_QBO_E_PERSIST and the new access token unused (P1). */
typedef int(billing_qbo_tokens_fn)(const billing_qbo_tokens_t *tokens, void *arg);

/* Called once per page, in order. The page is borrowed and freed when the
 * call returns, so a pull never holds more than one page. Return 0 to go on,
 * non-zero to stop the pull with BILLING_QBO_E_ABORTED. */
typedef int(billing_qbo_page_fn)(const billing_qbo_page_t *page, void *arg);

/* Strings are copied by billing_qbo_client_new; zero numbers take the default. */
typedef struct {
    const char *token_url; /* required: https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer */
    const char *api_base;  /* required: https://quickbooks.api.intuit.com (no /v3) */
    const char *realm_id;  /* required: the company id */
    const char *client_id; /* required */
    const char *client_secret;        /* required; sent as HTTP Basic (client_secret_basic) */
    const char *refresh_token;        /* the stored one; NULL until exchange_code ran */
    const char *home_currency;        /* for records without CurrencyRef; NULL = "USD" */
    const char *minor_version;        /* NULL = "75", the floor since Aug 2025 (A2) */
    bool include_invoice_link;        /* ask for InvoiceLink (P14: slower, off for bulk) */
    long connect_timeout_ms;          /* per attempt; default 5000 */
    long request_timeout_ms;          /* whole attempt; default 60000 (QBO cuts at 120 s) */
    int max_retries;                  /* per request; default 5, negative = none */
    long retry_budget_ms;             /* most time slept between attempts of one request;
                                  default 180000 */
    long throttle_wait_ms;            /* 429 without Retry-After; default 60000 (A7) */
    long backoff_ms;                  /* first 5xx/transport wait, doubling, jittered;
                                  default 1000, capped at 30000 */
    int page_size;                    /* rows per query, 1..1000; default 1000 (P6) */
    billing_qbo_tokens_fn *on_tokens; /* may be NULL (tests); then nothing persists */
    void *on_tokens_arg;
} billing_qbo_config_t;

/* Makes a client from config (borrowed; copied). Returns NULL when a required
 * field is missing, a URL is not http(s), page_size is out of range, or
 * libcurl cannot start. */
billing_qbo_client_t *billing_qbo_client_new(const billing_qbo_config_t *config);

/* Frees the client and wipes its secrets; accepts NULL and a pointer to NULL,
 * and sets *self_p to NULL. */
void billing_qbo_client_destroy(billing_qbo_client_t **self_p);

/* Exchanges an authorization code from the consent redirect (RFC 6749
 * §4.1.3) for tokens; redirect_uri must be the one the authorize request
 * carried. Returns 0, or -1 with err filled (E_REAUTH for invalid_grant,
 * E_CONFIG for bad client credentials, E_PERSIST, E_BAD_RESPONSE, ...). */
int billing_qbo_client_exchange_code(billing_qbo_client_t *self, const char *code,
                                     const char *redirect_uri, billing_qbo_error_t *err);

/* Refreshes the access token now (RFC 6749 §6). The client also does this by
 * itself before a request when the token has under a minute left, and once on
 * a 401. Returns 0, or -1 with err filled; E_REAUTH means the user must
 * reconnect (the refresh token is dead or superseded). */
int billing_qbo_client_refresh(billing_qbo_client_t *self, billing_qbo_error_t *err);

/* The newest refresh token the client holds (borrowed; NULL if none). */
const char *billing_qbo_client_refresh_token(const billing_qbo_client_t *self);

/* Pulls every row of entity changed at or after since (RFC 3339 with offset
 * or Z; NULL = all rows) with `select ... startposition n maxresults
 * page_size`, oldest change first, calling fn(page, arg) for each page until a
 * short page. Rows updated while the pull runs can shift between pages (P7):
 * the caller checkpoints on the rows it saw and re-pulls from there.
 * Returns 0 when all pages were delivered, or -1 with err filled. */
int billing_qbo_client_pull(billing_qbo_client_t *self, billing_qbo_entity_t entity,
                            const char *since, billing_qbo_page_fn *fn, void *arg,
                            billing_qbo_error_t *err);

#endif
