/* billing_qbo_client against tests/fakes/qbo_fake.py: OAuth, paging of 10k
 * invoices, retries on 429/5xx/401 and the error codes. The fake runs as a
 * child process on a port it picks and prints, so tests never race for one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "billing_qbo_client.h"

#ifndef ATRIUM_SOURCE_DIR
#error "ATRIUM_SOURCE_DIR must name the source tree (set by tests/unit/CMakeLists.txt)"
#endif

#define S_REALM "9130355678"
#define S_CLIENT_ID "atrium-test-client"
#define S_CLIENT_SECRET "s3cret:with/odd=chars"
#define S_FIRST_RT "RT-initial"
#define S_TODAY "2026-11-29"
#define S_INVOICES 10000
#define S_SEEDED 5

extern char **environ;

typedef struct {
    pid_t pid;
    int port;
    char base[64];
    char token_url[128];
} fake_t;

static fake_t s_fake;

/* ---------------------------------------------------------------- the fake */

static int s_fake_start(void **state)
{
    (void) state;
    int out[2];
    if (pipe(out) != 0)
        return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    char *argv[] = {"python3",
                    ATRIUM_SOURCE_DIR "/tests/fakes/qbo_fake.py",
                    "--port",
                    "0",
                    "--realm",
                    S_REALM,
                    "--client-id",
                    S_CLIENT_ID,
                    "--client-secret",
                    S_CLIENT_SECRET,
                    "--refresh-token",
                    S_FIRST_RT,
                    "--seed",
                    ATRIUM_SOURCE_DIR "/tests/fixtures/qbo_seed.json",
                    "--invoices",
                    "10000",
                    "--customers",
                    "50",
                    NULL};
    int rc = posix_spawnp(&s_fake.pid, "python3", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    if (rc != 0) {
        close(out[0]);
        return -1;
    }
    /* First line is "PORT <n>", printed once the socket listens. */
    char line[64] = "";
    size_t len = 0;
    struct pollfd pfd = {.fd = out[0], .events = POLLIN};
    while (len < sizeof line - 1 && !strchr(line, '\n') && poll(&pfd, 1, 20000) > 0) {
        ssize_t n = read(out[0], line + len, sizeof line - 1 - len);
        if (n <= 0)
            break;
        len += (size_t) n;
        line[len] = '\0';
    }
    close(out[0]);
    if (sscanf(line, "PORT %d", &s_fake.port) != 1) {
        fprintf(stderr, "qbo_fake did not start: \"%s\"\n", line);
        return -1;
    }
    snprintf(s_fake.base, sizeof s_fake.base, "http://127.0.0.1:%d", s_fake.port);
    snprintf(s_fake.token_url, sizeof s_fake.token_url, "%s/oauth2/v1/tokens/bearer", s_fake.base);
    return 0;
}

static int s_fake_stop(void **state)
{
    (void) state;
    if (s_fake.pid > 0) {
        kill(s_fake.pid, SIGTERM);
        waitpid(s_fake.pid, NULL, 0);
    }
    return 0;
}

typedef struct {
    char *data;
    size_t len;
} buf_t;

static size_t s_buf_write(char *p, size_t size, size_t n, void *arg)
{
    buf_t *b = arg;
    b->data = realloc(b->data, b->len + size * n + 1);
    memcpy(b->data + b->len, p, size * n);
    b->len += size * n;
    b->data[b->len] = '\0';
    return size * n;
}

/* Calls the fake's control API; returns the JSON answer (caller decrefs). */
static json_t *s_control(const char *path, const char *body)
{
    char url[256];
    snprintf(url, sizeof url, "%s/_fake/%s", s_fake.base, path);
    buf_t b = {0};
    CURL *curl = curl_easy_init();
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, s_buf_write);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
    if (body)
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    assert_int_equal(curl_easy_perform(curl), CURLE_OK);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    assert_int_equal(status, 200);
    json_t *v = json_loadb(b.data, b.len, 0, NULL);
    free(b.data);
    assert_non_null(v);
    return v;
}

/* stats.<group>.<key> of the fake, 0 when absent. */
static long s_stat(const char *group, const char *key)
{
    json_t *stats = s_control("stats", NULL);
    json_t *v = json_object_get(json_object_get(stats, group), key);
    long n = json_is_integer(v) ? (long) json_integer_value(v) : 0;
    json_decref(stats);
    return n;
}

