/* document_digest: SHA-256 (FIPS 180-4) of an upload computed chunk by chunk
 * across requests and processes. Between chunks the running state lives in
 * PostgreSQL as DOC_DIGEST_STATE_BYTES bytes, so any instance can take the
 * next chunk and no byte is ever read twice.
 *
 * The state is FIPS 180-4's intermediate values (chaining words, bit count,
 * partial block), hashed by OpenSSL's SHA256_CTX (see document_digest.c for
 * why that interface) and written field by field in big-endian order behind
 * a format tag, so it depends on neither the struct's memory layout nor the
 * machine's byte order.
 */
#ifndef DOCUMENT_DIGEST_H
#define DOCUMENT_DIGEST_H

#include <stddef.h>

/* 4 tag bytes + 8 words of 4 + a count of 8 + a 64-byte block */
#define DOC_DIGEST_STATE_BYTES (4 + 32 + 8 + 64)

/* Writes the state of an empty hash into out. */
void doc_digest_init(unsigned char out[DOC_DIGEST_STATE_BYTES]);

/* Feeds len bytes of data to the stored state (updated in place). Returns 0,
 * or -1 when state does not hold a state of this format (left unchanged). */
int doc_digest_update(unsigned char state[DOC_DIGEST_STATE_BYTES], const void *data, size_t len);

/* Writes the lower-case hex digest (64 characters and a NUL) of the data fed
 * so far into hex; state is not changed. Returns 0, or -1 for a bad state. */
int doc_digest_final(const unsigned char state[DOC_DIGEST_STATE_BYTES], char hex[65]);

/* True when s is 64 lower-case hex digits (a digest as this module writes it). */
int doc_digest_hex_valid(const char *s);

#endif
