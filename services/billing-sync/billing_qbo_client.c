/* billing_qbo_client: QuickBooks Online OAuth + paged query over libcurl.
 *
 * One easy handle per client so connections are reused across pages. It does
 * not persist, log, or share itself between threads.
 */
#include "billing_qbo_client.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A query page of 1000 invoices is ~1 MB; anything near this is not QBO. */
#define S_BODY_CAP (64u * 1024 * 1024)
/* Refresh this long before the access token's stated expiry. */
#define S_REFRESH_MARGIN_MS 60000
#define S_BACKOFF_CAP_MS 30000

struct billing_qbo_client_t {
    CURL *curl;
    char *token_url, *api_base, *realm_id, *client_id, *client_secret;
    char *refresh_token, *access_token;
    char *home_currency, *minor_version;
    bool include_invoice_link;
    long connect_timeout_ms, request_timeout_ms, retry_budget_ms, throttle_wait_ms, backoff_ms;
    int max_retries, page_size;
    long long access_expires_ms; /* monotonic */
    billing_qbo_tokens_fn *on_tokens;
    void *on_tokens_arg;
    char *body; /* the last response; reused between requests */
    size_t body_len, body_cap;
    bool body_overflow;
};

static void s_set_error(billing_qbo_error_t *err, billing_qbo_err_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void s_set_error(billing_qbo_error_t *err, billing_qbo_err_t code, const char *fmt, ...)
{
    if (!err)
        return;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

static long long s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void s_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static char *s_strdup(const char *s)
{
    if (!s)
        return NULL;
    char *copy = strdup(s);
    if (!copy)
        abort();
    return copy;
}

/* Frees a secret after overwriting it, so it does not linger in freed heap. */
static void s_free_secret(char **s)
{
    if (*s) {
        volatile char *p = *s;
        while (*p)
            *p++ = 0;
        free(*s);
        *s = NULL;
    }
}

static bool s_is_http_url(const char *s)
{
    return s && (strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0);
}

billing_qbo_client_t *billing_qbo_client_new(const billing_qbo_config_t *c)
{
    if (!c || !s_is_http_url(c->token_url) || !s_is_http_url(c->api_base) || !c->realm_id ||
        !*c->realm_id || !c->client_id || !c->client_secret || c->page_size < 0 ||
        c->page_size > BILLING_QBO_PAGE_MAX)
        return NULL;
    billing_qbo_client_t *self = calloc(1, sizeof *self);
    if (!self)
        abort();
    self->curl = curl_easy_init();
    if (!self->curl) {
        free(self);
        return NULL;
    }
    self->token_url = s_strdup(c->token_url);
    self->api_base = s_strdup(c->api_base);
    size_t n = strlen(self->api_base);
    if (n && self->api_base[n - 1] == '/')
        self->api_base[n - 1] = '\0';
    self->realm_id = s_strdup(c->realm_id);
    self->client_id = s_strdup(c->client_id);
    self->client_secret = s_strdup(c->client_secret);
    self->refresh_token = s_strdup(c->refresh_token);
    self->home_currency = s_strdup(c->home_currency ? c->home_currency : "USD");
    self->minor_version = s_strdup(c->minor_version ? c->minor_version : "75");
    self->include_invoice_link = c->include_invoice_link;
    self->connect_timeout_ms = c->connect_timeout_ms > 0 ? c->connect_timeout_ms : 5000;
    self->request_timeout_ms = c->request_timeout_ms > 0 ? c->request_timeout_ms : 60000;
    self->max_retries = c->max_retries > 0 ? c->max_retries : c->max_retries < 0 ? 0 : 5;
    self->retry_budget_ms = c->retry_budget_ms > 0 ? c->retry_budget_ms : 180000;
    self->throttle_wait_ms = c->throttle_wait_ms > 0 ? c->throttle_wait_ms : 60000;
    self->backoff_ms = c->backoff_ms > 0 ? c->backoff_ms : 1000;
    self->page_size = c->page_size > 0 ? c->page_size : BILLING_QBO_PAGE_MAX;
    self->on_tokens = c->on_tokens;
    self->on_tokens_arg = c->on_tokens_arg;
    return self;
}

void billing_qbo_client_destroy(billing_qbo_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    billing_qbo_client_t *self = *self_p;
    curl_easy_cleanup(self->curl);
    free(self->token_url);
    free(self->api_base);
    free(self->realm_id);
    free(self->client_id);
    s_free_secret(&self->client_secret);
    s_free_secret(&self->refresh_token);
    s_free_secret(&self->access_token);
    free(self->home_currency);
    free(self->minor_version);
    free(self->body);
    free(self);
    *self_p = NULL;
}

const char *billing_qbo_client_refresh_token(const billing_qbo_client_t *self)
{
    return self ? self->refresh_token : NULL;
}

/* ---------------------------------------------------------------- one attempt */

static size_t s_on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    billing_qbo_client_t *self = arg;
    size_t n = size * nmemb;
    if (self->body_len + n + 1 > S_BODY_CAP) {
        self->body_overflow = true;
        return 0; /* aborts the transfer */
    }
    if (self->body_len + n + 1 > self->body_cap) {
        size_t cap = self->body_cap ? self->body_cap : 64 * 1024;
        while (cap < self->body_len + n + 1)
            cap *= 2;
        char *grown = realloc(self->body, cap);
        if (!grown)
            abort();
        self->body = grown;
        self->body_cap = cap;
    }
    memcpy(self->body + self->body_len, data, n);
    self->body_len += n;
    self->body[self->body_len] = '\0';
    return n;
}

/* One HTTP exchange. form != NULL makes it a token POST with Basic client
 * auth, else a GET with the bearer token. Returns 0 with *status set, or -1
 * with err filled for a transport failure. */
static int s_attempt(billing_qbo_client_t *self, const char *url, const char *form, long *status,
                     long *retry_after_s, billing_qbo_error_t *err)
{
    CURL *curl = self->curl;
    curl_easy_reset(curl); /* options only; the connection cache stays */
    self->body_len = 0;
    self->body_overflow = false;
    if (self->body)
        self->body[0] = '\0';

    struct curl_slist *headers = curl_slist_append(NULL, "Accept: application/json");
    if (form)
        headers = curl_slist_append(headers, "Content-Type: application/x-www-form-urlencoded");
    if (!headers)
        abort();
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, self->connect_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, self->request_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, ""); /* gzip for the big pages */
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, s_on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, self);
    if (form) {
        curl_easy_setopt(curl, CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC);
        curl_easy_setopt(curl, CURLOPT_USERNAME, self->client_id);
        curl_easy_setopt(curl, CURLOPT_PASSWORD, self->client_secret);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, form);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long) strlen(form));
    } else {
        curl_easy_setopt(curl, CURLOPT_HTTPAUTH, (long) CURLAUTH_BEARER);
        curl_easy_setopt(curl, CURLOPT_XOAUTH2_BEARER, self->access_token);
    }
    CURLcode rc = curl_easy_perform(curl);
    curl_slist_free_all(headers);
    *status = 0;
    *retry_after_s = 0;
    if (rc != CURLE_OK) {
        if (self->body_overflow)
            s_set_error(err, BILLING_QBO_E_BAD_RESPONSE, "response larger than %u bytes",
                        S_BODY_CAP);
        else
            s_set_error(err, BILLING_QBO_E_TRANSPORT, "%s", curl_easy_strerror(rc));
        return -1;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
    curl_off_t retry_after = 0;
    if (curl_easy_getinfo(curl, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK && retry_after > 0)
        *retry_after_s = (long) retry_after;
    return 0;
}

/* Exponential backoff with equal jitter: half fixed, half random, so many
 * workers do not come back in step. */
static long s_backoff(const billing_qbo_client_t *self, int attempt)
{
    long wait = self->backoff_ms;
    for (int i = 0; i < attempt && wait < S_BACKOFF_CAP_MS; i++)
        wait *= 2;
    if (wait > S_BACKOFF_CAP_MS)
        wait = S_BACKOFF_CAP_MS;
    unsigned int r = 0;
    if (RAND_bytes((unsigned char *) &r, sizeof r) != 1)
        r = 0;
    return wait / 2 + (long) (r % (unsigned) (wait / 2 + 1));
}

static int s_refresh_if_due(billing_qbo_client_t *self, billing_qbo_error_t *err);

/* A request with the retry policy of A6/A7: 429 waits Retry-After or
 * throttle_wait_ms; 5xx and transport failures back off; a 401 on the API
 * refreshes once. The budget bounds the time slept. Returns 0 with a 2xx
 * body in self->body, 1 with a final non-retryable HTTP status in *status
 * (body kept for the caller to classify), or -1 with err filled. */
static int s_request(billing_qbo_client_t *self, const char *url, const char *form, long *status,
                     billing_qbo_error_t *err)
{
    bool refreshed = false;
    long slept = 0;
    for (int attempt = 0;; attempt++) {
        if (!form && s_refresh_if_due(self, err) != 0)
            return -1;
        long retry_after_s = 0, wait;
        billing_qbo_err_t code;
        int rc = s_attempt(self, url, form, status, &retry_after_s, err);
        err->http_status = (int) *status;
        if (rc != 0 && self->body_overflow)
            return -1;
        if (rc != 0) {
            code = BILLING_QBO_E_TRANSPORT;
            wait = s_backoff(self, attempt);
        } else if (*status >= 200 && *status < 300) {
            err->code = BILLING_QBO_OK; /* forget the failures retried away */
            err->message[0] = err->fault_code[0] = '\0';
            return 0;
        } else if (*status == 401 && !form && !refreshed) {
            /* The token died early (revoked, clock skew): one refresh (A6 3200). */
            refreshed = true;
            self->access_expires_ms = 0;
            attempt--;
            continue;
        } else if (*status == 429) {
            code = BILLING_QBO_E_THROTTLED;
            wait = retry_after_s ? retry_after_s * 1000 : self->throttle_wait_ms;
        } else if (*status >= 500) {
            code = BILLING_QBO_E_UNAVAILABLE;
            wait = retry_after_s ? retry_after_s * 1000 : s_backoff(self, attempt);
        } else {
            return 1;
        }
        if (attempt >= self->max_retries || slept + wait > self->retry_budget_ms) {
            if (rc == 0)
                s_set_error(err, code, "http %ld after %d attempts", *status, attempt + 1);
            else
                err->code = code; /* keep curl's message */
            err->retry_after_s = retry_after_s;
            return -1;
        }
        s_sleep_ms(wait);
        slept += wait;
    }
}

/* ---------------------------------------------------------------- tokens */

static int s_token_call(billing_qbo_client_t *self, const char *form, billing_qbo_error_t *err)
{
    long status = 0;
    int rc = s_request(self, self->token_url, form, &status, err);
    if (rc < 0)
        return -1;
    json_error_t jerr;
    json_t *root = json_loadb(self->body ? self->body : "", self->body_len, 0, &jerr);
    int result = -1;
    if (rc == 1) {
        /* RFC 6749 §5.2 error body: {"error":"invalid_grant", ...} */
        json_t *e = json_object_get(root, "error");
        const char *code = json_is_string(e) ? json_string_value(e) : "";
        snprintf(err->fault_code, sizeof err->fault_code, "%s", code);
        billing_qbo_err_t kind = strcmp(code, "invalid_grant") == 0 ? BILLING_QBO_E_REAUTH
                                 : status == 401 || strcmp(code, "invalid_client") == 0
                                     ? BILLING_QBO_E_CONFIG
                                     : BILLING_QBO_E_AUTH;
        s_set_error(err, kind, "token endpoint answered http %ld %s", status,
                    *code ? code : "without an error code");
        goto cleanup;
    }
    json_t *at = json_object_get(root, "access_token");
    json_t *rt = json_object_get(root, "refresh_token");
    json_t *exp = json_object_get(root, "expires_in");
    json_t *rexp = json_object_get(root, "x_refresh_token_expires_in");
    /* A 200 without tokens must not wipe the ones we have (P3). */
    if (!json_is_string(at) || !*json_string_value(at) || !json_is_string(rt) ||
        !*json_string_value(rt)) {
        s_set_error(err, BILLING_QBO_E_BAD_RESPONSE, "token response without tokens");
        goto cleanup;
    }
    billing_qbo_tokens_t tokens = {
        .access_token = json_string_value(at),
        .expires_in_s = json_is_integer(exp) ? (long) json_integer_value(exp) : 3600,
        .refresh_token = json_string_value(rt),
        .refresh_expires_in_s = json_is_integer(rexp) ? (long) json_integer_value(rexp) : 0,
    };
    /* The old refresh token may already be dead: hold the new one even if
     * persisting fails, but use the access token only once it is stored. */
    s_free_secret(&self->refresh_token);
    self->refresh_token = s_strdup(tokens.refresh_token);
    s_free_secret(&self->access_token);
    self->access_expires_ms = 0;
    if (self->on_tokens && self->on_tokens(&tokens, self->on_tokens_arg) != 0) {
        s_set_error(err, BILLING_QBO_E_PERSIST, "new tokens could not be stored");
        goto cleanup;
    }
    self->access_token = s_strdup(tokens.access_token);
    self->access_expires_ms = s_now_ms() + tokens.expires_in_s * 1000;
    result = 0;
cleanup:
    json_decref(root);
    return result;
}

/* Builds "k1=v1&k2=v2..." with every value URL-encoded; NULL-terminated
 * key/value list. Returns a new string or NULL. */
static char *s_form(CURL *curl, ...)
{
    va_list ap;
    va_start(ap, curl);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f)
        abort();
    const char *key;
    bool first = true, ok = true;
    while ((key = va_arg(ap, const char *))) {
        const char *value = va_arg(ap, const char *);
        char *escaped = curl_easy_escape(curl, value ? value : "", 0);
        ok = ok && escaped;
        fprintf(f, "%s%s=%s", first ? "" : "&", key, escaped ? escaped : "");
        curl_free(escaped);
        first = false;
    }
    va_end(ap);
    fclose(f);
    if (!ok) {
        s_free_secret(&out);
        return NULL;
    }
    return out;
}

