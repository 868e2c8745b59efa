/* at_config: the environment, validated once. No files, no reloads. */
#include "at_config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_MAX_KEYS 128

const at_config_key_t at_config_common[] = {
    {"ATRIUM_DATA_DIR", "./var", AT_CFG_STRING, 0, 0, true, false,
     "folder for local state: sockets, logs, blobs, mail"},
    {"ATRIUM_BUS_ENDPOINT", "ipc://${ATRIUM_DATA_DIR}/run/bus.sock", AT_CFG_STRING, 0, 0, true,
     false, "ZeroMQ endpoint of the bus broker (services and gateway connect to it)"},
    {"ATRIUM_LOG_LEVEL", "info", AT_CFG_STRING, 0, 0, true, false, "debug, info, warn or error"},
    {"ATRIUM_REDIS_URL", "unix:${ATRIUM_DATA_DIR}/run/redis.sock", AT_CFG_STRING, 0, 0, true, false,
     "Redis: unix:/path/to/socket or host:port"},
    {NULL, NULL, 0, 0, 0, false, false, NULL},
};

const at_config_key_t at_config_service[] = {
    {"ATRIUM_PG_DSN", NULL, AT_CFG_STRING, 0, 0, true, true,
     "libpq conninfo of this service's own database role"},
    {"ATRIUM_WORKERS", "4", AT_CFG_INT, 1, 256, true, false, "worker threads per service process"},
    {NULL, NULL, 0, 0, 0, false, false, NULL},
};

typedef struct {
    const at_config_key_t *key;
    char *value;
    int64_t ival;
    bool bval;
} s_entry_t;

struct at_config_t {
    s_entry_t entries[S_MAX_KEYS];
    size_t n;
};

static s_entry_t *s_find(const at_config_t *self, const char *key)
{
    for (size_t i = 0; i < self->n; i++)
        if (strcmp(self->entries[i].key->key, key) == 0)
            return (s_entry_t *) &self->entries[i];
    return NULL;
}

/* Expands ${KEY} references to keys already loaded. */
static char *s_expand(const at_config_t *self, const char *text)
{
    size_t cap = strlen(text) + 1, len = 0;
    char *out = malloc(cap);
    if (!out)
        abort();
    for (const char *p = text; *p;) {
        const char *val = NULL;
        size_t skip = 1;
        if (p[0] == '$' && p[1] == '{') {
            const char *end = strchr(p, '}');
            if (end) {
                char name[128];
                size_t nl = (size_t) (end - p - 2);
                if (nl < sizeof name) {
                    memcpy(name, p + 2, nl);
                    name[nl] = 0;
                    s_entry_t *e = s_find(self, name);
                    if (e) {
                        val = e->value;
                        skip = (size_t) (end - p + 1);
                    }
                }
            }
        }
        size_t add = val ? strlen(val) : 1;
        if (len + add + 1 > cap) {
            cap = (len + add + 1) * 2;
            out = realloc(out, cap);
            if (!out)
                abort();
        }
        if (val)
            memcpy(out + len, val, add);
        else
            out[len] = *p;
        len += add;
        p += skip;
    }
    out[len] = 0;
    return out;
}

static int s_parse_bool(const char *v, bool *out)
{
    static const char *yes[] = {"true", "1", "yes", "on"}, *no[] = {"false", "0", "no", "off", ""};
    for (size_t i = 0; i < 4; i++)
        if (strcasecmp(v, yes[i]) == 0)
            return *out = true, 0;
    for (size_t i = 0; i < 5; i++)
        if (strcasecmp(v, no[i]) == 0)
            return *out = false, 0;
    return -1;
}

static char *s_error(const char *fmt, const char *a, const char *b)
{
    char buf[512];
    snprintf(buf, sizeof buf, fmt, a, b);
    return strdup(buf);
}

at_config_t *at_config_load(const at_config_key_t *const *tables, char **error)
{
    at_config_t *self = calloc(1, sizeof *self);
    if (!self)
        abort();
    for (size_t t = 0; tables[t]; t++) {
        for (const at_config_key_t *k = tables[t]; k->key; k++) {
            if (s_find(self, k->key))
                continue;
            if (self->n == S_MAX_KEYS)
                abort();
            s_entry_t *e = &self->entries[self->n++];
            e->key = k;
            const char *env = getenv(k->key);
            if (env)
                e->value = strdup(env);
            else
                e->value = s_expand(self, k->dflt ? k->dflt : "");
            if (k->required && !*e->value) {
                *error = s_error("%s is required: %s", k->key, k->help);
                at_config_destroy(&self);
                return NULL;
            }
            if (k->type == AT_CFG_INT) {
                char *end;
                errno = 0;
                long long v = strtoll(e->value, &end, 10);
                if (errno || end == e->value || *end || v < k->min || v > k->max) {
                    char range[96];
                    snprintf(range, sizeof range, "a whole number from %lld to %lld",
                             (long long) k->min, (long long) k->max);
                    *error = s_error("%s must be %s", k->key, range);
                    at_config_destroy(&self);
                    return NULL;
                }
                e->ival = v;
            } else if (k->type == AT_CFG_BOOL && s_parse_bool(e->value, &e->bval) != 0) {
                *error = s_error("%s must be true or false, not \"%s\"", k->key, e->value);
                at_config_destroy(&self);
                return NULL;
            }
        }
    }
    return self;
}

void at_config_destroy(at_config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    at_config_t *self = *self_p;
    for (size_t i = 0; i < self->n; i++)
        free(self->entries[i].value);
    free(self);
    *self_p = NULL;
}

const char *at_config_get(const at_config_t *self, const char *key)
{
    s_entry_t *e = s_find(self, key);
    if (!e) {
        fprintf(stderr, "at_config: key %s was never declared\n", key);
        return NULL;
    }
    return e->value;
}

int64_t at_config_int(const at_config_t *self, const char *key)
{
    s_entry_t *e = s_find(self, key);
    return e ? e->ival : 0;
}

bool at_config_bool(const at_config_t *self, const char *key)
{
    s_entry_t *e = s_find(self, key);
    return e ? e->bval : false;
}

void at_config_describe(const at_config_t *self)
{
    for (size_t i = 0; i < self->n; i++)
        fprintf(stderr, "%s=%s\n", self->entries[i].key->key,
                self->entries[i].key->secret ? "***" : self->entries[i].value);
}
