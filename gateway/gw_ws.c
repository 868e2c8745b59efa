/* gw_ws: GET /api/v1/events, the WebSocket (RFC 6455) that pushes what
 * happens to each user about what that user may see. Services publish
 * events on Redis channels atrium:events:<firm_id> as JSON
 * {"type", "client_id", "data"}; one pump thread subscribes to them all and
 * writes each event to the firm's sockets whose user may see its client
 * (firm staff with every client, or a member of it); an event that names a
 * "user_id" (a notification) goes to that user's sockets only. A user's grants are
 * re-read from Redis at most every few seconds, so a removed member stops
 * receiving without reconnecting.
 *
 * Upgrades are cookie-authenticated and a foreign Origin is refused. It
 * does not take commands from clients (their frames are ignored), and does
 * not replay events missed while disconnected.
 */
#include "gw.h"
#include "at_log.h"
#include "at_pbjson.h"
#include "at_time.h"
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

#define S_REFRESH_MS 3000

typedef struct s_sub_t s_sub_t;
struct s_sub_t {
    struct mg_connection *conn;
    char user_id[64];
    char firm_id[64];
    Atrium__Principal *principal; /* malloc'd copy (protobuf-c default allocator) */
    int64_t refreshed;
    s_sub_t *next;
};

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static s_sub_t *s_subs; /* every open socket; guarded by s_lock */
static volatile int s_stop;
static pthread_t s_pump;
static gw_t *s_gw;

/* The Origin must be this portal's own (ATRIUM_PUBLIC_URL's origin, or the
 * Host the browser connected to). */
static bool s_origin_ok(const struct mg_connection *conn, const gw_t *gw)
{
    const char *origin = mg_get_header(conn, "Origin");
    if (!origin)
        return true; /* not a browser: cookie authentication still applies */
    const char *pub = gw->public_url;
    size_t n = strlen(pub);
    while (n && pub[n - 1] == '/')
        n--;
    if (strlen(origin) == n && strncasecmp(origin, pub, n) == 0)
        return true;
    const char *host = mg_get_header(conn, "Host");
    if (!host)
        return false;
    const char *scheme = strstr(origin, "://");
    return scheme && strcasecmp(scheme + 3, host) == 0;
}

static Atrium__Principal *s_copy_principal(const Atrium__Principal *p)
{
    size_t len = atrium__principal__get_packed_size(p);
    uint8_t *buf = malloc(len + 1);
    if (!buf)
        abort();
    atrium__principal__pack(p, buf);
    Atrium__Principal *copy = atrium__principal__unpack(NULL, len, buf);
    free(buf);
    return copy;
}

static int s_connect(const struct mg_connection *conn, void *cbdata)
{
    gw_t *gw = cbdata;
    gw_req_t r;
    gw_req_begin(&r, gw, (struct mg_connection *) conn);
    int refuse = 1;
    if (!s_origin_ok(conn, gw)) {
        at_warn("websocket refused: foreign Origin %s", mg_get_header(conn, "Origin"));
        goto done;
    }
    /* a GET: the CSRF rule does not apply; the cookie must be valid */
    if (gw_authenticate(&r, true, true) != AT_OK || !r.id.by_cookie)
        goto done;
    s_sub_t *sub = calloc(1, sizeof *sub);
    if (!sub)
        abort();
    sub->conn = (struct mg_connection *) conn;
    snprintf(sub->user_id, sizeof sub->user_id, "%s", r.id.principal->user_id);
    snprintf(sub->firm_id, sizeof sub->firm_id, "%s", r.id.principal->firm_id);
    sub->principal = s_copy_principal(r.id.principal);
    sub->refreshed = at_time_mono_ms();
    if (!sub->principal) {
        free(sub);
        goto done;
    }
    mg_set_user_connection_data(conn, sub);
    pthread_mutex_lock(&s_lock);
    sub->next = s_subs;
    s_subs = sub;
    pthread_mutex_unlock(&s_lock);
    refuse = 0;
done:
    at_log_set_request_id(NULL);
    return refuse;
}

static void s_ready(struct mg_connection *conn, void *cbdata)
{
    (void) cbdata;
    static const char hello[] = "{\"type\":\"ready\",\"data\":{}}";
    mg_websocket_write(conn, MG_WEBSOCKET_OPCODE_TEXT, hello, sizeof hello - 1);
}

static int s_data(struct mg_connection *conn, int bits, char *data, size_t len, void *cbdata)
{
    (void) conn;
    (void) data;
    (void) len;
    (void) cbdata;
    /* a close frame ends the socket; anything else from the client is ignored */
    return (bits & 0x0f) == MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE ? 0 : 1;
}

static void s_close(const struct mg_connection *conn, void *cbdata)
{
    (void) cbdata;
    s_sub_t *sub = mg_get_user_connection_data(conn);
    if (!sub)
        return;
    pthread_mutex_lock(&s_lock);
    for (s_sub_t **pp = &s_subs; *pp; pp = &(*pp)->next)
        if (*pp == sub) {
            *pp = sub->next;
            break;
        }
    pthread_mutex_unlock(&s_lock);
    atrium__principal__free_unpacked(sub->principal, NULL);
    free(sub);
}

/* May this subscriber see an event about client_id (NULL: firm-wide)? */
static bool s_visible(const s_sub_t *sub, const char *client_id)
{
    const Atrium__Principal *p = sub->principal;
    bool staff = p->kind && strcmp(p->kind, "staff") == 0;
    if (!client_id)
        return staff;
    if (staff && p->has_all_clients && p->all_clients)
        return true;
    for (size_t i = 0; i < p->n_clients; i++)
        if (p->clients[i]->client_id && strcasecmp(p->clients[i]->client_id, client_id) == 0)
            return true;
    return false;
}

