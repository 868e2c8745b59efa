/* audit_chain: the canonical byte encoding of one audit event and its
 * SHA-256 chain hash, plus the normalisation of the fields that have more
 * than one spelling (uuids, times, JSON), so that what is hashed is exactly
 * what is stored and served. Pure: no I/O, no database, no clock.
 *
 * It does not assign sequence numbers or read the previous hash: the store
 * does that under the firm's lock (audit_store.h).
 *
 * ------------------------------------------------------------------------
 * Canonical encoding, version "atrium.audit.v1" (for auditors)
 * ------------------------------------------------------------------------
 * An event is encoded as the concatenation of 17 fields, each written as
 *
 *     F(NULL) = FF FF FF FF                       (4 bytes: the field is absent)
 *     F(s)    = len(s) as 4-byte unsigned big-endian || the bytes of s
 *
 * (s is UTF-8 text with no terminator; len counts bytes; "" is 00 00 00 00,
 * distinct from absent), in this fixed order:
 *
 *      1  the literal "atrium.audit.v1"  (domain separation and version)
 *      2  firm_id        uuid, 36 chars, lower-case hex with hyphens
 *      3  seq            decimal ASCII, no sign, no leading zeros (1, 2, ...)
 *      4  event_id       uuid as firm_id
 *      5  at             "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC, exactly milliseconds)
 *      6  actor_id       uuid as firm_id, or absent
 *      7  actor_name     or absent
 *      8  actor_kind     "staff" | "client" | "system" | ..., or absent
 *      9  action         "resource.verb"
 *     10  resource_type  or absent
 *     11  resource_id    or absent
 *     12  client_id      uuid as firm_id, or absent
 *     13  ip             or absent
 *     14  user_agent     or absent
 *     15  request_id     or absent
 *     16  source         the emitting service ("auth"), or absent
 *     17  details        the JSON object's text exactly as stored and served
 *                        (see audit_chain_normalize_details)
 *
 * The chain, per firm, in seq order:
 *
 *     hash(1) = SHA-256( 32 zero bytes    || canonical(event 1) )
 *     hash(n) = SHA-256( raw hash(n - 1)  || canonical(event n) )
 *
 * where "raw" is the 32 bytes of the digest (not its hex). Stored and
 * served as 64 lower-case hex digits. Including firm_id and seq in the
 * encoding binds each event to its place, so moving, dropping or editing
 * any event changes every later hash.
 * ------------------------------------------------------------------------
 *
 * ------------------------------------------------------------------------
 * Signed checkpoints, version "atrium.audit.checkpoint.v1"
 * ------------------------------------------------------------------------
 * A checkpoint states "firm F's chain had N events and head hash H at time
 * T". The audit service signs it with Ed25519 (RFC 8032, libsodium
 * crypto_sign_detached, pure Ed25519: the message itself is signed, not a
 * pre-hash). The signed message is the concatenation of 5 fields in the
 * F(s) encoding above (4-byte big-endian length || UTF-8 bytes):
 *
 *      1  the literal "atrium.audit.checkpoint.v1"
 *      2  firm_id     uuid, 36 chars, lower-case
 *      3  seq         decimal ASCII of the last event covered (>= 1)
 *      4  head_hash   that event's chain hash, 64 lower-case hex digits
 *      5  at          "YYYY-MM-DDTHH:MM:SS.mmmZ", when it was signed
 *
 * The signature is 64 bytes, served as 128 lower-case hex digits; the
 * public key is 32 bytes, served as 64 hex digits; a key's id is the first
 * 8 bytes of SHA-256(public key) as 16 hex digits. A checkpoint lets anyone
 * holding the public key detect events removed from the end of the trail:
 * the chain must reach seq with exactly head_hash.
 * ------------------------------------------------------------------------
 */
#ifndef AUDIT_CHAIN_H
#define AUDIT_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#define AUDIT_CHAIN_VERSION "atrium.audit.v1"
#define AUDIT_CHAIN_HEX_LEN 64 /* hex digits of a hash */
#define AUDIT_UUID_LEN 36
#define AUDIT_TIME_LEN 24 /* "2026-11-29T20:30:00.000Z" */

/* The hash that precedes a firm's first event: 64 '0' characters. */
extern const char audit_chain_genesis[AUDIT_CHAIN_HEX_LEN + 1];

/* One event in its stored (normalised) form; all strings borrowed, NULL
 * means absent. firm_id, event_id, at, action and details are required. */