static void s_control_ok(const char *path, const char *body)
{
    json_decref(s_control(path, body));
}

static long long s_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------- clients */

typedef struct {
    int calls;
    int fail;          /* make the next on_tokens fail */
    char refresh[256]; /* the last refresh token handed over */
} store_t;

static int s_store_tokens(const billing_qbo_tokens_t *t, void *arg)
{
    store_t *store = arg;
    store->calls++;
    assert_true(strlen(t->access_token) > 0);
    assert_true(t->expires_in_s > 0);
    snprintf(store->refresh, sizeof store->refresh, "%s", t->refresh_token);
    return store->fail ? -1 : 0;
}

/* The shared store: the newest refresh token survives across tests like it
 * would in the database, since the fake rotates it. */
static store_t s_store = {.refresh = S_FIRST_RT};

static billing_qbo_config_t s_config(store_t *store)
{
    billing_qbo_config_t c = {
        .token_url = s_fake.token_url,
        .api_base = s_fake.base,
        .realm_id = S_REALM,
        .client_id = S_CLIENT_ID,
        .client_secret = S_CLIENT_SECRET,
        .refresh_token = store->refresh,
        .connect_timeout_ms = 2000,
        .request_timeout_ms = 10000,
        .throttle_wait_ms = 50,
        .backoff_ms = 10,
        .retry_budget_ms = 5000,
        .on_tokens = s_store_tokens,
        .on_tokens_arg = store,
    };
    return c;
}

static billing_qbo_client_t *s_client(void)
{
    billing_qbo_config_t c = s_config(&s_store);
    billing_qbo_client_t *client = billing_qbo_client_new(&c);
    assert_non_null(client);
    return client;
}

/* ---------------------------------------------------------------- pulls */

typedef struct {
    size_t rows, pages, skipped, last_returned;
    int abort_after;
    int status_count[4];
    bool seen[S_SEEDED + 1];
} tally_t;

static void s_check_seeded(const billing_qbo_invoice_t *inv, tally_t *t)
{
    int id = atoi(inv->id); /* the seed holds Ids 1..5, generated ones follow */
    if (id < 1 || id > S_SEEDED)
        return;
    t->seen[id] = true;
    billing_qbo_status_t st = billing_qbo_invoice_status(inv, S_TODAY);
    switch (id) {
    case 1:
        assert_string_equal(inv->sync_token, "2");
        assert_string_equal(inv->total, "1250.50");
        assert_string_equal(inv->balance, "1250.50");
        assert_string_equal(inv->currency, "USD");
        assert_string_equal(inv->issued_on, "2024-03-01");
        assert_string_equal(inv->due_on, "2024-03-31");
        assert_string_equal(inv->customer_id, "1");
        assert_string_equal(inv->customer_name, "O'Keefe's Dental \xe2\x80\x93 North");
        assert_string_equal(inv->updated_at, "2024-03-05T14:02:10-08:00");
        assert_int_equal(st, BILLING_QBO_OVERDUE);
        break;
    case 2:
        assert_string_equal(inv->total, "1500");
        assert_string_equal(inv->balance, "0");
        assert_string_equal(inv->currency, "JPY");
        assert_int_equal(st, BILLING_QBO_PAID);
        break;
    case 3:
        assert_string_equal(inv->total, "12.125");
        assert_string_equal(inv->currency, "KWD");
        assert_int_equal(st, BILLING_QBO_OPEN);
        break;
    case 4:
        assert_string_equal(inv->total, "0.00");
        assert_int_equal(st, BILLING_QBO_VOID);
        break;
    case 5:
        assert_string_equal(inv->total, "999999999.99");
        assert_string_equal(inv->balance, "0.30");
        break;
    }
}

static int s_on_invoices(const billing_qbo_page_t *page, void *arg)
{
    tally_t *t = arg;
    assert_int_equal(page->entity, BILLING_QBO_INVOICE);
    t->pages++;
    t->rows += page->count;
    t->skipped += page->skipped;
    t->last_returned = page->returned;
    for (size_t i = 0; i < page->count; i++) {
        const billing_qbo_invoice_t *inv = &page->invoices[i];
        assert_non_null(inv->id);
        t->status_count[billing_qbo_invoice_status(inv, S_TODAY)]++;
        s_check_seeded(inv, t);
    }
    return t->abort_after && (int) t->pages >= t->abort_after;
}

