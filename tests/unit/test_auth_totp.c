/* Unit tests for auth_totp: RFC 4648 base32 vectors, the RFC 6238 (SHA-1)
 * and RFC 4226 vectors, the ±1 step window, the otpauth URI, recovery code
 * hashing and sealed secrets. No clock: every time is given. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_totp.h"

static const unsigned char s_key[] = "12345678901234567890"; /* RFC 6238 SHA-1 seed */

static void t_base32(void **state)
{
    (void) state;
    /* RFC 4648 section 10, without the padding */
    const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char *want[] = {"", "MY", "MZXQ", "MZXW6", "MZXW6YQ", "MZXW6YTB", "MZXW6YTBOI"};
    char out[64];
    for (int i = 0; i < 7; i++) {
        size_t n = auth_base32_encode((const unsigned char *) in[i], strlen(in[i]), out);
        assert_string_equal(out, want[i]);
        assert_int_equal(n, strlen(want[i]));
    }
    /* the RFC 6238 seed is the well-known GEZDGNBV... */
    auth_base32_encode(s_key, 20, out);
    assert_string_equal(out, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
}

static void t_hotp_rfc4226(void **state)
{
    (void) state;
    /* RFC 4226 appendix D */
    const uint32_t want[] = {755224, 287082, 359152, 969429, 338314,
                             254676, 287922, 162583, 399871, 520489};
    for (uint64_t c = 0; c < 10; c++)
        assert_int_equal(auth_hotp(s_key, 20, c, 6), want[c]);
}

static void t_totp_rfc6238(void **state)
{
    (void) state;
    /* RFC 6238 appendix B, SHA-1 rows (8 digits) */
    const int64_t t[] = {59, 1111111109, 1111111111, 1234567890, 2000000000, 20000000000LL};
    const uint32_t want[] = {94287082, 7081804, 14050471, 89005924, 69279037, 65353130};
    for (int i = 0; i < 6; i++) {
        assert_int_equal(auth_hotp(s_key, 20, (uint64_t) auth_totp_step(t[i]), 8), want[i]);
        /* 6 digits are the last six of the same truncation */
        char code[8];
        snprintf(code, sizeof code, "%06u", (unsigned) (want[i] % 1000000));
        assert_int_equal(auth_totp_match(s_key, 20, code, t[i]), auth_totp_step(t[i]));
    }
}

static void t_window(void **state)
{
    (void) state;
    const int64_t now = 1111111111; /* step 37037037 */
    char code[8];
    for (int d = -3; d <= 3; d++) {
        int64_t step = auth_totp_step(now) + d;
        snprintf(code, sizeof code, "%06u", (unsigned) auth_hotp(s_key, 20, (uint64_t) step, 6));
        int64_t got = auth_totp_match(s_key, 20, code, now);
        if (d >= -1 && d <= 1)
            assert_int_equal(got, step);
        else
            assert_int_equal(got, -1);
    }
    assert_int_equal(auth_totp_match(s_key, 20, "12345", now), -1);
    assert_int_equal(auth_totp_match(s_key, 20, "1234567", now), -1);
    assert_int_equal(auth_totp_match(s_key, 20, "12a456", now), -1);
    assert_int_equal(auth_totp_match(s_key, 20, NULL, now), -1);
    assert_false(auth_totp_code_shape(" 12345"));
    assert_true(auth_totp_code_shape("012345"));
}

static void t_uri(void **state)
{
    (void) state;
    char *uri = auth_totp_uri("Atrium & Co", "ann+x@example.test", "GEZDGNBV");
    assert_string_equal(uri, "otpauth://totp/Atrium%20%26%20Co:ann%2Bx%40example.test"
                             "?secret=GEZDGNBV&issuer=Atrium%20%26%20Co"
                             "&algorithm=SHA1&digits=6&period=30");
    free(uri);
}

static void t_recovery(void **state)
{
    (void) state;
    char a[AUTH_RECOVERY_CODE_LEN + 1], b[AUTH_RECOVERY_CODE_LEN + 1];
    auth_recovery_code_new(a);
    auth_recovery_code_new(b);
    assert_int_equal(strlen(a), 11);
    assert_int_equal(a[5], '-');
    assert_string_not_equal(a, b);
    char h1[65], h2[65], h3[65];
    assert_int_equal(auth_recovery_code_hash("abcde-fgh23", h1), 0);
    assert_int_equal(auth_recovery_code_hash("ABCDE FGH23", h2), 0);
    assert_int_equal(auth_recovery_code_hash("abcdefgh23", h3), 0);
    assert_string_equal(h1, h2);
    assert_string_equal(h1, h3);
    assert_int_equal(auth_recovery_code_hash(a, h1), 0);
    assert_int_equal(auth_recovery_code_hash("abcde-fgh2", h1), -1);   /* too short */
    assert_int_equal(auth_recovery_code_hash("abcde-fgh231", h1), -1); /* too long */
    assert_int_equal(auth_recovery_code_hash("abcde-fgh18", h1), -1);  /* not base32 */
    assert_int_equal(auth_recovery_code_hash("123456", h1), -1);       /* a TOTP code */
    assert_int_equal(auth_recovery_code_hash(NULL, h1), -1);
}

static void t_seal(void **state)
{
    (void) state;
    assert_true(sodium_init() >= 0);
    unsigned char key[AUTH_TOTP_KEY_BYTES], other[AUTH_TOTP_KEY_BYTES];
    randombytes_buf(key, sizeof key);
    randombytes_buf(other, sizeof other);
    char *sealed = auth_secret_seal(key, s_key, 20);
    char *again = auth_secret_seal(key, s_key, 20);
    assert_string_not_equal(sealed, again); /* a fresh nonce each time */
    unsigned char plain[64];
    size_t len = 0;
    assert_int_equal(auth_secret_open(key, sealed, plain, sizeof plain, &len), 0);
    assert_int_equal(len, 20);
    assert_memory_equal(plain, s_key, 20);
    assert_int_equal(auth_secret_open(other, sealed, plain, sizeof plain, &len), -1);
    assert_int_equal(auth_secret_open(key, sealed, plain, 10, &len), -1); /* too small */
    sealed[10] = sealed[10] == 'A' ? 'B' : 'A';                           /* tampered */
    assert_int_equal(auth_secret_open(key, sealed, plain, sizeof plain, &len), -1);
    assert_int_equal(auth_secret_open(key, "!!", plain, sizeof plain, &len), -1);
    assert_int_equal(auth_secret_open(key, NULL, plain, sizeof plain, &len), -1);
    free(sealed);
    free(again);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_base32),       cmocka_unit_test(t_hotp_rfc4226),
        cmocka_unit_test(t_totp_rfc6238), cmocka_unit_test(t_window),
        cmocka_unit_test(t_uri),          cmocka_unit_test(t_recovery),
        cmocka_unit_test(t_seal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
