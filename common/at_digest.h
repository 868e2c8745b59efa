/* at_digest: SHA-256 (FIPS 180-4, OpenSSL EVP) as lower-case hex, the form
 * in which Atrium stores and compares secrets it must recognise but never
 * keep (session and API tokens, OAuth states, invitation tokens).
 * It does no keyed hashing (HMAC lives where it is used) and no encoding
 * beyond hex. */
#ifndef AT_DIGEST_H
#define AT_DIGEST_H

#include <stddef.h>

/* Writes the SHA-256 of len bytes at data into out as 64 lower-case hex
 * digits and a NUL. out must hold 65 bytes. */
void at_sha256_hex(const void *data, size_t len, char out[65]);

/* Writes len bytes of bin into out as lower-case hex and a NUL (out holds
 * 2 * len + 1 bytes). A table lookup, not printf per byte. */
void at_hex(const unsigned char *bin, size_t len, char *out);

#endif