static void test_pull_10k_invoices(void **state)
{
    (void) state;
    long tokens_before = s_stat("requests", "token");
    long queries_before = s_stat("requests", "query");
    billing_qbo_client_t *client = s_client();
    tally_t t = {0};
    billing_qbo_error_t err;
    long long t0 = s_ms();
    int rc = billing_qbo_client_pull(client, BILLING_QBO_INVOICE, NULL, s_on_invoices, &t, &err);
    long long elapsed = s_ms() - t0;
    if (rc != 0)
        fail_msg("pull failed: %s: %s", billing_qbo_err_name(err.code), err.message);
    print_message("pulled %zu invoices in %zu pages in %lld ms\n", t.rows, t.pages, elapsed);
    assert_int_equal(t.rows, S_INVOICES + S_SEEDED);
    assert_int_equal(t.skipped, 0);
    assert_int_equal(t.pages, (S_INVOICES + S_SEEDED) / 1000 + 1);
    assert_int_equal(t.last_returned, (S_INVOICES + S_SEEDED) % 1000);
    for (int i = 1; i <= S_SEEDED; i++)
        assert_true(t.seen[i]);
    /* The generator voids every 50th and pays 2 in 10 (tests/fakes/qbo_fake.py). */
    assert_int_equal(t.status_count[BILLING_QBO_VOID], 1 + S_INVOICES / 50);
    assert_int_equal(t.status_count[BILLING_QBO_PAID], 1 + S_INVOICES / 10 * 2);
    assert_int_equal(t.status_count[BILLING_QBO_OPEN] + t.status_count[BILLING_QBO_OVERDUE] +
                         t.status_count[BILLING_QBO_PAID] + t.status_count[BILLING_QBO_VOID],
                     S_INVOICES + S_SEEDED);
    /* One refresh (the client starts without an access token), one request per page. */
    assert_int_equal(s_stat("requests", "token") - tokens_before, 1);
    assert_int_equal(s_stat("requests", "query") - queries_before, (long) t.pages);
    /* the time is printed, not asserted: bench/run reports it against the
     * 2 s target of performance.md */
    billing_qbo_client_destroy(&client);
    assert_null(client);
    billing_qbo_client_destroy(&client);
}

typedef struct {
    size_t rows;
    billing_qbo_entity_t entity;
    char first_id[16], first_balance[32], first_sync[16];
    size_t inactive;
    char link_1[256]; /* pay_url of invoice 1, "" if none */
    bool link_2;      /* invoice 2 had a pay_url */
} rows_t;

static int s_on_rows(const billing_qbo_page_t *page, void *arg)
{
    rows_t *r = arg;
    assert_int_equal(page->entity, r->entity);
    for (size_t i = 0; i < page->count; i++) {
        if (page->entity == BILLING_QBO_CUSTOMER) {
            r->inactive += !page->customers[i].active;
            if (strcmp(page->customers[i].id, "1") == 0)
                assert_string_equal(page->customers[i].balance, "-42.50");
        } else if (page->entity == BILLING_QBO_INVOICE) {
            const billing_qbo_invoice_t *inv = &page->invoices[i];
            if (r->rows + i == 0) {
                snprintf(r->first_id, sizeof r->first_id, "%s", inv->id);
                snprintf(r->first_balance, sizeof r->first_balance, "%s", inv->balance);
                snprintf(r->first_sync, sizeof r->first_sync, "%s", inv->sync_token);
            }
            if (strcmp(inv->id, "1") == 0)
                snprintf(r->link_1, sizeof r->link_1, "%s", inv->pay_url ? inv->pay_url : "");
            if (strcmp(inv->id, "2") == 0)
                r->link_2 = inv->pay_url != NULL;
        }
    }
    r->rows += page->count;
    return 0;
}

