/* atrium-gateway: configures civetweb explicitly (its defaults are wrong
 * for us: directory listing, CORS, Nagle), registers the API, operations and
 * static handlers, and runs until SIGTERM. `healthcheck` asks /livez. */
#include "gw.h"
#include "at_log.h"
#include <czmq.h>
#include <curl/curl.h>
#include <sodium.h>

static const at_config_key_t s_keys[] = {
    {"ATRIUM_HTTP_PORT", "8080", AT_CFG_INT, 1, 65535, true, false, "HTTP port of the gateway"},
    {"ATRIUM_HTTP_BIND", "127.0.0.1", AT_CFG_STRING, 0, 0, true, false,
     "address the gateway listens on (compose: 0.0.0.0)"},
    {"ATRIUM_HTTP_THREADS", "64", AT_CFG_INT, 4, 4096, true, false,
     "civetweb worker threads: one per keep-alive connection being served"},
    {"ATRIUM_WEB_ROOT", "./gateway/web", AT_CFG_STRING, 0, 0, true, false,
     "folder of the web UI's static files"},
    {"ATRIUM_REQUEST_TIMEOUT_MS", "5000", AT_CFG_INT, 100, 600000, true, false,
     "deadline of every request's bus call"},
    {"ATRIUM_BEHIND_TLS", "false", AT_CFG_BOOL, 0, 0, true, false,
     "true when a TLS proxy fronts the gateway: Secure cookies, HSTS"},
    {"ATRIUM_PUBLIC_URL", "http://localhost:${ATRIUM_HTTP_PORT}", AT_CFG_STRING, 0, 0, true, false,
     "the URL users reach the portal at"},
    {"ATRIUM_MAX_BODY_BYTES", "1048576", AT_CFG_INT, 1024, 67108864, true, false,
     "largest JSON request body"},
    {"ATRIUM_SESSION_IDLE_MINUTES", "30", AT_CFG_INT, 1, 100000, true, false,
     "a session unused this long ends"},
    {"ATRIUM_TRUSTED_PROXIES", "", AT_CFG_STRING, 0, 0, false, false,
     "comma-separated IPs of reverse proxies whose X-Forwarded-For names the client"
     " (login throttling, session lists, audit); empty: the socket's peer is the client"},
    {NULL, NULL, 0, 0, 0, false, false, NULL},
};

static gw_t s_gw;
static const char *s_static_headers; /* the static files' security headers */
static char s_headers_buf[1536];

/* GET /reset/<token> (a password reset mail's link) and /invite/<token> (an
 * invitation's accept_url) open the UI's page, index.html, which reads the
 * token from the path, with the static files' headers; Referrer-Policy
 * no-referrer keeps the token out of any Referer. Nothing here reads or logs
 * the token. */