/* Re-reads the subscriber's principal from Redis when it is older than
 * S_REFRESH_MS (called with s_lock held, on the pump thread). A user whose
 * principal is gone loses every client. */
static void s_refresh(s_sub_t *sub, redisContext *rc)
{
    int64_t now = at_time_mono_ms();
    if (now - sub->refreshed < S_REFRESH_MS || !rc)
        return;
    sub->refreshed = now;
    redisReply *rep = redisCommand(rc, "GET atrium:principal:%s", sub->user_id);
    if (!rep)
        return;
    if (rep->type == REDIS_REPLY_STRING) {
        json_t *j = json_loadb(rep->str, rep->len, 0, NULL);
        ProtobufCMessage *m = NULL;
        if (j && at_pbjson_decode(&atrium__principal__descriptor, j, NULL, &m, NULL) == 0) {
            atrium__principal__free_unpacked(sub->principal, NULL);
            sub->principal = (Atrium__Principal *) m;
        }
        json_decref(j);
    } else if (rep->type == REDIS_REPLY_NIL) {
        sub->principal->n_clients = 0;
        sub->principal->has_all_clients = 0;
    }
    freeReplyObject(rep);
}

static void s_deliver(const char *firm_id, const char *payload, size_t len, redisContext *rc)
{
    json_t *ev = json_loadb(payload, len, 0, NULL);
    const char *type = json_string_value(json_object_get(ev, "type"));
    if (!type) {
        json_decref(ev);
        return;
    }
    const char *client_id = json_string_value(json_object_get(ev, "client_id"));
    const char *user_id = json_string_value(json_object_get(ev, "user_id"));
    json_t *out =
        json_pack("{s:s, s:O}", "type", type, "data",
                  json_object_get(ev, "data") ? json_object_get(ev, "data") : json_null());
    char *text = out ? json_dumps(out, JSON_COMPACT) : NULL;
    json_decref(out);
    if (text) {
        pthread_mutex_lock(&s_lock);
        for (s_sub_t *sub = s_subs; sub; sub = sub->next) {
            if (strcmp(sub->firm_id, firm_id) != 0 ||
                (user_id && strcasecmp(sub->user_id, user_id) != 0))
                continue;
            s_refresh(sub, rc);
            if (s_visible(sub, client_id))
                mg_websocket_write(sub->conn, MG_WEBSOCKET_OPCODE_TEXT, text, strlen(text));
        }
        pthread_mutex_unlock(&s_lock);
    }
    free(text);
    json_decref(ev);
}

static redisContext *s_redis(const char *url)
{
    struct timeval tv = {1, 0};
    redisContext *c =
        strncmp(url, "unix:", 5) == 0 ? redisConnectUnixWithTimeout(url + 5, tv) : NULL;
    if (!c && strncmp(url, "unix:", 5) != 0) {
        const char *colon = strrchr(url, ':');
        char host[256];
        snprintf(host, sizeof host, "%.*s", colon ? (int) (colon - url) : (int) strlen(url), url);
        c = redisConnectWithTimeout(host, colon ? atoi(colon + 1) : 6379, tv);
    }
    if (c && c->err) {
        redisFree(c);
        return NULL;
    }
    return c;
}

/* The pump: PSUBSCRIBE atrium:events:* on its own connection, a second
 * connection for principal look-ups; reconnects with back-off. */
static void *s_pump_main(void *arg)
{
    (void) arg;
    int64_t backoff = 250;
    while (!s_stop) {
        redisContext *sub = s_redis(s_gw->redis_url);
        redisContext *look = s_redis(s_gw->redis_url);
        redisReply *rep = sub ? redisCommand(sub, "PSUBSCRIBE atrium:events:*") : NULL;
        if (!rep) {
            if (sub)
                redisFree(sub);
            if (look)
                redisFree(look);
            for (int64_t t = 0; t < backoff && !s_stop; t += 50)
                zclock_sleep(50);
            backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
            continue;
        }
        freeReplyObject(rep);
        backoff = 250;
        /* a read timeout lets the loop notice s_stop */
        struct timeval tv = {0, 500000};
        redisSetTimeout(sub, tv);
        while (!s_stop) {
            void *r = NULL;
            if (redisGetReply(sub, &r) != REDIS_OK) {
                if (sub->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                    sub->err = 0;
                    memset(sub->errstr, 0, sizeof sub->errstr);
                    continue;
                }
                break; /* connection lost: reconnect */
            }
            redisReply *m = r;
            /* pmessage pattern channel payload */
            if (m && m->type == REDIS_REPLY_ARRAY && m->elements == 4 &&
                m->element[2]->type == REDIS_REPLY_STRING &&
                m->element[3]->type == REDIS_REPLY_STRING) {
                const char *channel = m->element[2]->str;
                const char *firm = strrchr(channel, ':');
                if (firm)
                    s_deliver(firm + 1, m->element[3]->str, m->element[3]->len, look);
            }
            freeReplyObject(m);
        }
        redisFree(sub);
        if (look)
            redisFree(look);
    }
    return NULL;
}

int gw_ws_start(struct mg_context *ctx, gw_t *gw)
{
    s_gw = gw;
    mg_set_websocket_handler(ctx, "/api/v1/events$", s_connect, s_ready, s_data, s_close, gw);
    return pthread_create(&s_pump, NULL, s_pump_main, NULL) == 0 ? 0 : -1;
}

void gw_ws_stop(void)
{
    s_stop = 1;
    pthread_join(s_pump, NULL);
}