static void test_pull_since_and_small_pages(void **state)
{
    (void) state;
    /* Change one invoice "now": only it is newer than 2026-01-01 (the rest are 2024/2025). */
    s_control_ok("invoices", "{\"Id\":\"3\",\"Balance\":0}");
    billing_qbo_client_t *client = s_client();
    rows_t r = {.entity = BILLING_QBO_INVOICE};
    billing_qbo_error_t err;
    assert_int_equal(billing_qbo_client_pull(client, BILLING_QBO_INVOICE, "2026-01-01T00:00:00Z",
                                             s_on_rows, &r, &err),
                     0);
    assert_int_equal(r.rows, 1);
    assert_string_equal(r.first_id, "3");
    assert_string_equal(r.first_balance, "0.000");
    assert_string_equal(r.first_sync, "1");

    /* A since the client would send unzoned is refused before any request. */
    long queries = s_stat("requests", "query");
    assert_int_equal(billing_qbo_client_pull(client, BILLING_QBO_INVOICE, "2026-01-01T00:00:00",
                                             s_on_rows, &r, &err),
                     -1);
    assert_int_equal(err.code, BILLING_QBO_E_CONFIG);
    assert_int_equal(s_stat("requests", "query"), queries);
    billing_qbo_client_destroy(&client);

    /* Customers in pages of 7: 2 seeded (one inactive) + 50 generated. */
    billing_qbo_config_t c = s_config(&s_store);
    c.page_size = 7;
    client = billing_qbo_client_new(&c);
    rows_t cust = {.entity = BILLING_QBO_CUSTOMER};
    queries = s_stat("requests", "query");
    assert_int_equal(
        billing_qbo_client_pull(client, BILLING_QBO_CUSTOMER, NULL, s_on_rows, &cust, &err), 0);
    assert_int_equal(cust.rows, 52);
    assert_int_equal(cust.inactive, 1);
    assert_int_equal(s_stat("requests", "query") - queries, 8); /* 7 full pages + 3 rows */
    billing_qbo_client_destroy(&client);

    client = s_client();
    rows_t pay = {.entity = BILLING_QBO_PAYMENT};
    assert_int_equal(billing_qbo_client_pull(client, BILLING_QBO_PAYMENT,
                                             "2024-03-06T09:00:00-08:00", s_on_rows, &pay, &err),
                     0);
    assert_int_equal(pay.rows, 1 + S_INVOICES / 10 * 3); /* seeded + paid + half paid */
    billing_qbo_client_destroy(&client);
}

typedef struct {
    rows_t rows;
    int pages;
} first_page_t;

static int s_first_page_only(const billing_qbo_page_t *page, void *arg)
{
    first_page_t *f = arg;
    s_on_rows(page, &f->rows);
    f->pages++;
    return 1;
}

static void test_invoice_link(void **state)
{
    (void) state;
    billing_qbo_config_t c = s_config(&s_store);
    c.page_size = 5;
    billing_qbo_error_t err;
    for (int ask = 0; ask <= 1; ask++) {
        c.include_invoice_link = ask;
        billing_qbo_client_t *client = billing_qbo_client_new(&c);
        first_page_t f = {.rows.entity = BILLING_QBO_INVOICE};
        assert_int_equal(
            billing_qbo_client_pull(client, BILLING_QBO_INVOICE, NULL, s_first_page_only, &f, &err),
            -1);
        assert_int_equal(err.code, BILLING_QBO_E_ABORTED);
        assert_int_equal(f.pages, 1);
        assert_int_equal(f.rows.rows, 5);
        /* Seeded #1 has BillEmail and online payment on; #2 has neither (P14). */
        if (ask)
            assert_non_null(strstr(f.rows.link_1, S_REALM "-1"));
        else
            assert_string_equal(f.rows.link_1, "");
        assert_false(f.rows.link_2);
        billing_qbo_client_destroy(&client);
    }
}

/* ---------------------------------------------------------------- retries */

static void test_throttle_is_retried(void **state)
{
    (void) state;
    long throttled = s_stat("status", "429");
    s_control_ok("inject", "{\"status\":429,\"count\":2}");
    billing_qbo_client_t *client = s_client();
    rows_t r = {.entity = BILLING_QBO_CUSTOMER};
    billing_qbo_error_t err;
    assert_int_equal(
        billing_qbo_client_pull(client, BILLING_QBO_CUSTOMER, NULL, s_on_rows, &r, &err), 0);
    assert_int_equal(r.rows, 52);
    assert_int_equal(s_stat("status", "429") - throttled, 2);

    /* Retry-After is honoured when the server sends one. */
    s_control_ok("inject", "{\"status\":429,\"count\":1,\"retry_after\":1}");
    r.rows = 0;
    long long t0 = s_ms();
    assert_int_equal(
        billing_qbo_client_pull(client, BILLING_QBO_CUSTOMER, NULL, s_on_rows, &r, &err), 0);
    assert_true(s_ms() - t0 >= 1000);
    assert_int_equal(r.rows, 52);
    billing_qbo_client_destroy(&client);
}