int billing_qbo_client_refresh(billing_qbo_client_t *self, billing_qbo_error_t *err)
{
    billing_qbo_error_t local;
    if (!err)
        err = &local;
    memset(err, 0, sizeof *err);
    if (!self) {
        s_set_error(err, BILLING_QBO_E_CONFIG, "no client");
        return -1;
    }
    if (!self->refresh_token) {
        s_set_error(err, BILLING_QBO_E_REAUTH, "no refresh token: connect first");
        return -1;
    }
    char *form = s_form(self->curl, "grant_type", "refresh_token", "refresh_token",
                        self->refresh_token, (const char *) NULL);
    if (!form) {
        s_set_error(err, BILLING_QBO_E_CONFIG, "cannot encode the token request");
        return -1;
    }
    int rc = s_token_call(self, form, err);
    s_free_secret(&form);
    return rc;
}

int billing_qbo_client_exchange_code(billing_qbo_client_t *self, const char *code,
                                     const char *redirect_uri, billing_qbo_error_t *err)
{
    billing_qbo_error_t local;
    if (!err)
        err = &local;
    memset(err, 0, sizeof *err);
    if (!self || !code || !redirect_uri) {
        s_set_error(err, BILLING_QBO_E_CONFIG, "code and redirect_uri are required");
        return -1;
    }
    char *form = s_form(self->curl, "grant_type", "authorization_code", "code", code,
                        "redirect_uri", redirect_uri, (const char *) NULL);
    if (!form) {
        s_set_error(err, BILLING_QBO_E_CONFIG, "cannot encode the token request");
        return -1;
    }
    int rc = s_token_call(self, form, err);
    s_free_secret(&form);
    return rc;
}

