/* at_cache: a thread's Redis connection (hiredis) with connect and command
 * timeouts. A broken connection is dropped and re-made on the next call, at
 * most every 250 ms, so a Redis outage costs callers milliseconds, not hangs.
 *
 * hiredis replies never leave this module: callers get C values.
 */
#ifndef AT_CACHE_H
#define AT_CACHE_H

#include <stddef.h>

typedef struct at_cache_t at_cache_t;

/* Makes a cache for url ("unix:/path" or "host:port"); timeout_ms bounds
 * connect and each command. Never fails: connection is lazy. */
at_cache_t *at_cache_new(const char *url, int timeout_ms);

/* Closes; accepts NULL; nulls *self_p. */
void at_cache_destroy(at_cache_t **self_p);

/* PING. 0 when Redis answers, -1 not. */
int at_cache_ping(at_cache_t *self);

/* GET key. Returns 0 and sets *value (malloc'd, caller frees; *len its
 * length if len is not NULL) when found; 1 when absent; -1 when Redis is
 * unreachable. */
int at_cache_get(at_cache_t *self, const char *key, char **value, size_t *len);

/* GETEX key EX ttl_s: GET that also renews the expiry (sliding idle
 * timeouts in one round trip). Same returns as at_cache_get. */
int at_cache_getex(at_cache_t *self, const char *key, int ttl_s, char **value, size_t *len);

/* SET key value [EX ttl_s] (ttl_s 0: no expiry). 0 or -1. */
int at_cache_set(at_cache_t *self, const char *key, const char *value, size_t len, int ttl_s);

/* SET key value XX KEEPTTL: replaces the value of an existing key without
 * touching its expiry (and never re-creates a key deleted meanwhile).
 * 0 when replaced, 1 when the key is absent, -1 unreachable. */
int at_cache_replace(at_cache_t *self, const char *key, const char *value, size_t len);

/* TTL key: seconds left before key expires (>= 0), -2 when the key is
 * absent or has no expiry, -1 when Redis is unreachable. */
int at_cache_ttl(at_cache_t *self, const char *key);

/* GETDEL key: reads and deletes in one step, so of concurrent callers
 * exactly one gets the value (single-use tickets). Same returns as
 * at_cache_get. */
int at_cache_getdel(at_cache_t *self, const char *key, char **value, size_t *len);

/* A fixed-window counter: INCR key, and when that made the key (the count
 * is 1) EXPIRE key window_s, both in one server-side script so a key never
 * lives without its expiry. Returns the count after the increment (>= 1),
 * or -1 when Redis is unreachable. Read it back with at_cache_get and
 * at_cache_ttl (throttling: count failures, refuse while over a limit). */
long long at_cache_incr_window(at_cache_t *self, const char *key, int window_s);

/* DECR key only when key exists (a DECR of a missing key would make one
 * without expiry): undoes an at_cache_incr_window. Returns the count after
 * (0 when there was no key), or -1 when Redis is unreachable. */
long long at_cache_decr_existing(at_cache_t *self, const char *key);

/* DEL key. Returns the number deleted (0 or 1), or -1. */
int at_cache_del(at_cache_t *self, const char *key);

/* EXPIRE key ttl_s. 1 if set, 0 if no such key, -1 unreachable. */
int at_cache_expire(at_cache_t *self, const char *key, int ttl_s);

/* PUBLISH channel message. Returns receivers (>=0) or -1. */
int at_cache_publish(at_cache_t *self, const char *channel, const char *message, size_t len);

/* SADD / SREM / SMEMBERS for a set of strings. add/rem return 0 or -1.
 * smembers returns the count and sets *members to a malloc'd array of
 * malloc'd strings (free each, then the array), or -1. */
int at_cache_sadd(at_cache_t *self, const char *key, const char *member);
int at_cache_srem(at_cache_t *self, const char *key, const char *member);
int at_cache_smembers(at_cache_t *self, const char *key, char ***members);

#endif
