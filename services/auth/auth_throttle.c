/* auth_throttle: failure counters in Redis; see auth_throttle.h. */
#include "auth_throttle.h"
#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static void s_account_key(const char *scope, const char *email, char key[96])
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
    snprintf(key, 96, "atrium:%s:acct:%s", scope, hex);
}

void auth_throttle_account_key(const char *email, char key[96])
{
    s_account_key("login_fail", email, key);
}

/* The IP key, or 0 when ip is absent or unfit for a key. */
static int s_ip_key_in(const char *scope, const char *ip, char key[96])
{
    if (!ip || !*ip || strlen(ip) > 64)
        return -1;
    for (const char *c = ip; *c; c++)
        if (!isxdigit((unsigned char) *c) && *c != '.' && *c != ':')
            return -1;
    snprintf(key, 96, "atrium:%s:ip:%s", scope, ip);
    return 0;
}

static int s_ip_key(const char *ip, char key[96])
{
    return s_ip_key_in("login_fail", ip, key);
}

at_status_t auth_throttle_begin(at_cache_t *cache, const auth_throttle_limits_t *limits,
                                const char *email, const char *ip, int *retry_after,
                                long long *count)
{
    *retry_after = 0;
    *count = 0;
    char akey[96], ikey[96];
    const char *scope = limits->scope ? limits->scope : "login_fail";
    s_account_key(scope, email, akey);
    long long a = at_cache_incr_window(cache, akey, limits->window_s);
    if (a < 0)
        return AT_UNAVAILABLE;
    long long i = 0;
    bool has_ip = s_ip_key_in(scope, ip, ikey) == 0;
    if (has_ip && (i = at_cache_incr_window(cache, ikey, limits->window_s)) < 0)
        return AT_UNAVAILABLE;
    *count = a;
    int wait = 0;
    if (a > limits->per_account) {
        int ttl = at_cache_ttl(cache, akey);
        if (ttl == -1)
            return AT_UNAVAILABLE;
        wait = ttl;
    }
    if (has_ip && i > limits->per_ip) {
        int ttl = at_cache_ttl(cache, ikey);
        if (ttl == -1)
            return AT_UNAVAILABLE;
        if (ttl > wait)
            wait = ttl;
    }
    if (a <= limits->per_account && (!has_ip || i <= limits->per_ip))
        return AT_OK;
    *retry_after = wait > 0 ? wait : 1;
    return AT_RATE_LIMITED;
}

void auth_throttle_success(at_cache_t *cache, const char *email, const char *ip)
{
    char key[96];
    auth_throttle_account_key(email, key);
    at_cache_del(cache, key);
    if (s_ip_key(ip, key) == 0)
        at_cache_decr_existing(cache, key);
}

void auth_throttle_undo(at_cache_t *cache, const char *email, const char *ip)
{
    char key[96];
    auth_throttle_account_key(email, key);
    at_cache_decr_existing(cache, key);
    if (s_ip_key(ip, key) == 0)
        at_cache_decr_existing(cache, key);
}