typedef struct {
    const char *firm_id;
    int64_t seq;
    const char *event_id;
    const char *at;
    const char *actor_id, *actor_name, *actor_kind;
    const char *action;
    const char *resource_type, *resource_id;
    const char *client_id;
    const char *ip, *user_agent, *request_id, *source;
    const char *details;
} audit_chain_event_t;

/* The canonical encoding of ev (above). Returns a malloc'd buffer the
 * caller frees, its length in *len; NULL when ev lacks a required field or
 * seq < 1. */
unsigned char *audit_chain_canonical(const audit_chain_event_t *ev, size_t *len);

/* Computes the chain hash of ev after the event whose hash is prev_hex (64
 * hex digits, either case; audit_chain_genesis for the first event) and
 * writes it as 64 lower-case hex digits and a NUL into out.
 * Returns 0, or -1 when prev_hex is not 64 hex digits or ev lacks a required
 * field (out is then "" ). */
int audit_chain_hash(const char *prev_hex, const audit_chain_event_t *ev,
                     char out[AUDIT_CHAIN_HEX_LEN + 1]);

/* Writes the canonical spelling of uuid text in (RFC 9562 8-4-4-4-12 hex,
 * either case, no braces) as 36 lower-case characters and a NUL into out.
 * Returns 0, or -1 when in is NULL or not such a uuid. */
int audit_chain_normalize_uuid(const char *in, char out[AUDIT_UUID_LEN + 1]);

/* Writes the canonical spelling of an RFC 3339 date-time (§5.6:
 * "YYYY-MM-DDTHH:MM:SS", optional fraction of 1-9 digits, then "Z" or
 * "+HH:MM"/"-HH:MM"; 't' and 'z' accepted) into out as UTC with exactly
 * milliseconds ("YYYY-MM-DDTHH:MM:SS.mmmZ", the fraction truncated, as
 * PostgreSQL's to_char MS renders the stored value) and a NUL.
 * Returns 0, or -1 when in is NULL, malformed, names an impossible date or
 * time (Feb 30, 24:00, a leap second) or falls outside years 0001-9999. */
int audit_chain_normalize_time(const char *in, char out[AUDIT_TIME_LEN + 1]);

/* The canonical text of a details JSON object: parsed with jansson and
 * written back with json_dumps(JSON_COMPACT | JSON_SORT_KEYS) (no blanks,
 * object keys in byte order at every depth, non-ASCII as raw UTF-8).
 * NULL or "" gives "{}". Returns a malloc'd string the caller frees, or NULL
 * when in is not a JSON object (the caller decides what to store). */
char *audit_chain_normalize_details(const char *in);

#define AUDIT_CHECKPOINT_VERSION "atrium.audit.checkpoint.v1"
#define AUDIT_SIG_HEX_LEN 128 /* hex digits of an Ed25519 signature */
#define AUDIT_PK_HEX_LEN 64   /* hex digits of an Ed25519 public key */
#define AUDIT_KEY_ID_LEN 16   /* hex digits of a key id */

/* The bytes a checkpoint signs (above). Returns a malloc'd buffer the
 * caller frees, its length in *len; NULL when an argument is NULL or
 * seq < 1. The arguments are used as given: pass canonical forms. */
unsigned char *audit_chain_checkpoint_message(const char *firm_id, int64_t seq,
                                              const char *head_hash, const char *at, size_t *len);

/* Signs the checkpoint (firm_id, seq, head_hash, at) with the Ed25519
 * secret key sk (libsodium's 64-byte form) and writes the signature as
 * 128 lower-case hex digits and a NUL into sig_hex. Returns 0 or -1. */
int audit_chain_checkpoint_sign(const unsigned char sk[64], const char *firm_id, int64_t seq,
                                const char *head_hash, const char *at,
                                char sig_hex[AUDIT_SIG_HEX_LEN + 1]);

/* Verifies sig_hex (128 hex digits) over the checkpoint with the 32-byte
 * Ed25519 public key pk. Returns 0 when the signature is valid, -1 when it
 * is not or an argument is malformed. */
int audit_chain_checkpoint_verify(const unsigned char pk[32], const char *firm_id, int64_t seq,
                                  const char *head_hash, const char *at, const char *sig_hex);

/* Writes the key id of public key pk (16 hex digits) and a NUL into out. */
void audit_chain_key_id(const unsigned char pk[32], char out[AUDIT_KEY_ID_LEN + 1]);

/* Parses 64 hex digits (either case) into the 32 bytes of a public key.
 * Returns 0 or -1. */
int audit_chain_parse_public_key(const char *hex, unsigned char pk[32]);

#endif
