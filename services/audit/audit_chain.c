/* audit_chain: canonical encoding and SHA-256 chain of audit events (see the
 * header for the specification); libsodium hashes, jansson writes JSON. */
#include "audit_chain.h"
#include <jansson.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char audit_chain_genesis[AUDIT_CHAIN_HEX_LEN + 1] =
    "0000000000000000000000000000000000000000000000000000000000000000";

/* Receives the encoding piece by piece: the hash and the buffer writer
 * share one walk over the fields so they cannot disagree. */
typedef void (*s_sink_fn)(void *arg, const unsigned char *data, size_t len);

static void s_field(s_sink_fn sink, void *arg, const char *s)
{
    unsigned char prefix[4] = {0xff, 0xff, 0xff, 0xff};
    size_t len = s ? strlen(s) : 0;
    if (s) {
        prefix[0] = (unsigned char) (len >> 24);
        prefix[1] = (unsigned char) (len >> 16);
        prefix[2] = (unsigned char) (len >> 8);
        prefix[3] = (unsigned char) len;
    }
    sink(arg, prefix, sizeof prefix);
    if (len)
        sink(arg, (const unsigned char *) s, len);
}

/* Walks the 17 fields in the order of the header. -1 when a required field
 * is missing (nothing is written then). */
static int s_encode(const audit_chain_event_t *ev, s_sink_fn sink, void *arg)
{
    if (!ev || !ev->firm_id || !ev->event_id || !ev->at || !ev->action || !ev->details ||
        ev->seq < 1)
        return -1;
    char seq[24];
    snprintf(seq, sizeof seq, "%lld", (long long) ev->seq);
    const char *fields[] = {
        AUDIT_CHAIN_VERSION,
        ev->firm_id,
        seq,
        ev->event_id,
        ev->at,
        ev->actor_id,
        ev->actor_name,
        ev->actor_kind,
        ev->action,
        ev->resource_type,
        ev->resource_id,
        ev->client_id,
        ev->ip,
        ev->user_agent,
        ev->request_id,
        ev->source,
        ev->details,
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        s_field(sink, arg, fields[i]);
    return 0;
}

typedef struct {
    unsigned char *data;
    size_t len, cap;
} s_buf_t;

static void s_buf_sink(void *arg, const unsigned char *data, size_t len)
{
    s_buf_t *b = arg;
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + len)
            cap *= 2;
        b->data = realloc(b->data, cap);
        if (!b->data)
            abort(); /* out of memory: the house rule */
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
}

unsigned char *audit_chain_canonical(const audit_chain_event_t *ev, size_t *len)
{
    s_buf_t b = {0};
    *len = 0;
    if (s_encode(ev, s_buf_sink, &b) != 0)
        return NULL;
    *len = b.len;
    return b.data;
}

static void s_hash_sink(void *arg, const unsigned char *data, size_t len)
{
    crypto_hash_sha256_update(arg, data, len);
}

int audit_chain_hash(const char *prev_hex, const audit_chain_event_t *ev,
                     char out[AUDIT_CHAIN_HEX_LEN + 1])
{
    out[0] = 0;
    unsigned char prev[crypto_hash_sha256_BYTES];
    size_t plen = 0;
    const char *end = NULL;
    if (!prev_hex || strlen(prev_hex) != AUDIT_CHAIN_HEX_LEN ||
        sodium_hex2bin(prev, sizeof prev, prev_hex, AUDIT_CHAIN_HEX_LEN, NULL, &plen, &end) != 0 ||
        plen != sizeof prev || *end != 0)
        return -1;
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, prev, sizeof prev);
    if (s_encode(ev, s_hash_sink, &st) != 0)
        return -1;
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&st, digest);
    sodium_bin2hex(out, AUDIT_CHAIN_HEX_LEN + 1, digest, sizeof digest);
    return 0;
}

static bool s_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int audit_chain_normalize_uuid(const char *in, char out[AUDIT_UUID_LEN + 1])
{
    out[0] = 0;
    if (!in || strlen(in) != AUDIT_UUID_LEN)
        return -1;
    for (int i = 0; i < AUDIT_UUID_LEN; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? in[i] != '-' : !s_hex(in[i]))
            return -1;
        out[i] = (in[i] >= 'A' && in[i] <= 'F') ? (char) (in[i] - 'A' + 'a') : in[i];
    }
    out[AUDIT_UUID_LEN] = 0;
    return 0;
}

/* Reads exactly n decimal digits at *p, advancing it. -1 if not digits. */
static int s_digits(const char **p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *p += n;
    return v;
}

