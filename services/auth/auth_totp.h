/* auth_totp: the pure parts of TOTP MFA: RFC 4648 base32 (no padding), RFC
 * 4226 HOTP and RFC 6238 TOTP with HMAC-SHA-1 (OpenSSL), the otpauth:// URI,
 * recovery codes and the sealing of secrets at rest (libsodium secretbox).
 *
 * No I/O and no clock: callers pass the time, so tests use the RFC's
 * vectors. Which step was used last lives in the database (auth_store).
 */
#ifndef AUTH_TOTP_H
#define AUTH_TOTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTH_TOTP_SECRET_BYTES 20 /* 160 bits, RFC 4226's recommendation */
#define AUTH_TOTP_DIGITS 6
#define AUTH_TOTP_STEP_S 30
#define AUTH_TOTP_WINDOW 1     /* steps accepted either side of now */
#define AUTH_TOTP_KEY_BYTES 32 /* the sealing key (crypto_secretbox_KEYBYTES) */
#define AUTH_RECOVERY_CODES 10
#define AUTH_RECOVERY_CODE_LEN 11 /* "xxxxx-xxxxx" */

/* Base32 (RFC 4648 alphabet, upper case, no '=' padding) of len bytes into
 * out, which holds at least (len * 8 + 4) / 5 + 1 bytes. Returns the length
 * written (without the NUL). */
size_t auth_base32_encode(const unsigned char *in, size_t len, char *out);

/* HOTP (RFC 4226): the code of counter under key, digits (6..9) long,
 * as a number (print it zero-padded). */
uint32_t auth_hotp(const unsigned char *key, size_t keylen, uint64_t counter, int digits);

/* The TOTP step of unix time now_s (floor(now_s / 30)). */
int64_t auth_totp_step(int64_t now_s);

/* True when code is exactly AUTH_TOTP_DIGITS ASCII digits. */
bool auth_totp_code_shape(const char *code);

/* Checks code against the steps now-AUTH_TOTP_WINDOW .. now+AUTH_TOTP_WINDOW
 * of time now_s; every candidate is computed and compared in constant time.
 * Returns the matching step, or -1. The caller refuses a step not above the
 * last one used (replay). */
int64_t auth_totp_match(const unsigned char *key, size_t keylen, const char *code, int64_t now_s);

/* otpauth://totp/<issuer>:<account>?secret=...&issuer=...&algorithm=SHA1&
 * digits=6&period=30 with issuer and account percent-encoded (RFC 3986
 * unreserved characters kept). malloc'd; caller frees. */
char *auth_totp_uri(const char *issuer, const char *account, const char *secret_b32);

/* A new recovery code "xxxxx-xxxxx" (10 random base32 characters, lower
 * case: 50 bits) into out (AUTH_RECOVERY_CODE_LEN + 1 bytes). */
void auth_recovery_code_new(char out[AUTH_RECOVERY_CODE_LEN + 1]);

/* The SHA-256 hex (65 bytes) a recovery code is stored by: of the code
 * lower-cased with blanks and dashes dropped, so "ABCDE FGHIJ" matches
 * "abcde-fghij". Returns -1 (hex untouched) when code does not have the
 * shape of one (10 base32 characters). */
int auth_recovery_code_hash(const char *code, char hex[65]);

/* Seals len bytes of plain under key (AUTH_TOTP_KEY_BYTES) as unpadded
 * base64url of nonce || secretbox; malloc'd, caller frees. */
char *auth_secret_seal(const unsigned char *key, const unsigned char *plain, size_t len);

/* Opens text sealed by auth_secret_seal into plain (cap bytes); *len gets
 * its length. 0, or -1 when text is malformed, too long, or not sealed
 * under key (tampered). */
int auth_secret_open(const unsigned char *key, const char *text, unsigned char *plain, size_t cap,
                     size_t *len);

#endif
