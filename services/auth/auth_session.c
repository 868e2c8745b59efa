/* auth_session: Redis keys of sessions and principals; tokens come from
 * libsodium, JSON from jansson and at_pbjson. */
#include "auth_session.h"
#include "at_log.h"
#include "at_pbjson.h"
#include "at_time.h"
#include <jansson.h>
#include <sodium.h>
#include <string.h>

#define S_RANDOM_BYTES 32

static char *s_random_b64(at_arena_t *arena)
{
    unsigned char bin[S_RANDOM_BYTES];
    size_t cap = sodium_base64_ENCODED_LEN(S_RANDOM_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = at_arena_alloc(arena, cap);
    randombytes_buf(bin, sizeof bin);
    sodium_bin2base64(out, cap, bin, sizeof bin, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(bin, sizeof bin);
    return out;
}

void auth_session_token_hash(const char *token, char hex[65])
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *) token, strlen(token));
    sodium_bin2hex(hex, 65, digest, sizeof digest);
}

static char *s_key(at_arena_t *arena, const char *prefix, const char *suffix)
{
    return at_arena_printf(arena, "atrium:%s:%s", prefix, suffix);
}

at_status_t auth_session_create(at_cache_t *cache, at_arena_t *arena,
                                const auth_session_spec_t *spec, auth_session_t *out)
{
    out->token = s_random_b64(arena);
    out->csrf = s_random_b64(arena);
    out->id = at_arena_alloc(arena, 65);
    auth_session_token_hash(out->token, out->id);

    int64_t now = at_time_now_ms();
    json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:I, s:i, s:s?, s:s?, s:I}",
                          "user_id", spec->user_id, "firm_id", spec->firm_id,
                          "csrf_token", out->csrf, "created_ms", (json_int_t) now,
                          "expires_ms", (json_int_t) (now + spec->max_s * 1000),
                          "idle_s", spec->idle_s, "ip", spec->ip, "user_agent", spec->user_agent,
                          "last_ms", (json_int_t) now);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text)
        abort(); /* only out of memory fails here */
    int ttl = spec->max_s < spec->idle_s ? (int) spec->max_s : spec->idle_s;
    char *key = s_key(arena, "session", out->id);
    char *set = s_key(arena, "user_sessions", spec->user_id);
    at_status_t st = AT_OK;
    if (at_cache_set(cache, key, text, strlen(text), ttl) != 0 ||
        at_cache_sadd(cache, set, out->id) != 0 ||
        /* every member expires within max_s, so the set need not outlive that */
        at_cache_expire(cache, set, (int) spec->max_s) < 0)
        st = AT_UNAVAILABLE;
    free(text);
    return st;
}

at_status_t auth_session_end(at_cache_t *cache, const char *user_id, const char *id)
{
    char key[128], set[128];
    snprintf(key, sizeof key, "atrium:session:%s", id);
    snprintf(set, sizeof set, "atrium:user_sessions:%s", user_id);
    if (at_cache_del(cache, key) < 0 || at_cache_srem(cache, set, id) != 0)
        return AT_UNAVAILABLE;
    return AT_OK;
}

at_status_t auth_session_csrf(at_cache_t *cache, at_arena_t *arena, const char *id, char **csrf)
{
    *csrf = NULL;
    char key[128];
    snprintf(key, sizeof key, "atrium:session:%s", id);
    char *value = NULL;
    size_t len = 0;
    int rc = at_cache_get(cache, key, &value, &len);
    if (rc < 0)
        return AT_UNAVAILABLE;
    if (rc > 0)
        return AT_NOT_FOUND;
    json_t *j = json_loadb(value, len, 0, NULL);
    free(value);
    const char *c = json_string_value(json_object_get(j, "csrf_token"));
    *csrf = c ? at_arena_strdup(arena, c) : NULL;
    json_decref(j);
    return *csrf ? AT_OK : AT_NOT_FOUND;
}

at_status_t auth_principal_write(at_cache_t *cache, const Atrium__Principal *p)
{
    json_t *j = at_pbjson_encode(&p->base, NULL);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text)
        abort();
    char key[128];
    snprintf(key, sizeof key, "atrium:principal:%s", p->user_id);
    int rc = at_cache_set(cache, key, text, strlen(text), 0);
    free(text);
    if (rc != 0) {
        at_warn("cannot write the principal of %s to redis", p->user_id);
        return AT_UNAVAILABLE;
    }
    return AT_OK;
}
