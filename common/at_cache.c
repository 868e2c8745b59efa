/* at_cache: hiredis with timeouts and lazy reconnects. */
#include "at_cache.h"
#include "at_log.h"
#include "at_time.h"
#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct at_cache_t {
    redisContext *ctx;
    char *path; /* unix socket, or NULL */
    char *host;
    int port;
    int timeout_ms;
    int64_t retry_at;
};

at_cache_t *at_cache_new(const char *url, int timeout_ms)
{
    at_cache_t *self = calloc(1, sizeof *self);
    if (!self)
        abort();
    self->timeout_ms = timeout_ms;
    if (strncmp(url, "unix:", 5) == 0) {
        self->path = strdup(url + 5);
    } else {
        const char *colon = strrchr(url, ':');
        self->host = colon ? strndup(url, (size_t) (colon - url)) : strdup(url);
        self->port = colon ? atoi(colon + 1) : 6379;
    }
    return self;
}

void at_cache_destroy(at_cache_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    at_cache_t *self = *self_p;
    if (self->ctx)
        redisFree(self->ctx);
    free(self->path);
    free(self->host);
    free(self);
    *self_p = NULL;
}

static int s_connect(at_cache_t *self)
{
    if (self->ctx)
        return 0;
    int64_t now = at_time_mono_ms();
    if (now < self->retry_at)
        return -1;
    struct timeval tv = {self->timeout_ms / 1000, (self->timeout_ms % 1000) * 1000};
    self->ctx = self->path ? redisConnectUnixWithTimeout(self->path, tv)
                           : redisConnectWithTimeout(self->host, self->port, tv);
    if (!self->ctx || self->ctx->err) {
        at_warn("cache: cannot connect to redis: %s", self->ctx ? self->ctx->errstr : "no memory");
        if (self->ctx)
            redisFree(self->ctx);
        self->ctx = NULL;
        self->retry_at = now + 250;
        return -1;
    }
    redisSetTimeout(self->ctx, tv);
    return 0;
}

/* Runs a command; NULL when Redis is unreachable (the connection is then
 * dropped so the next call reconnects). */
static redisReply *s_command(at_cache_t *self, const char *fmt, ...)
{
    if (s_connect(self) != 0)
        return NULL;
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(self->ctx, fmt, ap);
    va_end(ap);
    if (!r) {
        at_warn("cache: redis command failed: %s", self->ctx->errstr);
        redisFree(self->ctx);
        self->ctx = NULL;
        return NULL;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        at_error("cache: redis error: %s", r->str);
        freeReplyObject(r);
        return NULL;
    }
    return r;
}

int at_cache_ping(at_cache_t *self)
{
    redisReply *r = s_command(self, "PING");
    int rc = r ? 0 : -1;
    if (r)
        freeReplyObject(r);
    return rc;
}

static int s_string_reply(redisReply *r, char **value, size_t *len);

int at_cache_get(at_cache_t *self, const char *key, char **value, size_t *len)
{
    *value = NULL;
    return s_string_reply(s_command(self, "GET %s", key), value, len);
}

int at_cache_getex(at_cache_t *self, const char *key, int ttl_s, char **value, size_t *len)
{
    *value = NULL;
    return s_string_reply(s_command(self, "GETEX %s EX %d", key, ttl_s), value, len);
}

static int s_string_reply(redisReply *r, char **value, size_t *len)
{
    if (!r)
        return -1;
    int rc = 1;
    if (r->type == REDIS_REPLY_STRING) {
        *value = malloc(r->len + 1);
        if (!*value)
            abort();
        memcpy(*value, r->str, r->len);
        (*value)[r->len] = 0;
        if (len)
            *len = r->len;
        rc = 0;
    }
    freeReplyObject(r);
    return rc;
}

int at_cache_set(at_cache_t *self, const char *key, const char *value, size_t len, int ttl_s)
{
    redisReply *r = ttl_s > 0 ? s_command(self, "SET %s %b EX %d", key, value, len, ttl_s)
                              : s_command(self, "SET %s %b", key, value, len);
    if (!r)
        return -1;
    freeReplyObject(r);
    return 0;
}

int at_cache_replace(at_cache_t *self, const char *key, const char *value, size_t len)
{
    redisReply *r = s_command(self, "SET %s %b XX KEEPTTL", key, value, len);
    if (!r)
        return -1;
    int rc = r->type == REDIS_REPLY_STATUS ? 0 : r->type == REDIS_REPLY_NIL ? 1 : -1;
    freeReplyObject(r);
    return rc;
}

int at_cache_ttl(at_cache_t *self, const char *key)
{
    redisReply *r = s_command(self, "TTL %s", key);
    if (!r)
        return -1;
    int rc = r->type == REDIS_REPLY_INTEGER && r->integer >= 0 ? (int) r->integer : -2;
    freeReplyObject(r);
    return rc;
}

static int s_integer(redisReply *r)
{
    if (!r)
        return -1;
    int v = r->type == REDIS_REPLY_INTEGER ? (int) r->integer : 0;
    freeReplyObject(r);
    return v;
}

int at_cache_getdel(at_cache_t *self, const char *key, char **value, size_t *len)
{
    *value = NULL;
    return s_string_reply(s_command(self, "GETDEL %s", key), value, len);
}

long long at_cache_incr_window(at_cache_t *self, const char *key, int window_s)
{
    static const char script[] = "local n = redis.call('INCR', KEYS[1]) "
                                 "if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end "
                                 "return n";
    redisReply *r = s_command(self, "EVAL %s 1 %s %d", script, key, window_s);
    if (!r)
        return -1;
    long long n = r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    freeReplyObject(r);
    return n;
}

long long at_cache_decr_existing(at_cache_t *self, const char *key)
{
    static const char script[] = "if redis.call('EXISTS', KEYS[1]) == 1 then "
                                 "return redis.call('DECR', KEYS[1]) end return 0";
    redisReply *r = s_command(self, "EVAL %s 1 %s", script, key);
    if (!r)
        return -1;
    long long n = r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    freeReplyObject(r);
    return n;
}

int at_cache_del(at_cache_t *self, const char *key)
{
    return s_integer(s_command(self, "DEL %s", key));
}

int at_cache_expire(at_cache_t *self, const char *key, int ttl_s)
{
    return s_integer(s_command(self, "EXPIRE %s %d", key, ttl_s));
}

int at_cache_publish(at_cache_t *self, const char *channel, const char *message, size_t len)
{
    return s_integer(s_command(self, "PUBLISH %s %b", channel, message, len));
}

int at_cache_sadd(at_cache_t *self, const char *key, const char *member)
{
    return s_integer(s_command(self, "SADD %s %s", key, member)) < 0 ? -1 : 0;
}

int at_cache_srem(at_cache_t *self, const char *key, const char *member)
{
    return s_integer(s_command(self, "SREM %s %s", key, member)) < 0 ? -1 : 0;
}

int at_cache_smembers(at_cache_t *self, const char *key, char ***members)
{
    *members = NULL;
    redisReply *r = s_command(self, "SMEMBERS %s", key);
    if (!r)
        return -1;
    int n = 0;
    if (r->type == REDIS_REPLY_ARRAY) {
        *members = calloc(r->elements + 1, sizeof(char *));
        if (!*members)
            abort();
        for (size_t i = 0; i < r->elements; i++)
            if (r->element[i]->type == REDIS_REPLY_STRING)
                (*members)[n++] = strndup(r->element[i]->str, r->element[i]->len);
    }
    freeReplyObject(r);
    return n;
}