static int s_refresh_if_due(billing_qbo_client_t *self, billing_qbo_error_t *err)
{
    if (self->access_token && s_now_ms() < self->access_expires_ms - S_REFRESH_MARGIN_MS)
        return 0;
    return billing_qbo_client_refresh(self, err);
}

/* ---------------------------------------------------------------- pull */

/* {base}/v3/company/{realm}/query?query=...&minorversion=..[&include=invoiceLink] */
static char *s_query_url(billing_qbo_client_t *self, const char *statement)
{
    char *realm = curl_easy_escape(self->curl, self->realm_id, 0);
    char *query = curl_easy_escape(self->curl, statement, 0);
    char *mv = curl_easy_escape(self->curl, self->minor_version, 0);
    char *url = NULL;
    if (realm && query && mv &&
        asprintf(&url, "%s/v3/company/%s/query?query=%s&minorversion=%s%s", self->api_base, realm,
                 query, mv, self->include_invoice_link ? "&include=invoiceLink" : "") < 0)
        abort();
    curl_free(realm);
    curl_free(query);
    curl_free(mv);
    return url;
}

int billing_qbo_client_pull(billing_qbo_client_t *self, billing_qbo_entity_t entity,
                            const char *since, billing_qbo_page_fn *fn, void *arg,
                            billing_qbo_error_t *err)
{
    billing_qbo_error_t local;
    if (!err)
        err = &local;
    memset(err, 0, sizeof *err);
    if (!self || !fn) {
        s_set_error(err, BILLING_QBO_E_CONFIG, "no client or page callback");
        return -1;
    }
    for (long start = 1;;) {
        char *statement = billing_qbo_query_build(entity, since, start, self->page_size);
        if (!statement) {
            s_set_error(err, BILLING_QBO_E_CONFIG,
                        "cannot build the query: since must be RFC 3339 with an offset");
            return -1;
        }
        char *url = s_query_url(self, statement);
        free(statement);
        if (!url) {
            s_set_error(err, BILLING_QBO_E_CONFIG, "cannot encode the query url");
            return -1;
        }
        long status = 0;
        int rc = s_request(self, url, NULL, &status, err);
        free(url);
        if (rc < 0)
            return -1;
        billing_qbo_page_t *page = NULL;
        billing_qbo_error_t perr = {0};
        if (billing_qbo_page_parse(self->body, self->body_len, entity, self->home_currency, &page,
                                   &perr) != 0 ||
            rc == 1) {
            /* A non-2xx answer: say what it was, with QBO's Fault if it sent one. */
            if (rc == 1 && perr.code != BILLING_QBO_E_FAULT)
                s_set_error(&perr,
                            status == 404 ? BILLING_QBO_E_CONFIG : BILLING_QBO_E_BAD_RESPONSE,
                            "http %ld without a fault body%s", status,
                            status == 404 ? ": check api_base and realm" : "");
            if (rc == 1 && (status == 401 || status == 403))
                perr.code = BILLING_QBO_E_AUTH;
            perr.http_status = (int) status;
            *err = perr;
            billing_qbo_page_destroy(&page);
            return -1;
        }
        /* A server that ignores STARTPOSITION would page forever (P6). */
        if (page->start_position && page->start_position != start) {
            s_set_error(err, BILLING_QBO_E_BAD_RESPONSE, "asked for row %ld, got row %ld", start,
                        page->start_position);
            billing_qbo_page_destroy(&page);
            return -1;
        }
        size_t returned = page->returned;
        int stop = fn(page, arg);
        billing_qbo_page_destroy(&page);
        if (stop) {
            s_set_error(err, BILLING_QBO_E_ABORTED, "stopped by the page callback at row %ld",
                        start);
            return -1;
        }
        if (returned < (size_t) self->page_size)
            return 0; /* a short (or empty) page is the last one */
        start += (long) returned;
    }
}