int audit_chain_normalize_time(const char *in, char out[AUDIT_TIME_LEN + 1])
{
    out[0] = 0;
    if (!in)
        return -1;
    const char *p = in;
    int y = s_digits(&p, 4);
    if (y < 1 || *p++ != '-')
        return -1;
    int mo = s_digits(&p, 2);
    if (mo < 0 || *p++ != '-')
        return -1;
    int d = s_digits(&p, 2);
    if (d < 0 || (*p != 'T' && *p != 't'))
        return -1;
    p++;
    int h = s_digits(&p, 2);
    if (h < 0 || *p++ != ':')
        return -1;
    int mi = s_digits(&p, 2);
    if (mi < 0 || *p++ != ':')
        return -1;
    int s = s_digits(&p, 2);
    if (s < 0)
        return -1;
    int ms = 0;
    if (*p == '.') {
        p++;
        int n = 0;
        while (p[n] >= '0' && p[n] <= '9')
            n++;
        if (n < 1 || n > 9)
            return -1;
        for (int i = 0; i < 3; i++)
            ms = ms * 10 + (i < n ? p[i] - '0' : 0);
        p += n;
    }
    int offset_min = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1;
        int oh = s_digits(&p, 2);
        if (oh < 0 || oh > 23 || *p++ != ':')
            return -1;
        int om = s_digits(&p, 2);
        if (om < 0 || om > 59)
            return -1;
        offset_min = sign * (oh * 60 + om);
    } else {
        return -1;
    }
    if (*p != 0)
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59)
        return -1;
    /* timegm normalises Feb 30 into March: a date that does not come back
     * unchanged does not exist. */
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = s};
    time_t t = timegm(&tm);
    if (tm.tm_year != y - 1900 || tm.tm_mon != mo - 1 || tm.tm_mday != d)
        return -1;
    t -= (time_t) offset_min * 60;
    struct tm u;
    if (!gmtime_r(&t, &u) || u.tm_year + 1900 < 1 || u.tm_year + 1900 > 9999)
        return -1;
    char tmp[96]; /* roomy: the compiler cannot see the ranges checked above */
    int len = snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", u.tm_year + 1900,
                       u.tm_mon + 1, u.tm_mday, u.tm_hour, u.tm_min, u.tm_sec, ms);
    if (len != AUDIT_TIME_LEN)
        return -1;
    memcpy(out, tmp, AUDIT_TIME_LEN + 1);
    return 0;
}

char *audit_chain_normalize_details(const char *in)
{
    if (!in || !*in)
        return strdup("{}");
    json_error_t err;
    json_t *j = json_loads(in, JSON_REJECT_DUPLICATES, &err);
    if (!j || !json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    char *out = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(j);
    return out;
}

/* ------------------------------------------------------------ checkpoints */

static int s_encode_checkpoint(const char *firm_id, int64_t seq, const char *head_hash,
                               const char *at, s_sink_fn sink, void *arg)
{
    if (!firm_id || !head_hash || !at || seq < 1)
        return -1;
    char seqs[24];
    snprintf(seqs, sizeof seqs, "%lld", (long long) seq);
    const char *fields[] = {AUDIT_CHECKPOINT_VERSION, firm_id, seqs, head_hash, at};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        s_field(sink, arg, fields[i]);
    return 0;
}

unsigned char *audit_chain_checkpoint_message(const char *firm_id, int64_t seq,
                                              const char *head_hash, const char *at, size_t *len)
{
    s_buf_t b = {0};
    *len = 0;
    if (s_encode_checkpoint(firm_id, seq, head_hash, at, s_buf_sink, &b) != 0)
        return NULL;
    *len = b.len;
    return b.data;
}

int audit_chain_checkpoint_sign(const unsigned char sk[64], const char *firm_id, int64_t seq,
                                const char *head_hash, const char *at,
                                char sig_hex[AUDIT_SIG_HEX_LEN + 1])
{
    sig_hex[0] = 0;
    size_t len = 0;
    unsigned char *msg = audit_chain_checkpoint_message(firm_id, seq, head_hash, at, &len);
    if (!msg)
        return -1;
    unsigned char sig[crypto_sign_BYTES];
    int rc = crypto_sign_detached(sig, NULL, msg, len, sk);
    free(msg);
    if (rc != 0)
        return -1;
    sodium_bin2hex(sig_hex, AUDIT_SIG_HEX_LEN + 1, sig, sizeof sig);
    return 0;
}

int audit_chain_checkpoint_verify(const unsigned char pk[32], const char *firm_id, int64_t seq,
                                  const char *head_hash, const char *at, const char *sig_hex)
{
    unsigned char sig[crypto_sign_BYTES];
    size_t slen = 0;
    const char *end = NULL;
    if (!pk || !sig_hex || strlen(sig_hex) != AUDIT_SIG_HEX_LEN ||
        sodium_hex2bin(sig, sizeof sig, sig_hex, AUDIT_SIG_HEX_LEN, NULL, &slen, &end) != 0 ||
        slen != sizeof sig || *end != 0)
        return -1;
    size_t len = 0;
    unsigned char *msg = audit_chain_checkpoint_message(firm_id, seq, head_hash, at, &len);
    if (!msg)
        return -1;
    int rc = crypto_sign_verify_detached(sig, msg, len, pk);
    free(msg);
    return rc == 0 ? 0 : -1;
}

void audit_chain_key_id(const unsigned char pk[32], char out[AUDIT_KEY_ID_LEN + 1])
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, pk, 32);
    sodium_bin2hex(out, AUDIT_KEY_ID_LEN + 1, digest, AUDIT_KEY_ID_LEN / 2);
}

int audit_chain_parse_public_key(const char *hex, unsigned char pk[32])
{
    size_t len = 0;
    const char *end = NULL;
    if (!hex || strlen(hex) != AUDIT_PK_HEX_LEN ||
        sodium_hex2bin(pk, 32, hex, AUDIT_PK_HEX_LEN, NULL, &len, &end) != 0 || len != 32 ||
        *end != 0)
        return -1;
    return 0;
}