static void test_throttle_gives_up_within_budget(void **state)
{
    (void) state;
    billing_qbo_config_t c = s_config(&s_store);
    c.max_retries = 2;
    billing_qbo_client_t *client = billing_qbo_client_new(&c);
    billing_qbo_error_t err;
    rows_t r = {.entity = BILLING_QBO_CUSTOMER};
    /* Warm the token first so the injected faults meet queries only. */
    assert_int_equal(billing_qbo_client_refresh(client, &err), 0);
    s_control_ok("inject", "{\"status\":429,\"count\":3}");
    assert_int_equal(
        billing_qbo_client_pull(client, BILLING_QBO_CUSTOMER, NULL, s_on_rows, &r, &err), -1);
    assert_int_equal(err.code, BILLING_QBO_E_THROTTLED);
    assert_int_equal(err.http_status, 429);

    /* A Retry-After longer than the budget gives up at once, and says when. */
    c.max_retries = 5;
    c.retry_budget_ms = 500;
    billing_qbo_client_destroy(&client);
    client = billing_qbo_client_new(&c);
    assert_int_equal(billing_qbo_client_refresh(client, &err), 0);
    s_control_ok("inject", "{\"status\":429,\"count\":1,\"retry_after\":30}");
    long long t0 = s_ms();
    assert_int_equal(
        billing_qbo_client_pull(client, BILLING_QBO_CUSTOMER, NULL, s_on_rows, &r, &err), -1);
    assert_true(s_ms() - t0 < 10000); /* it did not sleep the 30 s */
    assert_int_equal(err.code, BILLING_QBO_E_THROTTLED);
    assert_int_equal(err.retry_after_s, 30);
    billing_qbo_client_destroy(&client);
}

static void test_server_errors_are_retried(void **state)
{
    (void) state;
    billing_qbo_client_t *client = s_client();
    billing_qbo_error_t err;
    assert_int_equal(billing_qbo_client_refresh(client, &err), 0);
    long before = s_stat("status", "503") + s_stat("status", "500");
    s_control_ok("inject", "{\"status\":503,\"count\":1}");
    s_control_ok("inject", "{\"status\":500,\"count\":1}");
    rows_t r = {.entity = BILLING_QBO_CUSTOMER};
    assert_int_equal(
        billing_qbo_client_pull(client, BILLING_QBO_CUSTOMER, NULL, s_on_rows, &r, &err), 0);
    assert_int_equal(r.rows, 52);
    assert_int_equal(s_stat("status", "503") + s_stat("status", "500") - before, 2);
    assert_int_equal(err.code, BILLING_QBO_OK); /* the retried failures are not reported */

    /* A 400 Fault is final: no retry, the QBO code comes back. */
    long queries = s_stat("requests", "query");
    s_control_ok("inject",
                 "{\"status\":400,\"code\":\"4000\",\"message\":\"Error parsing query\"}");
    assert_int_equal(
        billing_qbo_client_pull(client, BILLING_QBO_CUSTOMER, NULL, s_on_rows, &r, &err), -1);
    assert_int_equal(err.code, BILLING_QBO_E_FAULT);
    assert_int_equal(err.http_status, 400);
    assert_string_equal(err.fault_code, "4000");
    assert_int_equal(s_stat("requests", "query") - queries, 1);
    billing_qbo_client_destroy(&client);
}

