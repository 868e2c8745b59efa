/* auth_throttle: login throttling with fixed-window attempt counters in
 * Redis (at_cache_incr_window), one per account and one per client IP:
 *   atrium:login_fail:acct:<sha256 hex of the lower-cased email>
 *   atrium:login_fail:ip:<ip>
 * The account key is by email, not by user, so an unknown email is throttled
 * exactly like a known one (no enumeration through 429s), and the email
 * itself is never written to Redis.
 *
 * Every attempt is counted before the password is looked at (INCR first,
 * then compare), so a burst of parallel guesses cannot all slip in before
 * the first failure is counted; a success takes its count back. Over either
 * limit, login answers 429 without checking the password; the wait is the
 * key's remaining TTL (rejected attempts count too, but never extend the
 * window).
 */
#ifndef AUTH_THROTTLE_H
#define AUTH_THROTTLE_H

#include "at_cache.h"
#include "at_status.h"
#include <stdbool.h>

typedef struct {
    int per_account;   /* failed attempts per account per window before 429 */
    int per_ip;        /* failed attempts per IP per window before 429 */
    int window_s;      /* the window, seconds */
    const char *scope; /* key prefix: NULL is "login_fail" (success and undo
                        * know only that one); "reset" counts reset requests */
} auth_throttle_limits_t;

/* The account key of email into key (at least 96 bytes). Pure. */
void auth_throttle_account_key(const char *email, char key[96]);

/* Counts an attempt of email from ip (may be NULL: no IP counter). AT_OK
 * when it may go on, *count then being the account's attempts in the window
 * including this one (a failure with *count == per_account is the one that
 * locks: audit auth.locked); AT_RATE_LIMITED with *retry_after (seconds,
 * >= 1) when over a limit; AT_UNAVAILABLE when Redis cannot be reached
 * (fail closed). */
at_status_t auth_throttle_begin(at_cache_t *cache, const auth_throttle_limits_t *limits,
                                const char *email, const char *ip, int *retry_after,
                                long long *count);

/* The attempt succeeded: the account's counter is cleared and the IP's
 * takes this attempt back. */
void auth_throttle_success(at_cache_t *cache, const char *email, const char *ip);

/* The attempt did not fail (right password, second factor pending; or an
 * internal error): both counters take it back. */
void auth_throttle_undo(at_cache_t *cache, const char *email, const char *ip);

#endif
