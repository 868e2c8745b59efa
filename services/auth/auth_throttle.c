/* auth_throttle: failure counters in Redis; see auth_throttle.h. */
#include "auth_throttle.h"
#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void auth_throttle_account_key(const char *email, char key[96])
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    for (const char *c = email; *c; c++) {
        unsigned char b = (unsigned char) tolower((unsigned char) *c);
        crypto_hash_sha256_update(&st, &b, 1);
    }
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&st, digest);
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    snprintf(key, 96, "atrium:login_fail:acct:%s", hex);
}

/* The IP key, or 0 when ip is absent or unfit for a key. */
static int s_ip_key(const char *ip, char key[96])
{
    if (!ip || !*ip || strlen(ip) > 64)
        return -1;
    for (const char *c = ip; *c; c++)
        if (!isxdigit((unsigned char) *c) && *c != '.' && *c != ':')
            return -1;
    snprintf(key, 96, "atrium:login_fail:ip:%s", ip);
    return 0;
}

/* 0 under the limit, 1 at or over it (then *wait), -1 unreachable. */
static int s_over(at_cache_t *cache, const char *key, int limit, int *wait)
{
    char *v = NULL;
    int rc = at_cache_get(cache, key, &v, NULL);
    if (rc < 0)
        return -1;
    long n = v ? strtol(v, NULL, 10) : 0;
    free(v);
    if (rc == 1 || n < limit)
        return 0;
    int ttl = at_cache_ttl(cache, key);
    if (ttl == -1)
        return -1;
    *wait = ttl > 0 ? ttl : 1;
    return 1;
}

at_status_t auth_throttle_check(at_cache_t *cache, const auth_throttle_limits_t *limits,
                                const char *email, const char *ip, int *retry_after)
{
    *retry_after = 0;
    char key[96];
    int wait = 0, worst = 0;
    auth_throttle_account_key(email, key);
    int rc = s_over(cache, key, limits->per_account, &wait);
    if (rc < 0)
        return AT_UNAVAILABLE;
    if (rc == 1)
        worst = wait;
    if (s_ip_key(ip, key) == 0) {
        rc = s_over(cache, key, limits->per_ip, &wait);
        if (rc < 0)
            return AT_UNAVAILABLE;
        if (rc == 1 && wait > worst)
            worst = wait;
    }
    if (!worst)
        return AT_OK;
    *retry_after = worst;
    return AT_RATE_LIMITED;
}

at_status_t auth_throttle_failed(at_cache_t *cache, const auth_throttle_limits_t *limits,
                                 const char *email, const char *ip, bool *locked)
{
    *locked = false;
    char key[96];
    auth_throttle_account_key(email, key);
    long long n = at_cache_incr_window(cache, key, limits->window_s);
    if (n < 0)
        return AT_UNAVAILABLE;
    *locked = n == limits->per_account;
    if (s_ip_key(ip, key) == 0 && at_cache_incr_window(cache, key, limits->window_s) < 0)
        return AT_UNAVAILABLE;
    return AT_OK;
}

void auth_throttle_clear(at_cache_t *cache, const char *email)
{
    char key[96];
    auth_throttle_account_key(email, key);
    at_cache_del(cache, key);
}