static void test_transport_failure(void **state)
{
    (void) state;
    /* A port nobody listens on: bind one, note it, close it. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof sa), 0);
    socklen_t sl = sizeof sa;
    getsockname(fd, (struct sockaddr *) &sa, &sl);
    close(fd);
    char dead[64];
    snprintf(dead, sizeof dead, "http://127.0.0.1:%d", ntohs(sa.sin_port));

    billing_qbo_config_t c = s_config(&s_store);
    c.api_base = dead;
    c.max_retries = 2;
    billing_qbo_client_t *client = billing_qbo_client_new(&c);
    billing_qbo_error_t err;
    assert_int_equal(billing_qbo_client_refresh(client, &err), 0); /* token URL is fine */
    rows_t r = {.entity = BILLING_QBO_INVOICE};
    assert_int_equal(
        billing_qbo_client_pull(client, BILLING_QBO_INVOICE, NULL, s_on_rows, &r, &err), -1);
    assert_int_equal(err.code, BILLING_QBO_E_TRANSPORT);
    assert_int_equal(r.rows, 0);
    billing_qbo_client_destroy(&client);
}

/* ---------------------------------------------------------------- OAuth */

static void test_expired_token_refreshes_once(void **state)
{
    (void) state;
    billing_qbo_client_t *client = s_client();
    billing_qbo_error_t err;
    assert_int_equal(billing_qbo_client_refresh(client, &err), 0);
    /* Past the access token's hour on the fake's clock; the client still
     * believes its token is good, gets a 401 and refreshes once. */
    s_control_ok("clock", "{\"advance\":3700}");
    long tokens = s_stat("requests", "token"), unauthorized = s_stat("status", "401");
    rows_t r = {.entity = BILLING_QBO_CUSTOMER};
    assert_int_equal(
        billing_qbo_client_pull(client, BILLING_QBO_CUSTOMER, NULL, s_on_rows, &r, &err), 0);
    assert_int_equal(r.rows, 52);
    assert_int_equal(s_stat("requests", "token") - tokens, 1);
    assert_int_equal(s_stat("status", "401") - unauthorized, 1);
    billing_qbo_client_destroy(&client);
}

static void test_rotated_refresh_token_is_handed_over(void **state)
{
    (void) state;
    char old[256];
    snprintf(old, sizeof old, "%s", s_store.refresh);
    billing_qbo_client_t *client = s_client();
    billing_qbo_error_t err;
    /* Past the 24 h rotation period: the fake issues a new refresh token and
     * kills the old one at once (strict mode, P1). */
    s_control_ok("clock", "{\"advance\":90000}");
    int calls = s_store.calls;
    assert_int_equal(billing_qbo_client_refresh(client, &err), 0);
    assert_int_equal(s_store.calls, calls + 1);
    assert_string_not_equal(s_store.refresh, old);
    assert_string_equal(billing_qbo_client_refresh_token(client), s_store.refresh);

    /* Whoever still holds the old token must reconnect. */
    store_t stale = {0};
    snprintf(stale.refresh, sizeof stale.refresh, "%s", old);
    billing_qbo_config_t c = s_config(&stale);
    billing_qbo_client_t *other = billing_qbo_client_new(&c);
    assert_int_equal(billing_qbo_client_refresh(other, &err), -1);
    assert_int_equal(err.code, BILLING_QBO_E_REAUTH);
    assert_int_equal(err.http_status, 400);
    assert_string_equal(err.fault_code, "invalid_grant");
    assert_int_equal(stale.calls, 0);
    assert_string_equal(billing_qbo_client_refresh_token(other), old); /* not wiped */
    billing_qbo_client_destroy(&other);
    billing_qbo_client_destroy(&client);
}

static void test_tokens_not_stored_means_not_used(void **state)
{
    (void) state;
    store_t store = s_store;
    store.fail = 1;
    billing_qbo_config_t c = s_config(&store);
    billing_qbo_client_t *client = billing_qbo_client_new(&c);
    long queries = s_stat("requests", "query");
    rows_t r = {.entity = BILLING_QBO_CUSTOMER};
    billing_qbo_error_t err;
    assert_int_equal(
        billing_qbo_client_pull(client, BILLING_QBO_CUSTOMER, NULL, s_on_rows, &r, &err), -1);
    assert_int_equal(err.code, BILLING_QBO_E_PERSIST);
    assert_int_equal(s_stat("requests", "query"), queries);
    billing_qbo_client_destroy(&client);
}

static void test_bad_client_secret(void **state)
{
    (void) state;
    billing_qbo_config_t c = s_config(&s_store);
    c.client_secret = "wrong";
    billing_qbo_client_t *client = billing_qbo_client_new(&c);
    billing_qbo_error_t err;
    assert_int_equal(billing_qbo_client_refresh(client, &err), -1);
    assert_int_equal(err.code, BILLING_QBO_E_CONFIG);
    assert_int_equal(err.http_status, 401);
    assert_string_equal(err.fault_code, "invalid_client");
    billing_qbo_client_destroy(&client);
}

