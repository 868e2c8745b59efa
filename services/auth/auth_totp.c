/* auth_totp: base32, HOTP/TOTP (OpenSSL HMAC-SHA-1), recovery codes and
 * sealed secrets (libsodium); see the header. */
#include "auth_totp.h"
#include <ctype.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char s_b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

size_t auth_base32_encode(const unsigned char *in, size_t len, char *out)
{
    size_t n = 0;
    uint32_t buf = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        buf = (buf << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            out[n++] = s_b32[(buf >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0)
        out[n++] = s_b32[(buf << (5 - bits)) & 31];
    out[n] = 0;
    return n;
}

uint32_t auth_hotp(const unsigned char *key, size_t keylen, uint64_t counter, int digits)
{
    unsigned char msg[8];
    for (int i = 7; i >= 0; i--) {
        msg[i] = (unsigned char) (counter & 0xff);
        counter >>= 8;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!HMAC(EVP_sha1(), key, (int) keylen, msg, sizeof msg, md, &mdlen) || mdlen != 20)
        abort(); /* SHA-1 HMAC cannot fail but for lack of memory */
    int off = md[19] & 0x0f;
    uint32_t bin = ((uint32_t) (md[off] & 0x7f) << 24) | ((uint32_t) md[off + 1] << 16) |
                   ((uint32_t) md[off + 2] << 8) | md[off + 3];
    uint32_t mod = 1;
    for (int i = 0; i < digits; i++)
        mod *= 10;
    sodium_memzero(md, sizeof md);
    return bin % mod;
}

int64_t auth_totp_step(int64_t now_s)
{
    return now_s >= 0 ? now_s / AUTH_TOTP_STEP_S : -1;
}

bool auth_totp_code_shape(const char *code)
{
    if (!code || strlen(code) != AUTH_TOTP_DIGITS)
        return false;
    for (const char *c = code; *c; c++)
        if (*c < '0' || *c > '9')
            return false;
    return true;
}

int64_t auth_totp_match(const unsigned char *key, size_t keylen, const char *code, int64_t now_s)
{
    if (!auth_totp_code_shape(code))
        return -1;
    int64_t now = auth_totp_step(now_s), found = -1;
    for (int64_t step = now - AUTH_TOTP_WINDOW; step <= now + AUTH_TOTP_WINDOW; step++) {
        if (step < 0)
            continue;
        char want[16];
        snprintf(want, sizeof want, "%0*" PRIu32, AUTH_TOTP_DIGITS,
                 auth_hotp(key, keylen, (uint64_t) step, AUTH_TOTP_DIGITS));
        if (sodium_memcmp(want, code, AUTH_TOTP_DIGITS) == 0 && found < 0)
            found = step;
    }
    return found;
}

/* Appends s percent-encoded (RFC 3986 unreserved kept) to out at *n. */
static void s_pct(char *out, size_t *n, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *c = (const unsigned char *) s; *c; c++) {
        if (isalnum(*c) || strchr("-._~", *c)) {
            out[(*n)++] = (char) *c;
        } else {
            out[(*n)++] = '%';
            out[(*n)++] = hex[*c >> 4];
            out[(*n)++] = hex[*c & 15];
        }
    }
}

char *auth_totp_uri(const char *issuer, const char *account, const char *secret_b32)
{
    size_t cap = 3 * (2 * strlen(issuer) + strlen(account)) + strlen(secret_b32) + 128;
    char *out = malloc(cap);
    if (!out)
        abort();
    size_t n = 0;
    n += (size_t) sprintf(out, "otpauth://totp/");
    s_pct(out, &n, issuer);
    out[n++] = ':';
    s_pct(out, &n, account);
    n += (size_t) sprintf(out + n, "?secret=%s&issuer=", secret_b32);
    s_pct(out, &n, issuer);
    sprintf(out + n, "&algorithm=SHA1&digits=%d&period=%d", AUTH_TOTP_DIGITS, AUTH_TOTP_STEP_S);
    return out;
}

void auth_recovery_code_new(char out[AUTH_RECOVERY_CODE_LEN + 1])
{
    for (int i = 0; i < AUTH_RECOVERY_CODE_LEN; i++)
        out[i] = i == 5 ? '-' : (char) tolower((unsigned char) s_b32[randombytes_uniform(32)]);
    out[AUTH_RECOVERY_CODE_LEN] = 0;
}

int auth_recovery_code_hash(const char *code, char hex[65])
{
    char norm[16];
    size_t n = 0;
    for (const char *c = code ? code : ""; *c; c++) {
        if (*c == '-' || *c == ' ')
            continue;
        char l = (char) toupper((unsigned char) *c);
        if (n == 10 || !l || !strchr(s_b32, l))
            return -1;
        norm[n++] = (char) tolower((unsigned char) l);
    }
    if (n != 10)
        return -1;
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *) norm, n);
    sodium_bin2hex(hex, 65, digest, sizeof digest);
    return 0;
}

char *auth_secret_seal(const unsigned char *key, const unsigned char *plain, size_t len)
{
    size_t blen = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len;
    unsigned char *box = malloc(blen);
    if (!box)
        abort();
    randombytes_buf(box, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, plain, len, box, key);
    size_t cap = sodium_base64_ENCODED_LEN(blen, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = malloc(cap);
    if (!out)
        abort();
    sodium_bin2base64(out, cap, box, blen, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    free(box);
    return out;
}

int auth_secret_open(const unsigned char *key, const char *text, unsigned char *plain, size_t cap,
                     size_t *len)
{
    *len = 0;
    unsigned char box[256];
    size_t blen = 0;
    if (!text ||
        sodium_base642bin(box, sizeof box, text, strlen(text), NULL, &blen, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        blen < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES ||
        blen - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES > cap)
        return -1;
    size_t plen = blen - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
    if (crypto_secretbox_open_easy(plain, box + crypto_secretbox_NONCEBYTES,
                                   blen - crypto_secretbox_NONCEBYTES, box, key) != 0)
        return -1;
    *len = plen;
    return 0;
}