static int s_app_page(struct mg_connection *conn, void *cbdata)
{
    (void) cbdata;
    const struct mg_request_info *ri = mg_get_request_info(conn);
    bool head = strcmp(ri->request_method, "HEAD") == 0;
    if (strcmp(ri->request_method, "GET") != 0 && !head) {
        mg_printf(conn, "HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\n"
                        "Content-Length: 0\r\n\r\n");
        return 405;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/index.html", at_config_get(s_gw.config, "ATRIUM_WEB_ROOT"));
    FILE *f = fopen(path, "rb");
    char *body = NULL;
    size_t len = 0;
    if (f) {
        body = malloc(65536);
        len = body ? fread(body, 1, 65536, f) : 0;
        fclose(f);
    }
    if (!body || !len) {
        free(body);
        mg_printf(conn, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        return 404;
    }
    mg_printf(conn,
              "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
              "Content-Length: %zu\r\nCache-Control: no-store\r\n%s\r\n\r\n",
              len, s_static_headers);
    if (!head)
        mg_write(conn, body, len);
    free(body);
    return 200;
}

/* Writes into out (cap bytes, NUL-terminated) " 'sha256-<base64>'": the CSP
 * hash source of the inline <script type="importmap"> of web_root/index.html
 * (CSP Level 3 hashes the element's text exactly). Browsers treat an import
 * map as inline script and cannot load one from a file, so script-src must
 * name its hash; computing it from the file served at start keeps the two
 * from drifting. Leaves out empty when the file or the map is missing. */
static void s_importmap_source(const char *web_root, char *out, size_t cap)
{
    static const char open_tag[] = "<script type=\"importmap\">";
    out[0] = '\0';
    char path[4096];
    snprintf(path, sizeof path, "%s/index.html", web_root);
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    char *html = malloc(65537);
    size_t len = html ? fread(html, 1, 65536, f) : 0;
    fclose(f);
    if (!html)
        return;
    html[len] = '\0';
    const char *start = strstr(html, open_tag);
    const char *end = start ? strstr(start + sizeof open_tag - 1, "</script>") : NULL;
    if (start && end) {
        start += sizeof open_tag - 1;
        unsigned char digest[crypto_hash_sha256_BYTES];
        crypto_hash_sha256(digest, (const unsigned char *) start, (size_t) (end - start));
        char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES,
                                           sodium_base64_VARIANT_ORIGINAL)];
        sodium_bin2base64(b64, sizeof b64, digest, sizeof digest, sodium_base64_VARIANT_ORIGINAL);
        snprintf(out, cap, " 'sha256-%s'", b64);
    } else {
        at_warn("%s has no import map: the web UI's modules will not load", path);
    }
    free(html);
}

static void *s_init_thread(const struct mg_context *ctx, int type)
{
    (void) ctx;
    if (type != 1)
        return NULL;
    gw_thread_t *t = calloc(1, sizeof *t);
    if (!t)
        abort();
    t->bus = at_bus_client_new(s_gw.bus_endpoint);
    t->cache = at_cache_new(s_gw.redis_url, 1000);
    t->arena = at_arena_new();
    if (!t->bus)
        abort(); /* a malformed endpoint: configuration, not load */
    return t;
}

static void s_exit_thread(const struct mg_context *ctx, int type, void *p)
{
    (void) ctx;
    (void) type;
    gw_thread_t *t = p;
    if (!t)
        return;
    at_bus_client_destroy(&t->bus);
    at_cache_destroy(&t->cache);
    at_arena_destroy(&t->arena);
    free(t);
}

static int s_log_message(const struct mg_connection *conn, const char *message)
{
    (void) conn;
    at_warn("civetweb: %s", message);
    return 1;
}

static int s_healthcheck(const at_config_t *config)
{
    CURL *c = curl_easy_init();
    char url[256];
    const char *bind = at_config_get(config, "ATRIUM_HTTP_BIND");
    snprintf(url, sizeof url, "http://%s:%lld/livez",
             strcmp(bind, "0.0.0.0") == 0 ? "127.0.0.1" : bind,
             (long long) at_config_int(config, "ATRIUM_HTTP_PORT"));
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 3000L);
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    long code = 0;
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    return rc == CURLE_OK && code == 200 ? 0 : 1;
}