static size_t s_location(char *p, size_t size, size_t n, void *arg)
{
    if (strncasecmp(p, "Location:", 9) == 0)
        snprintf(arg, 512, "%.*s", (int) (size * n - 9), p + 9);
    return size * n;
}

static void test_authorization_code_exchange(void **state)
{
    (void) state;
    char url[512], location[512] = "";
    snprintf(url, sizeof url,
             "%s/connect/oauth2?client_id=%s&response_type=code&scope="
             "com.intuit.quickbooks.accounting&redirect_uri=http%%3A%%2F%%2Flocalhost%%2Fcb"
             "&state=st4te",
             s_fake.base, S_CLIENT_ID);
    CURL *curl = curl_easy_init();
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, s_location);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, location);
    assert_int_equal(curl_easy_perform(curl), CURLE_OK);
    curl_easy_cleanup(curl);
    char *code = strstr(location, "code=");
    assert_non_null(code);
    assert_non_null(strstr(location, "state=st4te"));
    assert_non_null(strstr(location, "realmId=" S_REALM));
    code += 5;
    code[strcspn(code, "&\r\n")] = '\0';

    store_t store = {0};
    billing_qbo_config_t c = s_config(&store);
    c.refresh_token = NULL;
    billing_qbo_client_t *client = billing_qbo_client_new(&c);
    billing_qbo_error_t err;
    assert_int_equal(billing_qbo_client_refresh(client, &err), -1); /* nothing to refresh with */
    assert_int_equal(err.code, BILLING_QBO_E_REAUTH);
    assert_int_equal(billing_qbo_client_exchange_code(client, code, "http://localhost/cb", &err),
                     0);
    assert_int_equal(store.calls, 1);
    assert_string_equal(billing_qbo_client_refresh_token(client), store.refresh);
    rows_t r = {.entity = BILLING_QBO_CUSTOMER};
    assert_int_equal(
        billing_qbo_client_pull(client, BILLING_QBO_CUSTOMER, NULL, s_on_rows, &r, &err), 0);
    assert_int_equal(r.rows, 52);
    /* Codes are single use. */
    assert_int_equal(billing_qbo_client_exchange_code(client, code, "http://localhost/cb", &err),
                     -1);
    assert_int_equal(err.code, BILLING_QBO_E_REAUTH);
    billing_qbo_client_destroy(&client);
}

static void test_config_is_checked(void **state)
{
    (void) state;
    billing_qbo_config_t c = s_config(&s_store);
    assert_null(billing_qbo_client_new(NULL));
    c.api_base = "ftp://example";
    assert_null(billing_qbo_client_new(&c));
    c = s_config(&s_store);
    c.realm_id = "";
    assert_null(billing_qbo_client_new(&c));
    c = s_config(&s_store);
    c.page_size = 1001;
    assert_null(billing_qbo_client_new(&c));
    c = s_config(&s_store);
    billing_qbo_client_t *client = billing_qbo_client_new(&c);
    billing_qbo_error_t err;
    assert_int_equal(billing_qbo_client_pull(client, BILLING_QBO_INVOICE, NULL, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, BILLING_QBO_E_CONFIG);
    billing_qbo_client_destroy(&client);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pull_10k_invoices),
        cmocka_unit_test(test_pull_since_and_small_pages),
        cmocka_unit_test(test_invoice_link),
        cmocka_unit_test(test_throttle_is_retried),
        cmocka_unit_test(test_throttle_gives_up_within_budget),
        cmocka_unit_test(test_server_errors_are_retried),
        cmocka_unit_test(test_transport_failure),
        cmocka_unit_test(test_expired_token_refreshes_once),
        cmocka_unit_test(test_rotated_refresh_token_is_handed_over),
        cmocka_unit_test(test_tokens_not_stored_means_not_used),
        cmocka_unit_test(test_bad_client_secret),
        cmocka_unit_test(test_authorization_code_exchange),
        cmocka_unit_test(test_config_is_checked),
    };
    int failed = cmocka_run_group_tests(tests, s_fake_start, s_fake_stop);
    curl_global_cleanup();
    return failed;
}