int main(int argc, char **argv)
{
    const at_config_key_t *tables[] = {at_config_common, s_keys, NULL};
    char *err = NULL;
    at_config_t *config = at_config_load(tables, &err);
    if (!config) {
        fprintf(stderr, "atrium-gateway: %s\n", err);
        free(err);
        return 2;
    }
    at_log_init("gateway", at_config_get(config, "ATRIUM_LOG_LEVEL"));
    if (sodium_init() < 0)
        return 1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (argc > 1 && strcmp(argv[1], "healthcheck") == 0) {
        int rc = s_healthcheck(config);
        at_config_destroy(&config);
        return rc;
    }
    /* one bus socket per civetweb thread, plus the relay's: ZeroMQ's default
     * of 1,024 sockets would abort a gateway with more threads */
    zsys_set_max_sockets((size_t) at_config_int(config, "ATRIUM_HTTP_THREADS") + 256);
    zsys_init();
    zsys_set_logstream(NULL);
    s_gw.config = config;
    s_gw.bus_endpoint = at_config_get(config, "ATRIUM_BUS_ENDPOINT");
    s_gw.redis_url = at_config_get(config, "ATRIUM_REDIS_URL");
    s_gw.public_url = at_config_get(config, "ATRIUM_PUBLIC_URL");
    s_gw.timeout_ms = at_config_int(config, "ATRIUM_REQUEST_TIMEOUT_MS");
    s_gw.max_body = at_config_int(config, "ATRIUM_MAX_BODY_BYTES");
    s_gw.behind_tls = at_config_bool(config, "ATRIUM_BEHIND_TLS");
    s_gw.trusted_proxies = at_config_get(config, "ATRIUM_TRUSTED_PROXIES");
    if (gw_routes_init(&s_gw) != 0) {
        at_error("the route table is invalid");
        return 1;
    }
    char ports[128], threads[16];
    snprintf(ports, sizeof ports, "%s:%lld", at_config_get(config, "ATRIUM_HTTP_BIND"),
             (long long) at_config_int(config, "ATRIUM_HTTP_PORT"));
    snprintf(threads, sizeof threads, "%lld",
             (long long) at_config_int(config, "ATRIUM_HTTP_THREADS"));
    /* static files carry the same security headers as the API (HSTS only
     * when a TLS proxy fronts us); scripts only from here, plus the import
     * map's hash, styles only from files (no style attributes, no eval) */
    char importmap[128];
    s_importmap_source(at_config_get(config, "ATRIUM_WEB_ROOT"), importmap, sizeof importmap);
    snprintf(s_headers_buf, sizeof s_headers_buf,
             "X-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n"
             "X-Frame-Options: DENY\r\n%sContent-Security-Policy: default-src 'self'; "
             "img-src 'self' data: blob:; style-src 'self'; script-src 'self'%s; "
             "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
             "frame-ancestors 'none'",
             s_gw.behind_tls ? "Strict-Transport-Security: max-age=31536000; includeSubDomains\r\n"
                             : "",
             importmap);
    const char *static_headers = s_headers_buf;
    s_static_headers = static_headers;
    const char *options[] = {
        "listening_ports",
        ports,
        "num_threads",
        threads,
        "document_root",
        at_config_get(config, "ATRIUM_WEB_ROOT"),
        "enable_directory_listing",
        "no",
        "access_control_allow_origin",
        "",
        "tcp_nodelay",
        "1",
        "enable_keep_alive",
        "yes",
        "keep_alive_timeout_ms",
        "15000",
        "request_timeout_ms",
        "60000",
        "max_request_size",
        "16384",
        "listen_backlog",
        "512",
        "additional_header",
        static_headers,
        NULL,
        NULL,
    };
    struct mg_callbacks cb = {0};
    cb.init_thread = s_init_thread;
    cb.exit_thread = s_exit_thread;
    cb.log_message = s_log_message;
    mg_init_library(0);
    struct mg_context *ctx = mg_start(&cb, NULL, options);
    if (!ctx) {
        at_error("cannot listen on %s", ports);
        at_config_destroy(&config);
        return 1;
    }
    mg_set_request_handler(ctx, "/api/", gw_api_handler, &s_gw);
    mg_set_request_handler(ctx, "/livez$", gw_livez_handler, &s_gw);
    mg_set_request_handler(ctx, "/healthz$", gw_livez_handler, &s_gw);
    mg_set_request_handler(ctx, "/readyz$", gw_readyz_handler, &s_gw);
    mg_set_request_handler(ctx, "/metrics$", gw_metrics_handler, &s_gw);
    mg_set_request_handler(ctx, "/reset/", s_app_page, &s_gw);
    mg_set_request_handler(ctx, "/invite/", s_app_page, &s_gw);
    if (gw_ws_start(ctx, &s_gw) != 0) {
        at_error("cannot start the event relay");
        mg_stop(ctx);
        return 1;
    }
    at_info("gateway listening on %s with %s threads", ports, threads);
    while (!zsys_interrupted)
        zclock_sleep(200);
    at_info("stopping");
    mg_stop(ctx);
    gw_ws_stop();
    mg_exit_library();
    curl_global_cleanup();
    at_config_destroy(&config);
    return 0;
}
